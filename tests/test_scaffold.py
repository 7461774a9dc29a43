"""`policylib new`: skeleton files for a new jurisdiction-year, run as a user would in a copy of the project."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from cli_runner import run_cli

from policylib.sources import SourceMeta

ROOT = Path(__file__).resolve().parent.parent
KEY = "testville-2030"
KNOWN_META = {"id", "jurisdiction", "coverage_year"}  # filled in by `policylib new` itself


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("rules", "sources"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def new_files(project: Path) -> list[Path]:
    source = project / "sources" / KEY
    return [source / "received.txt", source / "meta.yaml", source / "corrections.yaml",
            project / "rules" / f"{KEY}.yaml", project / "tests" / "cases" / f"{KEY}.yaml"]


def test_new_lays_out_the_files_and_refuses_a_second_time(project: Path) -> None:
    result = run_cli("new", "testville", "2030", cwd=project, home=project)
    assert result.returncode == 0, result.stderr
    for path in new_files(project):
        assert path.is_file(), path
        assert str(path) in result.stdout
    assert "make book" in result.stdout
    rules = (project / "rules" / f"{KEY}.yaml").read_text(encoding="utf-8")
    assert rules.startswith("# yaml-language-server: $schema=../schema/rule-file.schema.json\n")
    assert yaml.safe_load((project / "sources" / KEY / "corrections.yaml").read_text(encoding="utf-8")) == []
    cases = yaml.safe_load((project / "tests" / "cases" / f"{KEY}.yaml").read_text(encoding="utf-8"))
    assert cases == {"jurisdiction": "testville", "year": 2030, "cases": []}

    before = {p: p.read_bytes() for p in new_files(project)}
    again = run_cli("new", "testville", "2030", cwd=project, home=project)
    assert again.returncode == 2
    [line] = again.stderr.splitlines()
    assert "exists already" in line
    assert {p: p.read_bytes() for p in new_files(project)} == before


def test_check_names_every_todo_field_until_filled(project: Path) -> None:
    assert run_cli("new", "testville", "2030", cwd=project, home=project).returncode == 0
    result = run_cli("check", cwd=project, home=project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    meta = re.escape(str(project / "sources" / KEY / "meta.yaml"))
    required = [n for n, f in SourceMeta.model_fields.items() if f.is_required() and n not in KNOWN_META]
    for name in required:
        assert re.search(rf"^{meta}:\d+: {name}(\[\d+\])?: not filled in: TODO", result.stderr, re.MULTILINE), name
    rules = re.escape(str(project / "rules" / f"{KEY}.yaml"))
    for field in ("name_zh", "name_en", "financing.personal_contribution.note", "coverage.period.start"):
        assert re.search(rf"^{rules}:\d+: {re.escape(field)}: not filled in: TODO", result.stderr, re.MULTILINE), field
    assert re.search(r"received\.txt:1: \(file\): not filled in", result.stderr)
    problems = result.stderr.splitlines()[:-1]
    assert all(KEY in line for line in problems), "the other jurisdictions must still pass"


def test_the_other_jurisdictions_stay_usable(project: Path) -> None:
    assert run_cli("new", "testville", "2030", cwd=project, home=project).returncode == 0
    listed = run_cli("list", cwd=project, home=project)
    assert listed.returncode == 0, listed.stderr
    assert "guizhou" in listed.stdout and "testville" in listed.stdout
    assert run_cli("show", "langxi", "2025", cwd=project, home=project).returncode == 0


def test_given_names_and_level_are_filled_in(project: Path) -> None:
    result = run_cli("new", "testville", "2030", "--name-zh", "测试县", "--name-en", "Testville",
                     "--level", "city", cwd=project, home=project)
    assert result.returncode == 0, result.stderr
    rules = yaml.safe_load((project / "rules" / f"{KEY}.yaml").read_text(encoding="utf-8"))
    assert (rules["name_zh"], rules["name_en"], rules["level"]) == ("测试县", "Testville", "city")
    meta = yaml.safe_load((project / "sources" / KEY / "meta.yaml").read_text(encoding="utf-8"))
    assert (meta["jurisdiction_zh"], meta["level"]) == ("测试县", "city")


@pytest.mark.parametrize(("jurisdiction", "year", "says"), [
    ("Testville", "2030", "lowercase slug"),
    ("test-ville", "2030", "lowercase slug"),
    ("../evil", "2030", "lowercase slug"),
    ("testville", "1999", "between 2000 and 2100"),
    ("testville", "2101", "between 2000 and 2100"),
    ("testville", "twenty", "between 2000 and 2100"),
])
def test_bad_name_or_year_is_refused(project: Path, jurisdiction: str, year: str, says: str) -> None:
    result = run_cli("new", jurisdiction, year, cwd=project, home=project)
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert says in line
    assert not (project / "tests").exists()
