"""Tests for policylib.daycount (Civil Code period counting)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policylib.daycount import (
    CONVENTIONS,
    UNITS,
    Convention,
    Period,
    Unit,
    days_between,
    describe,
    extend_for_holiday,
    first_day_after,
    is_statutory_rest_day,
    last_day,
    last_day_of_days,
    last_day_of_months,
    next_day,
    period,
    within,
)

D = date.fromisoformat
ONE_DAY = timedelta(days=1)

# Civil-code last days checked by hand against 民法典 第二百零一条 / 第二百零二条.
DAY_CASES = [
    # born 2021-01-15, 90 days: Jan 16-31 (16) + Feb (28) + Mar (31) + Apr 1-15 (15) = 90
    (D("2021-01-15"), 90, D("2021-04-15")),
    # paid 2021-09-01, 60 days: Sep 2-30 (29) + Oct (31) = 60
    (D("2021-09-01"), 60, D("2021-10-31")),
    # born on a leap day, 90 days: Mar (31) + Apr (30) + May 1-29 (29) = 90
    (D("2024-02-29"), 90, D("2024-05-29")),
    # across a year end: Dec 21-31 (11) + Jan 1-19 (19) = 30
    (D("2024-12-20"), 30, D("2025-01-19")),
    (D("2025-01-10"), 1, D("2025-01-11")),
]

MONTH_CASES = [
    # February 2021 has no 31st: month end (第二百零二条)
    (D("2021-01-31"), 1, D("2021-02-28")),
    # 2024 is a leap year: month end is the 29th
    (D("2024-01-31"), 1, D("2024-02-29")),
    # November 30 + 3 months: February 2025 has no 30th, month end is the 28th
    (D("2024-11-30"), 3, D("2025-02-28")),
    # corresponding day exists
    (D("2021-01-15"), 3, D("2021-04-15")),
    # leap day + 12 months: 2025 has no February 29th
    (D("2024-02-29"), 12, D("2025-02-28")),
    # March 31 + 1 month: April has no 31st
    (D("2025-03-31"), 1, D("2025-04-30")),
]

dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31))
lengths = st.integers(min_value=1, max_value=400)
units = st.sampled_from(UNITS)
conventions = st.sampled_from(CONVENTIONS)


# --- conventions ---------------------------------------------------------------------------


def test_describe_cites_civil_code() -> None:
    text = describe("civil-code")
    assert "第二百零一条" in text
    assert "第二百零二条" in text
    assert describe() == text
    assert "day 1" in describe("inclusive")


def test_unknown_convention_and_unit_rejected() -> None:
    with pytest.raises(ValueError, match="convention"):
        describe("lenient")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="convention"):
        last_day_of_days(D("2021-01-15"), 90, "lenient")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unit"):
        within(D("2021-01-15"), D("2021-01-16"), 3, "weeks")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1])
def test_non_positive_length_rejected(bad: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        last_day_of_days(D("2021-01-15"), bad)
    with pytest.raises(ValueError, match="at least 1"):
        last_day_of_months(D("2021-01-15"), bad)


def test_non_date_inputs_rejected() -> None:
    with pytest.raises(TypeError):
        last_day_of_days(datetime(2021, 1, 15, 12, 0), 90)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        last_day_of_days(D("2021-01-15"), 90.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        last_day_of_months(D("2021-01-15"), True)
    with pytest.raises(TypeError):
        next_day("2025-01-10")  # type: ignore[arg-type]


# --- worked examples -----------------------------------------------------------------------


@pytest.mark.parametrize(("event", "days", "expected"), DAY_CASES)
def test_last_day_of_days(event: date, days: int, expected: date) -> None:
    assert last_day_of_days(event, days, "civil-code") == expected
    assert last_day_of_days(event, days) == expected
    assert last_day_of_days(event, days, "inclusive") == expected - ONE_DAY


@pytest.mark.parametrize(("event", "months", "expected"), MONTH_CASES)
def test_last_day_of_months(event: date, months: int, expected: date) -> None:
    assert last_day_of_months(event, months, "civil-code") == expected
    assert last_day_of_months(event, months) == expected
    assert last_day_of_months(event, months, "inclusive") == expected - ONE_DAY


def test_birth_90_days_inclusive_of_90() -> None:
    # "自出生之日起90日内（含90日）"
    born = D("2021-01-15")
    assert last_day(born, 90, "days") == D("2021-04-15")
    assert last_day(born, 90, "days", "inclusive") == D("2021-04-14")


def test_waiting_period_60_days_after() -> None:
    # "从缴费之日起60日后（不含60日）享受"
    paid = D("2021-09-01")
    assert first_day_after(paid, 60, "days") == D("2021-11-01")
    assert first_day_after(paid, 60, "days", "inclusive") == D("2021-10-31")
    assert days_between(paid, first_day_after(paid, 60, "days")) == 61


def test_next_day() -> None:
    # "自缴费次日起"
    assert next_day(D("2025-01-10")) == D("2025-01-11")
    assert next_day(D("2024-02-28")) == D("2024-02-29")
    assert next_day(D("2024-12-31")) == D("2025-01-01")


def test_first_day_after_months() -> None:
    # "3个月后"
    assert first_day_after(D("2024-11-30"), 3, "months") == D("2025-03-01")
    assert first_day_after(D("2024-11-30"), 3, "months", "inclusive") == D("2025-02-28")


def test_days_between() -> None:
    assert days_between(D("2021-01-15"), D("2021-04-15")) == 90
    assert days_between(D("2021-04-15"), D("2021-01-15")) == -90
    assert days_between(D("2024-02-29"), D("2024-02-29")) == 0


# --- within --------------------------------------------------------------------------------


def test_within_day_90_and_91_include_bound() -> None:
    born = D("2021-01-15")
    day_90 = born + timedelta(days=90)
    assert day_90 == D("2021-04-15")
    assert within(born, day_90, 90, "days")
    assert within(born, day_90, 90, "days", "civil-code", include_bound=True)
    assert not within(born, day_90 + ONE_DAY, 90, "days")


def test_within_exclude_bound() -> None:
    born = D("2021-01-15")
    day_90 = born + timedelta(days=90)
    assert not within(born, day_90, 90, "days", include_bound=False)
    assert within(born, day_90 - ONE_DAY, 90, "days", include_bound=False)


def test_within_inclusive_convention() -> None:
    born = D("2021-01-15")
    # the event day is day 1, so 2021-04-14 is day 90 and 2021-04-15 day 91
    assert within(born, D("2021-04-14"), 90, "days", "inclusive")
    assert not within(born, D("2021-04-15"), 90, "days", "inclusive")
    assert not within(born, D("2021-04-14"), 90, "days", "inclusive", include_bound=False)


def test_within_event_day_and_before() -> None:
    born = D("2021-01-15")
    assert within(born, born, 90, "days")
    assert within(born, born, 90, "days", include_bound=False)
    assert not within(born, born - ONE_DAY, 90, "days")


def test_within_months() -> None:
    # "3个月内" from 2024-11-30 ends 2025-02-28
    paid = D("2024-11-30")
    assert within(paid, D("2025-02-28"), 3, "months")
    assert not within(paid, D("2025-03-01"), 3, "months")
    assert not within(paid, D("2025-02-28"), 3, "months", include_bound=False)


# --- Period --------------------------------------------------------------------------------


def test_period_records_convention() -> None:
    p = period(D("2021-01-15"), 90, "days")
    assert p == Period(
        event=D("2021-01-15"),
        length=90,
        unit="days",
        convention="civil-code",
        first_day=D("2021-01-16"),
        last_day=D("2021-04-15"),
    )
    assert p.day_after == D("2021-04-16")
    assert p.describe() == describe("civil-code")
    q = period(D("2021-01-15"), 90, "days", "inclusive")
    assert q.first_day == D("2021-01-15")
    assert q.last_day == D("2021-04-14")
    # inclusive: the first and last day are both counted, 90 days in all
    assert days_between(q.first_day, q.last_day) + 1 == 90
    assert days_between(p.first_day, p.last_day) + 1 == 90
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.last_day = D("2021-04-16")  # type: ignore[misc]


# --- statutory rest days (第二百零三条) ----------------------------------------------------


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        # ordinary working Tuesday: unchanged
        (D("2024-10-08"), D("2024-10-08")),
        # National Day 2024-10-01..07: moves to Tuesday 2024-10-08
        (D("2024-10-01"), D("2024-10-08")),
        (D("2024-10-07"), D("2024-10-08")),
        # Spring Festival 2024-02-10..17; Sunday 2024-02-18 is an adjusted working day
        (D("2024-02-10"), D("2024-02-18")),
        # plain weekend: Saturday 2024-06-15 moves to Monday 2024-06-17
        (D("2024-06-15"), D("2024-06-17")),
        # an adjusted working Saturday (调休上班日) is not a rest day
        (D("2024-10-12"), D("2024-10-12")),
        # New Year's Day 2025 (Wednesday): moves to Thursday
        (D("2025-01-01"), D("2025-01-02")),
    ],
)
def test_extend_for_holiday(last: date, expected: date) -> None:
    assert extend_for_holiday(last) == expected


def test_extend_for_holiday_named_holidays_only() -> None:
    # a plain weekend does not move the last day when weekends are excluded
    assert extend_for_holiday(D("2024-06-15"), include_weekends=False) == D("2024-06-15")
    assert extend_for_holiday(D("2024-10-01"), include_weekends=False) == D("2024-10-08")
    assert not is_statutory_rest_day(D("2024-06-15"), include_weekends=False)
    assert is_statutory_rest_day(D("2024-06-15"))
    assert is_statutory_rest_day(D("2024-06-10"), include_weekends=False)  # Dragon Boat Festival


def test_extend_for_holiday_on_period_end() -> None:
    # 90 days from 2024-07-03 end on 2024-10-01 (National Day): moved to 2024-10-08
    end = last_day_of_days(D("2024-07-03"), 90)
    assert end == D("2024-10-01")
    assert extend_for_holiday(end) == D("2024-10-08")


@pytest.mark.parametrize("year", [1990, 2100])
def test_extend_for_holiday_uncovered_year(year: int) -> None:
    with pytest.raises(ValueError, match=str(year)):
        extend_for_holiday(date(year, 6, 1))


# --- properties ----------------------------------------------------------------------------


@given(event=dates, length=lengths, unit=units, convention=conventions)
def test_first_day_after_is_after_event(event: date, length: int, unit: Unit, convention: Convention) -> None:
    assert first_day_after(event, length, unit, convention) > event


@given(a=dates, b=dates, length=lengths, unit=units, convention=conventions)
def test_first_day_after_monotone(a: date, b: date, length: int, unit: Unit, convention: Convention) -> None:
    early, late = min(a, b), max(a, b)
    assert first_day_after(early, length, unit, convention) <= first_day_after(late, length, unit, convention)


@given(event=dates, length=lengths, unit=units)
def test_inclusive_one_day_before_civil_code(event: date, length: int, unit: Unit) -> None:
    civil = last_day(event, length, unit, "civil-code")
    assert last_day(event, length, unit, "inclusive") == civil - ONE_DAY


@given(event=dates, length=lengths, unit=units, convention=conventions)
def test_within_last_day(event: date, length: int, unit: Unit, convention: Convention) -> None:
    end = last_day(event, length, unit, convention)
    assert within(event, end, length, unit, convention)
    assert not within(event, end + ONE_DAY, length, unit, convention)
    assert first_day_after(event, length, unit, convention) == end + ONE_DAY


@given(event=dates, days=lengths)
def test_days_period_length(event: date, days: int) -> None:
    assert days_between(event, last_day_of_days(event, days)) == days
    assert days_between(event, last_day_of_days(event, days, "inclusive")) == days - 1
