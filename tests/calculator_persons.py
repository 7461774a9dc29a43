"""Random persons for holding the book's calculator to the engine, with dates placed around every boundary
a rule file draws: window edges, the coverage period's ends, the periods its rules count from an event
(90 days, 3 months…) under both conventions, ages on the days they are counted, month ends, leap days and
year ends. Everything is read from the rule files; nothing names a jurisdiction."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from policylib import catalogue, daycount, engine, table
from policylib.model import RuleSet

ONE = dt.timedelta(days=1)
QUOTE_FIELDS = [
    "jurisdiction", "year", "circumstance", "categories", "paid", "payable", "payable_reason", "rule",
    "resident_class", "personal_contribution", "personal_due", "personal_due_is_upper_bound", "subsidy",
    "subsidy_payer", "fiscal_subsidy", "total_premium", "total_premium_is_minimum", "coverage_start",
    "coverage_end", "covered_days", "waiting_days", "day_count", "citations", "notes",
]


def _calendar_edges(first: dt.date, last: dt.date) -> list[dt.date]:
    """Month ends and starts, leap days and year ends between two days."""
    out = []
    for year in range(first.year - 1, last.year + 2):
        out += [dt.date(year, 12, 31), dt.date(year, 1, 1), dt.date(year, 2, 28), dt.date(year, 3, 1)]
        if year % 4 == 0 and (year % 100 or year % 400 == 0):
            out.append(dt.date(year, 2, 29))
        for month in range(1, 13):
            start = dt.date(year, month, 1)
            out += [start, start - ONE]
    return [d for d in out if first - dt.timedelta(days=40) <= d <= last + dt.timedelta(days=40)]


def boundaries(rules: RuleSet) -> list[dt.date]:
    """Payment days around every edge the file draws, and the calendar's own edges."""
    period = rules.coverage.period
    first, last = table.domain(rules)
    days = [period.start, period.end, first, last]
    for w in rules.enrolment.windows:
        days += [d for d in (w.start, w.end) if d is not None]
    for r in rules.coverage.start_rules:
        if r.ends:
            days.append(r.ends)
    out = {d + k * ONE for d in days for k in (-1, 0, 1)}
    out |= set(_calendar_edges(first, last))
    return sorted(out)


def event_lengths(rules: RuleSet) -> list[tuple[str, int, str]]:
    """(event, length, unit) of every period a rule counts from an event."""
    out = set()
    for r in rules.coverage.start_rules:
        for c in r.when:
            if c.kind in ("paid_within", "paid_after") and c.length:
                out.add((c.event or "born", c.length, c.unit))
    return sorted(out)


def event_edges(rules: RuleSet) -> list[dt.date]:
    """Event days around the month-days and years that conditions test (born_between, event years)."""
    conds = table.person_conditions(rules)
    years = range(rules.coverage_year - 1, rules.coverage_year + 1)
    out = {dt.date(y, 1, 1) + k * ONE for y in (*years, rules.coverage_year + 1) for k in (-1, 0)}
    for c in conds:
        if c.kind == "born_between":
            for md in (c.from_month_day, c.to_month_day):
                month, day = map(int, (md or "01-01").split("-"))
                out |= {dt.date(y, month, day) + k * ONE for y in years for k in (-1, 0, 1)}
    return sorted(out)


def ages(rules: RuleSet) -> list[tuple[int, dt.date]]:
    conds = table.person_conditions(rules)
    return sorted({(c.years or 0, c.as_of) for c in conds if c.kind in ("age_at_least", "age_below") and c.as_of})


def _birthday(rng: random.Random, years: int, on: dt.date) -> dt.date:
    """A birthday around the day a person turns ``years`` on ``on`` (including 29 February ones)."""
    if rng.random() < 0.2:
        for year in range(on.year - years - 3, on.year - years + 4):
            if year % 4 == 0:
                return dt.date(year, 2, 29)
    base = on.replace(year=on.year - years) if not (on.month == 2 and on.day == 29) else dt.date(on.year - years, 3, 1)
    return base + rng.choice((-1, 0, 1)) * ONE


@dataclass(frozen=True)
class _Shape:
    """What the generator reads from a rule file, worked out once."""

    named: list[str]
    circumstances: list[str]
    edges: list[dt.date]
    lengths: list[tuple[str, int, str]]
    event_edges: list[dt.date]
    ages: list[tuple[int, dt.date]]
    needed: set[str]
    window_ends: list[dt.date]


_SHAPES: dict[int, tuple[RuleSet, _Shape]] = {}


def _shape(rules: RuleSet) -> _Shape:
    hit = _SHAPES.get(id(rules))
    if hit is None or hit[0] is not rules:
        named = [g.category for g in rules.assisted_groups] + [g.category for g in rules.excluded_groups]
        named += [c for r in rules.coverage.start_rules for c in r.categories]
        circs = sorted({r.circumstance for r in rules.coverage.start_rules} | {"regular"},
                       key=table.CIRCUMSTANCES.index)
        hit = (rules, _Shape(named, circs, boundaries(rules), event_lengths(rules), event_edges(rules), ages(rules),
                             set(table.needed_inputs(rules)),
                             [w.end for w in rules.enrolment.windows if w.end is not None]))
        _SHAPES[id(rules)] = hit
    return hit[1]


