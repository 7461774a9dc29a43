"""Adding notices gives each a profile and a place in every comparison, with no notebook or Python edited.

The notices added are the fictional ones of tests/fictional (resident classes, shares, phases, an open
window, years without insurance, a partial text), so the book is built on what the seeds do not use. Only
the notebooks the new notices concern are executed: their profiles and the chapters (the seeds' profiles
are the suite's nbval run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from shared_book import copy_project

from policylib import sources
from policylib.paths import ENV_HOME

REPO = Path(__file__).resolve().parent.parent
FICTIONAL = REPO / "tests" / "fictional"
NOTICES = sorted(p.name for p in FICTIONAL.iterdir() if (p / "rules.yaml").is_file())


def _text_outputs(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            data = out.get("data", {})
            parts.extend(str(data.get(kind, "")) for kind in ("text/plain", "text/html", "text/markdown"))
    return "\n".join(parts)


def test_a_new_rule_file_gets_a_profile_and_appears_in_every_chapter(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    copy_project(tmp_path)
    notebooks_before = {p.name: p.read_bytes() for p in (tmp_path / "notebooks").glob("*.ipynb")}

    for notice in NOTICES:
        shutil.copytree(FICTIONAL / notice / "source", tmp_path / "sources" / notice, dirs_exist_ok=True)
        shutil.copy(FICTIONAL / notice / "rules.yaml", tmp_path / "rules" / f"{notice}.yaml")
    names = {n: yaml.safe_load((FICTIONAL / n / "rules.yaml").read_text(encoding="utf-8")) for n in NOTICES}
    monkeypatch.setenv(ENV_HOME, str(tmp_path))
    sources.rebuild_all()

    chapters = sorted(p.stem for p in (REPO / "book" / "chapters").glob("*.ipynb"))
    only = [arg for name in [*NOTICES, *(f"chapters/{c}" for c in chapters)] for arg in ("--only", name)]
    proc = subprocess.run(
        [sys.executable, "-m", "policylib.book", "--jobs", "2", "--no-html", *only],
        cwd=tmp_path, env={**os.environ, ENV_HOME: str(tmp_path)}, capture_output=True, text=True, timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    toc = (tmp_path / "book" / "_toc.yml").read_text(encoding="utf-8")
    shown = {chapter: _text_outputs(tmp_path / "book" / "chapters" / f"{chapter}.ipynb")
             for chapter in ("financing", "assisted_groups", "waiting_periods", "deadlines", "changes", "training")}
    for notice, data in names.items():
        profile = tmp_path / "book" / "profiles" / f"{notice}.ipynb"
        assert profile.is_file(), proc.stdout
        assert data["name_en"] in _text_outputs(profile) and data["name_zh"] in _text_outputs(profile)
        assert f"profiles/{notice}" in toc
        assert f"sources/{notice}" in toc and (tmp_path / "book" / "sources" / f"{notice}.md").is_file()
        for chapter, text in shown.items():
            assert data["name_en"] in text, f"{chapter}: {notice} does not appear"
        for cls in data["financing"].get("resident_classes", []):  # a notice that prices by class shows each
            assert cls["name_zh"] in _text_outputs(profile), f"{notice}: class {cls['id']} not in its profile"
    assert {p.name: p.read_bytes() for p in (tmp_path / "notebooks").glob("*.ipynb")} == notebooks_before
