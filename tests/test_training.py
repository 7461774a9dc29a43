"""Worked cases for staff: generated from each rule file, matched to the rule they illustrate."""

from __future__ import annotations

import datetime as dt

import pytest

from policylib import catalogue, engine, training
from policylib.model import RuleSet

ENTRIES = catalogue.local_entries()


def _rules(entry: catalogue.Entry) -> RuleSet:
    return catalogue.rules(entry.jurisdiction, entry.year)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.key)
def test_every_rule_case_is_answered_by_the_rule_it_illustrates(entry: catalogue.Entry) -> None:
    rules = _rules(entry)
    for case in training.cases(rules):
        answer = training.answer(case)
        if case.expected_rule is not None:
            assert answer.rule == case.expected_rule, case.question
        assert answer.quote.jurisdiction == entry.jurisdiction
        assert case.label in f"{rules.name_en} {rules.coverage_year}"
        assert rules.name_zh in case.question


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.key)
def test_one_case_per_rule_and_only_rules_the_file_has(entry: catalogue.Entry) -> None:
    rules = _rules(entry)
    found = training.cases(rules)
    expected = [c.expected_rule for c in found if c.expected_rule]
    assert len(expected) == len(set(expected))
    ids = {r.id for r in rules.coverage.start_rules}
    assert set(expected) <= ids
    circumstances = {r.circumstance for r in rules.coverage.start_rules}
    kinds = {c.kind for c in found}
    assert ("newborn" in kinds) == ("newborn" in circumstances)
    assert ("employee_lapse" in kinds) == ("employee_lapse" in circumstances)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.key)
def test_dates_come_from_the_files_windows_and_coverage_year(entry: catalogue.Entry) -> None:
    rules = _rules(entry)
    period = rules.coverage.period
    windows = rules.enrolment.windows
    for case in training.cases(rules):
        paid = case.person.paid
        assert paid is not None
        assert paid <= period.end
        earliest = min([w.start or w.end for w in windows] + [period.start - dt.timedelta(days=60)])
        assert paid >= earliest
        if case.kind == "ordinary":
            window = training._main_window(rules)
            assert (window.start or window.end) <= paid <= window.end


def test_newborn_dates_are_relative_to_the_coverage_period() -> None:
    """A child born 61 days after the period starts (3 March of a calendar year) is enrolled 20 or 99 days later
    (23 March or 10 June) when the file's rules are met by those dates."""
    seen = 0
    for entry in ENTRIES:
        rules = _rules(entry)
        start = rules.coverage.period.start
        for case in training.cases(rules, kinds=("newborn",)):
            born, paid = case.person.born, case.person.paid
            assert born is not None and paid is not None
            assert (paid - born).days in training.PAYMENT_DELAYS
            assert "What does the family pay, and from which day is the child covered?" in case.question
            if (born - start).days == 61 and start == dt.date(rules.coverage_year, 1, 1) and rules.coverage_year % 4:
                seen += 1
                assert born == dt.date(rules.coverage_year, 3, 3)
                assert paid in (dt.date(rules.coverage_year, 3, 23), dt.date(rules.coverage_year, 6, 10))
    assert seen


def test_two_groups_case_uses_the_highest_help() -> None:
    seen = 0
    for entry in ENTRIES:
        rules = _rules(entry)
        for case in training.cases(rules, kinds=("two_groups",)):
            seen += 1
            assert len(case.groups) == 2
            answer = training.answer(case)
            singles = [engine.assistance(rules, (c,)).amount for c in case.groups]
            assert answer.quote.subsidy == min(max(s for s in singles if s is not None),
                                               answer.quote.personal_contribution or 0)  # the person's own price
            assert any("Several assisted groups" in note for note in answer.explanation)
    assert seen >= 1


def test_a_file_without_stated_help_has_no_two_groups_case() -> None:
    for entry in ENTRIES:
        rules = _rules(entry)
        if not any(g.stated and g.help not in ("none", "not_stated") for g in rules.assisted_groups):
            assert training.cases(rules, kinds=("two_groups",)) == []


def test_answers_cite_clauses_and_say_what_is_not_stated() -> None:
    for case in training.all_cases():
        answer = training.answer(case)
        if answer.rule is not None:
            assert answer.citations, case.key
            assert all({"source", "clause", "excerpt"} <= set(c) for c in answer.citations)
        if answer.quote.coverage_start is None and answer.rule is not None:
            assert answer.cover == "start of cover not stated in this notice"
        assert answer.explanation[0].startswith("Day counting:")


def test_all_cases_are_grouped_by_kind_in_catalogue_order() -> None:
    found = training.all_cases()
    order = [training.KINDS.index(c.kind) for c in found]
    assert order == sorted(order)
    grouped = training.by_kind(found)
    assert list(grouped) == list(training.KINDS)
    assert sum(len(v) for v in grouped.values()) == len(found)
    assert len({c.key for c in found}) == len(found)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown case kinds"):
        training.cases(_rules(ENTRIES[0]), kinds=("nope",))


def test_payer_words() -> None:
    assert training.payer_words("medical_assistance_fund (城乡医疗救助资金)") == (
        "medical assistance fund (医疗救助基金): 城乡医疗救助资金")
    assert training.payer_words("not_stated") == "a payer not stated in this notice"
    assert training.payer_words(None) == "a payer not stated in this notice"


def test_day_count_convention_is_passed_to_the_engine() -> None:
    case = training.all_cases(kinds=("newborn",))[0]
    assert training.answer(case, "inclusive").quote.day_count == "inclusive"
