"""The decision table of a rule file: which start rule applies to whom, and from which day cover starts.

One core, on whole columns of int64 day numbers: :func:`policylib.engine.quote` asks it about a
population of one, :func:`policylib.population.quote_many` about millions, and `policylib check`
about every day of the table's domain, to prove that its rules neither overlap nor leave gaps.

Hit policy, for a person of circumstance C (:data:`CIRCUMSTANCES`):

1. C's own rules. Where two of them match, one must name the other under ``overrides`` (a priority
   the file records as a reading, with its alternative); otherwise the file does not pass the check.
2. Where none of C's own rules matches, the ordinary residents' (``regular``) rules, under the same
   policy: a special clause governs over the general one, and a person whose circumstance the notice
   does not address on that date enrols as an ordinary resident.
3. Where no rule matches, the notice says nothing. Checked files cover every such region of the
   domain with an explicit not-stated rule, so this happens only outside it (before the first
   window opens, or after the coverage period).

A rule never applies to a payment after the coverage period unless it says so (``paid_after_period``).

Three things can leave a row undecided, and none is settled by a default: a date or fact the person
did not give (an input error naming it), and a window bound the notice does not state (the answer is
*not stated*, with the window named).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from policylib.model import Condition, RuleSet, Start, StartRule

CIRCUMSTANCES = ("regular", "newborn", "employee_lapse", "veteran", "released_prisoner", "migrant_worker")
EVENT_FOR = {"newborn": "born", "employee_lapse": "lapsed", "veteran": "discharged", "released_prisoner": "released"}
# Dates a row may carry: the events of the circumstances, and the day an assisted status was recognised
# (身份认定; absent: held before the collection window opened).
EVENTS = ("born", "lapsed", "discharged", "released", "recognised")
# Facts about the person that conditions test (missing: the person did not say).
FACTS = ("student", "rural_hukou", "parent_insured", "years_uninsured", "years_back_paid", "disability_grade",
         "employee_months")
BOOL_FACTS = frozenset({"student", "rural_hukou", "parent_insured"})
_EPOCH = dt.date(1970, 1, 1)


def day(d: dt.date) -> int:
    """Days since 1970-01-01."""
    return (d - _EPOCH).days


def date_of(days: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(days))


# --- calendar arithmetic on int64 day numbers -------------------------------------------------------------


def add_months(days: np.ndarray, months: int | np.ndarray) -> np.ndarray:
    """Add ``months`` (one number, or one per row) to int64 day numbers like ``dateutil.relativedelta``:
    same day, clipped to month end."""
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    first = month.astype("datetime64[D]").astype(np.int64)
    day_index = days - first  # 0-based day of the month
    target = month + np.asarray(months, np.int64).astype("timedelta64[M]")
    target_first = target.astype("datetime64[D]").astype(np.int64)
    month_length = (target + np.timedelta64(1, "M")).astype("datetime64[D]").astype(np.int64) - target_first
    return target_first + np.minimum(day_index, month_length - 1)


def year_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def month_day(days: np.ndarray) -> np.ndarray:
    """month * 100 + day, for comparing month-days."""
    month = days.astype("datetime64[D]").astype("datetime64[M]")
    dom = days - month.astype("datetime64[D]").astype(np.int64) + 1
    return (month.astype(np.int64) % 12 + 1) * 100 + dom


def month_start(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def last_day(event: np.ndarray, length: int | np.ndarray, unit: str, convention: str) -> np.ndarray:
    """Vectorized :func:`policylib.daycount.last_day`: the last day of a period counted from ``event``."""
    end = event + length if unit == "days" else add_months(event, length)
    return end if convention == "civil-code" else end - 1


# --- the rows ---------------------------------------------------------------------------------------------


@dataclass
class Columns:
    """The persons of a table query, as columns. Dates are int64 day numbers, 0 where missing."""

    paid: np.ndarray
    dates: dict[str, np.ndarray]
    missing: dict[str, np.ndarray]
    circ: np.ndarray  # index into CIRCUMSTANCES, -1 for an unknown circumstance
    combo: np.ndarray  # index into combos
    combos: list[frozenset[str]]  # each combination of categories, with their parent categories
    facts: dict[str, np.ndarray] = field(default_factory=dict)  # int64 (booleans as 0/1), 0 where missing
    facts_missing: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in FACTS:
            self.facts.setdefault(name, np.zeros(len(self.paid), np.int64))
            self.facts_missing.setdefault(name, np.ones(len(self.paid), bool))

    def __len__(self) -> int:
        return len(self.paid)

    def take(self, rows: np.ndarray) -> Columns:
        return Columns(
            self.paid[rows],
            {k: v[rows] for k, v in self.dates.items()},
            {k: v[rows] for k, v in self.missing.items()},
            self.circ[rows],
            self.combo[rows],
            self.combos,
            {k: v[rows] for k, v in self.facts.items()},
            {k: v[rows] for k, v in self.facts_missing.items()},
        )


def one(
    circumstance: str, categories: frozenset[str], paid: dt.date, dates: dict[str, dt.date | None],
    facts: dict[str, int | bool | None] | None = None,
) -> Columns:
    """A population of one."""
    facts = facts or {}
    return Columns(
        np.array([day(paid)], np.int64),
        {e: np.array([day(d) if (d := dates.get(e)) else 0], np.int64) for e in EVENTS},
        {e: np.array([dates.get(e) is None]) for e in EVENTS},
        np.array([CIRCUMSTANCES.index(circumstance) if circumstance in CIRCUMSTANCES else -1], np.int64),
        np.zeros(1, np.int64),
        [categories],
        {f: np.array([int(facts.get(f) or 0)], np.int64) for f in FACTS},
        {f: np.array([facts.get(f) is None]) for f in FACTS},
    )


# --- conditions and rules ---------------------------------------------------------------------------------


_WINDOWS: dict[int, tuple[RuleSet, dict[str, tuple[int | None, int | None]]]] = {}


def _windows(rules: RuleSet) -> dict[str, tuple[int | None, int | None]]:
    """Window bounds as day numbers, kept per rule set (rule sets are immutable)."""
    hit = _WINDOWS.get(id(rules))
    if hit is None or hit[0] is not rules:
        if len(_WINDOWS) > 256:
            _WINDOWS.clear()
        hit = (rules, {w.id: (None if w.start is None else day(w.start), None if w.end is None else day(w.end))
                       for w in rules.enrolment.windows})
        _WINDOWS[id(rules)] = hit
    return hit[1]


@dataclass
class Outcome:
    """Where a condition holds; where it cannot be told for want of the person's date or fact
    (``absent``); and where the notice leaves a bound it tests unstated (``open``)."""

    holds: np.ndarray
    absent: np.ndarray | None = None
    open: np.ndarray | None = None
    input: str | None = None  # the date or fact ``absent`` is about


def _window_test(paid: np.ndarray, start: int | None, end: int | None, after: bool) -> Outcome:
    """paid in (or after) a window whose bounds may be unstated; a missing start is no bound in the past.
    A window whose end is not stated is certainly open on its first day and undecided after it."""
    if after:
        if end is None:
            later = np.ones(len(paid), bool) if start is None else paid > start
            return Outcome(np.zeros(len(paid), bool), open=later)
        return Outcome(paid > end)
    inside = np.ones(len(paid), bool) if start is None else paid >= start
    if end is None:
        first = np.zeros(len(paid), bool) if start is None else paid == start
        return Outcome(first, open=inside & ~first)
    return Outcome(inside & (paid <= end))


def _age_on(born: np.ndarray, on: dt.date) -> np.ndarray:
    """Whole years of age on a day (a birthday on 29 February is reached on 1 March in other years)."""
    d = born.astype("datetime64[D]")
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    md = month_day(born)
    return on.year - years - ((on.month * 100 + on.day) < md).astype(np.int64)


def recognition(cols: Columns) -> tuple[np.ndarray, np.ndarray]:
    """The day an assisted status was recognised (身份认定): as given; where not given, no earlier than the
    person's birth (a status cannot precede the person); where neither is known, held long before."""
    given = ~cols.missing["recognised"]
    days = np.where(given, cols.dates["recognised"], cols.dates["born"])
    return days, given | ~cols.missing["born"]


