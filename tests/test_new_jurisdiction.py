"""Adding notices gives each a profile and a place in every comparison, with no notebook or Python edited.

The notices added are the fictional ones of tests/fictional (resident classes, shares, phases, an open
window, years without insurance, a partial text), so the book is built on what the seeds do not use."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

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


def test_a_new_rule_file_gets_a_profile_and_appears_in_every_chapter(tmp_path: Path) -> None:
    for name in ("rules", "sources", "notebooks"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "book", tmp_path / "book", ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints"))
    notebooks_before = {p.name: p.read_bytes() for p in (tmp_path / "notebooks").glob("*.ipynb")}

    for notice in NOTICES:
        shutil.copytree(FICTIONAL / notice / "source", tmp_path / "sources" / notice, dirs_exist_ok=True)
        shutil.copy(FICTIONAL / notice / "rules.yaml", tmp_path / "rules" / f"{notice}.yaml")
    names = {n: yaml.safe_load((FICTIONAL / n / "rules.yaml").read_text(encoding="utf-8")) for n in NOTICES}

    env = {**os.environ, "POLICYLIB_HOME": str(tmp_path)}
    rebuilt = subprocess.run([sys.executable, "-m", "policylib.cli", "sources", "--rebuild"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=300, check=False)
    assert rebuilt.returncode == 0, rebuilt.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "policylib.book", "--jobs", "2", "--no-html"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    toc = (tmp_path / "book" / "_toc.yml").read_text(encoding="utf-8")
    chapters = {chapter: _text_outputs(tmp_path / "book" / "chapters" / f"{chapter}.ipynb")
                for chapter in ("financing", "assisted_groups", "waiting_periods", "deadlines", "changes", "training")}
    for notice, data in names.items():
        profile = tmp_path / "book" / "profiles" / f"{notice}.ipynb"
        assert profile.is_file(), proc.stdout
        assert data["name_en"] in _text_outputs(profile) and data["name_zh"] in _text_outputs(profile)
        assert f"profiles/{notice}" in toc
        for chapter, text in chapters.items():
            assert data["name_en"] in text, f"{chapter}: {notice} does not appear"
        for cls in data["financing"].get("resident_classes", []):  # a notice that prices by class shows each
            assert cls["name_zh"] in _text_outputs(profile), f"{notice}: class {cls['id']} not in its profile"
    assert {p.name: p.read_bytes() for p in (tmp_path / "notebooks").glob("*.ipynb")} == notebooks_before
