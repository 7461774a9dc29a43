"""Checks of the source directories: ``meta.yaml`` and ``corrections.yaml`` of each notice.

Both files are read with the hardened rule-file loader and validated against
:class:`policylib.sources.SourceMeta` and :class:`policylib.sources.Correction`; every problem
is reported as ``file:line: field: message``.
"""

from __future__ import annotations

from pathlib import Path

from policylib import sources
from policylib.loader import Problem, RuleFileError, read_limited
from policylib.paths import sources_dir
from policylib.todo import todo_problems, without_duplicates

SOURCE_FILES = (sources.META_FILE, sources.CORRECTIONS_FILE)


def source_directories() -> list[Path]:
    """Every sub-directory of ``sources/``, sorted by name."""
    root = sources_dir()
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _file_problems(path: Path) -> list[Problem]:
    """Validation and placeholder problems of one meta or corrections file."""
    is_meta = path.name == sources.META_FILE
    todos = todo_problems(path, dict if is_meta else list)
    try:
        if is_meta:
            sources.read_meta(path)
        else:
            sources.read_corrections(path)
    except sources.SourceFileError as exc:
        return todos + without_duplicates(exc.problems, todos)
    return todos


def check_source(directory: Path) -> list[Problem]:
    """Every problem of one source directory: its meta, corrections and received text."""
    problems: list[Problem] = []
    meta = directory / sources.META_FILE
    if not (meta.exists() or meta.is_symlink()):
        problems.append(Problem(meta, None, "", "missing file: every source needs its meta.yaml"))
    else:
        problems += _file_problems(meta)
    problems += _file_problems(directory / sources.CORRECTIONS_FILE)
    received = directory / sources.RECEIVED_FILE
    if not (received.exists() or received.is_symlink()):
        problems.append(Problem(received, None, "", "missing file: the notice exactly as received"))
        return problems
    try:
        text = read_limited(received, sources.MAX_TEXT_BYTES)
    except RuleFileError as exc:
        return problems + exc.problems
    if text.startswith(sources.RECEIVED_PLACEHOLDER.encode("utf-8")):
        problems.append(Problem(received, 1, "", "not filled in: paste the notice exactly as received"))
    return problems
