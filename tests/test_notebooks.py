"""The committed notebooks of the book: up to date with their inputs, and compared as text.

nbval itself re-executes ``book/profiles`` and ``book/chapters`` in ``make test`` and compares their
outputs; these tests check what nbval cannot: that every notebook the book plans is committed, that
each was executed from the templates and inputs there are now and not edited since (the digests
``make book`` records in ``book/.hashes.json``), and that charts are compared through the data they
show (``render.data_output``). (That a changed number in a rule file makes nbval fail and ``policylib
diff`` list it is shown in ``tests/test_diff.py``.)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from policylib import diff
from policylib.book.pipeline import planned_digests

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


@dataclass(frozen=True)
class Recorded:
    """What ``make book`` would execute now, and what it recorded when it last did."""

    planned: dict[str, str]  # notebook -> digest of its template, parameters and inputs as they are now
    hashes: dict[str, dict[str, str]]  # notebook -> {"inputs": ..., "output": ...} from book/.hashes.json


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    hashes = json.loads((REPO / "book" / ".hashes.json").read_text(encoding="utf-8")).get("notebooks", {})
    return Recorded(planned_digests(REPO), {f"book/{name}": record for name, record in hashes.items()})


def test_the_book_has_notebooks() -> None:
    assert any("/profiles/" in p for p in NOTEBOOKS) and any("/chapters/" in p for p in NOTEBOOKS)


def test_every_planned_notebook_is_committed(recorded: Recorded) -> None:
    missing = sorted(set(recorded.planned) - set(NOTEBOOKS))
    extra = sorted(set(NOTEBOOKS) - set(recorded.planned))
    assert not missing, f"not in book/ (run `make book`): {', '.join(missing)}"
    assert not extra, f"in book/ but no longer produced (run `make book`): {', '.join(extra)}"


@pytest.mark.parametrize("rel", NOTEBOOKS, ids=_id)
def test_committed_notebook_is_up_to_date(rel: str, recorded: Recorded) -> None:
    """The notebook was executed from its template and inputs as they are now, and not edited since."""
    record = recorded.hashes.get(rel)
    assert record is not None, f"{rel}: not recorded in book/.hashes.json (run `make book`)"
    assert rel in recorded.planned, f"{rel} is no longer produced by any template (run `make book`)"
    assert record.get("inputs") == recorded.planned[rel], (
        f"{rel} is stale: its template or inputs changed since `make book`")
    digest = hashlib.sha256((REPO / rel).read_bytes()).hexdigest()
    assert record.get("output") == digest, f"{rel} was changed after `make book` wrote it"


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
