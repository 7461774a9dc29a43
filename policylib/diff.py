"""`policylib diff`: which published figures of the book a rule change moves.

The book's executed notebooks (``book/**/*.ipynb``) are its published figures. A table of the
book is published as data: an output carrying ``application/vnd.dataresource+json`` (pandas'
``orient="table"`` JSON, schema and rows) with ``{"policylib": {"table": name}}`` in its
metadata. This module reads those tables from two versions of the book and reports, per notebook
and cell, each value that moved: rows are matched by the table's primary key (or, for a default
integer index, by as many leading columns as make a row unique), columns by name, and each
change is shown as ``row / column: old → new``.

Outputs that are not data tables (prose, notes, an HTML block without a data form) are compared
line by line on their visible text. A cell published as data on one side and only as text on the
other (a book from before tables were published as data) is reported as a change of format, not
value by value: ``policylib diff --rev`` across that change lists the cells, and the line diff of
their text is not attempted. Images are not compared.

The two versions are the committed book and what the current rule files produce (the templates
are executed into a temporary directory with the book pipeline's own execution); the committed
notebooks at one or two git revisions (no execution); or the figures recorded at the previous
release (``book/release-figures.json``, written by ``policylib diff --record-release``) and the
work tree's book, which the book's "What changed" page shows. Exit status as for ``diff``:
0 nothing changed, 1 something changed, 2 trouble.

Cells are numbered as nbval numbers them (``Cell N`` = the N-th code cell, from 0), so a line of
this report points at the same cell as a failing ``make test``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from policylib.cli_args import add_one_line_parser
from policylib.paths import project_root

ARROW = "→"
DATA_MIME = "application/vnd.dataresource+json"
MAX_KEY_COLUMNS = 3
RELEASE_FILE = "release-figures.json"  # under book/: the figures of the previous release
RELEASE_FORMAT = 1
FORMAT_NOTE_NEW = "now published as data tables (before: printed text); not compared value by value"
FORMAT_NOTE_OLD = "now printed as text (before: data tables); not compared value by value"
_HEADING = re.compile(r"^\s*#{1,6}\s+(.*\S)\s*$")
_TITLE = re.compile(r"^\s*#\s+(.*\S)\s*$")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: a backslash before ASCII punctuation


class DiffError(Exception):
    """The comparison could not be made; the message says why."""


# ---------------------------------------------------------------------------- data tables


def show_value(value: Any) -> str:
    """A value of a data table as the report shows it (as stored: 160 stays 160, 160.0 stays 160.0)."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return " ".join(value.split()) or "(empty)"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class DataTable:
    """A published table: key columns identify a row, the other columns hold its values."""

    name: str
    key: tuple[str, ...]  # empty: rows are matched by position
    columns: tuple[str, ...]
    rows: tuple[tuple[tuple[Any, ...], dict[str, Any]], ...]  # (key values, {column: value})
    caption: str = ""

    def label(self, key: tuple[Any, ...]) -> str:
        return ", ".join(show_value(v) for v in key)


