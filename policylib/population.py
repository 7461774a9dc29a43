"""Quoting whole populations at once, and what a population costs each payer.

:func:`quote_many` gives, row by row, the same answers as :func:`policylib.engine.quote`, but works
on columns: what depends only on a person's set of categories (the assistance) is taken from the
engine once per distinct set, and everything that depends on dates (which start rule applies, from
which day cover starts) is computed with numpy on whole columns.

Input frame (one row per person):

* ``categories``: canonical category ids joined by ``+`` (``"dibao+orphan"``), ``""`` for none; a
  pandas ``Categorical`` of such strings is fastest. Tuples of ids are accepted too.
* ``circumstance``: one of :data:`policylib.engine.CIRCUMSTANCES`.
* ``paid``, ``born``, ``lapsed``, ``discharged``, ``released``: datetime64 columns, NaT where absent
  (a missing event column is read as all NaT).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from policylib import daycount, engine
from policylib.model import Condition, RuleSet, StartRule

__all__ = [
    "DATE_COLUMNS",
    "OUTPUT_COLUMNS",
    "add_months",
    "population_summary",
    "quote_many",
    "synthetic_people",
]

DATE_COLUMNS = ("paid", "born", "lapsed", "discharged", "released")
OUTPUT_COLUMNS = (
    "rule",
    "payable",
    "personal_due",
    "personal_due_is_upper_bound",
    "subsidy",
    "subsidy_payer",
    "total_premium",
    "coverage_start",
    "coverage_end",
    "covered_days",
    "waiting_days",
)
_EPOCH = dt.date(1970, 1, 1)


def _day(d: dt.date) -> int:
    """Days since 1970-01-01."""
    return (d - _EPOCH).days


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


def _year(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _month_day(days: np.ndarray) -> np.ndarray:
    """month * 100 + day, for comparing month-days."""
    month = days.astype("datetime64[D]").astype("datetime64[M]")
    day = days - month.astype("datetime64[D]").astype(np.int64) + 1
    return (month.astype(np.int64) % 12 + 1) * 100 + day


def _month_start(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _last_day(event: np.ndarray, length: int, unit: str, convention: str) -> np.ndarray:
    """Vectorized :func:`policylib.daycount.last_day`."""
    end = event + length if unit == "days" else add_months(event, length)
    return end if convention == "civil-code" else end - 1


# --- reading the input frame ------------------------------------------------------------------------------


def _days_column(people: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(int64 day numbers with 0 where missing, missing mask) of a date column."""
    n = len(people)
    if name not in people.columns:
        return np.zeros(n, np.int64), np.ones(n, bool)
    col = people[name]
    if not (isinstance(col.dtype, np.dtype) and col.dtype.kind == "M"):
        col = pd.to_datetime(col)
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        col = col.dt.tz_localize(None)
    days = col.to_numpy().astype("datetime64[D]").view(np.int64)
    missing = days == np.iinfo(np.int64).min
    return np.where(missing, 0, days), missing


