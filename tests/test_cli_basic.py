"""`policylib list` and `policylib show`, run as a user would, in a subprocess on the checkout."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_runner import run_cli

from policylib import catalogue
from policylib.model import RuleSet
from policylib.paths import ENV_HOME

ROOT = Path(__file__).resolve().parent.parent
# What `list` must show, read from the rule files' names (<jurisdiction>-<year>.yaml), not from the catalogue.
_FILES = [re.fullmatch(r"([a-z][a-z0-9_]*)-(\d{4})", p.stem) for p in sorted((ROOT / "rules").glob("*.yaml"))]
_PAIRS = [(m.group(1), int(m.group(2))) for m in _FILES if m]
LOCAL = [pair for pair in _PAIRS if pair[0] != "national"]
NATIONAL_YEARS = sorted(year for name, year in _PAIRS if name == "national")


@pytest.fixture(autouse=True)
def _checkout_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process calls read the checkout's own rules."""
    monkeypatch.delenv(ENV_HOME, raising=False)




# --------------------------------------------------------------------------- list


def listed() -> list[tuple[str, int]]:
    result = run_cli("list")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    pairs = []
    for line in result.stdout.splitlines():
        match = re.match(r"^(\S+)\s+(\d{4})\s", line)
        assert match, f"unexpected list line: {line!r}"
        pairs.append((match.group(1), int(match.group(2))))
    return pairs


def test_list_shows_every_jurisdiction_year() -> None:
    pairs = listed()
    expected = [("national", year) for year in NATIONAL_YEARS] + LOCAL
    assert sorted(pairs) == sorted(expected)
    assert len(pairs) == len(set(pairs))


def test_list_puts_national_standards_first() -> None:
    pairs = listed()
    assert pairs[: len(NATIONAL_YEARS)] == [("national", year) for year in NATIONAL_YEARS]


def test_list_names_each_jurisdiction_in_both_languages() -> None:
    result = run_cli("list")
    lines = {line.split()[0] + " " + line.split()[1]: line for line in result.stdout.splitlines()}
    assert "Guizhou (贵州省)" in lines["guizhou 2021"]
    assert "Zhaoqing (肇庆市)" in lines["zhaoqing 2021"]
    assert "郎溪县" in lines["langxi 2025"]
    assert "东乡" in lines["dongxiang 2021"]


# --------------------------------------------------------------------------- show


def test_show_guizhou_has_chinese_terms_with_glosses() -> None:
    result = run_cli("show", "guizhou", "2021")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "建档立卡贫困人口" in out
    line = next(line for line in out.splitlines() if "建档立卡贫困人口" in line)
    assert "registered poor" in line
    assert "personal contribution (个人缴费)" in out
    assert "Guizhou (贵州省)" in out
    assert "2020-11-16" in out and "2021-03-31" in out


@pytest.mark.parametrize(("jurisdiction", "year"), LOCAL)
def test_show_every_local_file(jurisdiction: str, year: int) -> None:
    result = run_cli("show", jurisdiction, str(year))
    assert result.returncode == 0, result.stderr
    assert f"coverage year {year}" in result.stdout


@pytest.mark.parametrize(("jurisdiction", "year"), LOCAL)
def test_show_json_round_trips(jurisdiction: str, year: int) -> None:
    result = run_cli("show", jurisdiction, str(year), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    model = RuleSet.model_validate(data)
    assert model == catalogue.rules(jurisdiction, year)
    assert model.model_dump(mode="json") == data
    assert (data["jurisdiction"], data["coverage_year"]) == (jurisdiction, year)


def test_show_json_keeps_citations() -> None:
    data = json.loads(run_cli("show", "guizhou", "2021", "--json").stdout)
    personal = data["financing"]["personal_contribution"]
    assert personal["amount"] == 280
    assert any("280" in cite["quote"] for cite in personal["cite"])


def test_show_unknown_jurisdiction_lists_the_known_ones() -> None:
    result = run_cli("show", "foo", "2021")
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert "foo 2021" in line
    for jurisdiction, year in [*LOCAL, *(("national", y) for y in NATIONAL_YEARS)]:
        assert f"{jurisdiction} {year}" in line
    assert "Traceback" not in result.stderr


def test_show_known_jurisdiction_unknown_year() -> None:
    result = run_cli("show", "guizhou", "2030")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "guizhou 2021" in line


def test_show_year_must_be_a_number() -> None:
    result = run_cli("show", "guizhou", "twenty")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "twenty" in line


def test_show_national_standard_is_not_a_local_rule_set() -> None:
    result = run_cli("show", "national", "2024")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "national standard" in line
