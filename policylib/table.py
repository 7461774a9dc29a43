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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from policylib.model import Condition, RuleSet, StartRule

CIRCUMSTANCES = ("regular", "newborn", "employee_lapse", "veteran", "released_prisoner", "migrant_worker")
EVENT_FOR = {"newborn": "born", "employee_lapse": "lapsed", "veteran": "discharged", "released_prisoner": "released"}
# Dates a row may carry: the events of the circumstances, and the day an assisted status was recognised
# (身份认定; absent: held before the collection window opened).
EVENTS = ("born", "lapsed", "discharged", "released", "recognised")
_EPOCH = dt.date(1970, 1, 1)


def day(d: dt.date) -> int:
    """Days since 1970-01-01."""
    return (d - _EPOCH).days


def date_of(days: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(days))


# --- calendar arithmetic on int64 day numbers -------------------------------------------------------------


def add_months(days: np.ndarray, months: int) -> np.ndarray:
    """Add ``months`` to int64 day numbers like ``dateutil.relativedelta``: same day, clipped to month end."""
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    first = month.astype("datetime64[D]").astype(np.int64)
    day_index = days - first  # 0-based day of the month
    target = month + np.timedelta64(months, "M")
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


def last_day(event: np.ndarray, length: int, unit: str, convention: str) -> np.ndarray:
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
        )


def one(
    circumstance: str, categories: frozenset[str], paid: dt.date, dates: dict[str, dt.date | None]
) -> Columns:
    """A population of one."""
    return Columns(
        np.array([day(paid)], np.int64),
        {e: np.array([day(d) if (d := dates.get(e)) else 0], np.int64) for e in EVENTS},
        {e: np.array([dates.get(e) is None]) for e in EVENTS},
        np.array([CIRCUMSTANCES.index(circumstance) if circumstance in CIRCUMSTANCES else -1], np.int64),
        np.zeros(1, np.int64),
        [categories],
    )


# --- conditions and rules ---------------------------------------------------------------------------------


def _windows(rules: RuleSet) -> dict[str, tuple[int | None, int]]:
    return {w.id: (None if w.start is None else day(w.start), day(w.end)) for w in rules.enrolment.windows}


