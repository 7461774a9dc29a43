"""`policylib diff`: reading tables out of notebook outputs and reporting what changed.

The must-show test at the end works on a temporary copy of the project: a changed number in a
rule file makes nbval fail at the cells that show it and ``policylib diff`` list it; reverting
the change makes both pass.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from policylib import diff
from policylib.cli import main
from policylib.diff import Lines, Table, Value

REPO = Path(__file__).resolve().parent.parent
SANITIZE = REPO / "tests" / "nbval_sanitize.cfg"
# One argument, "--option=PATH": pytest takes a free-standing path into account when it picks the rootdir.
NBVAL_ARGS = ["--nbval", "--nbval-current-env", f"--nbval-sanitize-with={SANITIZE}"]
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="


def frame(guizhou: int = 280) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["Guizhou 2021", "Zhaoqing 2021", "Langxi 2025"],
            "personal": [str(guizhou), "290", "400"],
            "late payer": ["830", "not stated", "not stated"],
            "category": ["dibao 低保对象", "orphan 孤儿", "tekun 特困人员"],
        }
    )


def rows(table: Table) -> list[list[str]]:
    return [[v.text for v in row] for row in table.rows]


# ---------------------------------------------------------------------------- reading tables


def test_printed_frame_without_index_is_read_column_by_column() -> None:
    # pandas separates right-aligned columns by one blank; values and names contain blanks too.
    (table,) = diff.text_segments(frame().to_string(index=False))
    assert isinstance(table, Table)
    assert table.header == ("label", "personal", "late payer", "category")
    assert rows(table)[1] == ["Zhaoqing 2021", "290", "not stated", "orphan 孤儿"]


def test_column_names_with_blanks_over_short_values_stay_whole() -> None:
    data = pd.DataFrame({"Guizhou 2021": ["0", "160"], "Langxi 2025": ["40", "0"]})
    (table,) = diff.text_segments(data.to_string(index=False))
    assert isinstance(table, Table)
    assert table.header == ("Guizhou 2021", "Langxi 2025")
    assert rows(table) == [["0", "40"], ["160", "0"]]


def test_printed_frame_with_named_index_and_a_title_line() -> None:
    text = "Personal contributions (yuan)\n" + frame().set_index("label").to_string()
    title, table = diff.text_segments(text)
    assert title == Lines(("Personal contributions (yuan)",))
    assert isinstance(table, Table)
    assert table.header[:2] == ("label", "personal")
    assert rows(table)[0][:3] == ["Guizhou 2021", "280", "830"]


def test_prose_is_not_taken_for_a_table() -> None:
    text = "jurisdiction=guizhou year=2021\nThe notice does not state it.\nSee clause 一 for the amount."
    assert diff.text_segments(text) == [Lines(tuple(text.splitlines()))]


def test_markdown_table_keeps_link_targets_apart() -> None:
    text = "| group | pays |\n|---|---:|\n| 低保对象 | [160](../sources.html#guizhou-2021--二-一-2) |\n\nnote"
    table, note = diff.text_segments(text, markdown=True)
    assert isinstance(table, Table)
    assert table.rows[0][1] == Value("160", ("../sources.html#guizhou-2021--二-一-2",))
    assert note == Lines(("note",))


def test_html_table_of_a_frame() -> None:
    html = "<style>td {color: red}</style>" + frame().set_index("label").to_html()
    (table,) = diff.html_segments(html)
    assert isinstance(table, Table)
    assert table.header == ("label", "personal", "late payer", "category")
    assert rows(table)[2] == ["Langxi 2025", "400", "not stated", "tekun 特困人员"]


def test_html_spans_are_filled_in() -> None:
    html = (
        "<p>Intro &lt;script&gt;alert(1)&lt;/script&gt;</p><table><thead><tr><th rowspan=2>who</th>"
        "<th colspan=2>amount</th></tr><tr><th>2021</th><th>2022</th></tr></thead><tbody>"
        "<tr><th rowspan=2>低保对象</th><td><a href='../sources.html#a'>160</a></td><td>170</td></tr>"
        "<tr><td>1</td><td>2</td></tr></tbody></table><script>var x = 1;</script>"
    )
    intro, table = diff.html_segments(html)
    assert intro == Lines(("Intro <script>alert(1)</script>",))
    assert isinstance(table, Table)
    assert table.header == ("who", "amount 2021", "amount 2022")
    assert rows(table) == [["低保对象", "160", "170"], ["低保对象", "1", "2"]]
    assert table.rows[0][1].links == ("../sources.html#a",)


# ---------------------------------------------------------------------------- comparing


def test_changed_value_is_reported_by_row_and_column() -> None:
    (old,) = diff.text_segments(frame().to_string(index=False))
    (new,) = diff.text_segments(frame(290).to_string(index=False))
    assert isinstance(old, Table) and isinstance(new, Table)
    assert diff.diff_tables(old, new) == ["Guizhou 2021 / personal: 280 → 290"]


def test_rows_and_columns_added_and_removed() -> None:
    old = Table(("who", "a", "b"), ((Value("x"), Value("1"), Value("2")), (Value("y"), Value("3"), Value("4"))))
    new = Table(("who", "a", "c"), ((Value("x"), Value("1"), Value("9")), (Value("z"), Value("5"), Value("6"))))
    assert diff.diff_tables(old, new) == [
        "column b: removed",
        "column c: added",
        "z: added (who z; a 5; c 6)",
        "y: removed (who y; a 3; b 4)",
    ]


def test_rows_keyed_by_as_many_columns_as_make_them_unique() -> None:
    def table(value: str) -> Table:
        return Table(
            ("place", "year", "pays"),
            ((Value("guizhou"), Value("2021"), Value(value)), (Value("guizhou"), Value("2022"), Value("300"))),
        )

    assert diff.diff_tables(table("280"), table("290")) == ["guizhou, 2021 / pays: 280 → 290"]


def test_a_changed_link_alone_is_shown_with_its_target() -> None:
    old = Table(("who", "pays"), ((Value("x"), Value("160", ("#a",))),))
    new = Table(("who", "pays"), ((Value("x"), Value("160", ("#b",))),))
    assert diff.diff_tables(old, new) == ["x / pays: 160 <#a> → 160 <#b>"]


def test_line_diff() -> None:
    assert diff.diff_lines(["a", "b", "c"], ["a", "B", "c", "d"]) == ["b → B", "+ d"]
    assert diff.diff_lines(["a", "b"], ["x", "y", "z"]) == ["- a", "- b", "+ x", "+ y", "+ z"]


# ---------------------------------------------------------------------------- notebooks


def notebook(guizhou: int = 280, png: str = PNG, note: str = "All figures in yuan.") -> str:
    nb = new_notebook()
    cells = [
        new_code_cell("jurisdiction = 'guizhou'", metadata={"tags": ["parameters"]}),
        new_markdown_cell("## Financing (筹资)"),
        new_code_cell("print(table)", outputs=[new_output("stream", name="stdout",
                                                          text=frame(guizhou).to_string(index=False))]),
        new_code_cell("chart()", outputs=[
            new_output("stream", name="stdout", text=frame(guizhou).to_string(index=False)),
            new_output("display_data", data={"image/png": png, "text/plain": "<Figure size 400x250 with 1 Axes>"}),
        ]),
        new_markdown_cell("## Notes"),
        new_code_cell("print(note)", outputs=[new_output("stream", name="stdout", text=note + "\n")]),
    ]
    for index, cell in enumerate(cells):
        cell.id = f"cell-{index}"
    nb.cells = cells
    return nbformat.writes(nb)


def test_notebook_changes_are_reported_by_nbval_cell_number() -> None:
    old = {"book/profiles/guizhou-2021.ipynb": notebook()}
    new = {"book/profiles/guizhou-2021.ipynb": notebook(290, note="All figures in yuan per person.")}
    diffs = diff.compare_books(old, new)
    report = diff.format_report(diffs, 1)
    assert report.splitlines() == [
        "book/profiles/guizhou-2021.ipynb",
        "  Cell 1 · Financing (筹资)",
        "    Guizhou 2021 / personal: 280 → 290",
        "  Cell 2 · Financing (筹资)",
        "    Guizhou 2021 / personal: 280 → 290",
        "  Cell 3 · Notes",
        "    All figures in yuan. → All figures in yuan per person.",
        "1 of 1 notebooks changed (3 changed lines or values)",
    ]


def test_images_are_not_compared() -> None:
    other_png = PNG.replace("A", "B", 3)
    assert diff.compare_books({"book/a.ipynb": notebook()}, {"book/a.ipynb": notebook(png=other_png)}) == []
    assert diff.format_report([], 1) == "no published figure changed (1 notebooks compared)"


def test_added_and_removed_notebooks() -> None:
    diffs = diff.compare_books({"book/profiles/a-2021.ipynb": notebook()}, {"book/profiles/b-2021.ipynb": notebook()})
    assert [(d.path, d.status) for d in diffs] == [("book/profiles/a-2021.ipynb", "removed"),
                                                   ("book/profiles/b-2021.ipynb", "added")]


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


def test_reads_a_committed_notebook_of_the_book() -> None:
    found = diff.working_book(REPO)
    assert found and all(p.startswith("book/") and "/_build/" not in p for p in found)
    for path, text in found.items():
        cells = diff.notebook_figures(text)
        assert [c.number for c in cells] == list(range(len(cells))), path
        assert json.loads(text)["cells"]


# ---------------------------------------------------------------------------- the must-show test

RULE = "rules/guizhou-2021.yaml"
PROFILE = "book/profiles/guizhou-2021.ipynb"
OLD, NEW = "280", "290"
_PERSONAL = re.compile(r"(personal_contribution:\n\s+amount: )280\n")


def _copy_project(source: Path, dest: Path) -> Path:
    for name in ("rules", "sources", "notebooks"):
        shutil.copytree(source / name, dest / name)
    shutil.copytree(source / "book", dest / "book", ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints"))
    return dest


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "POLICYLIB_HOME": str(root)}


def _nbval(root: Path, notebooks: list[str]) -> subprocess.CompletedProcess[str]:
    parallel = ["-n", "2", "--dist", "loadfile"] if len(notebooks) > 1 else ["-p", "no:xdist"]
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", f"--rootdir={root}",
               "-vv", *parallel, *NBVAL_ARGS, *notebooks]
    return subprocess.run(command, cwd=root, env=_env(root), capture_output=True, text=True, timeout=900, check=False)


def _policylib_diff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "policylib.cli", "diff", "--jobs", "2", *args]
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


def test_a_changed_rule_number_fails_nbval_and_shows_in_diff(tmp_path: Path) -> None:
    check_rule_change_is_caught(REPO, tmp_path)


def check_rule_change_is_caught(source: Path, tmp_path: Path) -> None:
    """On a copy of the project at ``source``: change Guizhou's personal contribution, then revert it."""
    root = _copy_project(source, tmp_path / "project")
    rule = root / RULE
    original = rule.read_text(encoding="utf-8")
    changed, count = _PERSONAL.subn(rf"\g<1>{NEW}\n", original)
    assert count == 1, f"{RULE}: expected one personal contribution of {OLD}"
    rule.write_text(changed, encoding="utf-8")

    # policylib diff lists exactly that change, in the profile and wherever Guizhou's figure is shown.
    shown = _policylib_diff(root)
    assert shown.returncode == 1, shown.stdout + shown.stderr
    report = shown.stdout
    assert f"{OLD} {diff.ARROW} {NEW}" in report, report
    listed = _report_cells(report)
    assert PROFILE in listed, report
    for path in listed:
        assert "/chapters/" in path or path == PROFILE, f"{path} should not change:\n{report}"
    for path, cells in listed.items():
        if path == PROFILE:
            continue  # everything on Guizhou's own profile is about Guizhou
        for line in (line for lines in cells.values() for line in lines):
            about_it = (OLD in line and NEW in line) or re.search("guizhou|贵州", line, re.IGNORECASE)
            assert about_it, f"{path}: a change that is not Guizhou's (is book/ stale?): {line}\n{report}"

    # nbval fails on exactly those cells, naming the notebook, the cell and the old and new values.
    notebooks = sorted(listed)
    failed = _nbval(root, notebooks)
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert _failed_cells(output) == {p: set(c) for p, c in listed.items()}, output
    sections = _sections(output)
    for path, cells in listed.items():
        for number, lines in cells.items():
            body = sections.get(f"{path}::Cell {number}", "")
            for line in lines:
                old, new = _changed_numbers(line)
                missing = {n for n in old | new if n not in body}
                assert not missing, f"nbval's report of {path}::Cell {number} lacks {missing} ({line}):\n{body}"
    assert any(OLD in body and NEW in body for title, body in sections.items() if title.startswith(PROFILE))

    # Reverting the rule makes nbval pass and the diff of the profile empty.
    rule.write_text(original, encoding="utf-8")
    passed = _nbval(root, notebooks)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    clean = _policylib_diff(root, "--only", PROFILE)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.startswith("no published figure changed"), clean.stdout