def condition(rules: RuleSet, cond: Condition, cols: Columns, convention: str,
              cache: dict[tuple[object, ...], np.ndarray]) -> Outcome:
    """One condition on whole columns. A missing recognition date means a status long held."""
    paid = cols.paid
    if cond.kind in ("paid_in_window", "paid_after_window"):
        start, end = _windows(rules)[cond.window or ""]
        return _window_test(paid, start, end, cond.kind == "paid_after_window")
    if cond.kind == "recognised_after_window":
        _, end = _windows(rules)[cond.window or ""]
        assert end is not None  # the check requires a stated end here
        days, known = recognition(cols)
        return Outcome(known & (days > end))
    if cond.kind == "paid_after_period":
        return Outcome(paid > day(rules.coverage.period.end))
    if cond.kind in ("student", "rural_hukou"):
        return Outcome(cols.facts[cond.kind] == int(cond.value), cols.facts_missing[cond.kind], input=cond.kind)
    if cond.kind in ("fact_is", "fact_at_least", "fact_at_most"):
        name = cond.fact or ""
        values = cols.facts[name]
        if cond.kind == "fact_is":
            holds = values == int(cond.value)
        else:
            holds = values >= (cond.number or 0) if cond.kind == "fact_at_least" else values <= (cond.number or 0)
        return Outcome(holds, cols.facts_missing[name], input=name)
    if cond.kind == "insured_last_year":  # 上年度已参保, 连续参保: no year without insurance
        return Outcome((cols.facts["years_uninsured"] == 0) == cond.value, cols.facts_missing["years_uninsured"],
                       input="years_uninsured")
    if cond.kind in ("years_uninsured_at_least", "years_uninsured_below"):
        years = cols.facts["years_uninsured"]
        holds = years >= (cond.years or 0) if cond.kind.endswith("at_least") else years < (cond.years or 0)
        return Outcome(holds, cols.facts_missing["years_uninsured"], input="years_uninsured")
    if cond.kind in ("age_at_least", "age_below"):
        assert cond.as_of is not None
        age = _age_on(cols.dates["born"], cond.as_of)
        holds = age >= (cond.years or 0) if cond.kind == "age_at_least" else age < (cond.years or 0)
        return Outcome(holds, cols.missing["born"], input="born")
    name = cond.event or "born"
    event = paid if name == "paid" else cols.dates[name]
    absent = None if name == "paid" else cols.missing[name]
    if cond.kind in ("paid_within", "paid_after"):
        key = ("last", name, cond.length, cond.unit)
        if key not in cache:
            cache[key] = last_day(event, cond.length or 0, cond.unit, convention)
        last = cache[key]
        if cond.kind == "paid_within":
            return Outcome((paid >= event) & ((paid <= last) if cond.include_bound else (paid < last)), absent,
                           input=name)
        return Outcome((paid >= last) if cond.include_bound else (paid > last), absent, input=name)
    if cond.kind == "born_between":
        key = ("month_day", name)
        if key not in cache:
            cache[key] = month_day(event)
        lo = int((cond.from_month_day or "").replace("-", ""))
        hi = int((cond.to_month_day or "").replace("-", ""))
        return Outcome((cache[key] >= lo) & (cache[key] <= hi), absent, input=name)
    if cond.kind in ("event_in_coverage_year", "event_before_coverage_year"):
        key = ("year", name)
        if key not in cache:
            cache[key] = year_of(event)
        if cond.kind == "event_in_coverage_year":
            return Outcome(cache[key] == rules.coverage_year, absent, input=name)
        return Outcome(cache[key] < rules.coverage_year, absent, input=name)
    raise ValueError(f"unknown condition kind {cond.kind}")


