"""Placeholders still to fill: a YAML line holding ``TODO`` (in a value or a trailing comment).

`policylib new` writes skeleton files whose unknown values carry ``TODO``; `policylib check`
reports each such line with the field it belongs to until the analyst replaces it. Lines that
are only a comment are ignored, so explanatory headers may mention the word.
"""

from __future__ import annotations

from pathlib import Path

from policylib.loader import LineMap, Loc, Problem, RuleFileError, field_name, read_document

MARKER = "TODO"


def _fields_by_line(lines: LineMap) -> dict[int, Loc]:
    """The deepest field that starts on each line."""
    out: dict[int, Loc] = {}
    for loc, line in lines.lines.items():
        if line not in out or len(loc) > len(out[line]):
            out[line] = loc
    return out


def todo_problems(path: Path, expect: type[dict] | type[list] = dict) -> list[Problem]:
    """One problem per line of ``path`` that still holds the placeholder (none if unreadable)."""
    path = Path(path)
    try:
        _, lines, text = read_document(path, expect)
    except RuleFileError:
        return []
    return todos_in(path, text, lines)


def todos_in(path: Path, text: str, lines: LineMap) -> list[Problem]:
    """One problem per line of a file's text that still holds the placeholder."""
    fields = _fields_by_line(lines)
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        if MARKER not in line or line.lstrip().startswith("#"):
            continue
        hint = line[line.index(MARKER):].strip().rstrip("\"'").strip()
        problems.append(Problem(path, number, field_name(fields.get(number, ())), f"not filled in: {hint}"))
    return problems


def without_duplicates(problems: list[Problem], todos: list[Problem]) -> list[Problem]:
    """``problems`` less those on a line and field that a TODO problem already reports."""
    marked = {(p.line, p.field) for p in todos}
    return [p for p in problems if (p.line, p.field) not in marked]