def person(rules: RuleSet, rng: random.Random) -> tuple[engine.Person, str]:
    """One random person for a rule file, and the counting convention to quote it under."""
    shape = _shape(rules)
    cats_all = [c.id for c in catalogue.categories().categories]
    named, circs = shape.named, shape.circumstances
    circumstance = rng.choice(circs) if rng.random() < 0.8 else rng.choice(table.CIRCUMSTANCES)
    k = rng.choices((0, 1, 2, 3), (3, 4, 2, 1))[0]
    cats = tuple(rng.choice(named if named and rng.random() < 0.75 else cats_all) for _ in range(k))
    first, last = table.domain(rules)
    edges = shape.edges
    if rng.random() < 0.6:
        paid = rng.choice(edges)
    else:
        paid = first + dt.timedelta(days=rng.randint(-40, (last - first).days + 40))
    dates: dict[str, dt.date | None] = {}
    event = table.EVENT_FOR.get(circumstance)
    convention = "inclusive" if rng.random() < 0.15 else "civil-code"
    lengths = [x for x in shape.lengths if x[0] in (event, "born")]
    if event:
        roll = rng.random()
        if lengths and roll < 0.6:
            name, length, unit = rng.choice(lengths)
            if rng.random() < 0.5:  # an event on a month end or leap day, paid around the period's last day
                day = rng.choice(_calendar_edges(paid - dt.timedelta(days=200), paid))
            else:
                day = paid - dt.timedelta(days=rng.randint(0, 200))
            end = daycount.last_day(day, length, unit, rng.choice(daycount.CONVENTIONS))  # type: ignore[arg-type]
            paid = end + rng.choice((-1, 0, 1)) * ONE
            dates[event] = day
        elif roll < 0.8:
            dates[event] = rng.choice(shape.event_edges)
            paid = dates[event] + dt.timedelta(days=rng.choice((0, 1, 30, 89, 90, 91, 92, 120)))
        elif roll < 0.95:
            dates[event] = paid - dt.timedelta(days=rng.choice((0, 1, 10, 60, 90, 91, 180, 365, 400)))
        else:
            dates[event] = paid + ONE  # an event after the payment: an input error
    if circumstance == "newborn":
        dates["born"] = dates.get("born")
    elif rng.random() < 0.75:
        limits = shape.ages
        if limits and rng.random() < 0.6:
            years, on = rng.choice(limits)
            dates["born"] = _birthday(rng, years, on)
        else:
            dates["born"] = paid - dt.timedelta(days=rng.randint(0, 90 * 365))
        if dates["born"] > paid and rng.random() < 0.9:
            dates["born"] = paid - dt.timedelta(days=rng.randint(0, 3000))
    if cats and rng.random() < 0.35:
        ends = shape.window_ends
        if ends and rng.random() < 0.6:
            dates["recognised"] = rng.choice(ends) + rng.choice((-1, 0, 1)) * ONE
        else:
            dates["recognised"] = paid + dt.timedelta(days=rng.randint(-100, 60))
    needed = shape.needed
    facts: dict[str, Any] = {}
    for name in table.FACTS:
        if rng.random() < (0.92 if name in needed else 0.2):
            if name in table.BOOL_FACTS:
                facts[name] = rng.random() < 0.5
            elif name == "years_uninsured":
                facts[name] = rng.choice((0, 0, 1, 2, 3, 4, 5, 7))
            elif name == "years_back_paid":
                facts[name] = rng.randint(0, 3)
            elif name == "disability_grade":
                facts[name] = rng.randint(1, 4) if rng.random() < 0.97 else 5
            else:
                facts[name] = rng.randint(0, 12)
    if facts.get("years_back_paid") is not None and rng.random() < 0.95:  # mostly a possible history
        facts["years_back_paid"] = min(facts["years_back_paid"], facts.get("years_uninsured") or 0)
    return engine.Person(categories=cats, circumstance=circumstance, paid=paid, **dates, **facts), convention


def as_input(p: engine.Person) -> dict[str, Any]:
    """A person as the calculator's input (ISO dates, facts as given)."""
    out: dict[str, Any] = {"circumstance": p.circumstance, "categories": list(p.categories)}
    for name in ("paid", *table.EVENTS):
        value = getattr(p, name)
        out[name] = value.isoformat() if value is not None else None
    for name in table.FACTS:
        out[name] = getattr(p, name)
    return out


def engine_answer(rules: RuleSet, p: engine.Person, convention: str) -> dict[str, Any]:
    """The engine's answer as the calculator gives it: every field of the Quote, or the input error."""
    try:
        q = engine.quote(rules, p, convention)  # type: ignore[arg-type]
    except engine.InputError as exc:
        return {"error": exc.argument, "message": str(exc)}
    data = q.to_json()
    return {k: data[k] for k in QUOTE_FIELDS}


def page_answer(answer: dict[str, Any]) -> dict[str, Any]:
    """The fields of a page answer that the engine gives too."""
    if "error" in answer:
        return {"error": answer["error"], "message": answer["message"]}
    return {k: answer.get(k) for k in QUOTE_FIELDS}
