"""Worked cases for staff: generated from each rule file, matched to the rule they illustrate."""

from __future__ import annotations

import datetime as dt
import re

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
        assert not any(e.startswith("Day counting:") for e in answer.explanation)


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


SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.key)
def test_every_not_stated_rule_has_a_question_answered_not_stated(entry: catalogue.Entry) -> None:
    """A question per not-stated start rule the engine can reach; the answer fills in nothing and says what the
    notice leaves open (its note) and the document it refers to, when it names one."""
    rules = _rules(entry)
    silent = [r for r in rules.coverage.start_rules if not r.stated]
    found = training.cases(rules, kinds=("not_stated",))
    assert {c.expected_rule for c in found} == {r.id for r in silent}
    for case in found:
        rule = next(r for r in silent if r.id == case.expected_rule)
        a = training.answer(case)
        assert a.rule == rule.id
        assert a.quote.personal_due is None and a.quote.coverage_start is None
        assert "not stated" in a.summary
        assert a.consult is not None and rule.note is not None and rule.note in a.consult
        assert (rule.refers_to or "The notice names no other document") in a.consult


def test_not_stated_cases_appear_under_that_kind_only() -> None:
    for case in training.all_cases():
        rules = catalogue.rules(case.jurisdiction, case.year)
        rule = next((r for r in rules.coverage.start_rules if r.id == case.expected_rule), None)
        assert (case.kind == "not_stated") == (rule is not None and not rule.stated), case.key


def test_day_counting_only_where_days_are_counted() -> None:
    answers = training.answers(training.all_cases())
    for a in answers:
        rules = catalogue.rules(a.case.jurisdiction, a.case.year)
        rule = next((r for r in rules.coverage.start_rules if r.id == a.rule), None)
        counted = bool(a.quote.waiting_days) or (rule is not None and (
            rule.starts.kind in ("after_payment_period", "variable_wait")
            or any(c.kind in ("paid_within", "paid_after") for c in rule.when)))
        assert (a.day_counting is not None) == counted, a.case.key
        if a.quote.waiting_days:
            assert a.day_counting and "民法典" in a.day_counting
    assert any(a.day_counting for a in answers) and not all(a.day_counting for a in answers)
    assert all(a.day_counting is None for a in answers if a.case.kind == "ordinary")


def test_mistakes_are_the_engines_other_answers() -> None:
    """Each mistake is a figure the engine gives for another reading: the ordinary in-window answer, the cover from
    the day of payment a waiting period postpones, the help of two groups added up."""
    kinds_seen: set[str] = set()
    for a in training.answers(training.all_cases()):
        rules = catalogue.rules(a.case.jurisdiction, a.case.year)
        usual = engine.quote(rules, engine.reference_facts(rules, engine.Person(
            paid=training._midpoint(training._main_window(rules)))))
        for m in a.mistakes:
            assert m.wrong and m.why
            if m.why.startswith("That is the answer for an ordinary resident"):
                kinds_seen.add("ordinary")
                assert a.case.kind not in ("ordinary", "two_groups")
                assert m.wrong.startswith(f"{usual.personal_due} yuan")
                assert (usual.personal_due, usual.coverage_start) != (a.quote.personal_due, a.quote.coverage_start)
            elif m.wrong.startswith("covered from the day of payment"):
                kinds_seen.add("waiting")
                assert a.quote.waiting_days and a.quote.paid is not None and a.quote.coverage_start is not None
                assert a.quote.coverage_start > a.quote.paid
            elif "both groups" in m.wrong:
                kinds_seen.add("stacking")
                singles = [engine.assistance(rules, (c,)).amount or 0 for c in a.case.groups]
                added = max(0, (a.quote.personal_contribution or 0) - sum(singles))
                assert m.wrong.startswith(f"{added} yuan") and added != a.quote.personal_due
            elif "personal contribution alone" in m.wrong:
                kinds_seen.add("late_total")
                assert a.quote.personal_due != a.quote.personal_contribution
            elif m.wrong == "the assisted person pays nothing":
                kinds_seen.add("assistance")
                assert a.quote.subsidy and a.quote.personal_due
        if a.case.kind == "ordinary":
            assert not any("ordinary resident" in m.why for m in a.mistakes)
    assert {"ordinary", "waiting", "stacking", "late_total", "assistance"} <= kinds_seen


def test_answers_in_plain_words_name_no_ids() -> None:
    categories = {c.id for c in catalogue.categories().categories}
    for a in training.answers(training.all_cases()):
        rules = catalogue.rules(a.case.jurisdiction, a.case.year)
        ids = {r.id for r in rules.coverage.start_rules} | {w.id for w in rules.enrolment.windows} | categories
        shown = [a.summary, a.rule_words or "", a.consult or "", *a.explanation,
                 *(m.wrong + " " + m.why for m in a.mistakes)]
        for text in shown:
            assert not SNAKE.search(text), (a.case.key, text)
            words = set(re.findall(r"[a-z][a-z0-9_]*", text))
            assert not {i for i in ids if "_" in i or i in categories} & words - {"late", "regular"}, (a.case.key, text)
