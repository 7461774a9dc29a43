"""`policylib diff`: which published figures of the book a rule change moves.

The book's executed notebooks (``book/**/*.ipynb``) are its published figures. This module
reads the text outputs of two versions of them and reports, per notebook and cell, each value
that changed: table rows are aligned by their first column(s) and reported as
``row / column: old → new``; text that is not a table is compared line by line. Images are not
compared (every chart cell prints the data it draws as a text table).

The two versions are either the committed book and what the current rule files produce (the
templates are executed into a temporary directory with the book pipeline's own execution), or
the committed notebooks at two git revisions (no execution). Exit status as for ``diff``:
0 nothing changed, 1 something changed, 2 trouble.

Cells are numbered as nbval numbers them (``Cell N`` = the N-th code cell, from 0), so a line of
this report points at the same cell as a failing ``make test``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from policylib.cli_args import add_one_line_parser
from policylib.paths import project_root

ARROW = "→"
MAX_KEY_COLUMNS = 3
_HEADING = re.compile(r"^\s*#{1,6}\s+(.*\S)\s*$")
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_MD_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


class DiffError(Exception):
    """The comparison could not be made; the message says why."""


# ---------------------------------------------------------------------------- values and segments


@dataclass(frozen=True)
class Value:
    """A table cell or a line: its text, and the links it carries (compared, shown only when they alone differ)."""

    text: str
    links: tuple[str, ...] = ()

    def show(self, other: Value | None = None) -> str:
        text = self.text if self.text else "(empty)"
        if other is not None and other.text == self.text and other.links != self.links:
            return f"{text} <{' '.join(self.links) or 'no link'}>"
        return text


@dataclass(frozen=True)
class Table:
    """A table: column names, and rows of values (as many as columns)."""

    header: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Lines:
    """Text that is not a table, line by line."""

    lines: tuple[str, ...]


Segment = Table | Lines


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _md_value(cell: str) -> Value:
    links = tuple(m.group(2) for m in _MD_LINK.finditer(cell))
    return Value(_clean(_MD_LINK.sub(r"\1", cell)), links)


def _make_table(rows: list[list[Value]], header_rows: int, caption: str = "") -> Table | None:
    """A table from a grid whose first ``header_rows`` rows name the columns."""
    if not rows:
        return None
    width = max(len(r) for r in rows)
    if width < 2:
        return None
    grid = [r + [Value("")] * (width - len(r)) for r in rows]
    header_rows = max(1, min(header_rows, len(grid) - 1)) if len(grid) > 1 else 1
    names = []
    for j in range(width):
        parts = list(dict.fromkeys(grid[i][j].text for i in range(header_rows) if grid[i][j].text))
        names.append(" ".join(parts) or f"column {j + 1}")
    return Table(tuple(names), tuple(tuple(r) for r in grid[header_rows:]), caption)


# ---------------------------------------------------------------------------- text tables


def _display_cells(line: str) -> list[str]:
    """Characters of ``line`` laid out by display width (a wide character takes two cells)."""
    cells: list[str] = []
    for ch in line:
        cells.append(ch)
        if unicodedata.east_asian_width(ch) in "WF":
            cells.append("\0")
    return cells


def _aligned(grid: Sequence[Sequence[str]], start: int, end: int) -> bool:
    """Whether every non-empty cell of a column is right-aligned, or every one left-aligned."""
    cells = []
    for row in grid:
        part = row[start:end]
        if any(c != " " for c in part):
            text = "".join(part)
            cells.append((len(text) - len(text.lstrip(" ")), len(text) - len(text.rstrip(" "))))
    return all(right == 0 for _, right in cells) or all(left == 0 for left, _ in cells)


def _fixed_width(lines: Sequence[str], wide: bool) -> list[list[str]] | None:
    """Split aligned columns, such as pandas prints, at blanks common to every line.

    A blank common to every line may also fall inside a value ("not stated") or a column name
    ("Guizhou 2021"): a piece with no name, or with no value in any row, is joined to the next.
    """
    grid = [_display_cells(line) if wide else list(line) for line in lines]
    width = max(len(row) for row in grid)
    for row in grid:
        row.extend(" " * (width - len(row)))
    blank = [all(row[j] == " " for row in grid) for j in range(width)]
    spans: list[tuple[int, int]] = []
    j = 0
    while j < width:
        if blank[j]:
            j += 1
            continue
        k = j
        while k < width and not blank[k]:
            k += 1
        spans.append((j, k))
        j = k

    def cell(row: list[str], span: tuple[int, int]) -> str:
        return "".join(row[span[0] : span[1]]).replace("\0", "").strip()

    merged = True
    while merged and len(spans) > 1:
        merged = False
        for i, span in enumerate(spans):
            values = [cell(row, span) for row in grid[1:]]
            # An unnamed column is only an index (the first column, a value in every row).
            header_empty = not cell(grid[0], span) and (i > 0 or not all(values))
            if header_empty or not any(values):
                if i + 1 < len(spans):
                    spans[i : i + 2] = [(span[0], spans[i + 1][1])]
                else:
                    spans[i - 1 : i + 1] = [(spans[i - 1][0], span[1])]
                merged = True
                break
    if len(spans) < 2 or not all(_aligned(grid, s, e) for s, e in spans):
        return None
    return [[cell(row, span) for span in spans] for row in grid]


def _text_table(lines: Sequence[str]) -> Table | None:
    """A fixed-width table (such as a printed DataFrame): header line, then at least two rows."""
    if len(lines) < 3 or any(not line.strip() for line in lines):
        return None
    best = None
    for wide in (False, True):
        best = _fixed_width(lines, wide)
        if best is not None:
            break
    if best is None or not best[0][-1]:
        return None
    header_rows = 1
    # pandas prints a named index on a line of its own under the column names.
    if len(best) > 2 and best[1][0] and not any(best[1][1:]) and not best[0][0]:
        header_rows = 2
    return _make_table([[Value(c) for c in row] for row in best], header_rows)


def _markdown_table(lines: Sequence[str]) -> Table | None:
    if len(lines) < 2 or not _MD_SEPARATOR.match(lines[1]):
        return None
    rows = []
    for i, line in enumerate(lines):
        if i == 1:
            continue
        body = line.strip()
        body = body[1:] if body.startswith("|") else body
        body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
        rows.append([_md_value(c.replace("\\|", "|")) for c in re.split(r"(?<!\\)\|", body)])
    return _make_table(rows, 1)


def text_segments(text: str, markdown: bool = False) -> list[Segment]:
    """Tables and plain lines of a text output (paragraphs are separated by blank lines)."""
    segments: list[Segment] = []
    plain: list[str] = []

    def flush() -> None:
        if plain:
            segments.append(Lines(tuple(plain)))
            plain.clear()

    paragraphs: list[list[str]] = [[]]
    for line in text.rstrip("\n").split("\n"):
        line = line.rstrip()
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    for para in paragraphs:
        if not para:
            continue
        pipe = [i for i, line in enumerate(para) if line.lstrip().startswith("|")]
        table = None
        if pipe and pipe == list(range(pipe[0], pipe[-1] + 1)):
            table = _markdown_table(para[pipe[0] : pipe[-1] + 1])
            if table is not None:
                plain.extend(para[: pipe[0]])
                flush()
                segments.append(table)
                plain.extend(para[pipe[-1] + 1 :])
                continue
        if not markdown:
            for skip in range(min(3, len(para) - 1)):  # a title line or two above a table
                table = _text_table(para[skip:])
                if table is not None:
                    plain.extend(para[:skip])
                    flush()
                    segments.append(Table(table.header, table.rows, " ".join(para[:skip])))
                    break
            if table is not None:
                continue
        plain.extend(para)
    flush()
    return segments


# ---------------------------------------------------------------------------- HTML


_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "pre", "hr"}
_SKIP_TAGS = {"style", "script"}


class _HTMLSegments(HTMLParser):
    """Tables and text lines of an HTML output; scripts and styles are ignored.

    A description list (``<dl>``) is read as a two-column table: each term and its description,
    captioned with the line of text above it.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.segments: list[Segment] = []
        self._text: list[str] = []
        self._lines: list[str] = []
        self._skip = 0
        self._depth = 0  # table nesting
        self._rows: list[tuple[bool, list[tuple[str, list[str], int, int, bool]]]] = []
        self._row: list[tuple[str, list[str], int, int, bool]] | None = None
        self._cell: list[str] | None = None
        self._cell_links: list[str] = []
        self._cell_span = (1, 1, False)
        self._thead = False
        self._caption: list[str] | None = None
        self._captions: list[str] = []
        self._in_dl = False
        self._dl_rows: list[list[Value]] = []
        self._dl_caption = ""

    def _end_line(self) -> None:
        line = _clean("".join(self._text))
        if line:
            self._lines.append(line)
        self._text = []

    def _flush_lines(self) -> None:
        self._end_line()
        if self._lines:
            self.segments.append(Lines(tuple(self._lines)))
            self._lines = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
            return
        a = dict(attrs)
        if self._in_dl:
            self._dl_start(tag, a)
            return
        if tag == "dl" and self._depth == 0:
            self._end_line()
            self._dl_caption = self._lines[-1] if self._lines else ""
            self._flush_lines()
            self._in_dl, self._dl_rows = True, []
            return
        if tag == "table":
            self._depth += 1
            if self._depth == 1:
                self._flush_lines()
                self._rows, self._captions = [], []
            return
        if self._depth != 1:
            if tag == "a" and a.get("href") and self._cell is not None:
                self._cell_links.append(a["href"] or "")
            if tag in _BLOCK_TAGS and self._depth == 0:
                self._end_line()
            return
        if tag == "thead":
            self._thead = True
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell, self._cell_links = [], []
            colspan = int(a.get("colspan") or 1) if (a.get("colspan") or "1").isdigit() else 1
            rowspan = int(a.get("rowspan") or 1) if (a.get("rowspan") or "1").isdigit() else 1
            self._cell_span = (colspan, rowspan, tag == "th")
        elif tag == "a" and a.get("href") and self._cell is not None:
            self._cell_links.append(a["href"] or "")
        elif tag in _BLOCK_TAGS and self._cell is not None:
            self._cell.append(" ")

    def _dl_start(self, tag: str, a: dict[str, str | None]) -> None:
        if tag == "dt":
            self._dl_rows.append([])
            self._cell, self._cell_links = [], []
        elif tag == "dd":
            if not self._dl_rows:
                self._dl_rows.append([Value("")])
            self._cell, self._cell_links = [], []
        elif tag == "a" and a.get("href") and self._cell is not None:
            self._cell_links.append(a["href"] or "")
        elif tag in _BLOCK_TAGS and self._cell is not None:
            self._cell.append(" ")

    def _dl_end(self, tag: str) -> None:
        if tag in ("dt", "dd") and self._cell is not None:
            value = Value(_clean("".join(self._cell)), tuple(self._cell_links))
            row = self._dl_rows[-1]
            if tag == "dd" and len(row) >= 2:  # several descriptions of one term
                row[1] = Value(f"{row[1].text}; {value.text}", row[1].links + value.links)
            else:
                row.append(value)
            self._cell = None
        elif tag == "dl":
            rows = tuple(tuple([*r, Value(""), Value("")][:2]) for r in self._dl_rows)
            if rows:
                self.segments.append(Table(("term", ""), rows, self._dl_caption))
            self._in_dl, self._dl_rows = False, []

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
            return
        if self._in_dl:
            self._dl_end(tag)
            return
        if tag == "table":
            if self._depth == 1:
                self._finish_table()
            self._depth = max(0, self._depth - 1)
            return
        if self._depth != 1:
            if tag in _BLOCK_TAGS and self._depth == 0:
                self._end_line()
            return
        if tag == "thead":
            self._thead = False
        elif tag == "caption" and self._caption is not None:
            self._captions.append(_clean("".join(self._caption)))
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            colspan, rowspan, is_th = self._cell_span
            self._row.append((_clean("".join(self._cell)), list(self._cell_links), colspan, rowspan, is_th))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._rows.append((self._thead, self._row))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_dl:
            if self._cell is not None:
                self._cell.append(data)
            return
        if self._depth >= 1:
            if self._caption is not None:
                self._caption.append(data)
            elif self._cell is not None:
                self._cell.append(data)
            return
        self._text.append(data)

    def _finish_table(self) -> None:
        grid: list[list[Value]] = []
        pending: dict[int, tuple[Value, int]] = {}  # column -> (value, rows still covered)
        header_rows = 0
        for index, (in_thead, cells) in enumerate(self._rows):
            row: list[Value] = []
            col = 0
            queue = list(cells)
            while queue or col in pending:
                if col in pending:
                    value, left = pending.pop(col)
                    row.append(value)
                    if left > 1:
                        pending[col] = (value, left - 1)
                    col += 1
                    continue
                text, links, colspan, rowspan, _ = queue.pop(0)
                for _ in range(colspan):
                    value = Value(text, tuple(links))
                    row.append(value)
                    if rowspan > 1:
                        pending[col] = (value, rowspan - 1)
                    col += 1
            grid.append(row)
            all_th = bool(cells) and all(c[4] for c in cells)
            if (in_thead or all_th) and header_rows == index:
                header_rows += 1
        table = _make_table(grid, header_rows or 1, " ".join(self._captions))
        if table is not None:
            self.segments.append(table)
        elif grid:
            self.segments.append(Lines(tuple(" | ".join(v.text for v in r) for r in grid)))
        self._rows = []

    def close(self) -> None:
        super().close()
        self._flush_lines()


