"""Cases worked by hand from the notices (tests/cases/*.yaml), checked against the engine and the CLI.

A case file names its jurisdiction and year and lists cases. Each case has ``name``, ``clause``,
``person`` (categories, event, paid and the event dates), ``why`` (the hand computation) and either
``expect`` (Quote fields; ``subsidy_payer`` is matched as a substring) or ``expect_error``
({argument, contains}). ``day_count`` picks the counting convention; ``known_issue`` marks a case
the rule file is known to get wrong (strict xfail, so the mark must go once the file is fixed);
``cli: true`` also runs the case through ``policylib quote --json`` (at least one per file).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from policylib import catalogue
from policylib.engine import InputError, Person, Quote, quote

CASES_DIR = Path(__file__).parent / "cases"
QUOTE_FIELDS = {f.name for f in fields(Quote)}
CASE_KEYS = {"name", "clause", "person", "expect", "expect_error", "why", "day_count", "known_issue", "cli"}
EVENT_KEYS = ("paid", "born", "lapsed", "discharged", "released", "recognised")
FACT_KEYS = ("student", "rural_hukou", "parent_insured", "years_uninsured", "years_back_paid", "disability_grade",
             "employee_months")
PERSON_KEYS = {"categories", "event", *EVENT_KEYS, *FACT_KEYS}
DATE_KEYS = {*EVENT_KEYS, "coverage_start", "coverage_end"}


@cache
def case_files() -> dict[str, dict[str, Any]]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(CASES_DIR.glob("*.yaml"))}


def all_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [(stem, doc, case) for stem, doc in case_files().items() for case in doc["cases"]]


def as_date(value: Any) -> Any:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def make_person(spec: dict[str, Any]) -> Person:
    unknown = set(spec) - PERSON_KEYS
    assert not unknown, f"unknown person keys {unknown}"
    dates = {k: as_date(spec.get(k)) for k in EVENT_KEYS}
    facts = {k: spec.get(k) for k in FACT_KEYS}
    return Person(categories=tuple(spec.get("categories", ())), circumstance=spec.get("event", "regular"), **dates,
                  **facts)


def _params() -> list[Any]:
    out = []
    for stem, doc, case in all_cases():
        marks = [pytest.mark.xfail(strict=True, reason=case["known_issue"])] if case.get("known_issue") else []
        out.append(pytest.param(stem, doc, case, id=f"{stem}.yaml::{case['name']}", marks=marks))
    return out


def check_expected(actual: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    """Every expected key compared; returns the mismatches."""
    problems = []
    for key, want in expect.items():
        got = actual[key]
        if key in DATE_KEYS:
            want, got = as_date(want), as_date(got)
        # The payer is free text: the Chinese name of the payer must appear in it.
        substring = key == "subsidy_payer" and want is not None
        ok = want in (got or "") if substring else got == want and type(got) is type(want)
        if not ok:
            problems.append(f"{key}: expected {want!r}, got {got!r}")
    return problems


@pytest.mark.parametrize(("stem", "doc", "case"), _params())
def test_case(stem: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    assert set(case) <= CASE_KEYS, f"unknown case keys {set(case) - CASE_KEYS}"
    assert case.get("clause") and case.get("why"), "a case needs its clause and a why line"
    assert ("expect" in case) != ("expect_error" in case), "a case has either expect or expect_error"
    rules = catalogue.rules(doc["jurisdiction"], doc["year"])
    person = make_person(case["person"])
    convention = case.get("day_count", "civil-code")
    if "expect_error" in case:
        err = case["expect_error"]
        with pytest.raises(InputError) as info:
            quote(rules, person, convention)
        assert info.value.argument.lstrip("-") == err["argument"]
        for text in err.get("contains", []):
            assert text in str(info.value)
        return
    unknown = set(case["expect"]) - QUOTE_FIELDS
    assert not unknown, f"unknown expect keys {unknown}"
    q = quote(rules, person, convention)
    problems = check_expected(vars(q), case["expect"])
    assert not problems, "; ".join(problems)


def cli_cases() -> list[tuple[str, str]]:
    return [(stem, case["name"]) for stem, doc, case in all_cases() if case.get("cli")]


def test_case_files_are_named_for_their_rules() -> None:
    stems = {f"{e.jurisdiction}-{e.year}" for e in catalogue.local_entries()}
    assert set(case_files()) >= stems, f"rule files without a case file: {sorted(stems - set(case_files()))}"
    assert {stem for stem, _ in cli_cases()} >= stems, "every case file runs one case through the command line"
    for stem, doc in case_files().items():
        assert stem == f"{doc['jurisdiction']}-{doc['year']}"
        names = [c["name"] for c in doc["cases"]]
        assert len(names) == len(set(names)), f"{stem}: duplicate case names"
        assert len(names) >= 10, f"{stem}: fewer than 10 cases"


@pytest.mark.parametrize("stem", sorted(f"{e.jurisdiction}-{e.year}" for e in catalogue.local_entries()))
def test_cases_cover_every_group_and_start_rule(stem: str) -> None:
    doc = case_files()[stem]
    rules = catalogue.rules(doc["jurisdiction"], doc["year"])
    ok_cases = [c for c in doc["cases"] if "expect" in c and not c.get("known_issue")]
    tested_rules = {c["expect"].get("rule") for c in ok_cases}
    missing_rules = {r.id for r in rules.coverage.start_rules} - tested_rules
    assert not missing_rules, f"start rules without a case: {sorted(missing_rules)}"
    tested_cats = {cat for c in doc["cases"] for cat in c["person"].get("categories", [])}
    groups = {g.category for g in rules.assisted_groups} | {g.category for g in rules.excluded_groups}
    assert not groups - tested_cats, f"assisted groups without a case: {sorted(groups - tested_cats)}"


def _policylib_command() -> list[str]:
    script = Path(sys.executable).with_name("policylib")
    return [str(script)] if script.exists() else [sys.executable, "-m", "policylib.cli"]


def cli_args(doc: dict[str, Any], case: dict[str, Any]) -> list[str]:
    spec = case["person"]
    args = ["quote", doc["jurisdiction"], str(doc["year"]), "--event", spec.get("event", "regular"), "--json"]
    for cat in spec.get("categories", []):
        args += ["--category", cat]
    for key in EVENT_KEYS:
        if spec.get(key) is not None:
            args += [f"--{key}", str(spec[key])]
    for key in FACT_KEYS:
        value = spec.get(key)
        if value is not None:
            shown = ("yes" if value else "no") if isinstance(value, bool) else str(value)
            args += [f"--{key.replace('_', '-')}", shown]
    if case.get("day_count"):
        args += ["--day-count", case["day_count"]]
    return args


@pytest.mark.parametrize(("stem", "name"), cli_cases())
def test_cli_json_matches_case(stem: str, name: str) -> None:
    doc = case_files()[stem]
    case = next(c for c in doc["cases"] if c["name"] == name)
    result = subprocess.run(_policylib_command() + cli_args(doc, case), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["jurisdiction"] == doc["jurisdiction"] and data["year"] == doc["year"]
    problems = check_expected(data, case["expect"])
    assert not problems, "; ".join(problems)
    assert data["citations"] and all({"document", "clause", "excerpt"} <= set(c) for c in data["citations"])
