"""Properties every quote must have, whatever the jurisdiction-year, dates or categories."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policylib import catalogue, daycount, engine, table
from policylib.model import RuleSet

RULES = [catalogue.rules(e.jurisdiction, e.year) for e in catalogue.local_entries()]
PROPERTY_SETTINGS = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])


def _groups(rules: RuleSet) -> list[str]:
    return sorted({g.category for g in rules.assisted_groups} | {g.category for g in rules.excluded_groups})


def _rule(rules: RuleSet, rule_id: str | None):
    return next((r for r in rules.coverage.start_rules if r.id == rule_id), None)


def check(rules: RuleSet, person: engine.Person, q: engine.Quote) -> None:
    """The invariants of one quote."""
    fin = rules.financing
    rule = _rule(rules, q.rule)
    if q.personal_due is not None:
        assert rule is not None
        # The person's own contribution: the file's, or their resident class's where the notice prices by class.
        top = fin.late_payer_total.amount if rule.due == "late_payer_total" else q.personal_contribution
        assert top is not None and 0 <= q.personal_due <= top
    if q.subsidy is not None and q.personal_due is not None and rule is not None and rule.due == "standard":
        assert q.personal_due + q.subsidy == q.personal_contribution
    if q.coverage_start is not None:
        assert rule is not None and q.coverage_end is not None
        if person.circumstance == "newborn":
            assert person.born is not None and q.coverage_start >= person.born
        if not rule.may_precede_period:
            assert q.coverage_start >= rules.coverage.period.start
        assert q.covered_days == max(0, (q.coverage_end - q.coverage_start).days + 1)
        assert q.waiting_days is not None and q.waiting_days >= 0
    first, _ = table.domain(rules)
    excluded = bool(engine.excluded_from_enrolment(rules, person.categories))
    if q.payable is False:  # refused: excluded from enrolment, or paid after the period with no rule for that
        assert excluded or (person.paid is not None and person.paid > rules.coverage.period.end)
    if q.payable is None and not excluded and not engine.unaddressed_status(rules, person.categories):
        # The decision table has no gap: inside its domain, silence is an explicit not-stated rule (or a window
        # whose end the notice does not state).
        assert person.paid is not None
        inside = first <= person.paid <= rules.coverage.period.end
        open_window = any(w.end is None for w in rules.enrolment.windows)
        assert not inside or (rule is not None and not rule.stated) or open_window, (person, q.payable_reason)


@st.composite
def people(draw: st.DrawFn, rules: RuleSet, min_categories: int = 0) -> engine.Person:
    """A valid person: payment never before the event or the birth."""
    period = rules.coverage.period
    first = min([w.start or w.end for w in rules.enrolment.windows] + [period.start])
    groups = _groups(rules)
    cats = tuple(draw(st.lists(st.sampled_from(groups), min_size=min(min_categories, len(groups)), max_size=3,
                               unique=True)))
    circumstance = draw(st.sampled_from(engine.CIRCUMSTANCES))
    event_name = engine.EVENT_FOR.get(circumstance)
    dates: dict[str, dt.date | None] = {}
    if event_name:
        event = draw(st.dates(dt.date(period.start.year - 2, 1, 1), period.end))
        dates[event_name] = event
        paid = event + dt.timedelta(days=draw(st.integers(0, 400)))
    else:
        paid = draw(st.dates(first - dt.timedelta(days=60), period.end + dt.timedelta(days=60)))
    if circumstance != "newborn" and draw(st.booleans()):
        dates["born"] = draw(st.dates(dt.date(1930, 1, 1), paid))
    # Facts a notice's rules ask about (age, student, years without insurance) are the book's reference ones.
    return engine.reference_facts(rules, engine.Person(cats, circumstance, paid=paid, **dates))


conventions = st.sampled_from(daycount.CONVENTIONS)


@pytest.mark.parametrize("rules", RULES, ids=lambda r: f"{r.jurisdiction}-{r.coverage_year}")
def test_invariants(rules: RuleSet) -> None:
    @PROPERTY_SETTINGS
    @given(person=people(rules), convention=conventions)
    def run(person: engine.Person, convention: daycount.Convention) -> None:
        check(rules, person, engine.quote(rules, person, convention))

    run()


@pytest.mark.parametrize("rules", RULES, ids=lambda r: f"{r.jurisdiction}-{r.coverage_year}")
def test_paying_later_never_starts_cover_earlier(rules: RuleSet) -> None:
    @PROPERTY_SETTINGS
    @given(person=people(rules), delay=st.integers(1, 200), convention=conventions)
    def run(person: engine.Person, delay: int, convention: daycount.Convention) -> None:
        assert person.paid is not None
        later = dataclasses.replace(person, paid=person.paid + dt.timedelta(days=delay))
        early, late = engine.quote(rules, person, convention), engine.quote(rules, later, convention)
        check(rules, later, late)
        if early.coverage_start is not None and late.coverage_start is not None:
            assert late.coverage_start >= early.coverage_start, (early.rule, late.rule)

    run()


@pytest.mark.parametrize("rules", RULES, ids=lambda r: f"{r.jurisdiction}-{r.coverage_year}")
def test_several_categories_never_lower_the_due_below_the_best_single_one(rules: RuleSet) -> None:
    @PROPERTY_SETTINGS
    @given(person=people(rules, min_categories=2), convention=conventions)
    def run(person: engine.Person, convention: daycount.Convention) -> None:
        several = engine.quote(rules, person, convention).personal_due
        singles = [
            engine.quote(rules, dataclasses.replace(person, categories=(c,)), convention).personal_due
            for c in person.categories
        ]
        if several is None or any(s is None for s in singles):
            return
        assert several >= min(s for s in singles if s is not None)

    run()


LEAP_BIRTHS = (dt.date(2020, 2, 29), dt.date(2024, 2, 29))
OFFSETS = (0, 1, 29, 30, 31, 89, 90, 91, 92, 120, 365, 366)


@pytest.mark.parametrize("rules", RULES, ids=lambda r: f"{r.jurisdiction}-{r.coverage_year}")
@pytest.mark.parametrize("convention", daycount.CONVENTIONS)
def test_leap_day_events(rules: RuleSet, convention: daycount.Convention) -> None:
    for day, offset, (circumstance, event) in itertools.product(LEAP_BIRTHS, OFFSETS, engine.EVENT_FOR.items()):
        person = engine.reference_facts(
            rules, engine.Person((), circumstance, paid=day + dt.timedelta(days=offset), **{event: day}))
        check(rules, person, engine.quote(rules, person, convention))


@pytest.mark.parametrize("rules", RULES, ids=lambda r: f"{r.jurisdiction}-{r.coverage_year}")
@pytest.mark.parametrize("convention", daycount.CONVENTIONS)
def test_payments_across_the_year_boundary(rules: RuleSet, convention: daycount.Convention) -> None:
    year = rules.coverage_year
    boundary = [dt.date(y, 12, 31) for y in (year - 1, year)] + [dt.date(y, 1, 1) for y in (year, year + 1)]
    for paid, circumstance in itertools.product(boundary, engine.CIRCUMSTANCES):
        event = engine.EVENT_FOR.get(circumstance)
        for lag in (0, 1, 90, 91) if event else (None,):
            dates = {event: paid - dt.timedelta(days=lag)} if event and lag is not None else {}
            person = engine.reference_facts(rules, engine.Person(("orphan",), circumstance, paid=paid, **dates))
            try:
                q = engine.quote(rules, person, convention)
            except engine.InputError as exc:  # orphan is not a group everywhere, but always a known category
                pytest.fail(f"{person}: {exc}")
            check(rules, person, q)
