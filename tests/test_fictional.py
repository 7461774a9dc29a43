"""Fictional notices (tests/fictional/<id>/) that use what real notices say and the seeds do not: resident
classes, shares, phases, open bounds, years without insurance, partial texts. Each is added to a copy of
the project as an analyst would add a notice, must pass `policylib check`, and answers its own
law-derived cases; the national waiting-period rule is compared with their waiting periods."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from cli_runner import run_cli
from fictional_project import fictional_project

from policylib import catalogue, compare, engine, population
from tests.test_law_cases import check_expected, make_person

REPO = Path(__file__).resolve().parent.parent
FICTIONAL = Path(__file__).resolve().parent / "fictional"
NOTICES = sorted(p.name for p in FICTIONAL.iterdir() if (p / "rules.yaml").is_file())


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the project's rules and sources with every fictional notice added."""
    with fictional_project(tmp_path_factory.mktemp("fictional")) as root:
        yield root


def _cases(notice: str) -> list[Any]:
    doc = yaml.safe_load((FICTIONAL / notice / "cases.yaml").read_text(encoding="utf-8"))
    return [pytest.param(doc, case, id=f"{notice}::{case['name']}") for case in doc["cases"]]


def test_there_are_fictional_notices() -> None:
    assert NOTICES, "tests/fictional holds no notice with a rules.yaml"


def test_fictional_notices_pass_the_check(project: Path) -> None:
    proc = run_cli("check", home=project)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"{len(catalogue.entries(project / 'rules'))} rule files" in proc.stdout


@pytest.mark.parametrize(("doc", "case"), [p for notice in NOTICES for p in _cases(notice)])
def test_fictional_case(project: Path, doc: dict[str, Any], case: dict[str, Any]) -> None:
    rules = catalogue.rules(doc["jurisdiction"], doc["year"])
    person = make_person(case["person"])
    if "expect_error" in case:
        with pytest.raises(engine.InputError) as info:
            engine.quote(rules, person)
        assert info.value.argument.lstrip("-") == case["expect_error"]["argument"]
        for text in case["expect_error"].get("contains", []):
            assert text in str(info.value)
        return
    problems = check_expected(vars(engine.quote(rules, person)), case["expect"])
    assert not problems, "; ".join(problems)


@pytest.mark.parametrize("notice", NOTICES)
def test_fictional_cases_reach_every_rule_class_and_group(project: Path, notice: str) -> None:
    doc = yaml.safe_load((FICTIONAL / notice / "cases.yaml").read_text(encoding="utf-8"))
    rules = catalogue.rules(doc["jurisdiction"], doc["year"])
    quotes = [engine.quote(rules, make_person(c["person"])) for c in doc["cases"] if "expect" in c]
    assert {r.id for r in rules.coverage.start_rules if r.stated} - {q.rule for q in quotes} <= {
        r.id for r in rules.coverage.start_rules for c in r.when
        if c.kind == "paid_in_window" and next(w for w in rules.enrolment.windows if w.id == c.window).end is None
    }, "every start rule the notice can reach has a case"
    assert {c.id for c in rules.financing.resident_classes} <= {q.resident_class for q in quotes}
    groups = {g.category for g in rules.assisted_groups} | {g.category for g in rules.excluded_groups}
    assert groups <= {c for q in quotes for c in q.categories}


# 国办发〔2024〕38号: 3 months, one more for each further year without insurance, less the years paid back,
# at least 6 months from 4 years on; newborns do not wait. Huanxiang (五（二）): a rural resident insured last
# year is covered the day after paying, one year without insurance waits 3 months, two or more 6 months.
# Everyone enrols on 2025-01-01, the day after the 集中缴费期; months end on the corresponding day
# (民法典 第二百零二条) and the waiting days are those between payment and cover.
AGAINST_NATIONAL: dict[str, dict[tuple[str, int, int], tuple[int, int, str]]] = {"huanxiang": {
    ("regular", 0, 0): (0, 90, "falls short"),  # next day; national 2025-04-01 is the last day of 3 months
    ("regular", 1, 0): (90, 90, "meets"),  # 3 months both
    ("regular", 2, 0): (181, 120, "exceeds"),  # 6 months (to 2025-07-01) against 4 (to 2025-05-01)
    ("regular", 4, 0): (181, 181, "meets"),  # 6 months both
    ("regular", 4, 3): (181, 181, "meets"),  # 3 + 0 after paying back 3 years, but at least 6 from 4 years
    ("newborn", 0, 0): (0, 0, "meets"),  # no newborn rule: as a resident insured last year; newborns exempt
}}
# Xugou (四（二）) repeats the national rule for its 补充参保期 from 2026-01-01, and covers newborns from birth.
AGAINST_NATIONAL["xugou"] = {
    ("regular", 0, 0): (90, 90, "meets"), ("regular", 1, 0): (90, 90, "meets"),
    ("regular", 2, 0): (120, 120, "meets"), ("regular", 4, 0): (181, 181, "meets"),
    ("regular", 4, 3): (181, 181, "meets"), ("newborn", 0, 0): (0, 0, "meets"),
}


@pytest.mark.parametrize("jurisdiction", sorted(AGAINST_NATIONAL))
def test_waiting_periods_against_the_national_rule(project: Path, jurisdiction: str) -> None:
    table = compare.waiting_compliance()
    rows = table[table["jurisdiction"] == jurisdiction]
    got = {(r.circumstance, r.years_uninsured, r.years_back_paid): (r.local_waiting_days, r.national_waiting_days,
                                                                    r.verdict) for r in rows.itertuples()}
    assert got == AGAINST_NATIONAL[jurisdiction]


@pytest.mark.parametrize("notice", NOTICES)
@pytest.mark.parametrize("convention", ["civil-code", "inclusive"])
def test_quote_many_matches_quote(project: Path, notice: str, convention: str) -> None:
    """The population engine gives each row the single quote's answer, facts and classes included."""
    doc = yaml.safe_load((FICTIONAL / notice / "cases.yaml").read_text(encoding="utf-8"))
    rules = catalogue.rules(doc["jurisdiction"], doc["year"])
    people = population.synthetic_people(rules, 1500, 7)
    many = population.quote_many(rules, people, convention)  # type: ignore[arg-type]
    for position in range(len(people)):
        one = engine.quote(rules, population._person(people, position), convention)  # type: ignore[arg-type]
        for column in population.OUTPUT_COLUMNS:
            have = many[column].iloc[position]
            have = None if have is None or (not isinstance(have, str) and pd.isna(have)) else have
            want = getattr(one, column)
            if isinstance(have, pd.Timestamp):
                have = have.date()
            assert have == want, (position, column, have, want)


def test_show_lists_classes_shares_and_conditions(project: Path) -> None:
    """`policylib show` tells a reader what each fictional notice prices by class and helps on conditions."""
    for notice in NOTICES:
        data = yaml.safe_load((FICTIONAL / notice / "rules.yaml").read_text(encoding="utf-8"))
        proc = run_cli("show", data["jurisdiction"], str(data["coverage_year"]), home=project)
        assert proc.returncode == 0, proc.stderr
        for cls in data["financing"].get("resident_classes", []):
            assert f"class {cls['name_zh']}" in proc.stdout
        for group in data["assisted_groups"]:
            assert group["name_zh"] in proc.stdout
            if "share" in group:
                assert f"{group['share']:.0%} of the person's own contribution" in proc.stdout
            if group.get("when"):
                assert f"{group['name_zh']} —" in proc.stdout and "(for those " in proc.stdout