@dataclass
class Match:
    """Where a rule (or a class) applies, and the rows it leaves undecided: ``needs`` (the person must
    give a date or fact) and ``open`` (the notice leaves a window bound unstated)."""

    holds: np.ndarray
    needs: np.ndarray
    open: np.ndarray
    inputs: frozenset[str] = frozenset()  # the dates and facts behind ``needs``


def conditions_mask(rules: RuleSet, conds: list[Condition], cols: Columns, convention: str,
                    cache: dict[tuple[object, ...], np.ndarray], reach: np.ndarray) -> Match:
    """Where every condition holds, starting from ``reach``."""
    unknown = np.zeros(len(cols), bool)
    unstated = np.zeros(len(cols), bool)
    asked: dict[str, np.ndarray] = {}
    for cond in conds:
        out = condition(rules, cond, cols, convention, cache)
        maybe = out.holds.copy()
        if out.absent is not None:
            maybe |= out.absent
            unknown |= out.absent & reach
            if out.input:
                asked[out.input] = asked.get(out.input, np.zeros(len(cols), bool)) | (out.absent & reach)
        if out.open is not None:
            maybe |= out.open
            unstated |= out.open & reach
        reach = reach & maybe
    unknown &= reach
    unstated &= reach & ~unknown
    inputs = frozenset(name for name, rows in asked.items() if (rows & reach).any())
    return Match(reach & ~unknown & ~unstated, unknown, unstated, inputs)


