"""The committed notebooks of the book: up to date with their inputs, and compared as text.

nbval itself runs over ``book/profiles`` and ``book/chapters`` in ``make test``; these tests
check what nbval cannot: that re-executing the templates gives the committed files byte for
byte, and that charts are compared through the data they show (``render.data_output``). (That a changed number in
a rule file makes nbval fail and ``policylib diff`` list it is shown in ``tests/test_diff.py``.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policylib import diff

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(
    p.relative_to(REPO).as_posix() for d in ("profiles", "chapters") for p in (REPO / "book" / d).glob("*.ipynb")
)
# Output types nbval compares as text, and images it skips; anything else could be compared byte-wise.
COMPARED_MIME = {"text/plain", "text/html", "text/markdown", "application/vnd.dataresource+json"}
DATA_MIME = "application/vnd.dataresource+json"  # render.data_output: the data behind a chart, as a table
SKIPPED_MIME = {"image/png", "image/jpeg"}


def _id(rel: str) -> str:
    return rel.removeprefix("book/").removesuffix(".ipynb")


@pytest.fixture(scope="module")
def produced() -> dict[str, str]:
    """Every notebook as the templates produce it now (executed into a temporary directory)."""
    return diff.executed_book(REPO, workers=2)


def test_the_book_has_notebooks() -> None:
    assert any("/profiles/" in p for p in NOTEBOOKS) and any("/chapters/" in p for p in NOTEBOOKS)


def test_every_planned_notebook_is_committed(produced: dict[str, str]) -> None:
    missing = sorted(set(produced) - set(NOTEBOOKS))
    extra = sorted(set(NOTEBOOKS) - set(produced))
    assert not missing, f"not in book/ (run `make book`): {', '.join(missing)}"
    assert not extra, f"in book/ but no longer produced (run `make book`): {', '.join(extra)}"


@pytest.mark.parametrize("rel", NOTEBOOKS, ids=_id)
def test_committed_notebook_is_reproduced(rel: str, produced: dict[str, str]) -> None:
    """Re-running the template with papermill gives the committed notebook byte for byte."""
    committed = (REPO / rel).read_text(encoding="utf-8")
    new = produced.get(rel)
    assert new is not None, f"{rel} is no longer produced by any template (run `make book`)"
    if new == committed:
        return
    report = diff.format_report(diff.compare_books({rel: committed}, {rel: new}), 1)
    if report.startswith("no published figure changed"):
        report = "only non-figure bytes differ (metadata, sources or images)"
    pytest.fail(f"{rel} is stale: its template or inputs changed since `make book`.\n{report}", pytrace=False)


def _cells(rel: str) -> list[tuple[int, dict]]:
    nb = json.loads((REPO / rel).read_text(encoding="utf-8"))
    return list(enumerate(c for c in nb["cells"] if c["cell_type"] == "code"))


@pytest.mark.parametrize("rel", NOTEBOOKS, ids=_id)
def test_outputs_are_compared_as_text(rel: str) -> None:
    """No output nbval would compare byte-wise (SVG, widgets); every chart cell also prints its data."""
    for number, cell in _cells(rel):
        mimes = {m for out in cell.get("outputs", []) for m in out.get("data", {})}
        odd = mimes - COMPARED_MIME - SKIPPED_MIME
        assert not odd, f"{rel} Cell {number}: outputs {sorted(odd)} would be compared byte for byte"
        if mimes & SKIPPED_MIME:
            if DATA_MIME in mimes:
                continue
            published = diff.output_tables(cell["outputs"]) or diff.output_lines(cell["outputs"])
            assert published, f"{rel} Cell {number}: a chart cell must publish the data it draws (render.data_output)"


def test_no_notebook_output_is_an_error() -> None:
    for rel in NOTEBOOKS:
        for number, cell in _cells(rel):
            for out in cell.get("outputs", []):
                assert out["output_type"] != "error", f"{rel} Cell {number}: {out.get('ename')}"
                if out["output_type"] == "stream":
                    assert out["name"] != "stderr", f"{rel} Cell {number} writes to stderr: {''.join(out['text'])}"
