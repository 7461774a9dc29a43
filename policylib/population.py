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

from policylib import daycount, engine, table
from policylib.model import RuleSet
from policylib.table import add_months

__all__ = [
    "DATE_COLUMNS",
    "OUTPUT_COLUMNS",
    "add_months",
    "population_summary",
    "quote_many",
    "synthetic_people",
]

DATE_COLUMNS = ("paid", *table.EVENTS)
OUTPUT_COLUMNS = (
    "rule",
    "resident_class",
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
_day = table.day


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


def _fact_column(people: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(int64 values with 0 where missing, missing mask) of a fact column (booleans as 0/1)."""
    n = len(people)
    if name not in people.columns:
        return np.zeros(n, np.int64), np.ones(n, bool)
    values = pd.array(people[name].astype(object).where(people[name].notna(), None), dtype="Int64")
    return values.to_numpy(np.int64, na_value=0), np.asarray(values.isna(), bool)


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
    excluded: bool  # a category the notice excludes from enrolment
    unaddressed: bool  # a status the notice says nothing of (whether such a person enrols is not stated)
    class_index: int  # resident class (-1: the file prices everyone alike)


def _combos(rules: RuleSet, keys: list[tuple[tuple[str, ...], tuple[bool, ...], int, tuple[str, ...]]]
            ) -> list[_Combo]:
    """Per (category set, which assistance-timing rules the recognition date passes, resident class, groups
    whose conditions on the person fail): the engine's answers."""
    parents, _ = engine._category_tree()
    out = []
    for cats, late, class_index, ineligible in keys:
        cats = tuple(sorted(set(cats)))
        try:
            help_ = engine.assistance(rules, cats, engine.deferred_by_timing(rules, cats, late), class_index,
                                      ineligible)
            error = False
        except engine.InputError:
            help_, error = None, True
        with_parents = frozenset(cats) | {p for c in cats if (p := parents.get(c))}
        unaddressed = not error and bool(engine.unaddressed_status(rules, cats))
        excluded = not error and not unaddressed and bool(engine.excluded_from_enrolment(rules, cats))
        out.append(_Combo(cats, error, help_, with_parents, excluded, unaddressed, class_index))
    return out


# --- quoting ----------------------------------------------------------------------------------------------


def _person(people: pd.DataFrame, position: int) -> engine.Person:
    row = people.iloc[position]

    def date_of(name: str) -> dt.date | None:
        value = row.get(name)
        return None if value is None or pd.isna(value) else pd.Timestamp(value).date()

    def fact_of(name: str) -> int | bool | None:
        value = row.get(name)
        if value is None or pd.isna(value):
            return None
        return bool(value) if name in table.BOOL_FACTS else int(value)

    circumstance = row.get("circumstance")
    return engine.Person(
        categories=_category_tuple(row.get("categories")),
        circumstance=circumstance if isinstance(circumstance, str) else "",
        **{name: date_of(name) for name in DATE_COLUMNS},
        **{name: fact_of(name) for name in table.FACTS},  # type: ignore[arg-type]
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

    dates: dict[str, np.ndarray] = {}
    missing: dict[str, np.ndarray] = {}
    for name in DATE_COLUMNS:
        dates[name], missing[name] = _days_column(people, name)
    paid = dates["paid"]
    facts: dict[str, np.ndarray] = {}
    facts_missing: dict[str, np.ndarray] = {}
    for name in table.FACTS:
        facts[name], facts_missing[name] = _fact_column(people, name)

    circ_codes, circ_values = _codes(people["circumstance"]) if "circumstance" in people.columns else (
        np.full(n, -1, np.int64), [])
    circ_index = np.array(
        [engine.CIRCUMSTANCES.index(v) if v in engine.CIRCUMSTANCES else -1 for v in circ_values] + [-1], np.int64
    )
    circ = circ_index[circ_codes]  # code -1 picks the trailing -1

    # Rows that engine.quote rejects before looking at the rules (engine._check_person).
    bad = (circ < 0) | missing["paid"]
    for circumstance, event in engine.EVENT_FOR.items():
        rows = circ == engine.CIRCUMSTANCES.index(circumstance)
        bad |= rows & (missing[event] | (dates[event] > paid))
    bad |= ~missing["born"] & (dates["born"] > paid)
    for name, low, high in (("years_uninsured", 0, 150), ("years_back_paid", 0, 150), ("disability_grade", 1, 4),
                            ("employee_months", 0, 12)):
        bad |= ~facts_missing[name] & ((facts[name] < low) | (facts[name] > high))
    bad |= np.where(facts_missing["years_back_paid"], 0, facts["years_back_paid"]) > np.where(
        facts_missing["years_uninsured"], 0, facts["years_uninsured"])

    # Each row's resident class, where the notice prices by class.
    bare = table.Columns(paid, {k: dates[k] for k in table.EVENTS}, {k: missing[k] for k in table.EVENTS},
                         circ, np.zeros(n, np.int64), [frozenset()], facts, facts_missing)
    if rules.financing.resident_classes:
        class_idx, class_needs, _ = table.resident_class(rules, bare)
        bad |= class_needs
    else:
        class_idx = np.full(n, -1, np.int64)

    # Per category set, recognition and class: the engine's assistance, once per distinct key.
    cat_codes, cat_values = (
        _codes(people["categories"]) if "categories" in people.columns else (np.full(n, -1, np.int64), [])
    )
    cat_codes = np.where(cat_codes < 0, len(cat_values), cat_codes)
    windows = {w.id: _day(w.end) for w in rules.enrolment.windows if w.end is not None}
    cat_list = [_category_tuple(v) for v in cat_values] + [()]
    parents = engine._category_tree()[0]
    cat_sets = [frozenset(c) | {p for x in c if (p := parents.get(x))} for c in cat_list]
    # Bit k: recognised after timing rule k's window; then a bit per assisted group whose conditions on
    # the person (``when``) do not hold.
    timings = rules.assistance_timing
    bits = np.zeros(n, np.int64)
    recognised, recognised_known = table.recognition(bare)
    for k, timing in enumerate(timings):
        late = recognised_known & (recognised > windows[timing.recognised_after_window])
        bits |= late.astype(np.int64) << k
    conditional = [g for g in rules.assisted_groups if g.when]
    if conditional:
        masks, group_needs, _ = table.ineligible_groups(rules, table.Columns(
            paid, bare.dates, bare.missing, circ, cat_codes, cat_sets, facts, facts_missing))
        bad |= group_needs
        fails = [m for g, m in zip(rules.assisted_groups, masks, strict=True) if g.when]
        for j, mask in enumerate(fails):
            bits |= mask.astype(np.int64) << (len(timings) + j)
    width = 1 << (len(timings) + len(conditional))
    n_classes = len(rules.financing.resident_classes) + 1  # class -1 is stored as 0
    pair_codes, pairs = pd.factorize((cat_codes * width + bits) * n_classes + class_idx + 1)
    keys = []
    for p in (int(v) for v in pairs):
        key_bits = p // n_classes % width
        keys.append((cat_list[p // n_classes // width],
                     tuple(bool(key_bits >> k & 1) for k in range(len(timings))),
                     p % n_classes - 1,
                     tuple(g.id for j, g in enumerate(conditional) if key_bits >> (len(timings) + j) & 1)))
    combos = _combos(rules, keys)
    n_combos = len(combos)
    cat_codes = pair_codes.astype(np.int64)

    bad |= np.array([c.error for c in combos], bool)[cat_codes]
    if bad.any():
        _raise_for_row(rules, people, int(np.argmax(bad)), convention)

    # Which start rule applies (the decision table's hit policy), and the cover it gives.
    excluded = np.array([c.excluded for c in combos], bool)[cat_codes]
    unaddressed = np.array([c.unaddressed for c in combos], bool)[cat_codes]
    cols = table.Columns(paid, bare.dates, bare.missing, np.where(excluded | unaddressed, -1, circ), cat_codes,
                         [c.with_parents for c in combos], facts, facts_missing)
    found = table.select(rules, cols, convention)
    rule_idx = found.rule
    undecided = found.needs | table.start_needs(rules, rule_idx, cols)[0]
    if undecided.any():
        _raise_for_row(rules, people, int(np.argmax(undecided)), convention)
    start_rules = rules.coverage.start_rules
    stated = np.array([r.stated for r in start_rules] + [False])[rule_idx]
    rule_idx_stated = np.where(stated, rule_idx, -1)
    cover = table.cover(rules, rule_idx_stated, cols, convention)

    # Money: a table over (rule + 1, category set), looked up once per row; each cell from the engine.
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

    def put(values: np.ndarray, na: np.ndarray, i: int, j: int, value: int | None) -> None:
        if value is not None:
            values[i, j], na[i, j] = value, False

    for i, rule in enumerate(start_rules, start=1):
        for j, combo in enumerate(combos):
            if combo.help is None:  # an invalid category set; such rows have raised above
                continue
            money = engine.dues(rules, rule, combo.help, combo.class_index)
            put(due, due_na, i, j, money.personal_due)
            upper[i, j] = money.personal_due_is_upper_bound
            put(sub, sub_na, i, j, money.subsidy)
            put(total, total_na, i, j, money.total_premium)
            if money.subsidy_payer is not None:
                if money.subsidy_payer not in payers:
                    payers.append(money.subsidy_payer)
                payer_code[i, j] = payers.index(money.subsidy_payer)

    cell = (rule_idx_stated + 1) * n_combos + cat_codes
    # A refund of what was paid before recognition makes a positive amount due an upper bound (engine.refunded).
    refund_rows = np.zeros(n, bool)
    if any(p.applies_when == "recognised_after_payment" for p in rules.enrolment.refunds):
        paid_due = ~due_na.ravel()[cell] & (due.ravel()[cell] > 0)
        refund_rows = ~missing["recognised"] & (dates["recognised"] > paid) & paid_due
    has_rule = rule_idx_stated >= 0
    start_known = cover.known
    after = (paid > _day(rules.coverage.period.end)) & engine.closes(rules)
    refused = excluded | (~unaddressed & (rule_idx < 0) & after & ~found.open)
    payable = pd.arrays.BooleanArray(has_rule, ~has_rule & ~refused)
    rule_names = [r.id for r in start_rules]
    out = pd.DataFrame(
        {
            "rule": pd.Categorical.from_codes(rule_idx, categories=pd.Index(rule_names, dtype=object)),
            "resident_class": pd.Categorical.from_codes(
                np.where(excluded | unaddressed, -1, class_idx),
                categories=pd.Index([c.id for c in rules.financing.resident_classes], dtype=object)),
            "payable": payable,
            "personal_due": _int_array(due.ravel()[cell], due_na.ravel()[cell]),
            "personal_due_is_upper_bound": upper.ravel()[cell] | refund_rows,
            "subsidy": _int_array(sub.ravel()[cell], sub_na.ravel()[cell]),
            "subsidy_payer": pd.Categorical.from_codes(
                payer_code.ravel()[cell], categories=pd.Index(payers, dtype=object)
            ),
            "total_premium": _int_array(total.ravel()[cell], total_na.ravel()[cell]),
            "coverage_start": _date_array(cover.start, ~start_known),
            "coverage_end": _date_array(cover.end, ~has_rule),
            "covered_days": _int_array(cover.covered, ~start_known),
            "waiting_days": _int_array(cover.waiting, ~start_known),
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
    before or in the coverage year, with payment 0-200 days later. Half the adults carry a birth date; a
    third of the assisted a recognition date, from 120 days before to 60 days after paying.
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
    windows = [(_day(w.start), _day(w.end or period.end)) for w in rules.enrolment.windows if w.start is not None]
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
    needed = set(table.needed_inputs(rules))
    ages = any(c.kind in ("age_at_least", "age_below") for c in table.person_conditions(rules))
    adult = ~(circ == engine.CIRCUMSTANCES.index("newborn")) & ((rng.random(n) < 0.5) | ages)
    adult_birth = rng.integers(_day(dt.date(1940, 1, 1)), _day(dt.date(2005, 12, 31)) + 1, size=n)
    columns["born"][adult] = adult_birth[adult]
    # A third of the assisted were recognised (身份认定) from 120 days before to 60 days after paying.
    recognised = (cat_codes != 0) & (rng.random(n) < 1 / 3)
    columns["recognised"][recognised] = (columns["paid"] + rng.integers(-120, 61, size=n))[recognised]
    frame = {
        "categories": pd.Categorical.from_codes(cat_codes, categories=pd.Index(combos, dtype=object)),
        "circumstance": pd.Categorical.from_codes(circ, categories=pd.Index(engine.CIRCUMSTANCES, dtype=object)),
    }
    for name in DATE_COLUMNS:
        frame[name] = columns[name].view("datetime64[D]").astype("datetime64[ns]")
    # Facts the file's rules ask about, for everyone: students and rural residents by half, years without
    # insurance mostly none, then up to 6, of which up to all may have been paid back; disability grades 1-4;
    # months in employee insurance last year 0-12.
    if needed & set(table.FACTS):
        for name in sorted(table.BOOL_FACTS):
            frame[name] = pd.array(rng.random(n) < 0.5, dtype="boolean")
        years = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 7, size=n))
        frame["years_uninsured"] = pd.array(years, dtype="Int64")
        frame["years_back_paid"] = pd.array((rng.random(n) * (years + 1)).astype(np.int64), dtype="Int64")
        frame["disability_grade"] = pd.array(rng.integers(1, 5, size=n), dtype="Int64")
        frame["employee_months"] = pd.array(rng.integers(0, 13, size=n), dtype="Int64")
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
    day = paid or rules.enrolment.windows[0].end or rules.enrolment.windows[0].start
    people = pd.DataFrame({
        "categories": pd.Series(["+".join(_category_tuple(k)) for k, _ in items], dtype=object),
        "circumstance": pd.Series([circumstance] * len(items), dtype=object),
        "paid": pd.Series([pd.Timestamp(day)] * len(items), dtype="datetime64[ns]"),
    })
    # Where the notice's rules ask for facts, the counts stand for the book's reference person.
    reference = engine.reference_facts(rules, engine.Person(circumstance=circumstance, paid=day))
    if reference.born is not None:
        people["born"] = pd.Series([pd.Timestamp(reference.born)] * len(items), dtype="datetime64[ns]")
    for name in table.FACTS:
        if (value := getattr(reference, name)) is not None:
            people[name] = pd.Series([value] * len(items), dtype="boolean" if isinstance(value, bool) else "Int64")
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