def html_segments(html: str) -> list[Segment]:
    """Tables and text lines of an HTML output."""
    parser = _HTMLSegments()
    parser.feed(html)
    parser.close()
    return parser.segments


# ---------------------------------------------------------------------------- notebooks


@dataclass(frozen=True)
class CellFigures:
    """The published text of one code cell."""

    number: int  # nbval's "Cell N": the N-th code cell, from 0
    cell_id: str
    heading: str  # the nearest heading above the cell
    segments: tuple[Segment, ...]
    raw: tuple[str, ...]  # the outputs' text, for a fallback line diff


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def output_texts(outputs: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    """(kind, text) of each text output: streams merged as nbval merges them; images left out."""
    texts: list[tuple[str, str]] = []
    last_stream: str | None = None
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            name = out.get("name", "stdout")
            if last_stream == name and texts:
                texts[-1] = ("text", texts[-1][1] + _text(out.get("text")))
            else:
                texts.append(("text", _text(out.get("text"))))
            last_stream = name
            continue
        last_stream = None
        if kind == "error":
            texts.append(("text", f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"))
            continue
        data = out.get("data", {})
        if "text/html" in data:
            texts.append(("html", _text(data["text/html"])))
        elif "text/markdown" in data:
            texts.append(("markdown", _text(data["text/markdown"])))
        elif "text/plain" in data and not any(k.startswith("image/") for k in data):
            texts.append(("text", _text(data["text/plain"])))
    return texts


def segments_of(kind: str, text: str) -> list[Segment]:
    if kind == "html":
        return html_segments(text)
    return text_segments(text, markdown=kind == "markdown")


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


def notebook_figures(text: str, path: str = "") -> list[CellFigures]:
    """The published text of every code cell of a notebook (JSON text; ``path`` names it in errors)."""
    nb = read_notebook(text, path)
    cells: list[CellFigures] = []
    heading = ""
    number = 0
    for index, cell in enumerate(nb.get("cells", [])):
        source = _text(cell.get("source"))
        if cell.get("cell_type") == "markdown":
            for line in source.splitlines():
                m = _HEADING.match(line)
                if m:
                    heading = m.group(1)
                    break
            continue
        if cell.get("cell_type") != "code":
            continue
        texts = output_texts(cell.get("outputs", []))
        segments = tuple(s for kind, t in texts for s in segments_of(kind, t))
        raw = tuple(t for _, t in texts)
        cells.append(CellFigures(number, str(cell.get("id") or f"#{index}"), heading, segments, raw))
        number += 1
    return cells


# ---------------------------------------------------------------------------- comparing


def _row_label(key: tuple[Value, ...]) -> str:
    return ", ".join(v.text or "(empty)" for v in key)


def _key_width(*tables: Table) -> int:
    """How many leading columns identify a row in every table (0: none do; rows are matched by position)."""
    width = min(len(t.header) for t in tables)
    for k in range(1, min(MAX_KEY_COLUMNS, width) + 1):
        if all(len({tuple(v.text for v in r[:k]) for r in t.rows}) == len(t.rows) for t in tables):
            return k
    return 0


def _describe_row(columns: Sequence[str], row: Sequence[Value]) -> str:
    return "; ".join(f"{c} {v.text}" for c, v in zip(columns, row, strict=False))


def diff_tables(old: Table, new: Table) -> list[str]:
    """``row / column: old → new`` for each changed value; added and removed rows and columns."""
    lines: list[str] = []
    old_cols, new_cols = list(old.header), list(new.header)
    for name in old_cols:
        if name not in new_cols:
            lines.append(f"column {name}: removed")
    for name in new_cols:
        if name not in old_cols:
            lines.append(f"column {name}: added")
    k = _key_width(old, new)
    if k and old.header[:k] != new.header[:k]:
        k = 0

    def keyed(table: Table) -> dict[tuple[str, ...], tuple[Value, ...]]:
        if k:
            return {tuple(v.text for v in r[:k]): r for r in table.rows}
        return {(f"row {i + 1}",): r for i, r in enumerate(table.rows)}

    old_rows, new_rows = keyed(old), keyed(new)
    shared = [c for c in new_cols[k:] if c in old_cols[k:]]
    for key, row in new_rows.items():
        label = ", ".join(key) if k else key[0]
        if key not in old_rows:
            lines.append(f"{label}: added ({_describe_row(new_cols, row)})")
            continue
        before = old_rows[key]
        for column in shared:
            a, b = before[old_cols.index(column)], row[new_cols.index(column)]
            if a != b:
                where = f"{label} / {column}" if column else label
                lines.append(f"{where}: {a.show(b)} {ARROW} {b.show(a)}")
    for key, row in old_rows.items():
        if key not in new_rows:
            label = ", ".join(key) if k else key[0]
            lines.append(f"{label}: removed ({_describe_row(old_cols, row)})")
    return lines


def diff_lines(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """Changed lines: ``- old`` and ``+ new``; a one-line change is shown as ``old → new``."""
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == 1 and j2 - j1 == 1:
            out.append(f"{old[i1]} {ARROW} {new[j1]}")
            continue
        out.extend(f"- {line}" for line in old[i1:i2])
        out.extend(f"+ {line}" for line in new[j1:j2])
    return out


def diff_cell(old: CellFigures, new: CellFigures) -> list[str]:
    """What changed in one cell's published text."""
    if old.raw == new.raw:
        return []
    a, b = old.segments, new.segments
    pairable = len(a) == len(b) and all(type(x) is type(y) for x, y in zip(a, b, strict=True))
    if not pairable:
        return diff_lines(_render(a), _render(b))
    lines: list[str] = []
    tables = sum(isinstance(s, Table) for s in b)
    number = 0
    for x, y in zip(a, b, strict=True):
        if isinstance(x, Table) and isinstance(y, Table):
            number += 1
            changes = diff_tables(x, y)
            if changes and tables > 1:
                lines.append(f"{y.caption or f'table {number}'}:")
                changes = [f"  {c}" for c in changes]
            lines.extend(changes)
        elif isinstance(x, Lines) and isinstance(y, Lines):
            lines.extend(diff_lines(x.lines, y.lines))
    if not lines:  # only something the segments do not show (e.g. markup) changed
        lines = diff_lines(_split("".join(old.raw)), _split("".join(new.raw)))
    return lines


def _split(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def _render(segments: Sequence[Segment]) -> list[str]:
    lines: list[str] = []
    for s in segments:
        if isinstance(s, Lines):
            lines.extend(s.lines)
        else:
            if s.caption:
                lines.append(s.caption)
            lines.append(" | ".join(s.header))
            lines.extend(" | ".join(v.text for v in r) for r in s.rows)
    return lines


@dataclass
class NotebookDiff:
    """What changed in one notebook (path relative to the project root)."""

    path: str
    status: str = "changed"  # changed, added, removed
    cells: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(1 for _, lines in self.cells for line in lines if not is_heading(line))


def is_heading(line: str) -> bool:
    """Whether a line of a cell's changes names the table the indented lines under it belong to."""
    return line.endswith(":") and not line.startswith((" ", "- ", "+ ")) and ARROW not in line


def _cell_title(cell: CellFigures) -> str:
    return f"Cell {cell.number}" + (f" · {cell.heading}" if cell.heading else "")


def diff_notebook(path: str, old_text: str, new_text: str) -> NotebookDiff:
    """Compare two versions of one notebook, cell by cell (cells matched by id, else by number)."""
    result = NotebookDiff(path)
    old = notebook_figures(old_text, path)
    new = notebook_figures(new_text, path)
    old_by_id = {c.cell_id: c for c in old}
    matched: set[str] = set()
    for cell in new:
        before = old_by_id.get(cell.cell_id)
        if before is None and cell.number < len(old) and old[cell.number].cell_id not in {c.cell_id for c in new}:
            before = old[cell.number]
        if before is None:
            if cell.raw:
                added = [f"+ {line}" for line in _render(cell.segments)]
                result.cells.append((_cell_title(cell) + " (new cell)", added))
            continue
        matched.add(before.cell_id)
        lines = diff_cell(before, cell)
        if lines:
            result.cells.append((_cell_title(cell), lines))
    for cell in old:
        if cell.cell_id not in matched and cell.raw:
            removed = [f"- {line}" for line in _render(cell.segments)]
            result.cells.append((_cell_title(cell) + " (cell removed)", removed))
    return result


def compare_books(old: dict[str, str], new: dict[str, str]) -> list[NotebookDiff]:
    """Differences between two books given as {path: notebook JSON text}; unchanged notebooks left out.

    Every file is checked to be a notebook, added, removed or unchanged ones too (DiffError if not).
    """
    for book in (old, new):
        for path, text in book.items():
            read_notebook(text, path)
    diffs: list[NotebookDiff] = []
    for path in sorted(set(old) | set(new), key=_book_order):
        if path not in new:
            diffs.append(NotebookDiff(path, "removed"))
        elif path not in old:
            diffs.append(NotebookDiff(path, "added"))
        elif old[path] != new[path]:
            result = diff_notebook(path, old[path], new[path])
            if result.cells:
                diffs.append(result)
    return diffs


def _book_order(path: str) -> tuple[int, str]:
    return (0 if "/profiles/" in path else 1, path)


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
        for title, lines in d.cells:
            out.append(f"  {title}")
            out.extend(f"    {line}" for line in lines)
    values = sum(d.changes for d in diffs)
    out.append(f"{len(diffs)} of {compared} notebooks changed ({values} changed lines or values)")
    return "\n".join(out)


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


def cmd_diff(args: argparse.Namespace) -> int:
    try:
        diffs, compared = run(revs=args.rev or (), only=args.only or (), workers=args.jobs)
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
            "at A and B (nothing is executed). Exit 0 if nothing changed, 1 if something did, 2 on trouble."
        ),
    )
    p.add_argument("--rev", action="append", metavar="REV", help="a git revision (give one or two)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="only this notebook (template name, stem such as guizhou-2021, or path); repeatable")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N", help="notebooks executed at once")
    p.set_defaults(func=cmd_diff)
    return p
