"""quote_many gives the same answers as quote; population_summary adds them up; synthetic_people is valid."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta

from policylib import catalogue, daycount, engine, table
from policylib.model import RuleSet
from policylib.population import (
    DATE_COLUMNS,
    OUTPUT_COLUMNS,
    add_months,
    population_summary,
    quote_many,
    synthetic_people,
)

ENTRIES = catalogue.local_entries()
KEYS = [e.key for e in ENTRIES]
SEEDS = (20210101, 7)
N = 2000


def _rules(entry: catalogue.Entry):
    return catalogue.rules(entry.jurisdiction, entry.year)


def _plain(value: object) -> object:
    """A cell as quote reports it: None for NA/NaT, dates as datetime.date."""
    if value is None or (not isinstance(value, (str, tuple)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def _fact(name: str, value: object) -> object:
    value = _plain(value)
    return None if value is None else bool(value) if name in table.BOOL_FACTS else int(value)  # type: ignore


def _person(row: dict[str, object]) -> engine.Person:
    cats = row["categories"]
    cats = tuple(c for c in cats.split("+") if c) if isinstance(cats, str) else tuple(cats)
    return engine.Person(
        categories=cats,
        circumstance=row["circumstance"],
        **{name: _plain(row[name]) for name in DATE_COLUMNS},
        **{name: _fact(name, row.get(name)) for name in table.FACTS},  # type: ignore[arg-type]
    )


def _with_reference_facts(rules, frame: pd.DataFrame) -> pd.DataFrame:
    """Where a notice's rules ask for facts, the edge people are the book's reference person otherwise."""
    out = frame.copy()
    for position in range(len(out)):
        row = out.iloc[position]
        person = engine.reference_facts(rules, engine.Person(circumstance=row["circumstance"],
                                                             paid=row["paid"].date()))
        if person.born is not None and pd.isna(row["born"]):
            out.iloc[position, out.columns.get_loc("born")] = pd.Timestamp(person.born)
        for name in table.FACTS:
            if (value := getattr(person, name)) is not None:
                if name not in out.columns:
                    out[name] = pd.array([None] * len(out), dtype="boolean" if isinstance(value, bool) else "Int64")
                out.iloc[position, out.columns.get_loc(name)] = value
    return out


def _assert_same(rules, people: pd.DataFrame, convention: daycount.Convention) -> None:
    got = quote_many(rules, people, convention)
    assert list(got.index) == list(people.index)
    assert set(OUTPUT_COLUMNS) <= set(got.columns)
    records = people.astype({"categories": object, "circumstance": object}).to_dict("records")
    quotes = [engine.quote(rules, _person(row), convention) for row in records]
    for col in OUTPUT_COLUMNS:
        have = [_plain(v) for v in got[col].astype(object)]
        want = [getattr(q, col) for q in quotes]
        if have != want:
            i = next(k for k, (a, b) in enumerate(zip(have, want, strict=True)) if a != b)
            pytest.fail(f"{rules.jurisdiction} {convention} row {i} {col}: quote_many {have[i]!r}, quote {want[i]!r}"
                        f"\n{records[i]}")


def _edge_people(rules) -> pd.DataFrame:
    """Month ends, leap days and payments at the day-count boundaries, for every event circumstance."""
    year = rules.coverage_year
    events = [dt.date(y, m, d) for y in (year - 1, year) for m, d in ((1, 31), (2, 28), (8, 31), (10, 1), (11, 30),
                                                                     (12, 31))]
    events += [dt.date(2020, 2, 29), dt.date(2024, 2, 29)]
    rows = []
    for circumstance, event_name in engine.EVENT_FOR.items():
        for event in events:
            pays = {event + dt.timedelta(days=k) for k in (0, 1, 88, 89, 90, 91, 92)}
            pays |= {event + relativedelta(months=3) + dt.timedelta(days=k) for k in (-2, -1, 0, 1, 2)}
            for paid in sorted(pays):
                row = dict.fromkeys(DATE_COLUMNS, pd.NaT)
                row.update(categories="", circumstance=circumstance, paid=pd.Timestamp(paid))
                row[event_name] = pd.Timestamp(event)
                rows.append(row)
    for paid in (dt.date(year - 1, 12, 31), dt.date(year, 1, 1), dt.date(year, 12, 31), dt.date(year + 1, 1, 1)):
        for circumstance in ("regular", "migrant_worker"):
            row = dict.fromkeys(DATE_COLUMNS, pd.NaT)
            row.update(categories="", circumstance=circumstance, paid=pd.Timestamp(paid))
            rows.append(row)
    frame = pd.DataFrame(rows)
    for name in DATE_COLUMNS:
        frame[name] = frame[name].astype("datetime64[ns]")
    return _with_reference_facts(rules, frame)


@pytest.mark.parametrize("convention", daycount.CONVENTIONS)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("key", KEYS)
def test_quote_many_matches_quote(key: str, seed: int, convention: daycount.Convention) -> None:
    rules = _rules(ENTRIES[KEYS.index(key)])
    _assert_same(rules, synthetic_people(rules, N, seed), convention)


@pytest.mark.parametrize("convention", daycount.CONVENTIONS)
@pytest.mark.parametrize("key", KEYS)
def test_quote_many_matches_quote_at_the_edges(key: str, convention: daycount.Convention) -> None:
    rules = _rules(ENTRIES[KEYS.index(key)])
    _assert_same(rules, _edge_people(rules), convention)


def test_plain_columns_and_tuples_give_the_same_answers() -> None:
    rules = catalogue.rules("guizhou", 2021)
    people = synthetic_people(rules, 500, 3)
    expected = quote_many(rules, people)
    plain = people.assign(categories=people["categories"].astype(object),
                          circumstance=people["circumstance"].astype(object))
    pd.testing.assert_frame_equal(quote_many(rules, plain), expected, check_categorical=False)
    tuples = plain.assign(categories=[tuple(c for c in s.split("+") if c) for s in plain["categories"]])
    pd.testing.assert_frame_equal(quote_many(rules, tuples), expected, check_categorical=False)


def test_empty_frame() -> None:
    rules = catalogue.rules("langxi", 2025)
    out = quote_many(rules, synthetic_people(rules, 0, 1))
    assert len(out) == 0
    assert list(out.columns) == list(OUTPUT_COLUMNS)


def _frame(rows: list[dict[str, object]], index: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, index=index)
    for name in DATE_COLUMNS:
        frame[name] = pd.to_datetime(frame.get(name, pd.Series(pd.NaT, index=frame.index)))
    return frame


GOOD = {"categories": "", "circumstance": "regular", "paid": "2020-10-01"}


@pytest.mark.parametrize(
    ("bad", "argument", "words"),
    [
        ({"categories": "no_such_group"}, "category", "unknown category 'no_such_group'"),
        ({"categories": "dibao"}, "category", "splits 'dibao'"),
        ({"circumstance": "newborn", "born": "2020-11-02"}, "--paid", "before the born date"),
        ({"circumstance": "newborn"}, "--born", "needs the born date"),
        ({"paid": None}, "--paid", "payment date is required"),
        ({"circumstance": "holiday"}, "event", "unknown event 'holiday'"),
    ],
)
def test_input_errors_name_the_first_offending_row(bad: dict[str, object], argument: str, words: str) -> None:
    rules = catalogue.rules("dongxiang", 2021)
    people = _frame([GOOD, {**GOOD, **bad}, GOOD, {**GOOD, **bad}], ["a", "b", "c", "d"])
    with pytest.raises(engine.InputError) as err:
        quote_many(rules, people)
    assert err.value.argument == argument
    assert "row 'b'" in str(err.value) and words in str(err.value)


def test_unknown_convention() -> None:
    rules = catalogue.rules("dongxiang", 2021)
    with pytest.raises(engine.InputError, match="unknown convention"):
        quote_many(rules, _frame([GOOD], ["a"]), "banker")  # type: ignore[arg-type]


def test_add_months_matches_relativedelta() -> None:
    start = dt.date(2019, 1, 1)
    days = np.arange(365 * 7, dtype=np.int64) + (start - dt.date(1970, 1, 1)).days
    for months in (1, 2, 3, 11, 12, 13, 14, 25):
        got = add_months(days, months).astype("datetime64[D]").tolist()
        want = [start + dt.timedelta(days=k) + relativedelta(months=months) for k in range(len(days))]
        assert got == want


@pytest.mark.parametrize("key", KEYS)
def test_summary_adds_up_to_the_people(key: str) -> None:
    rules = _rules(ENTRIES[KEYS.index(key)])
    quotes = quote_many(rules, synthetic_people(rules, N, 11))
    summary = population_summary(rules, quotes).set_index(["flow", "payer"])
    paid_by = summary.loc[["individuals", "assistance"], "known_amount"].sum()
    assert paid_by == quotes["personal_due"].sum() + quotes["subsidy"].sum()
    enrolled = quotes["payable"].fillna(False).astype(bool)
    unknown = (quotes["personal_due"].isna() & enrolled).sum()
    assert summary.loc[("individuals", "individuals"), "people_unknown"] == unknown
    assert summary.loc[("total_premium", "total"), "known_amount"] == quotes["total_premium"].sum()
    assert summary.loc[("individuals", "individuals"), "people"] == enrolled.sum()
    not_enrolled = summary.loc["not_enrolled", "people"].sum() if "not_enrolled" in summary.index else 0
    assert enrolled.sum() + not_enrolled == len(quotes)
    complete = summary["people_unknown"] == 0
    assert (summary.loc[complete, "amount"] == summary.loc[complete, "known_amount"]).all()
    assert summary.loc[~complete, "amount"].isna().all()


def test_summary_is_the_same_from_people_and_quotes() -> None:
    rules = catalogue.rules("langxi", 2025)
    people = synthetic_people(rules, 3000, 5)
    from_quotes = population_summary(rules, quote_many(rules, people))
    pd.testing.assert_frame_equal(population_summary(rules, people), from_quotes)


def _dongxiang_check(summary: pd.DataFrame) -> None:
    s = summary.set_index(["flow", "payer"])
    # 七（一）: dibao_rural_1 fully assisted (280); 七（二）: registered_poor assisted 160, pays 280 - 160 = 120.
    assert s.loc[("individuals", "individuals"), "amount"] == 100 * 280 + 20 * 120
    assert s["people_unknown"].sum() == 0
    assert s.loc["assistance", "amount"].sum() == 10 * 280 + 20 * 160
    # 三: 550 yuan of fiscal subsidy each, 440 central, 100 province, 10 county.
    assert s.loc[("fiscal_subsidy", "all_levels"), "amount"] == 130 * 550
    assert s.loc[("fiscal_subsidy", "central"), "amount"] == 130 * 440
    assert s.loc[("fiscal_subsidy", "province"), "amount"] == 130 * 100
    assert s.loc[("fiscal_subsidy", "county"), "amount"] == 130 * 10
    assert s.loc[("total_premium", "total"), "amount"] == 130 * (280 + 550)
    assert s.loc[("individuals", "individuals"), "people"] == 130


def test_dongxiang_mix_by_hand() -> None:
    rules = catalogue.rules("dongxiang", 2021)
    _dongxiang_check(population_summary(rules, {"": 100, "dibao_rural_1": 10, ("registered_poor",): 20}))
    mix = pd.DataFrame({"categories": ["", "dibao_rural_1", "registered_poor"], "count": [100, 10, 20]})
    _dongxiang_check(population_summary(rules, mix))
    people = _frame([{**GOOD, "categories": c} for c in [""] * 100 + ["dibao_rural_1"] * 10 + ["registered_poor"] * 20],
                    [f"p{i}" for i in range(130)])
    _dongxiang_check(population_summary(rules, people))


def test_unknown_amounts_stay_unknown() -> None:
    rules = catalogue.rules("zhaoqing", 2021)  # assistance amounts are not stated (help: not_stated)
    s = population_summary(rules, {"": 50, "tekun": 5, "orphan": 2}).set_index(["flow", "payer"])
    individuals = s.loc[("individuals", "individuals")]
    assert individuals["people_unknown"] == 7 and pd.isna(individuals["amount"])
    assert individuals["known_amount"] == 50 * 290
    assistance = s.loc["assistance"]
    assert assistance["people_unknown"].sum() == 7 and assistance["amount"].isna().all()
    assert s.loc[("fiscal_subsidy", "all_levels"), "bound"] == "at_least"


@pytest.mark.parametrize("key", KEYS)
def test_synthetic_people_are_reproducible_and_valid(key: str) -> None:
    rules = _rules(ENTRIES[KEYS.index(key)])
    a, b = synthetic_people(rules, 1000, 42), synthetic_people(rules, 1000, 42)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(synthetic_people(rules, 1000, 43))
    for circumstance, event in engine.EVENT_FOR.items():
        rows = a[a["circumstance"] == circumstance]
        assert rows[event].notna().all() and (rows[event] <= rows["paid"]).all()
    assert (a["born"].isna() | (a["born"] <= a["paid"])).all()
    groups = {g.category for g in rules.assisted_groups} | {g.category for g in rules.excluded_groups}
    assert {c for s in a["categories"] for c in s.split("+") if c} <= groups
    quote_many(rules, a)  # valid: raises nothing


def test_event_needed_by_a_condition_is_asked_for_only_when_reached() -> None:
    base = catalogue.rules("dongxiang", 2021)
    first = base.coverage.start_rules[0]
    needs_birth = type(first).model_validate({
        **first.model_dump(), "id": "born_in_spring", "categories": [],
        "when": [{"kind": "born_between", "from_month_day": "03-01", "to_month_day": "05-31"}],
    })
    coverage = base.coverage.model_copy(update={"start_rules": [needs_birth, *base.coverage.start_rules]})
    rules = base.model_copy(update={"coverage": coverage})
    people = _frame([
        {**GOOD, "born": "1980-04-01"},  # matches the new rule
        {**GOOD, "paid": "2022-01-05"},  # after the coverage period: no rule is tried
        {**GOOD, "born": "1980-07-01"},  # falls through to in_window
        {**GOOD, "circumstance": "newborn", "born": "2020-12-01", "paid": "2020-12-05"},  # no birth test for newborns
        GOOD,  # regular without a birth date: the new rule asks for it
    ], ["a", "b", "c", "d", "e"])
    _assert_same(rules, people.iloc[:4], "civil-code")
    with pytest.raises(engine.InputError, match=r"row 'e'.*needs what the person has not given \(--born\)") as err:
        quote_many(rules, people)
    assert err.value.argument == "--born"


def test_a_waiting_period_that_includes_its_last_day_starts_cover_on_it() -> None:
    """Langxi 四（二）, alternative reading: cover from the corresponding day itself, not the day after."""
    data = catalogue.rules("langxi", 2025).model_dump(mode="json")
    for rule in data["coverage"]["start_rules"]:
        if rule["starts"]["kind"] == "after_payment_period":
            rule["starts"]["include_bound"] = True
    rules = RuleSet.model_validate(data)
    person = engine.Person(circumstance="employee_lapse", lapsed=dt.date(2025, 1, 10), paid=dt.date(2025, 5, 5))
    # Paid 2025-05-05: three months end on 2025-08-05 (民法典 第二百零二条).
    assert engine.quote(rules, person).coverage_start == dt.date(2025, 8, 5)
    assert engine.quote(catalogue.rules("langxi", 2025), person).coverage_start == dt.date(2025, 8, 6)
    people = pd.DataFrame({
        "categories": [""], "circumstance": ["employee_lapse"],
        "paid": pd.to_datetime(["2025-05-05"]), "lapsed": pd.to_datetime(["2025-01-10"]),
    })
    assert quote_many(rules, people)["coverage_start"].iloc[0] == pd.Timestamp("2025-08-05")