def _codes(col: pd.Series) -> tuple[np.ndarray, list[object]]:
    """(integer codes, distinct values) of a column; code -1 for missing."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return np.asarray(col.cat.codes, dtype=np.int64), list(col.cat.categories)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return codes.astype(np.int64), list(uniques)


def _category_tuple(value: object) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ()
    if isinstance(value, str):
        return tuple(c for c in value.split("+") if c)
    return tuple(value)  # type: ignore[arg-type]


# --- what depends only on the category set ----------------------------------------------------------------


@dataclass(frozen=True)
class _Combo:
    cats: tuple[str, ...]
    error: bool
    help: engine.Assistance | None
    with_parents: frozenset[str]


def _combos(rules: RuleSet, values: list[object]) -> list[_Combo]:
    parents, _ = engine._category_tree()
    out = []
    for value in [*values, ""]:  # the last entry stands for code -1 (no categories)
        cats = _category_tuple(value)
        try:
            help_ = engine.assistance(rules, tuple(sorted(set(cats))))
            error = False
        except engine.InputError:
            help_, error = None, True
        with_parents = frozenset(cats) | {p for c in cats if (p := parents.get(c))}
        out.append(_Combo(cats, error, help_, with_parents))
    return out


# --- quoting ----------------------------------------------------------------------------------------------


def _condition(
    rules: RuleSet,
    cond: Condition,
    paid: np.ndarray,
    event: np.ndarray,
    convention: str,
    cache: dict[tuple[object, ...], np.ndarray],
) -> np.ndarray:
    """Vectorized ``engine._matches`` on rows whose event date is known."""
    windows = {w.id: w for w in rules.enrolment.windows}
    if cond.kind == "paid_in_window":
        window = windows[cond.window or ""]
        ok = paid <= _day(window.end)
        return ok if window.start is None else ok & (paid >= _day(window.start))
    if cond.kind == "paid_after_window":
        return paid > _day(windows[cond.window or ""].end)
    if cond.kind in ("paid_within", "paid_after"):
        key = ("last", cond.event, cond.length, cond.unit)
        if key not in cache:
            cache[key] = _last_day(event, cond.length or 0, cond.unit, convention)
        last = cache[key]
        if cond.kind == "paid_within":
            return (paid >= event) & ((paid <= last) if cond.include_bound else (paid < last))
        return (paid >= last) if cond.include_bound else (paid > last)
    if cond.kind == "born_between":
        key = ("month_day", cond.event or "born")
        if key not in cache:
            cache[key] = _month_day(event)
        lo = int((cond.from_month_day or "").replace("-", ""))
        hi = int((cond.to_month_day or "").replace("-", ""))
        return (cache[key] >= lo) & (cache[key] <= hi)
    if cond.kind in ("event_in_coverage_year", "event_before_coverage_year"):
        key = ("year", cond.event or "born")
        if key not in cache:
            cache[key] = _year(event)
        year = rules.coverage_year if cond.kind == "event_in_coverage_year" else rules.coverage_year - 1
        return cache[key] == year
    raise ValueError(f"unknown condition kind {cond.kind}")


def _start(
    rules: RuleSet, rule: StartRule, paid: np.ndarray, dates: dict[str, np.ndarray], convention: str
) -> np.ndarray | None:
    """Vectorized ``engine.start_date``; None where the notice states no start."""
    start = rule.starts
    if start.kind == "coverage_start":
        return np.full(len(paid), _day(rules.coverage.period.start), np.int64)
    if start.kind == "event_day":
        return (paid if start.event == "paid" else dates[start.event or ""]).copy()
    if start.kind == "payment_day":
        return paid.copy()
    if start.kind == "day_after_payment":
        return paid + 1
    if start.kind == "after_payment_period":
        return _last_day(paid, start.length or 0, start.unit, convention) + (0 if start.include_bound else 1)
    if start.kind == "payment_month_start":
        return _month_start(paid)
    return None


def _person(people: pd.DataFrame, position: int) -> engine.Person:
    row = people.iloc[position]

    def date_of(name: str) -> dt.date | None:
        value = row.get(name)
        return None if value is None or pd.isna(value) else pd.Timestamp(value).date()

    circumstance = row.get("circumstance")
    return engine.Person(
        categories=_category_tuple(row.get("categories")),
        circumstance=circumstance if isinstance(circumstance, str) else "",
        **{name: date_of(name) for name in DATE_COLUMNS},
    )


def _raise_for_row(rules: RuleSet, people: pd.DataFrame, position: int, convention: str) -> None:
    label = people.index[position]
    try:
        engine.quote(rules, _person(people, position), convention)  # type: ignore[arg-type]
    except engine.InputError as exc:
        message = str(exc).removeprefix(f"{exc.argument}: ")
        raise engine.InputError(exc.argument, f"row {label!r}: {message}") from exc
    raise engine.InputError("people", f"row {label!r} cannot be quoted")


def _int_array(values: np.ndarray, missing: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def _date_array(days: np.ndarray, missing: np.ndarray) -> np.ndarray:
    out = np.where(missing, np.iinfo(np.int64).min, days).view("datetime64[D]")
    return out.astype("datetime64[ns]")


def quote_many(
    rules: RuleSet, people: pd.DataFrame, convention: daycount.Convention = daycount.DEFAULT_CONVENTION
) -> pd.DataFrame:
    """Quote every row of ``people`` as :func:`policylib.engine.quote` would, on whole columns.

    Returns a frame on the same index with :data:`OUTPUT_COLUMNS`: ``rule`` and ``subsidy_payer`` as
    categoricals (NA where the quote has None), ``payable`` as nullable boolean, amounts and day counts
    as nullable ``Int64`` (NA where the notice states nothing), dates as datetime64 (NaT).
    Raises :class:`policylib.engine.InputError` naming the first row that ``quote`` would reject.
    """
    if convention not in daycount.CONVENTIONS:
        choices = ", ".join(daycount.CONVENTIONS)
        raise engine.InputError("--day-count", f"unknown convention '{convention}'; choices: {choices}")
    n = len(people)
    period = rules.coverage.period
    period_start, period_end = _day(period.start), _day(period.end)

    # Per category set: the engine's assistance, once per distinct set.
    cat_codes, cat_values = (
        _codes(people["categories"]) if "categories" in people.columns else (np.full(n, -1, np.int64), [])
    )
    combos = _combos(rules, cat_values)
    n_combos = len(combos)
    cat_codes = np.where(cat_codes < 0, n_combos - 1, cat_codes)

    circ_codes, circ_values = _codes(people["circumstance"]) if "circumstance" in people.columns else (
        np.full(n, -1, np.int64), [])
    circ_index = np.array(
        [engine.CIRCUMSTANCES.index(v) if v in engine.CIRCUMSTANCES else -1 for v in circ_values] + [-1], np.int64
    )
    circ = circ_index[circ_codes]  # code -1 picks the trailing -1

    dates: dict[str, np.ndarray] = {}
    missing: dict[str, np.ndarray] = {}
    for name in DATE_COLUMNS:
        dates[name], missing[name] = _days_column(people, name)
    paid = dates["paid"]

    # Rows that engine.quote rejects before looking at the rules (engine._check_person, engine.assistance).
    bad = (circ < 0) | missing["paid"]
    bad |= np.array([c.error for c in combos])[cat_codes]
    for circumstance, event in engine.EVENT_FOR.items():
        rows = circ == engine.CIRCUMSTANCES.index(circumstance)
        bad |= rows & (missing[event] | (dates[event] > paid))
    bad |= ~missing["born"] & (dates["born"] > paid)

    # Which start rule applies: rules in file order, first match wins, per circumstance.
    start_rules = rules.coverage.start_rules
    rule_idx = np.full(n, -1, np.int64)
    start = np.zeros(n, np.int64)
    start_known = np.zeros(n, bool)
    eligible = ~missing["paid"] & (paid <= period_end)
    for ci, circumstance in enumerate(engine.CIRCUMSTANCES):
        own = engine.rules_in_order(rules, circumstance)
        if not own:
            continue
        rows = np.flatnonzero((circ == ci) & eligible)
        if not len(rows):
            continue
        sub_paid = paid[rows]
        sub_combo = cat_codes[rows]
        used = {c.event or "born" for _, r in own for c in r.when if c.kind not in ("paid_in_window",
                                                                               "paid_after_window")}
        used |= {r.starts.event for _, r in own if r.starts.kind == "event_day"}
        used &= set(engine.EVENTS)
        sub_dates = {name: dates[name][rows] for name in used}
        sub_missing = {name: missing[name][rows] for name in used}
        alive = np.ones(len(rows), bool)
        cache: dict[tuple[object, ...], np.ndarray] = {}
        for i, rule in own:
            reach = alive.copy()
            if rule.categories:
                wanted = set(rule.categories)
                reach &= np.array([bool(c.with_parents & wanted) for c in combos])[sub_combo]
            for cond in rule.when:
                if cond.kind in ("paid_in_window", "paid_after_window"):
                    reach &= _condition(rules, cond, sub_paid, sub_paid, convention, cache)
                    continue
                event = cond.event or "born"
                if event == "paid":
                    values, absent = sub_paid, np.zeros(len(rows), bool)
                else:
                    values, absent = sub_dates[event], sub_missing[event]
                bad[rows[reach & absent]] = True
                reach &= ~absent & _condition(rules, cond, sub_paid, values, convention, cache)
            hit = np.flatnonzero(reach)
            alive[hit] = False
            rule_idx[rows[hit]] = i
            starts = _start(
                rules, rule, sub_paid[hit], {name: sub_dates[name][hit] for name in used}, convention
            )
            if starts is not None:
                start[rows[hit]] = starts
                start_known[rows[hit]] = True

    if bad.any():
        _raise_for_row(rules, people, int(np.argmax(bad)), convention)

    # Money: a table over (rule + 1, category set), looked up once per row.
    fin = rules.financing
    contribution = fin.personal_contribution.amount
    fiscal = fin.fiscal_subsidy.amount
    late = fin.late_payer_total.amount
    shape = (len(start_rules) + 1, n_combos)
    due = np.zeros(shape, np.int64)
    due_na = np.ones(shape, bool)
    upper = np.zeros(shape, bool)
    sub = np.zeros(shape, np.int64)
    sub_na = np.ones(shape, bool)
    total = np.zeros(shape, np.int64)
    total_na = np.ones(shape, bool)
    payers: list[str] = []
    payer_code = np.full(shape, -1, np.int64)

    def put(table: np.ndarray, na: np.ndarray, i: int, j: int, value: int | None) -> None:
        if value is not None:
            table[i, j], na[i, j] = value, False

    for i, rule in enumerate(start_rules, start=1):
        for j, combo in enumerate(combos):
            if rule.due == "standard":
                help_ = combo.help
                if help_ is None:  # an invalid category set; such rows have raised above
                    continue
                put(sub, sub_na, i, j, help_.amount)
                if help_.payer is not None:
                    if help_.payer not in payers:
                        payers.append(help_.payer)
                    payer_code[i, j] = payers.index(help_.payer)
                if contribution is not None and help_.amount is not None:
                    put(due, due_na, i, j, contribution - min(help_.amount, contribution))
                    upper[i, j] = help_.upper_bound
                if contribution is not None and fiscal is not None:
                    put(total, total_na, i, j, contribution + fiscal)
            elif rule.due == "personal_contribution":
                put(due, due_na, i, j, contribution)
                put(sub, sub_na, i, j, 0)
                if contribution is not None and fiscal is not None:
                    put(total, total_na, i, j, contribution + fiscal)
            elif rule.due == "late_payer_total":
                put(due, due_na, i, j, late)
                put(sub, sub_na, i, j, 0)
                put(total, total_na, i, j, late)

    cell = (rule_idx + 1) * n_combos + cat_codes
    has_rule = rule_idx >= 0

    # Cover: clamp to the coverage period, count the days.
    ends = np.array([_day(r.ends or period.end) for r in start_rules] + [0], np.int64)
    may_precede = np.array([r.may_precede_period for r in start_rules] + [False])
    waits = np.array([r.starts.kind == "after_payment_period" for r in start_rules] + [False])
    end = ends[rule_idx]
    start = np.where(start_known & (start < period_start) & ~may_precede[rule_idx], period_start, start)
    covered = np.maximum(0, end - start + 1)
    waiting = np.where(waits[rule_idx], np.maximum(0, start - paid - 1), 0)

    payable = pd.arrays.BooleanArray(has_rule, ~has_rule & (paid <= period_end))
    rule_names = [r.id for r in start_rules]
    out = pd.DataFrame(
        {
            "rule": pd.Categorical.from_codes(rule_idx, categories=pd.Index(rule_names, dtype=object)),
            "payable": payable,
            "personal_due": _int_array(due.ravel()[cell], due_na.ravel()[cell]),
            "personal_due_is_upper_bound": upper.ravel()[cell],
            "subsidy": _int_array(sub.ravel()[cell], sub_na.ravel()[cell]),
            "subsidy_payer": pd.Categorical.from_codes(
                payer_code.ravel()[cell], categories=pd.Index(payers, dtype=object)
            ),
            "total_premium": _int_array(total.ravel()[cell], total_na.ravel()[cell]),
            "coverage_start": _date_array(start, ~start_known),
            "coverage_end": _date_array(end, ~has_rule),
            "covered_days": _int_array(covered, ~start_known),
            "waiting_days": _int_array(waiting, ~start_known),
        },
        index=people.index,
        copy=False,
    )
    return out


# --- synthetic populations --------------------------------------------------------------------------------


def synthetic_people(rules: RuleSet, n: int, seed: int) -> pd.DataFrame:
    """A reproducible random population for one jurisdiction-year, valid for :func:`quote_many`.

    Categories come from the file's assisted (and excluded) groups: about 80% have none, 15% one and
    5% two. Circumstances are mostly ``regular``, then the others the file has start rules for, and a
    few it has none for. Two thirds of payments fall inside an enrolment window, the rest anywhere from
    45 days before the first window to 45 days after the coverage year; event dates fall in the year
    before or in the coverage year, with payment 0-200 days later. Half the adults carry a birth date.
    """
    rng = np.random.default_rng(seed)
    singles = sorted({g.category for g in rules.assisted_groups} | {g.category for g in rules.excluded_groups})
    pairs = [f"{a}+{b}" for k, a in enumerate(singles) for b in singles[k + 1:]]
    combos = ["", *singles, *pairs]
    weights = np.array([0.80] + [0.15 / len(singles)] * len(singles) + [0.05 / len(pairs)] * len(pairs)
                       if pairs else [0.85] + [0.15 / len(singles)] * len(singles) if singles else [1.0])
    cat_codes = rng.choice(len(combos), size=n, p=weights / weights.sum())

    ruled = {r.circumstance for r in rules.coverage.start_rules} - {"regular"}
    unruled = set(engine.CIRCUMSTANCES) - ruled - {"regular"}
    circ_weights = np.array([
        0.70 if c == "regular" else 0.25 / max(1, len(ruled)) if c in ruled else 0.05 / max(1, len(unruled))
        for c in engine.CIRCUMSTANCES
    ])
    circ = rng.choice(len(engine.CIRCUMSTANCES), size=n, p=circ_weights / circ_weights.sum())

    period = rules.coverage.period
    windows = [(_day(w.start), _day(w.end)) for w in rules.enrolment.windows if w.start is not None]
    lo = min([s for s, _ in windows] + [_day(period.start)]) - 45
    hi = _day(period.end) + 45
    paid = rng.integers(lo, hi + 1, size=n)
    if windows:  # two thirds pay inside a window
        pick = rng.integers(0, len(windows), size=n)
        starts = np.array([s for s, _ in windows])[pick]
        spans = np.array([e - s + 1 for s, e in windows])[pick]
        in_window = starts + (rng.random(n) * spans).astype(np.int64)
        paid = np.where(rng.random(n) < 2 / 3, in_window, paid)
    event = rng.integers(_day(period.start) - 365, _day(period.end) + 1, size=n)
    lag = np.where(rng.random(n) < 0.5, rng.integers(0, 100, size=n), rng.integers(0, 201, size=n))
    nat = np.iinfo(np.int64).min
    columns: dict[str, np.ndarray] = {name: np.full(n, nat, np.int64) for name in DATE_COLUMNS}
    has_event = np.zeros(n, bool)
    for circumstance, name in engine.EVENT_FOR.items():
        rows = circ == engine.CIRCUMSTANCES.index(circumstance)
        columns[name][rows] = event[rows]
        has_event |= rows
    columns["paid"] = np.where(has_event, event + lag, paid)
    adult = ~(circ == engine.CIRCUMSTANCES.index("newborn")) & (rng.random(n) < 0.5)
    adult_birth = rng.integers(_day(dt.date(1940, 1, 1)), _day(dt.date(2005, 12, 31)) + 1, size=n)
    columns["born"][adult] = adult_birth[adult]
    frame = {
        "categories": pd.Categorical.from_codes(cat_codes, categories=pd.Index(combos, dtype=object)),
        "circumstance": pd.Categorical.from_codes(circ, categories=pd.Index(engine.CIRCUMSTANCES, dtype=object)),
    }
    for name in DATE_COLUMNS:
        frame[name] = columns[name].view("datetime64[D]").astype("datetime64[ns]")
    return pd.DataFrame(frame)


# --- who pays what ----------------------------------------------------------------------------------------


def _payer_kind(payer: object) -> str:
    return str(payer).split(" (", 1)[0] if isinstance(payer, str) else "not_stated"


def _mix_quotes(
    rules: RuleSet, mix: Mapping[object, int] | pd.Series | pd.DataFrame, circumstance: str, paid: dt.date | None,
    convention: daycount.Convention,
) -> tuple[pd.DataFrame, np.ndarray]:
    if isinstance(mix, pd.DataFrame):
        items = list(zip(mix["categories"], mix["count"], strict=True))
    else:
        items = list(mix.items())
    day = paid or rules.enrolment.windows[0].end
    people = pd.DataFrame({
        "categories": pd.Series(["+".join(_category_tuple(k)) for k, _ in items], dtype=object),
        "circumstance": pd.Series([circumstance] * len(items), dtype=object),
        "paid": pd.Series([pd.Timestamp(day)] * len(items), dtype="datetime64[ns]"),
    })
    return quote_many(rules, people, convention), np.array([int(c) for _, c in items], np.int64)


def population_summary(
    rules: RuleSet,
    people_or_mix: pd.DataFrame | Mapping[object, int] | pd.Series,
    *,
    circumstance: str = "regular",
    paid: dt.date | None = None,
    convention: daycount.Convention = daycount.DEFAULT_CONVENTION,
) -> pd.DataFrame:
    """Who pays what in total for a population: individuals, assistance by payer kind, fiscal subsidy by level.

    ``people_or_mix`` is a :func:`quote_many` result, a people frame (quoted first), or counts per
    category combination (a mapping or Series from ``"a+b"`` / tuples to counts, or a frame with
    ``categories`` and ``count``); counts are quoted as ``circumstance`` paying on ``paid`` (default:
    the end of the first enrolment window).

    One row per flow and payer, over people the notice enrols (``payable`` True), plus rows counting
    those it does not: ``people``, ``people_unknown`` (amount not stated), ``known_amount`` (sum over
    stated amounts), ``amount`` (the total, NA when any amount is unknown) and ``bound`` (``exact``,
    ``at_least`` for 不低于 floors, ``at_most`` where the amount due is an upper bound).
    Individuals + assistance + fiscal subsidy add up to the total premium where all are stated.
    """
    if isinstance(people_or_mix, pd.DataFrame) and "personal_due" in people_or_mix.columns:
        quotes, weight = people_or_mix, np.ones(len(people_or_mix), np.int64)
    elif isinstance(people_or_mix, pd.DataFrame) and "paid" in people_or_mix.columns:
        quotes, weight = quote_many(rules, people_or_mix, convention), np.ones(len(people_or_mix), np.int64)
    else:
        quotes, weight = _mix_quotes(rules, people_or_mix, circumstance, paid, convention)

    enrolled = quotes["payable"].astype("boolean").fillna(False).to_numpy(bool)
    q = quotes[enrolled]
    w = weight[enrolled]
    rows: list[dict[str, object]] = []

    def line(flow: str, payer: str, values: np.ndarray, na: np.ndarray, weights: np.ndarray, bound: str) -> None:
        known = int((np.where(na, 0, values) * weights).sum())
        unknown = int(weights[na].sum())
        rows.append({"flow": flow, "payer": payer, "people": int(weights.sum()), "people_unknown": unknown,
                     "known_amount": known, "amount": pd.NA if unknown else known, "bound": bound})

    def ints(name: str) -> tuple[np.ndarray, np.ndarray]:
        arr = pd.array(q[name], dtype="Int64")
        return arr.to_numpy(np.int64, na_value=0), np.asarray(arr.isna(), bool)

    upper = (q["personal_due_is_upper_bound"].to_numpy(bool) if "personal_due_is_upper_bound" in q.columns
             else np.zeros(len(q), bool))
    line("individuals", "individuals", *ints("personal_due"), w, "at_most" if upper.any() else "exact")

    # Assistance, by the kind of payer named before " (" in subsidy_payer.
    subsidy, subsidy_na = ints("subsidy")
    payer_codes, payer_values = _codes(q["subsidy_payer"])
    kind_names = [*dict.fromkeys(_payer_kind(p) for p in [*payer_values, None])]
    kind_of = np.array([kind_names.index(_payer_kind(p)) for p in [*payer_values, None]], np.int64)
    kinds = kind_of[payer_codes]  # code -1 picks the trailing None: not_stated
    helped = subsidy_na | (subsidy != 0)
    for k, kind in enumerate(kind_names):
        pick = helped & (kinds == k)
        if pick.any():
            bound = "at_least" if upper[pick].any() else "exact"
            line("assistance", kind, subsidy[pick], subsidy_na[pick], w[pick], bound)

    # Fiscal subsidy: stated per person for the standard and personal-contribution dues; a late payer
    # pays it themselves; unknown where the rule states no due.
    fin = rules.financing
    dues = {r.id: r.due for r in rules.coverage.start_rules}
    rule_codes, rule_values = _codes(q["rule"])
    due_of = np.array([dues.get(str(v), "not_stated") for v in rule_values] + ["not_stated"], dtype=object)
    due = due_of[rule_codes]
    subsidised = (due == "standard") | (due == "personal_contribution")
    late = due == "late_payer_total"
    fiscal_bound = "at_least" if fin.fiscal_subsidy.at_least else "exact"

    def fiscal_line(payer: str, each: int | None) -> None:
        values = np.where(subsidised, each or 0, 0)
        na = ~(late | (subsidised & (each is not None)))
        line("fiscal_subsidy", payer, values, na, w, fiscal_bound)

    fiscal = fin.fiscal_subsidy.amount
    fiscal_line("all_levels", fiscal)
    shares = fin.subsidy_split.shares if fin.subsidy_split.stated else []
    ratio_total = sum(s.ratio or 0 for s in shares)
    for share in shares:
        each = share.amount
        if each is None and share.ratio and fiscal is not None and ratio_total:
            whole = not fiscal * share.ratio % ratio_total  # a split into whole yuan; otherwise left unknown
            each = fiscal * share.ratio // ratio_total if whole else None
        fiscal_line(share.level, each)

    line("total_premium", "total", *ints("total_premium"), w, fiscal_bound)

    payable = quotes["payable"].astype("boolean")
    for reason, pick in (("payment_after_coverage_period", (~payable).fillna(False)),
                         ("no_rule_stated", payable.isna())):
        count = int(weight[np.asarray(pick, bool)].sum())
        if count:
            rows.append({"flow": "not_enrolled", "payer": reason, "people": count, "people_unknown": count,
                         "known_amount": pd.NA, "amount": pd.NA, "bound": "exact"})
    out = pd.DataFrame(rows)
    for col in ("known_amount", "amount"):
        out[col] = out[col].astype("Int64")
    return out
