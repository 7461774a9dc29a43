"""Adding one rule file gives a new profile and a place in every comparison, with no notebook edited."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

REPO = Path(__file__).resolve().parent.parent
NEW = "testshire"


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

    # A new county: Dongxiang's rules under another name (the notice and its quotes stay the same).
    data = yaml.safe_load((REPO / "rules" / "dongxiang-2021.yaml").read_text(encoding="utf-8"))
    data.update(jurisdiction=NEW, name_en="Testshire", name_zh="测试县")
    (tmp_path / "rules" / f"{NEW}-2021.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )

    env = {**os.environ, "POLICYLIB_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "policylib.book", "--jobs", "2", "--no-html"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    profile = tmp_path / "book" / "profiles" / f"{NEW}-2021.ipynb"
    assert profile.is_file(), proc.stdout
    assert "Testshire" in _text_outputs(profile) and "测试县" in _text_outputs(profile)
    toc = (tmp_path / "book" / "_toc.yml").read_text(encoding="utf-8")
    assert f"profiles/{NEW}-2021" in toc
    for chapter in ("financing", "assisted_groups", "waiting_periods", "deadlines", "changes", "training"):
        text = _text_outputs(tmp_path / "book" / "chapters" / f"{chapter}.ipynb")
        assert "Testshire" in text, f"{chapter}: the new jurisdiction-year does not appear"
    assert {p.name: p.read_bytes() for p in (tmp_path / "notebooks").glob("*.ipynb")} == notebooks_before