def rule_mask(rules: RuleSet, rule: StartRule, cols: Columns, convention: str,
              cache: dict[tuple[object, ...], np.ndarray]) -> Match:
    """Where a rule applies: its categories, its conditions, and its payment period."""
    reach = np.ones(len(cols), bool)
    if not any(c.kind == "paid_after_period" for c in rule.when):
        reach &= cols.paid <= day(rules.coverage.period.end)
    if rule.categories:
        wanted = set(rule.categories)
        reach &= np.array([bool(c & wanted) for c in cols.combos], bool)[cols.combo]
    return conditions_mask(rules, rule.when, cols, convention, cache, reach)


def tiers(rules: RuleSet, circumstance: str) -> list[list[int]]:
    """The rule indices tried for a circumstance, tier by tier: its own rules, then the ordinary residents'."""
    own = [i for i, r in enumerate(rules.coverage.start_rules) if r.circumstance == circumstance]
    if circumstance == "regular":
        return [own]
    return [own, [i for i, r in enumerate(rules.coverage.start_rules) if r.circumstance == "regular"]]


@dataclass
class Tier:
    """rules x rows: where each rule of a tier applies; the rows it leaves undecided, and why."""

    matrix: np.ndarray
    needs: np.ndarray  # a rule would apply but for a date or fact the person did not give
    open: np.ndarray  # a rule tests a window bound the notice does not state
    inputs: frozenset[str]  # the dates and facts ``needs`` is about


def tier_matrix(rules: RuleSet, tier: list[int], cols: Columns, convention: str) -> Tier:
    """rules x rows: where each rule of a tier applies, after the tier's stated priorities (``overrides``);
    and the rows some rule of the tier leaves undecided (needs an input; the notice leaves a bound open)."""
    cache: dict[tuple[object, ...], np.ndarray] = {}
    start_rules = rules.coverage.start_rules
    matrix = np.zeros((len(tier), len(cols)), bool)
    needs = np.zeros((len(tier), len(cols)), bool)
    unstated = np.zeros(len(cols), bool)
    inputs: list[frozenset[str]] = []
    for k, i in enumerate(tier):
        found = rule_mask(rules, start_rules[i], cols, convention, cache)
        matrix[k], needs[k] = found.holds, found.needs
        unstated |= found.open
        inputs.append(found.inputs)
    position = {start_rules[i].id: k for k, i in enumerate(tier)}
    winners = matrix.copy()
    for k, i in enumerate(tier):
        for other in start_rules[i].overrides:
            if other in position:  # where this rule applies, the one it overrides neither wins nor asks
                winners[position[other]] &= ~matrix[k]
                needs[position[other]] &= ~matrix[k]
    asked = frozenset(name for k, names in enumerate(inputs) if needs[k].any() for name in names)
    needs = needs.any(axis=0)
    return Tier(winners, needs, unstated & ~needs, asked)


@dataclass
class Selection:
    """The start rule of each row (-1: none), and the rows left undecided."""

    rule: np.ndarray
    needs: np.ndarray  # the person must give a date or fact a rule tests
    open: np.ndarray  # a rule tests a window bound the notice does not state
    inputs: frozenset[str] = frozenset()  # the dates and facts ``needs`` is about


def select(rules: RuleSet, cols: Columns, convention: str) -> Selection:
    """The start rule that applies to each row under the hit policy."""
    out = np.full(len(cols), -1, np.int64)
    needs_all = np.zeros(len(cols), bool)
    open_all = np.zeros(len(cols), bool)
    inputs: set[str] = set()
    for ci, circumstance in enumerate(CIRCUMSTANCES):
        rows = np.flatnonzero(cols.circ == ci)
        if not len(rows):
            continue
        sub = cols.take(rows)
        todo = np.ones(len(rows), bool)
        for tier in tiers(rules, circumstance):
            if not tier:
                continue
            found = tier_matrix(rules, tier, sub, convention)
            matrix, needs, unstated = found.matrix, found.needs, found.open
            needs_all[rows[todo & needs]] = True
            if (todo & needs).any():
                inputs |= found.inputs
            hit = todo & ~needs & matrix.any(axis=0)
            out[rows[hit]] = np.asarray(tier, np.int64)[matrix.argmax(axis=0)[hit]]
            stop = todo & ~hit & ~needs & unstated
            open_all[rows[stop]] = True
            todo &= ~hit & ~needs & ~unstated
    return Selection(out, needs_all, open_all, frozenset(inputs))