def _is_default_index(key: Sequence[str], data: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the primary key is pandas' default 0, 1, 2, … index (which names no row)."""
    if list(key) != ["index"]:
        return False
    return [r.get("index") for r in data] == list(range(len(data)))


def data_table(name: str, resource: Mapping[str, Any], caption: str = "") -> DataTable:
    """A table from pandas' ``orient="table"`` JSON (``schema`` with ``fields`` and ``primaryKey``, ``data``)."""
    schema = resource.get("schema") or {}
    fields = [f for f in schema.get("fields") or [] if isinstance(f, Mapping) and "name" in f]
    names = [str(f["name"]) for f in fields]
    data = [r for r in resource.get("data") or [] if isinstance(r, Mapping)]
    key = [str(k) for k in schema.get("primaryKey") or [] if str(k) in names]
    if _is_default_index(key, data):
        names.remove("index")
        key = []
    if not key:
        for width in range(1, min(MAX_KEY_COLUMNS, len(names) - 1) + 1):
            if len({tuple(show_value(r.get(c)) for c in names[:width]) for r in data}) == len(data):
                key = names[:width]
                break
    columns = tuple(c for c in names if c not in key)
    rows = []
    for position, record in enumerate(data):
        ident = tuple(record.get(c) for c in key) if key else (f"row {position + 1}",)
        rows.append((ident, {c: record.get(c) for c in columns}))
    return DataTable(name, tuple(key), columns, tuple(rows), caption)


@dataclass(frozen=True)
class Change:
    """One published figure or line that moved: where, the value before and the value now (None: absent)."""

    where: str
    old: str | None
    new: str | None
    table: str = ""  # the table it belongs to, when a cell has several
    note: str = ""  # a remark instead of values (e.g. a change of format)

    def line(self) -> str:
        """The change as a line of the report."""
        if self.note:
            return f"{self.where}: {self.note}" if self.where else self.note
        if self.where:
            if self.old is None:
                return f"{self.where}: added ({self.new})"
            if self.new is None:
                return f"{self.where}: removed ({self.old})"
            return f"{self.where}: {self.old} {ARROW} {self.new}"
        if self.old is None:
            return f"+ {self.new}"
        if self.new is None:
            return f"- {self.old}"
        return f"{self.old} {ARROW} {self.new}"


def _describe(columns: Sequence[str], values: Mapping[str, Any]) -> str:
    return "; ".join(f"{c} {show_value(values.get(c))}" for c in columns)


def diff_tables(old: DataTable, new: DataTable) -> list[Change]:
    """Each changed value (``row / column``), and added or removed rows and columns."""
    changes: list[Change] = []
    table = new.caption or new.name
    for column in old.columns:
        if column not in new.columns and column not in new.key:
            changes.append(Change(f"column {column}", None, None, table, "removed"))
    for column in new.columns:
        if column not in old.columns and column not in old.key:
            changes.append(Change(f"column {column}", None, None, table, "added"))
    if old.key != new.key:  # rows named differently: compare them by position
        before_key, now_key = ", ".join(old.key) or "position", ", ".join(new.key) or "position"
        changes.append(Change("rows", None, None, table, f"named by {now_key} (before: {before_key})"))
        old, new = _by_position(old), _by_position(new)
    before = dict(old.rows)
    shared = [c for c in new.columns if c in old.columns]
    for ident, values in new.rows:
        label = new.label(ident)
        if ident not in before:
            changes.append(Change(label, None, _describe(new.columns, values), table))
            continue
        previous = before[ident]
        for column in shared:
            a, b = previous.get(column), values.get(column)
            if a != b or type(a) is not type(b):
                changes.append(Change(f"{label} / {column}", show_value(a), show_value(b), table))
    now = {ident for ident, _ in new.rows}
    for ident, values in old.rows:
        if ident not in now:
            changes.append(Change(old.label(ident), _describe(old.columns, values), None, table))
    return changes


def _by_position(table: DataTable) -> DataTable:
    rows = tuple(((f"row {i + 1}",), {**dict(zip(table.key, k, strict=False)), **v})
                 for i, (k, v) in enumerate(table.rows))
    return DataTable(table.name, (), table.key + table.columns, rows, table.caption)


def diff_lines(old: Sequence[str], new: Sequence[str]) -> list[Change]:
    """Changed lines of text; a one-line replacement is one change ``old → new``."""
    out: list[Change] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == 1 and j2 - j1 == 1:
            out.append(Change("", old[i1], new[j1]))
            continue
        out.extend(Change("", line, None) for line in old[i1:i2])
        out.extend(Change("", None, line) for line in new[j1:j2])
    return out


# ---------------------------------------------------------------------------- notebooks


class _VisibleText(HTMLParser):
    """The visible text of an HTML output, one line per block or table row (cells joined by ' | ')."""

    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd",
                         "caption", "summary", "table", "pre", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._skip = 0

    def _end(self) -> None:
        text = " ".join("".join(self._line).split())
        if text:
            self.lines.append(text)
        self._line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self._end()
        elif tag in ("td", "th") and "".join(self._line).strip():
            self._line.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self._end()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._line.append(data)


def visible_lines(html: str) -> list[str]:
    """The text a reader sees in an HTML output, line by line (for the line diff of non-data outputs)."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    parser._end()
    return parser.lines


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def output_tables(outputs: Iterable[Mapping[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(name, orient="table" JSON) of each data table among a cell's outputs, in order."""
    tables: list[tuple[str, dict[str, Any]]] = []
    for out in outputs:
        data = out.get("data") or {}
        resource = data.get(DATA_MIME)
        if isinstance(resource, str):
            try:
                resource = json.loads(resource)
            except ValueError:
                resource = None
        if not isinstance(resource, Mapping):
            continue
        meta = (out.get("metadata") or {}).get("policylib") or {}
        name = str(meta.get("table") or f"table {len(tables) + 1}")
        entry = {"schema": resource.get("schema") or {}, "data": resource.get("data") or []}
        if meta.get("caption"):
            entry["caption"] = str(meta["caption"])
        tables.append((name, entry))
    return tables


def output_lines(outputs: Iterable[Mapping[str, Any]]) -> list[str]:
    """Visible text of the outputs that are not data tables or images, line by line."""
    lines: list[str] = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            lines += _lines(_text(out.get("text")))
        elif kind == "error":
            lines.append(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
        else:
            data = out.get("data") or {}
            if DATA_MIME in data or any(k.startswith("image/") for k in data):
                continue
            if "text/html" in data:
                lines += visible_lines(_text(data["text/html"]))
            elif "text/markdown" in data:
                lines += _lines(_text(data["text/markdown"]))
            elif "text/plain" in data:
                lines += _lines(_text(data["text/plain"]))
    return lines


@dataclass(frozen=True)
class CellFigures:
    """What one code cell publishes: its data tables, and the visible text of its other outputs."""

    number: int  # nbval's "Cell N": the N-th code cell, from 0
    cell_id: str
    heading: str  # the nearest heading above the cell
    tables: tuple[tuple[str, dict[str, Any]], ...] = ()
    lines: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "id": self.cell_id, "heading": self.heading,
                "tables": [{"name": n, **t} for n, t in self.tables], "lines": list(self.lines)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CellFigures:
        tables = tuple((str(t["name"]), {k: v for k, v in t.items() if k != "name"}) for t in data.get("tables", []))
        return cls(int(data["number"]), str(data["id"]), str(data.get("heading", "")), tables,
                   tuple(str(line) for line in data.get("lines", [])))


@dataclass(frozen=True)
class NotebookFigures:
    """What one notebook publishes: its title and the figures of each code cell."""

    title: str
    cells: tuple[CellFigures, ...]

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "cells": [c.to_json() for c in self.cells]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NotebookFigures:
        return cls(str(data.get("title", "")), tuple(CellFigures.from_json(c) for c in data.get("cells", [])))


def read_notebook(text: str, path: str = "") -> dict[str, Any]:
    """A notebook's JSON, or DiffError naming ``path`` when the text is not a notebook (nbformat 4)."""
    where = f"{path}: " if path else ""
    try:
        nb = json.loads(text)
    except ValueError as exc:
        raise DiffError(f"{where}not a notebook: {exc}") from None
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise DiffError(f"{where}not a notebook: JSON without nbformat 4 and a list of cells")
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise DiffError(f"{where}not a notebook: cell {index} has no cell_type")
        if not isinstance(cell.get("outputs", []), list) or not isinstance(cell.get("source", ""), str | list):
            raise DiffError(f"{where}not a notebook: cell {index} has malformed source or outputs")
        if not all(isinstance(out, dict) and isinstance(out.get("data", {}), dict) for out in cell.get("outputs", [])):
            raise DiffError(f"{where}not a notebook: an output of cell {index} is not an object")
    return nb


def notebook_figures(text: str, path: str = "") -> NotebookFigures:
    """The published figures of every code cell of a notebook (JSON text; ``path`` names it in errors)."""
    nb = read_notebook(text, path)
    cells: list[CellFigures] = []
    title = heading = ""
    for index, cell in enumerate(nb["cells"]):
        source = _text(cell.get("source"))
        if cell.get("cell_type") == "markdown":
            for line in source.splitlines():
                if not title and (m := _TITLE.match(line)):
                    title = _MD_ESCAPE.sub(r"\1", m.group(1))
                if m := _HEADING.match(line):
                    heading = _MD_ESCAPE.sub(r"\1", m.group(1))
                    break
            continue
        if cell.get("cell_type") != "code":
            continue
        outputs = cell.get("outputs", [])
        cells.append(CellFigures(len(cells), str(cell.get("id") or f"#{index}"), heading,
                                 tuple(output_tables(outputs)), tuple(output_lines(outputs))))
    return NotebookFigures(title, tuple(cells))


# ---------------------------------------------------------------------------- comparing


def _tables(cell: CellFigures) -> dict[str, DataTable]:
    return {name: data_table(name, t, str(t.get("caption", ""))) for name, t in cell.tables}


def diff_cell(old: CellFigures, new: CellFigures) -> list[Change]:
    """What changed in what one cell publishes."""
    if (old.tables, old.lines) == (new.tables, new.lines):
        return []
    if bool(old.tables) != bool(new.tables):
        return [Change("", None, None, note=FORMAT_NOTE_NEW if new.tables else FORMAT_NOTE_OLD)]
    changes: list[Change] = []
    before, now = _tables(old), _tables(new)
    for name, table in now.items():
        if name not in before:
            changes.append(Change(f"table {table.caption or name}", None, None, note="added"))
        elif dict(old.tables)[name] != dict(new.tables)[name]:
            changes += diff_tables(before[name], table) or [
                Change(f"table {table.caption or name}", None, None, note="changed in layout, not in values")]
    for name, table in before.items():
        if name not in now:
            changes.append(Change(f"table {table.caption or name}", None, None, note="removed"))
    changes += diff_lines(old.lines, new.lines)
    if len({c.table for c in changes if c.table}) < 2:
        changes = [Change(c.where, c.old, c.new, "", c.note) for c in changes]
    return changes


@dataclass
class NotebookDiff:
    """What changed in one notebook (path relative to the project root)."""

    path: str
    status: str = "changed"  # changed, added, removed
    title: str = ""
    cells: list[tuple[CellFigures, list[Change], str]] = field(default_factory=list)  # (cell, changes, remark)

    @property
    def changes(self) -> int:
        return sum(len(changes) for _, changes, _ in self.cells)


def _cell_title(cell: CellFigures, remark: str = "") -> str:
    title = f"Cell {cell.number}" + (f" · {cell.heading}" if cell.heading else "")
    return f"{title} ({remark})" if remark else title


def _everything(cell: CellFigures, added: bool) -> list[Change]:
    changes = []
    for name, t in cell.tables:
        table = data_table(name, t, str(t.get("caption", "")))
        changes += [Change(table.label(k), None if not added else _describe(table.columns, v),
                           _describe(table.columns, v) if added else None, table.caption or name)
                    for k, v in table.rows]
    changes += [Change("", None if not added else line, line if added else None) for line in cell.lines]
    return changes


def diff_notebook(path: str, old: NotebookFigures, new: NotebookFigures) -> NotebookDiff:
    """Compare two versions of one notebook, cell by cell (cells matched by id, else by number)."""
    result = NotebookDiff(path, title=new.title or old.title)
    old_by_id = {c.cell_id: c for c in old.cells}
    new_ids = {c.cell_id for c in new.cells}
    matched: set[str] = set()
    for cell in new.cells:
        before = old_by_id.get(cell.cell_id)
        if before is None and cell.number < len(old.cells) and old.cells[cell.number].cell_id not in new_ids:
            before = old.cells[cell.number]
        if before is None:
            if cell.tables or cell.lines:
                result.cells.append((cell, _everything(cell, added=True), "new cell"))
            continue
        matched.add(before.cell_id)
        changes = diff_cell(before, cell)
        if changes:
            result.cells.append((cell, changes, ""))
    for cell in old.cells:
        if cell.cell_id not in matched and (cell.tables or cell.lines):
            result.cells.append((cell, _everything(cell, added=False), "cell removed"))
    return result


Book = Mapping[str, NotebookFigures]


def figures_of(book: Mapping[str, str]) -> dict[str, NotebookFigures]:
    """The figures of each notebook of a book given as {path: notebook JSON text} (DiffError if one is not)."""
    return {path: notebook_figures(text, path) for path, text in book.items()}


def compare_figures(old: Book, new: Book) -> list[NotebookDiff]:
    """Differences between two books' figures; unchanged notebooks left out."""
    diffs: list[NotebookDiff] = []
    for path in sorted(set(old) | set(new), key=_book_order):
        if path not in new:
            diffs.append(NotebookDiff(path, "removed", old[path].title))
        elif path not in old:
            diffs.append(NotebookDiff(path, "added", new[path].title))
        elif old[path] != new[path]:
            result = diff_notebook(path, old[path], new[path])
            if result.cells:
                diffs.append(result)
    return diffs


def compare_books(old: Mapping[str, str], new: Mapping[str, str]) -> list[NotebookDiff]:
    """Differences between two books given as {path: notebook JSON text}; every file must be a notebook."""
    return compare_figures(figures_of(old), figures_of(new))


def _book_order(path: str) -> tuple[int, str]:
    return (0 if "/profiles/" in path else 1, path)


def report_lines(changes: Sequence[Change]) -> list[str]:
    """A cell's changes as report lines; under a heading per table when the cell has several."""
    out: list[str] = []
    table = None
    for change in changes:
        if change.table and change.table != table:
            out.append(f"{change.table}:")
        table = change.table or None
        out.append(f"  {change.line()}" if change.table else change.line())
    return out


def format_report(diffs: Sequence[NotebookDiff], compared: int) -> str:
    """The report printed by ``policylib diff``."""
    if not diffs:
        return f"no published figure changed ({compared} notebooks compared)"
    out: list[str] = []
    for d in diffs:
        if d.status == "added":
            out.append(f"{d.path}: new notebook (not in the book it is compared with)")
            continue
        if d.status == "removed":
            out.append(f"{d.path}: no longer produced")
            continue
        out.append(d.path)
        for cell, changes, remark in d.cells:
            out.append(f"  {_cell_title(cell, remark)}")
            out.extend(f"    {line}" for line in report_lines(changes))
    values = sum(d.changes for d in diffs)
    out.append(f"{len(diffs)} of {compared} notebooks changed ({values} changed values or lines)")
    return "\n".join(out)


def is_heading(line: str) -> bool:
    """Whether a report line names the table the indented lines under it belong to."""
    return line.endswith(":") and not line.startswith((" ", "- ", "+ ")) and ARROW not in line


# ---------------------------------------------------------------------------- the previous release


def record_release(root: Path, book: Mapping[str, str], commit: str = "", date: str = "") -> dict[str, Any]:
    """The figures of ``book`` as recorded for a release (the JSON written to ``book/release-figures.json``)."""
    return {
        "format": RELEASE_FORMAT,
        "date": date or dt.datetime.now(dt.UTC).date().isoformat(),
        "commit": commit,
        "notebooks": {path: nb.to_json() for path, nb in sorted(figures_of(book).items())},
    }


def release_path(root: Path) -> Path:
    return root / "book" / RELEASE_FILE


@dataclass(frozen=True)
class Release:
    """The figures recorded at the previous release."""

    date: str
    commit: str
    notebooks: dict[str, NotebookFigures]


def load_release(root: Path) -> Release | None:
    """The recorded release, None when there is none; DiffError when the file cannot be read."""
    path = release_path(root)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != RELEASE_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {RELEASE_FORMAT}")
        notebooks = {str(p): NotebookFigures.from_json(nb) for p, nb in data["notebooks"].items()}
        return Release(str(data.get("date", "")), str(data.get("commit", "")), notebooks)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DiffError(f"{path}: not a record of a release: {exc}") from None


def since_release(root: Path) -> tuple[Release | None, list[NotebookDiff], int]:
    """The recorded release, what moved between it and the work tree's book, and how many notebooks were compared."""
    release = load_release(root)
    if release is None:
        return None, [], 0
    now = figures_of(working_book(root))
    return release, compare_figures(release.notebooks, now), len(set(release.notebooks) | set(now))


# ---------------------------------------------------------------------------- the two books


def _is_book_notebook(rel: str) -> bool:
    parts = rel.split("/")
    return (
        rel.endswith(".ipynb")
        and parts[0] == "book"
        and not any(p.startswith("_") or p.startswith(".") for p in parts[1:])
    )


def _selected(rel: str, only: Sequence[str], template: str | None = None) -> bool:
    if not only:
        return True
    stem = Path(rel).stem
    inside = rel.removeprefix("book/")
    names = {rel, inside, inside.removesuffix(".ipynb"), stem}
    if template:
        names.add(template)
    return any(name.removeprefix("book/") in names or name in names for name in only)


def working_book(root: Path, only: Sequence[str] = ()) -> dict[str, str]:
    """The executed notebooks in the work tree's ``book/``."""
    found: dict[str, str] = {}
    for path in sorted((root / "book").rglob("*.ipynb")):
        rel = path.relative_to(root).as_posix()
        if _is_book_notebook(rel) and _selected(rel, only):
            found[rel] = path.read_text(encoding="utf-8")
    return found


def _git(root: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except OSError as exc:
        raise DiffError(f"cannot run git: {exc}") from None
    if proc.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {proc.stderr.strip() or f'exit {proc.returncode}'}")
    return proc.stdout


def revision_book(root: Path, rev: str, only: Sequence[str] = ()) -> dict[str, str]:
    """The executed notebooks committed at a git revision (read with ``git show``, nothing executed)."""
    listing = _git(root, "ls-tree", "-r", "--name-only", rev, "--", "book")
    found: dict[str, str] = {}
    for rel in listing.splitlines():
        if _is_book_notebook(rel) and _selected(rel, only):
            found[rel] = _git(root, "show", f"{rev}:{rel}")
    return found


def executed_book(root: Path, *, workers: int | None = None, only: Sequence[str] = ()) -> dict[str, str]:
    """Execute the templates against the current rule files into a temporary directory.

    Uses the book pipeline's plan, execution and normalisation, so a notebook comes out byte for
    byte as ``make book`` would write it; nothing under ``book/`` is touched.
    """
    from policylib.book import pipeline

    paths = pipeline.Paths(root)
    try:
        jobs = pipeline.plan(pipeline.load_entries())
    except Exception as exc:
        raise DiffError(f"cannot plan the book: {type(exc).__name__}: {exc}") from None
    jobs = [j for j in jobs if _selected(f"book/{j.output}", only, j.template.name)]
    if not jobs:
        return {}
    with tempfile.TemporaryDirectory(prefix="policylib-diff-") as tmp:
        tasks = []
        for job in jobs:
            template = paths.template(job.template)
            if not template.is_file():
                raise DiffError(f"template missing: {template}")
            cwd = Path(tmp) / "book" / Path(job.output).parent
            cwd.mkdir(parents=True, exist_ok=True)
            tasks.append(
                pipeline.Task(
                    template=str(template),
                    template_label=template.relative_to(root).as_posix(),
                    output=job.output,
                    label=f"book/{job.output}",
                    parameters=job.parameters,
                    fields=job.fields,
                    cwd=str(cwd),
                )
            )
        size = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
        found: dict[str, str] = {}
        failures: list[str] = []
        try:
            for outcome in pipeline.run_tasks(tasks, size, root):
                if outcome.error is not None or outcome.text is None:
                    failures.append(outcome.error or f"book/{outcome.output}: no output")
                else:
                    found[f"book/{outcome.output}"] = outcome.text
        except pipeline.BookBuildError as exc:
            raise DiffError(str(exc)) from None
    if failures:
        raise DiffError("notebook execution failed:\n" + "\n".join(f"  {f}" for f in sorted(failures)))
    return found


# ---------------------------------------------------------------------------- command line


def run(
    root: Path | None = None, revs: Sequence[str] = (), *, only: Sequence[str] = (), workers: int | None = None
) -> tuple[list[NotebookDiff], int]:
    """Compare as ``policylib diff`` does; return the differences and how many notebooks were compared."""
    root = root or project_root()
    if len(revs) > 2:
        raise DiffError("give at most two --rev")
    for rev in revs:
        if not rev.strip() or rev.startswith("-"):
            raise DiffError(f"--rev {rev!r}: not a revision (a revision cannot be empty or start with '-')")
    if workers is not None and workers < 1:
        raise DiffError(f"--jobs must be at least 1, got {workers}")
    if len(revs) == 2:
        old, new = revision_book(root, revs[0]), revision_book(root, revs[1])
    elif len(revs) == 1:
        old, new = revision_book(root, revs[0]), working_book(root)
    else:
        old = working_book(root)
        if only:  # before anything is executed
            _check_only(only, [*old, *planned_notebooks(root)])
        new = executed_book(root, workers=workers, only=only)
    _check_only(only, [*old, *new])
    old = {path: text for path, text in old.items() if _selected(path, only, _template_of(path))}
    new = {path: text for path, text in new.items() if _selected(path, only, _template_of(path))}
    return compare_books(old, new), len(set(old) | set(new))


def _template_of(rel: str) -> str:
    """The template a notebook of the book is executed from (``profile`` for every profile)."""
    return "profile" if Path(rel).parent.name == "profiles" else Path(rel).stem


def _check_only(only: Sequence[str], paths: Sequence[str]) -> None:
    """DiffError naming each ``--only`` that selects none of ``paths``."""
    unknown = [name for name in only if not any(_selected(p, [name], _template_of(p)) for p in paths)]
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise DiffError(f"--only {names}: no such notebook in the book (a template name, a stem such as "
                        "guizhou-2021, or a path)")


def planned_notebooks(root: Path) -> list[str]:
    """The notebooks the book pipeline would produce from the current rule files (nothing executed)."""
    from policylib.book import pipeline

    try:
        return [f"book/{job.output}" for job in pipeline.plan(pipeline.load_entries())]
    except Exception as exc:
        raise DiffError(f"cannot plan the book: {type(exc).__name__}: {exc}") from None


def write_release(root: Path) -> Path:
    """Record the figures of the work tree's book as those of the release (``book/release-figures.json``)."""
    book = working_book(root)
    if not book:
        raise DiffError(f"{root / 'book'}: no executed notebook to record (run make book first)")
    try:
        commit = _git(root, "rev-parse", "HEAD").strip()
    except DiffError:
        commit = ""
    path = release_path(root)
    text = json.dumps(record_release(root, book, commit), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def cmd_diff(args: argparse.Namespace) -> int:
    root = project_root()
    try:
        if args.record_release:
            if args.rev or args.release or args.only:
                raise DiffError("--record-release takes no other option")
            print(f"recorded the figures of the book as the release: {write_release(root)}")
            return 0
        if args.release:
            if args.rev:
                raise DiffError("--release compares with the work tree's book; give no --rev")
            release, diffs, compared = since_release(root)
            if release is None:
                raise DiffError(f"no release recorded ({release_path(root)}; see --record-release)")
            old = {p: nb for p, nb in release.notebooks.items() if _selected(p, args.only or (), _template_of(p))}
            new = figures_of(working_book(root, args.only or ()))
            _check_only(args.only or (), [*old, *new])
            diffs, compared = compare_figures(old, new), len(set(old) | set(new))
        else:
            diffs, compared = run(root, revs=args.rev or (), only=args.only or (), workers=args.jobs)
    except DiffError as exc:
        print(f"policylib diff: {exc}", file=sys.stderr)
        return 2
    print(format_report(diffs, compared))
    return 1 if diffs else 0


def add_diff_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `policylib diff` on the CLI's subparsers."""
    p = add_one_line_parser(
        subparsers,
        "diff",
        help="published figures that changed: committed book vs current rules, or between two revisions",
        description=(
            "Without --rev: execute the notebook templates against the current rule files (in a temporary "
            "directory) and compare their text outputs with the committed book/. With --rev A: compare the "
            "book committed at A with the work tree's book/. With --rev A --rev B: compare the books committed "
            "at A and B (nothing is executed). With --release: compare the figures recorded at the previous release "
            "with the work tree's book/. Tables are compared as data, row by row and column by column. "
            "Exit 0 if nothing changed, 1 if something did, 2 on trouble."
        ),
    )
    p.add_argument("--rev", action="append", metavar="REV", help="a git revision (give one or two)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="only this notebook (template name, stem such as guizhou-2021, or path); repeatable")
    p.add_argument("--release", action="store_true",
                   help="compare the figures recorded at the previous release with the work tree's book/")
    p.add_argument("--record-release", action="store_true",
                   help=f"record the work tree's book/ as the release (writes book/{RELEASE_FILE})")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N", help="notebooks executed at once")
    p.set_defaults(func=cmd_diff)
    return p
