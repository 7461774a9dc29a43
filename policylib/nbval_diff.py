"""A pytest plugin: when nbval finds a published output changed, it reports every changed line, fast.

nbval asks pytest's ``pytest_assertrepr_compare`` how the published and the new output differ. For a
chapter's HTML table pytest's own answer is a character-level ``ndiff``: quadratic in the length of
the lines, minutes for one changed number, and cut to its first few lines below ``-vv``. A maintainer
who changed a rule wants every figure that moved, at once. Long texts and data outputs (JSON) are
therefore compared here line by line (``difflib.unified_diff``): each changed line is shown whole,
before (``-``) and after (``+``), with one line of context. Short values keep pytest's report.

Used with ``-p policylib.nbval_diff`` (``make test`` passes it).
"""

from __future__ import annotations

import difflib
import json
from typing import Any

LONG = 400  # characters; below this pytest's own report is quick and clear
CONTEXT = 1


def _lines(value: Any) -> list[str] | None:
    """A value as the lines to compare: a long text's lines, or a data output as indented JSON."""
    if isinstance(value, str):
        return value.splitlines() if len(value) > LONG else None
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)
        return text.splitlines() if len(text) > LONG else None
    return None


def changed_lines(left: Any, right: Any) -> list[str] | None:
    """The lines of a line diff from ``left`` (published) to ``right`` (new); None if not for this plugin."""
    before, after = _lines(left), _lines(right)
    if before is None or after is None:
        return None
    diff = list(difflib.unified_diff(before, after, "published", "new", n=CONTEXT, lineterm=""))
    if not diff:
        return None
    removed = sum(1 for line in diff[2:] if line.startswith("-"))
    added = sum(1 for line in diff[2:] if line.startswith("+"))
    return [f"published output != new output: {removed} lines changed into {added} (line diff)", *diff[2:]]


def pytest_assertrepr_compare(config: Any, op: str, left: Any, right: Any) -> list[str] | None:
    """pytest hook: the line diff for long texts and data compared with ``==``."""
    if op != "==":
        return None
    return changed_lines(left, right)