def resident_class(rules: RuleSet, cols: Columns) -> tuple[np.ndarray, np.ndarray, frozenset[str]]:
    """Each row's resident class (index, -1 where the file has none) and the rows that lack a fact the
    classes test. Classes are tried in the notice's order; the last one is everyone else."""
    classes = rules.financing.resident_classes
    out = np.full(len(cols), -1, np.int64)
    needs = np.zeros(len(cols), bool)
    todo = np.ones(len(cols), bool)
    cache: dict[tuple[object, ...], np.ndarray] = {}
    inputs: set[str] = set()
    for k, cls in enumerate(classes):
        found = conditions_mask(rules, cls.when, cols, "civil-code", cache, todo.copy())
        needs |= found.needs
        inputs |= found.inputs
        out[found.holds] = k
        todo &= ~found.holds & ~found.needs
    return out, needs, frozenset(inputs)


FACT_OF = {"student": "student", "rural_hukou": "rural_hukou", "years_uninsured_at_least": "years_uninsured",
           "years_uninsured_below": "years_uninsured", "insured_last_year": "years_uninsured",
           "age_at_least": "born", "age_below": "born"}


def person_conditions(rules: RuleSet) -> list[Condition]:
    """Every condition of the file's start rules, resident classes and assisted groups."""
    return [c for r in rules.coverage.start_rules for c in r.when] + [
        c for cls in rules.financing.resident_classes for c in cls.when] + [
        c for g in rules.assisted_groups for c in g.when]


def ineligible_groups(rules: RuleSet, cols: Columns) -> tuple[list[np.ndarray], np.ndarray, frozenset[str]]:
    """For each assisted group with conditions on the person (``when``): the rows where they do not hold;
    and the rows, and inputs, that lack a fact they test (asked only of people in the group's category)."""
    out = []
    needs = np.zeros(len(cols), bool)
    inputs: set[str] = set()
    cache: dict[tuple[object, ...], np.ndarray] = {}
    for group in rules.assisted_groups:
        if not group.when:
            out.append(np.zeros(len(cols), bool))
            continue
        member = np.array([group.category in c for c in cols.combos], bool)[cols.combo]
        found = conditions_mask(rules, group.when, cols, "civil-code", cache, member.copy())
        out.append(member & ~found.holds & ~found.needs)
        needs |= found.needs
        inputs |= found.inputs
    return out, needs, frozenset(inputs)


def needed_inputs(rules: RuleSet) -> list[str]:
    """The dates and facts the file's conditions test (besides the payment date), in a stable order."""
    conds = person_conditions(rules)
    out = {FACT_OF[c.kind] for c in conds if c.kind in FACT_OF}
    out |= {c.fact for c in conds if c.fact is not None}
    out |= {c.event or "born" for c in conds if c.kind in ("paid_within", "paid_after", "born_between",
                                                              "event_in_coverage_year", "event_before_coverage_year")}
    if any(r.starts.kind == "variable_wait" for r in rules.coverage.start_rules):
        out |= {"years_uninsured"} | ({"years_back_paid"} if any(r.starts.repairable for r in
                                                                  rules.coverage.start_rules) else set())
    return sorted(out - {"paid"})


# --- the start of cover -----------------------------------------------------------------------------------


def start_days(rules: RuleSet, rule: StartRule, cols: Columns, convention: str) -> np.ndarray | None:
    """The first day of cover a start rule gives each row, before clamping; None where the notice states none."""
    start = rule.starts
    paid = cols.paid
    if start.kind == "coverage_start":
        return np.full(len(paid), day(rules.coverage.period.start), np.int64)
    if start.kind == "event_day":
        return (paid if start.event == "paid" else cols.dates[start.event or ""]).copy()
    if start.kind == "payment_day":
        return paid.copy()
    if start.kind == "day_after_payment":
        return paid + 1
    if start.kind == "after_payment_period":
        return last_day(paid, start.length or 0, start.unit, convention) + (0 if start.include_bound else 1)
    if start.kind == "payment_month_start":
        return month_start(paid)
    if start.kind == "variable_wait":
        return waiting_last_day(start, cols, convention) + (0 if start.include_bound else 1)
    return None


def waiting_length(start: Start, cols: Columns) -> np.ndarray:
    """A variable waiting period: its fixed length, plus ``per_extra_year`` for each year without insurance
    after the first (less the years paid back, where repairable), and at least ``floor_length`` from
    ``floor_after_years`` years without insurance."""
    years = cols.facts["years_uninsured"]
    back = cols.facts["years_back_paid"] if start.repairable else np.zeros(len(cols), np.int64)
    extra = np.maximum(0, years - 1 - back) * (start.per_extra_year or 0)
    length = (start.length or 0) + extra
    if start.floor_after_years is not None:
        length = np.where(years >= start.floor_after_years, np.maximum(length, start.floor_length or 0), length)
    return length


