"""`policylib diff`: published tables compared as data, other outputs as text; the "What changed" page.

The notebooks here are built with nbformat; a table is published as the book publishes it: an
output with pandas' ``orient="table"`` JSON under ``application/vnd.dataresource+json`` and
``{"policylib": {"table": name}}`` in its metadata (``data_output`` below builds one).

The must-show test at the end works on a temporary copy of the project: a changed number in a
rule file makes nbval fail at the cells that show it and ``policylib diff`` list it (run on the
notebooks ``make book`` would re-execute for the change), and once the profile is rebuilt in the
copy the "What changed" page lists the old and the new value and the diff of the profile is empty.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from shared_book import copy_project

from policylib import diff
from policylib.book import changed_page
from policylib.book.pipeline import planned_digests
from policylib.cli import main

REPO = Path(__file__).resolve().parent.parent
SANITIZE = REPO / "tests" / "nbval_sanitize.cfg"
# One argument, "--option=PATH": pytest takes a free-standing path into account when it picks the rootdir.
NBVAL_ARGS = ["-p", "policylib.nbval_diff", "--nbval", "--nbval-current-env", f"--nbval-sanitize-with={SANITIZE}"]
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="


def frame(guizhou: int = 280, label: str = "Guizhou 2021") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": [label, "Zhaoqing 2021", "Langxi 2025"],
            "personal": [guizhou, 290, 400],
            "late payer": ["830", "not stated", "not stated"],
        }
    )


def data_output(data: pd.DataFrame, name: str, caption: str = "") -> nbformat.NotebookNode:
    """A table published as the book publishes it (a private stand-in for the book's own helper)."""
    summary = f"<details><summary>{html.escape(caption or name)}</summary>{data.to_html()}</details>"
    return new_output(
        "display_data",
        data={diff.DATA_MIME: json.loads(data.to_json(orient="table")), "text/html": summary},
        metadata={"policylib": {"table": name}},
    )


def table_of(data: pd.DataFrame, name: str = "t") -> diff.DataTable:
    return diff.data_table(name, json.loads(data.to_json(orient="table")))


def unescaped(markdown: str) -> str:
    """Markdown text without its backslash escapes."""
    return re.sub(r"\\(.)", r"\1", markdown)


def lines(changes: list[diff.Change]) -> list[str]:
    return [c.line() for c in changes]


# ---------------------------------------------------------------------------- comparing tables


def test_a_changed_value_is_named_by_its_row_and_column() -> None:
    old, new = table_of(frame()), table_of(frame(290))
    assert old.key == ("label",)  # the default 0, 1, 2 index names no row: the first unique column does
    assert lines(diff.diff_tables(old, new)) == ["Guizhou 2021 / personal: 280 → 290"]
    assert diff.diff_tables(old, table_of(frame())) == []


def test_rows_are_matched_by_the_primary_key_not_by_position() -> None:
    old = table_of(frame().set_index("label"))
    new = table_of(frame(290).set_index("label").iloc[::-1])
    assert old.key == ("label",)
    assert lines(diff.diff_tables(old, new)) == ["Guizhou 2021 / personal: 280 → 290"]


def test_rows_keyed_by_as_many_columns_as_make_them_unique() -> None:
    def table(value: int) -> diff.DataTable:
        return table_of(pd.DataFrame({"place": ["guizhou", "guizhou"], "year": [2021, 2022], "pays": [value, 300]}))

    assert table(280).key == ("place", "year")
    assert lines(diff.diff_tables(table(280), table(290))) == ["guizhou, 2021 / pays: 280 → 290"]


def test_rows_and_columns_added_and_removed() -> None:
    old = table_of(pd.DataFrame({"who": ["x", "y"], "a": [1, 3], "b": [2, 4]}))
    new = table_of(pd.DataFrame({"who": ["x", "z"], "a": [1, 5], "c": [9, 6]}))
    assert lines(diff.diff_tables(old, new)) == [
        "column b: removed",
        "column c: added",
        "z: added (a 5; c 6)",
        "y: removed (a 3; b 4)",
    ]


def test_a_bound_keeps_its_type() -> None:
    old = table_of(pd.DataFrame({"group": ["低保对象"], "pays": [160]}))
    new = table_of(pd.DataFrame({"group": ["低保对象"], "pays": [160.0]}))
    assert lines(diff.diff_tables(old, new)) == ["低保对象 / pays: 160 → 160.0"]


def test_tables_whose_rows_are_named_differently_are_compared_by_position() -> None:
    old = table_of(frame().set_index("label"))
    new = table_of(frame(290).rename(columns={"label": "who"}).set_index("who"))
    assert lines(diff.diff_tables(old, new)) == ["rows: named by who (before: label)", "row 1 / personal: 280 → 290"]


def test_line_diff() -> None:
    assert lines(diff.diff_lines(["a", "b", "c"], ["a", "B", "c", "d"])) == ["b → B", "+ d"]
    assert lines(diff.diff_lines(["a", "b"], ["x", "y", "z"])) == ["- a", "- b", "+ x", "+ y", "+ z"]


def test_visible_text_of_an_html_output() -> None:
    page = ("<style>td {color: red}</style><p>Intro &lt;script&gt;</p><table><tr><th>who</th><th>pays</th></tr>"
            "<tr><td><a href='#a'>低保对象</a></td><td>160</td></tr></table><script>var x = 1;</script>")
    assert diff.visible_lines(page) == ["Intro <script>", "who | pays", "低保对象 | 160"]


# ---------------------------------------------------------------------------- notebooks


def notebook(guizhou: int = 280, png: str = PNG, note: str = "All figures in yuan.", label: str = "Guizhou 2021",
             as_data: bool = True) -> str:
    """A chapter: a table, a chart with the data behind it, and a printed note."""
    table = frame(guizhou, label)
    if as_data:
        published = [data_output(table, "personal")]
        chart_data = [data_output(table.set_index("label")[["personal"]], "chart", "Data behind the chart")]
    else:  # as the book printed its tables before they were published as data
        published = [new_output("stream", name="stdout", text=table.to_string(index=False))]
        chart_data = list(published)
    nb = new_notebook()
    cells = [
        new_markdown_cell("# Financing chapter"),
        new_code_cell("jurisdiction = 'guizhou'", metadata={"tags": ["parameters"]}),
        new_markdown_cell("## Financing (筹资)"),
        new_code_cell("show(table)", outputs=published),
        new_code_cell("chart()", outputs=[
            new_output("display_data", data={"image/png": png, "text/plain": "<Figure size 400x250 with 1 Axes>"}),
            *chart_data,
        ]),
        new_markdown_cell("## Notes"),
        new_code_cell("print(note)", outputs=[new_output("stream", name="stdout", text=note + "\n")]),
    ]
    for index, cell in enumerate(cells):
        cell.id = f"cell-{index}"
    nb.cells = cells
    return nbformat.writes(nb)


def test_notebook_changes_are_reported_by_nbval_cell_number() -> None:
    old = {"book/chapters/financing.ipynb": notebook()}
    new = {"book/chapters/financing.ipynb": notebook(290, note="All figures in yuan per person.")}
    report = diff.format_report(diff.compare_books(old, new), 1)
    assert report.splitlines() == [
        "book/chapters/financing.ipynb",
        "  Cell 1 · Financing (筹资)",
        "    Guizhou 2021 / personal: 280 → 290",
        "  Cell 2 · Financing (筹资)",
        "    Guizhou 2021 / personal: 280 → 290",
        "  Cell 3 · Notes",
        "    All figures in yuan. → All figures in yuan per person.",
        "1 of 1 notebooks changed (3 changed values or lines)",
    ]


def test_several_tables_of_a_cell_are_reported_under_their_names() -> None:
    def book(value: int) -> dict[str, str]:
        nb = new_notebook()
        nb.cells = [new_code_cell("show()", outputs=[data_output(frame(value), "personal"),
                                                     data_output(frame(value), "again")])]
        nb.cells[0].id = "only"
        return {"book/chapters/a.ipynb": nbformat.writes(nb)}

    report = diff.format_report(diff.compare_books(book(280), book(290)), 1).splitlines()
    assert report[2:6] == ["    personal:", "      Guizhou 2021 / personal: 280 → 290",
                           "    again:", "      Guizhou 2021 / personal: 280 → 290"]


def test_images_and_the_html_form_of_a_table_are_not_compared() -> None:
    other_png = PNG.replace("A", "B", 3)
    assert diff.compare_books({"book/a.ipynb": notebook()}, {"book/a.ipynb": notebook(png=other_png)}) == []
    restyled = notebook().replace("<details>", "<details class=\\\"other\\\">")
    assert restyled != notebook()
    assert diff.compare_books({"book/a.ipynb": notebook()}, {"book/a.ipynb": restyled}) == []
    assert diff.format_report([], 1) == "no published figure changed (1 notebooks compared)"


def test_a_book_from_before_data_tables_is_reported_as_a_change_of_format() -> None:
    old = {"book/chapters/financing.ipynb": notebook(as_data=False)}
    new = {"book/chapters/financing.ipynb": notebook()}
    report = diff.format_report(diff.compare_books(old, new), 1).splitlines()
    assert report[1:5] == ["  Cell 1 · Financing (筹资)", f"    {diff.FORMAT_NOTE_NEW}",
                           "  Cell 2 · Financing (筹资)", f"    {diff.FORMAT_NOTE_NEW}"]
    # Two such books are compared line by line on their printed text.
    printed = diff.compare_books(old, {"book/chapters/financing.ipynb": notebook(290, as_data=False)})
    changed = [c for _, changes, _ in printed[0].cells for c in changes]
    assert [(c.old, c.new) for c in changed][:1] == [(frame().to_string(index=False).splitlines()[1],
                                                      frame(290).to_string(index=False).splitlines()[1])]


def test_added_and_removed_notebooks() -> None:
    diffs = diff.compare_books({"book/profiles/a-2021.ipynb": notebook()}, {"book/profiles/b-2021.ipynb": notebook()})
    assert [(d.path, d.status) for d in diffs] == [("book/profiles/a-2021.ipynb", "removed"),
                                                   ("book/profiles/b-2021.ipynb", "added")]


def test_reads_every_committed_notebook_of_the_book() -> None:
    found = diff.working_book(REPO)
    assert found and all(p.startswith("book/") and "/_build/" not in p for p in found)
    for path, text in found.items():
        figures = diff.notebook_figures(text, path)
        assert [c.number for c in figures.cells] == list(range(len(figures.cells))), path
        assert figures.title and any(c.tables or c.lines for c in figures.cells), path


# ---------------------------------------------------------------------------- the previous release


def release_book(root: Path, text: str) -> None:
    path = root / "book" / "chapters" / "financing.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_page_lists_what_moved_since_the_release(tmp_path: Path) -> None:
    assert "No release has been recorded yet" in changed_page.changed_page(tmp_path)
    release_book(tmp_path, notebook())
    diff.write_release(tmp_path)
    recorded = json.loads(diff.release_path(tmp_path).read_text(encoding="utf-8"))
    assert list(recorded["notebooks"]) == ["book/chapters/financing.ipynb"]
    page = changed_page.changed_page(tmp_path)
    assert "No figure moved: 1 page compared, each shows what it showed at the release" in unescaped(page)
    assert "<table" not in page

    release_book(tmp_path, notebook(290))
    page = changed_page.changed_page(tmp_path)
    assert "## [Financing chapter](chapters/financing.ipynb)" in page
    assert "<caption>Financing (筹资)</caption>" in page
    assert ('<tr><td>Guizhou 2021 / personal</td><td data-label="At the release">280</td>'
            '<td data-label="Now">290</td></tr>') in page
    assert page.count("<table") == 2  # the table and the data behind the chart
    assert "<style>" in page


def test_a_page_whose_tables_became_data_says_so_once(tmp_path: Path) -> None:
    release_book(tmp_path, notebook(as_data=False))
    diff.write_release(tmp_path)
    release_book(tmp_path, notebook())
    page = unescaped(changed_page.changed_page(tmp_path))
    assert f"{changed_page.FORMAT_CHANGED} (Financing (筹资))." in page
    assert "<table" not in page
    release_book(tmp_path, notebook(note="All figures in yuan per person."))  # text moved too: cell by cell
    page = changed_page.changed_page(tmp_path)
    assert changed_page.FORMAT_CHANGED not in unescaped(page) and diff.FORMAT_NOTE_NEW in page
    assert ('<td data-label="At the release">All figures in yuan.</td>'
            '<td data-label="Now">All figures in yuan per person.</td>') in page


def test_text_on_the_page_is_escaped(tmp_path: Path) -> None:
    release_book(tmp_path, notebook(label="<script>alert(1)</script>"))
    diff.write_release(tmp_path)
    release_book(tmp_path, notebook(290, label="<script>alert(1)</script>", note="*[x](javascript:alert(1))*"))
    page = changed_page.changed_page(tmp_path)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; / personal" in page
    assert '<td data-label="Now">*[x](javascript:alert(1))*</td>' in page  # in an HTML block: not markdown


def test_headings_are_read_as_the_text_they_show() -> None:
    nb = new_notebook()
    nb.cells = [new_markdown_cell(r"# \<b\>Guizhou\</b\> \*2021\*"), new_markdown_cell(r"## A \[note\] \\ x"),
                new_code_cell("show()", outputs=[data_output(frame(), "personal")])]
    figures = diff.notebook_figures(nbformat.writes(nb))
    assert figures.title == "<b>Guizhou</b> *2021*"
    assert figures.cells[0].heading == "A [note] \\ x"


def test_an_unreadable_release_is_said_on_the_page(tmp_path: Path) -> None:
    release_book(tmp_path, notebook())
    diff.release_path(tmp_path).write_text("{}", encoding="utf-8")
    assert "cannot be read" in changed_page.changed_page(tmp_path)


# ---------------------------------------------------------------------------- the command


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def commit_book(root: Path, text: str, message: str) -> str:
    path = root / "book" / "profiles" / "guizhou-2021.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    (root / "book" / "_build").mkdir(exist_ok=True)
    (root / "book" / "_build" / "ignored.ipynb").write_text("{}", encoding="utf-8")
    git(root, "add", "-f", "book")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git(tmp_path, "init", "-q")
    monkeypatch.setenv("POLICYLIB_HOME", str(tmp_path))
    return tmp_path


def test_diff_between_two_revisions(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = commit_book(repo, notebook(), "first")
    second = commit_book(repo, notebook(290), "second")
    assert main(["diff", "--rev", first, "--rev", second]) == 1
    out = capsys.readouterr().out
    assert "book/profiles/guizhou-2021.ipynb" in out and "Guizhou 2021 / personal: 280 → 290" in out
    assert "_build" not in out
    assert main(["diff", "--rev", second]) == 0  # the work tree holds what was committed last
    assert capsys.readouterr().out.startswith("no published figure changed (1 notebooks compared)")
    assert main(["diff", "--rev", first, "--rev", second, "--only", "guizhou-2021"]) == 1
    capsys.readouterr()
    assert main(["diff", "--rev", first, "--rev", second, "--only", "zhaoqing-2021"]) == 2  # not in either book
    assert "--only 'zhaoqing-2021'" in capsys.readouterr().err


def test_diff_against_the_current_rules(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    commit_book(repo, notebook(), "book")
    produced = {"book/profiles/guizhou-2021.ipynb": notebook(290)}
    monkeypatch.setattr(diff, "executed_book", lambda root, workers=None, only=(): produced)
    assert main(["diff"]) == 1
    assert "280 → 290" in capsys.readouterr().out
    produced["book/profiles/guizhou-2021.ipynb"] = notebook()
    assert main(["diff"]) == 0


def test_diff_reports_trouble_with_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--rev", "no-such-revision", "--rev", "HEAD"]) == 2
    assert capsys.readouterr().err.startswith("policylib diff: git ls-tree")


def test_diff_since_the_recorded_release(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit_book(repo, notebook(), "release")
    assert main(["diff", "--release"]) == 2
    assert "no release recorded" in capsys.readouterr().err
    assert main(["diff", "--record-release"]) == 0
    capsys.readouterr()
    recorded = json.loads(diff.release_path(repo).read_text(encoding="utf-8"))
    assert recorded["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert main(["diff", "--release"]) == 0
    capsys.readouterr()
    commit_book(repo, notebook(290), "changed")
    assert main(["diff", "--release", "--only", "guizhou-2021"]) == 1
    assert "Guizhou 2021 / personal: 280 → 290" in capsys.readouterr().out
    assert main(["diff", "--release", "--rev", "HEAD"]) == 2


# ---------------------------------------------------------------------------- the must-show test

RULE = "rules/guizhou-2021.yaml"
PROFILE = "book/profiles/guizhou-2021.ipynb"
OLD, NEW = "280", "290"
_PERSONAL = re.compile(r"(personal_contribution:\n\s+amount: )280\n")


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "POLICYLIB_HOME": str(root)}


def _nbval(root: Path, notebooks: list[str]) -> subprocess.CompletedProcess[str]:
    # In this process, one notebook after the other: two workers of their own cost more than they save here.
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", f"--rootdir={root}",
               "-p", "no:xdist", *NBVAL_ARGS, *notebooks]
    return subprocess.run(command, cwd=root, env=_env(root), capture_output=True, text=True, timeout=900, check=False)


def _policylib_diff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "policylib.cli", "diff", "--jobs", "2", *args]
    return subprocess.run(command, cwd=root, env=_env(root), capture_output=True, text=True, timeout=900, check=False)


def _build_book(root: Path, only: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "policylib.book", "--jobs", "1", "--no-html", "--only", only]
    return subprocess.run(command, cwd=root, env=_env(root), capture_output=True, text=True, timeout=900, check=False)


def _report_cells(report: str) -> dict[str, dict[int, list[str]]]:
    """Notebook -> cell number -> the change lines a `policylib diff` report lists for it."""
    cells: dict[str, dict[int, list[str]]] = {}
    current: dict[int, list[str]] | None = None
    lines: list[str] = []
    for line in report.splitlines():
        if line.startswith("book/") and line.endswith(".ipynb"):
            current = cells.setdefault(line, {})
        elif current is not None and (m := re.match(r"^  Cell (\d+)\b", line)):
            lines = current.setdefault(int(m.group(1)), [])
        elif current is not None and line.startswith("    ") and not diff.is_heading(line.strip()):
            lines.append(line.strip())
    return cells


def _changed_numbers(line: str) -> tuple[set[str], set[str]]:
    """The numbers a ``… old → new`` line shows on one side and not on the other."""
    if f" {diff.ARROW} " not in line:
        return set(), set()
    before, after = line.rsplit(f" {diff.ARROW} ", 1)
    old, new = set(re.findall(r"\d+", before)), set(re.findall(r"\d+", after))
    return old - new, new - old


def _moved_by_the_change(line: str) -> bool:
    """Whether every number a line changes moved by the change's amount (a printed row that does not name Guizhou)."""
    old, new = _changed_numbers(line)
    step = int(NEW) - int(OLD)
    return bool(old) and sorted(int(n) + step for n in old) == sorted(int(n) for n in new)


def _failed_cells(output: str) -> dict[str, set[int]]:
    """Notebook -> numbers of the cells nbval reported as failed."""
    cells: dict[str, set[int]] = {}
    for m in re.finditer(r"^FAILED (\S+\.ipynb)::Cell (\d+)", output, re.MULTILINE):
        cells.setdefault(m.group(1), set()).add(int(m.group(2)))
    return cells


def _sections(output: str) -> dict[str, str]:
    """nbval's failure sections by title (``book/...ipynb::Cell N``)."""
    parts = re.split(r"^_{3,} (\S+::Cell \d+) _{3,}$", output, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_a_changed_rule_number_fails_nbval_and_shows_in_diff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a copy of the project: change Guizhou's personal contribution, then rebuild its profile."""
    root = copy_project(tmp_path / "project")
    rule = root / RULE
    original = rule.read_text(encoding="utf-8")
    diff.write_release(root)  # the figures before the change are those of the release
    changed, count = _PERSONAL.subn(rf"\g<1>{NEW}\n", original)
    assert count == 1, f"{RULE}: expected one personal contribution of {OLD}"
    monkeypatch.setenv("POLICYLIB_HOME", str(root))
    before = planned_digests(root)
    rule.write_text(changed, encoding="utf-8")
    after = planned_digests(root)
    # The notebooks the change can move: those `make book` would re-execute for it.
    affected = sorted(path for path in after if after[path] != before.get(path))
    assert PROFILE in affected, affected

    # policylib diff lists exactly that change, in the profile and wherever Guizhou's figure is shown.
    shown = _policylib_diff(root, *(f"--only={path}" for path in affected))
    assert shown.returncode == 1, shown.stdout + shown.stderr
    report = shown.stdout
    assert f" of {len(affected)} notebooks changed" in report, report
    assert re.search(rf"\b{OLD}\b[^{diff.ARROW}\n]* {diff.ARROW} [^\n]*\b{NEW}\b", report), report
    listed = _report_cells(report)
    assert PROFILE in listed, report
    for path in listed:
        assert "/chapters/" in path or path == PROFILE, f"{path} should not change:\n{report}"
    for path, cells in listed.items():
        if path == PROFILE:
            continue  # everything on Guizhou's own profile is about Guizhou
        # Whole lines removed and added ("- ", "+ ") are printed text of a book from before tables were
        # data; the cells they are in are checked against nbval below.
        for line in (line for lines in cells.values() for line in lines if not line.startswith(("- ", "+ "))):
            about_it = (OLD in line and NEW in line) or re.search("guizhou|贵州", line, re.IGNORECASE)
            about_it = about_it or _moved_by_the_change(line)
            assert about_it, f"{path}: a change that is not Guizhou's (is book/ stale?): {line}\n{report}"

    # nbval fails on exactly those cells, naming the notebook, the cell and the old and new values: on
    # the profile and on one chapter the diff lists (each run of nbval re-executes what it checks).
    # (That it passes on the notebooks as committed is the suite's own nbval run.)
    chapters = sorted(path for path in listed if path != PROFILE)
    checked = {path: listed[path] for path in [PROFILE, *chapters[:1]]}
    failed = _nbval(root, sorted(checked))
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert _failed_cells(output) == {p: set(c) for p, c in checked.items()}, output
    sections = _sections(output)
    for path, cells in checked.items():
        for number, lines in cells.items():
            body = sections.get(f"{path}::Cell {number}", "")
            for line in lines:
                old, new = _changed_numbers(line)
                missing = {n for n in old | new if n not in body}
                assert not missing, f"nbval's report of {path}::Cell {number} lacks {missing} ({line}):\n{body}"
    assert any(OLD in body and NEW in body for title, body in sections.items() if title.startswith(PROFILE))

    # With the profile rebuilt in the copy, the "What changed" page lists its figure's old and new value,
    # and the diff of the profile against the rules is empty again.
    built = _build_book(root, "guizhou-2021")
    assert built.returncode == 0, built.stdout + built.stderr
    page = (root / "book" / f"{changed_page.PAGE}.md").read_text(encoding="utf-8")
    assert re.search(rf"<td[^>]*>[^<]*\b{OLD}\b[^<]*</td><td[^>]*>[^<]*\b{NEW}\b[^<]*</td></tr>", page), page
    assert f"]({PROFILE.removeprefix('book/')})" in page, page
    clean = _policylib_diff(root, "--only", PROFILE)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.startswith("no published figure changed"), clean.stdout