def condition(rules: RuleSet, cond: Condition, cols: Columns, convention: str,
              cache: dict[tuple[object, ...], np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """Where one condition holds, and where it cannot be told because the row lacks the date it tests
    (None where the condition tests no such date). A missing recognition date means a status long held."""
    paid = cols.paid
    if cond.kind in ("paid_in_window", "paid_after_window", "recognised_after_window"):
        start, end = _windows(rules)[cond.window or ""]
        if cond.kind == "paid_after_window":
            return paid > end, None
        if cond.kind == "recognised_after_window":
            return ~cols.missing["recognised"] & (cols.dates["recognised"] > end), None
        ok = paid <= end
        return (ok if start is None else ok & (paid >= start)), None
    if cond.kind == "paid_after_period":
        return paid > day(rules.coverage.period.end), None
    name = cond.event or "born"
    event = paid if name == "paid" else cols.dates[name]
    absent = None if name == "paid" else cols.missing[name]
    if cond.kind in ("paid_within", "paid_after"):
        key = ("last", name, cond.length, cond.unit)
        if key not in cache:
            cache[key] = last_day(event, cond.length or 0, cond.unit, convention)
        last = cache[key]
        if cond.kind == "paid_within":
            return (paid >= event) & ((paid <= last) if cond.include_bound else (paid < last)), absent
        return ((paid >= last) if cond.include_bound else (paid > last)), absent
    if cond.kind == "born_between":
        key = ("month_day", name)
        if key not in cache:
            cache[key] = month_day(event)
        lo = int((cond.from_month_day or "").replace("-", ""))
        hi = int((cond.to_month_day or "").replace("-", ""))
        return (cache[key] >= lo) & (cache[key] <= hi), absent
    if cond.kind in ("event_in_coverage_year", "event_before_coverage_year"):
        key = ("year", name)
        if key not in cache:
            cache[key] = year_of(event)
        if cond.kind == "event_in_coverage_year":
            return cache[key] == rules.coverage_year, absent
        return cache[key] < rules.coverage_year, absent
    raise ValueError(f"unknown condition kind {cond.kind}")


def rule_mask(rules: RuleSet, rule: StartRule, cols: Columns, convention: str,
              cache: dict[tuple[object, ...], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Where every condition of a rule holds (its categories, its conditions, and its payment period),
    and where the rule would hold but for a date the row lacks (an input the person must give)."""
    reach = np.ones(len(cols), bool)
    unknown = np.zeros(len(cols), bool)
    if not any(c.kind == "paid_after_period" for c in rule.when):
        reach &= cols.paid <= day(rules.coverage.period.end)
    if rule.categories:
        wanted = set(rule.categories)
        reach &= np.array([bool(c & wanted) for c in cols.combos], bool)[cols.combo]
    for cond in rule.when:
        holds, absent = condition(rules, cond, cols, convention, cache)
        if absent is None:
            reach &= holds
        else:
            reach &= holds | absent
            unknown |= absent
    return reach & ~unknown, reach & unknown


def tiers(rules: RuleSet, circumstance: str) -> list[list[int]]:
    """The rule indices tried for a circumstance, tier by tier: its own rules, then the ordinary residents'."""
    own = [i for i, r in enumerate(rules.coverage.start_rules) if r.circumstance == circumstance]
    if circumstance == "regular":
        return [own]
    return [own, [i for i, r in enumerate(rules.coverage.start_rules) if r.circumstance == "regular"]]


def tier_matrix(rules: RuleSet, tier: list[int], cols: Columns, convention: str) -> tuple[np.ndarray, np.ndarray]:
    """rules x rows: where each rule of a tier matches, after the tier's stated priorities (``overrides``);
    and the rows that some rule of the tier cannot be decided for, for want of a date."""
    cache: dict[tuple[object, ...], np.ndarray] = {}
    start_rules = rules.coverage.start_rules
    matrix = np.zeros((len(tier), len(cols)), bool)
    needs = np.zeros(len(cols), bool)
    for k, i in enumerate(tier):
        matrix[k], undecided = rule_mask(rules, start_rules[i], cols, convention, cache)
        needs |= undecided
    position = {start_rules[i].id: k for k, i in enumerate(tier)}
    winners = matrix.copy()
    for k, i in enumerate(tier):
        for other in start_rules[i].overrides:
            if other in position:
                winners[position[other]] &= ~matrix[k]
    return winners, needs


def select(rules: RuleSet, cols: Columns, convention: str) -> tuple[np.ndarray, np.ndarray]:
    """The index of the start rule that applies to each row under the hit policy (-1 where none does), and
    the rows that cannot be decided because they lack a date a rule tests."""
    out = np.full(len(cols), -1, np.int64)
    undecided = np.zeros(len(cols), bool)
    for ci, circumstance in enumerate(CIRCUMSTANCES):
        rows = np.flatnonzero(cols.circ == ci)
        if not len(rows):
            continue
        sub = cols.take(rows)
        todo = np.ones(len(rows), bool)
        for tier in tiers(rules, circumstance):
            if not tier:
                continue
            matrix, needs = tier_matrix(rules, tier, sub, convention)
            undecided[rows[todo & needs]] = True
            hit = todo & ~needs & matrix.any(axis=0)
            out[rows[hit]] = np.asarray(tier, np.int64)[matrix.argmax(axis=0)[hit]]
            todo &= ~hit & ~needs
    return out, undecided


def needed_dates(rules: RuleSet) -> set[str]:
    """The dates the file's conditions test (besides the payment date)."""
    return {c.event or "born" for r in rules.coverage.start_rules for c in r.when
            if c.kind in ("paid_within", "paid_after", "born_between", "event_in_coverage_year",
                          "event_before_coverage_year")} - {"paid"}


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
    return None


@dataclass
class Cover:
    """The cover each row gets: first and last day, days covered and days waited (known where ``known``)."""

    start: np.ndarray
    known: np.ndarray
    end: np.ndarray
    covered: np.ndarray
    waiting: np.ndarray
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
    start = np.where(known & (start < day(period.start)) & ~may_precede, day(period.start), start)
    born = cols.dates["born"]
    before_birth = known & ~cols.missing["born"] & (start < born)
    start = np.where(before_birth, born, start)
    ends = np.array([day(r.ends or period.end) for r in start_rules] + [0], np.int64)
    end = ends[rule_idx]
    covered = np.maximum(0, end - start + 1)
    waits = np.array([r.starts.kind == "after_payment_period" for r in start_rules] + [False])[rule_idx]
    uncounted = 1 if convention == "civil-code" else 0
    waiting = np.where(waits, np.maximum(0, start - cols.paid - uncounted), 0)
    return Cover(start, known, end, covered, waiting, before_birth)


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
            longest = max((c.length or 0) * (31 if c.unit == "months" else 1)
                          for c in rule.when if c.kind in ("paid_within",)) if rule.when else 0
            last = max(last, period.end + dt.timedelta(days=longest or 366))
    return first, last