def waiting_last_day(start: Start, cols: Columns, convention: str) -> np.ndarray:
    """The last day of a variable waiting period counted from payment."""
    return last_day(cols.paid, waiting_length(start, cols), start.unit, convention)


def start_needs(rules: RuleSet, rule_idx: np.ndarray, cols: Columns) -> tuple[np.ndarray, frozenset[str]]:
    """Rows whose start rule counts a waiting period from facts the person did not give: the years without
    insurance, and the years paid back where they could shorten it (two years or more, repairable)."""
    starts = [r.starts for r in rules.coverage.start_rules]
    variable = np.array([s.kind == "variable_wait" for s in starts] + [False])[rule_idx]
    repairable = np.array([s.kind == "variable_wait" and s.repairable for s in starts] + [False])[rule_idx]
    years = variable & cols.facts_missing["years_uninsured"]
    back = repairable & ~cols.facts_missing["years_uninsured"] & (cols.facts["years_uninsured"] >= 2) & \
        cols.facts_missing["years_back_paid"]
    inputs = {name for name, rows in (("years_uninsured", years), ("years_back_paid", back)) if rows.any()}
    return years | back, frozenset(inputs)


@dataclass
class Cover:
    """The cover each row gets: first and last day, days covered and days waited (known where ``known``)."""

    start: np.ndarray
    known: np.ndarray
    end: np.ndarray
    covered: np.ndarray
    waiting: np.ndarray
    before_period: np.ndarray  # rows whose cover the rule would start before the coverage period
    before_birth: np.ndarray  # rows whose cover the rule would start before the person was born


def cover(rules: RuleSet, rule_idx: np.ndarray, cols: Columns, convention: str) -> Cover:
    """First and last day of cover for rows whose start rule is ``rule_idx`` (-1: none).

    Cover is clamped to the coverage period unless the rule lets it start earlier, and never starts
    before the person is born. A waiting period counts the days from payment to the start of cover:
    the payment day is not counted under the Civil Code (第二百零一条), and counted under ``inclusive``.
    """
    start_rules = rules.coverage.start_rules
    period = rules.coverage.period
    n = len(cols)
    start = np.zeros(n, np.int64)
    known = np.zeros(n, bool)
    for i in np.unique(rule_idx[rule_idx >= 0]):
        rows = np.flatnonzero(rule_idx == i)
        days = start_days(rules, start_rules[i], cols.take(rows), convention)
        if days is not None:
            start[rows], known[rows] = days, True
    may_precede = np.array([r.may_precede_period for r in start_rules] + [False])[rule_idx]
    before_period = known & (start < day(period.start)) & ~may_precede
    start = np.where(before_period, day(period.start), start)
    born = cols.dates["born"]
    before_birth = known & ~cols.missing["born"] & (start < born)
    start = np.where(before_birth, born, start)
    ends = np.array([day(r.ends or period.end) for r in start_rules] + [0], np.int64)
    end = ends[rule_idx]
    covered = np.maximum(0, end - start + 1)
    waits = np.array([r.starts.kind in ("after_payment_period", "variable_wait") for r in start_rules]
                     + [False])[rule_idx]
    uncounted = 1 if convention == "civil-code" else 0
    waiting = np.where(waits, np.maximum(0, start - cols.paid - uncounted), 0)
    return Cover(start, known, end, covered, waiting, before_period, before_birth)


# --- the domain the table speaks about --------------------------------------------------------------------


def domain(rules: RuleSet) -> tuple[dt.date, dt.date]:
    """First and last payment day the table speaks about: from the first window's opening (a year before
    the coverage period where a window's opening is not stated) to the end of the coverage period, or
    later where a rule takes payments after it (``paid_after_period``, up to its longest period)."""
    period = rules.coverage.period
    starts = [w.start for w in rules.enrolment.windows]
    first = min(s for s in starts if s is not None) if all(starts) else period.start - dt.timedelta(days=366)
    last = period.end
    for rule in rules.coverage.start_rules:
        if any(c.kind == "paid_after_period" for c in rule.when):
            longest = max(((c.length or 0) * (31 if c.unit == "months" else 1)
                           for c in rule.when if c.kind == "paid_within"), default=0)
            last = max(last, period.end + dt.timedelta(days=longest or 366))
    return first, last
