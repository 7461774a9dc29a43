"""Counting the periods written in resident medical insurance notices.

Notices state periods such as "自出生之日起90日内（含90日）", "从缴费之日起60日后（不含60日）享受",
"3个月内" or "自缴费次日起". This module counts them by the Civil Code of the People's Republic
of China (中华人民共和国民法典):

* 第二百零一条: a period counted in years, months or days does not count the day on which it
  starts; counting begins on the next day.
* 第二百零二条: a period of years or months ends on the corresponding day of the final month;
  where that month has no corresponding day, on the last day of that month.
* 第二百零三条: where the last day of a period is a statutory rest day (法定休假日), the day
  after the rest day ends becomes the last day (see :func:`extend_for_holiday`).
* 第一千二百五十九条: "以上", "以下", "以内" and "届满" include the stated number; "不满",
  "超过" and "以外" exclude it (the ``include_bound`` flag of :func:`within`).

Two conventions are supported so that notices which count the event day itself can be encoded
and compared:

* ``"civil-code"`` (the default): the event day is day 0; day 1 is the next day.
* ``"inclusive"``: the event day is day 1, so every period ends one day earlier than under
  ``"civil-code"``.

Functions whose result depends on the convention take a ``convention`` argument;
:func:`period` returns a :class:`Period` that records the convention it was computed under.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, get_args

import chinese_calendar
from dateutil.relativedelta import relativedelta

__all__ = [
    "CONVENTIONS",
    "DEFAULT_CONVENTION",
    "UNITS",
    "Convention",
    "Period",
    "Unit",
    "days_between",
    "describe",
    "extend_for_holiday",
    "first_day_after",
    "is_statutory_rest_day",
    "last_day",
    "last_day_of_days",
    "last_day_of_months",
    "next_day",
    "period",
    "within",
]

Convention = Literal["civil-code", "inclusive"]
Unit = Literal["days", "months"]

CONVENTIONS: tuple[Convention, ...] = get_args(Convention)
UNITS: tuple[Unit, ...] = get_args(Unit)
DEFAULT_CONVENTION: Convention = "civil-code"

_ONE_DAY = timedelta(days=1)

_DESCRIPTIONS: dict[Convention, str] = {
    "civil-code": (
        "Civil Code counting: the day of the event is not counted and counting starts on the next "
        "day (民法典 第二百零一条), so a period of N days ends N days after the event, and a period of "
        "N months ends on the corresponding day of the final month, or on that month's last day "
        "where there is no corresponding day (民法典 第二百零二条)."
    ),
    "inclusive": (
        "Inclusive counting: the day of the event counts as day 1, so every period ends one day "
        "earlier than under Civil Code counting (N days end N - 1 days after the event)."
    ),
}


def _check_convention(convention: str) -> Convention:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; expected one of {CONVENTIONS}")
    return convention  # type: ignore[return-value]


def _check_unit(unit: str) -> Unit:
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; expected one of {UNITS}")
    return unit  # type: ignore[return-value]


def _check_date(value: object, name: str) -> date:
    # datetime is a subclass of date; a time of day has no meaning in day counting.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date (not a datetime), got {type(value).__name__}")
    return value


def _check_length(length: object) -> int:
    if isinstance(length, bool) or not isinstance(length, int):
        raise TypeError(f"period length must be an int, got {type(length).__name__}")
    if length < 1:
        raise ValueError(f"period length must be at least 1, got {length}")
    return length


def describe(convention: Convention = DEFAULT_CONVENTION) -> str:
    """Return one English sentence that states how ``convention`` counts a period."""
    return _DESCRIPTIONS[_check_convention(convention)]


def last_day_of_days(event: date, days: int, convention: Convention = DEFAULT_CONVENTION) -> date:
    """Return the last day of a period of ``days`` days counted from ``event``.

    Under ``"civil-code"`` (民法典 第二百零一条) the event day is not counted, so the period ends
    on ``event + days``. Under ``"inclusive"`` the event day is day 1 and the period ends on
    ``event + (days - 1)``. Statutory rest days are not applied here; see
    :func:`extend_for_holiday`.

    >>> last_day_of_days(date(2021, 1, 15), 90)
    datetime.date(2021, 4, 15)
    >>> last_day_of_days(date(2021, 1, 15), 90, "inclusive")
    datetime.date(2021, 4, 14)
    """
    event = _check_date(event, "event")
    days = _check_length(days)
    end = event + timedelta(days=days)
    return end if _check_convention(convention) == "civil-code" else end - _ONE_DAY


def last_day_of_months(event: date, months: int, convention: Convention = DEFAULT_CONVENTION) -> date:
    """Return the last day of a period of ``months`` months counted from ``event``.

    Under ``"civil-code"`` (民法典 第二百零一条, 第二百零二条) the period ends on the day of the
    final month that corresponds to the event day, or on that month's last day where there is no
    corresponding day (2021-01-31 plus one month ends on 2021-02-28). Under ``"inclusive"`` the
    event day is counted, so the period ends one day before the civil-code last day.
    Statutory rest days are not applied here; see :func:`extend_for_holiday`.

    >>> last_day_of_months(date(2024, 11, 30), 3)
    datetime.date(2025, 2, 28)
    """
    event = _check_date(event, "event")
    months = _check_length(months)
    end = event + relativedelta(months=months)
    return end if _check_convention(convention) == "civil-code" else end - _ONE_DAY


def last_day(event: date, length: int, unit: Unit, convention: Convention = DEFAULT_CONVENTION) -> date:
    """Return the last day of a period of ``length`` days or months counted from ``event``.

    Dispatches to :func:`last_day_of_days` or :func:`last_day_of_months` by ``unit``.
    """
    if _check_unit(unit) == "days":
        return last_day_of_days(event, length, convention)
    return last_day_of_months(event, length, convention)


@dataclass(frozen=True, slots=True)
class Period:
    """A period of ``length`` ``unit`` counted from ``event`` under ``convention``.

    ``first_day`` is the first counted day (the day after the event under ``"civil-code"``, the
    event day itself under ``"inclusive"``) and ``last_day`` the last counted day, both before any
    extension for statutory rest days.
    """

    event: date
    length: int
    unit: Unit
    convention: Convention
    first_day: date
    last_day: date

    @property
    def day_after(self) -> date:
        """The first day after the period (the day on which "N日后（不含N日）" begins)."""
        return self.last_day + _ONE_DAY

    def describe(self) -> str:
        """Return the sentence that describes the convention this period was counted under."""
        return describe(self.convention)


def period(event: date, length: int, unit: Unit, convention: Convention = DEFAULT_CONVENTION) -> Period:
    """Return the :class:`Period` of ``length`` ``unit`` counted from ``event`` under ``convention``."""
    end = last_day(event, length, unit, convention)
    first = event + _ONE_DAY if convention == "civil-code" else event
    return Period(event=event, length=length, unit=unit, convention=convention, first_day=first, last_day=end)


def within(
    event: date,
    when: date,
    length: int,
    unit: Unit,
    convention: Convention = DEFAULT_CONVENTION,
    include_bound: bool = True,
) -> bool:
    """Return whether ``when`` falls inside the period of ``length`` ``unit`` from ``event``.

    With ``include_bound=True`` (含本数; "以内", "届满", 民法典 第一千二百五十九条) the test is
    ``event <= when <= last``; with ``include_bound=False`` (不含本数; "不满") it is
    ``event <= when < last``, where ``last`` is the last day under ``convention``.

    The event day itself counts as inside: a contribution paid on the day of birth is paid
    "自出生之日起90日内". A ``when`` before ``event`` returns False; such dates (a payment before
    the birth) are impossible in the notices, and callers should reject them before asking.
    Statutory rest days are not applied; pass a date through :func:`extend_for_holiday` first
    where a notice relies on 第二百零三条.
    """
    when = _check_date(when, "when")
    end = last_day(event, length, unit, convention)
    if when < event:
        return False
    return when <= end if include_bound else when < end


def first_day_after(
    event: date, length: int, unit: Unit, convention: Convention = DEFAULT_CONVENTION
) -> date:
    """Return the first day after the period of ``length`` ``unit`` counted from ``event``.

    This is the day on which "从缴费之日起60日后（不含60日）享受" begins: the last day of the
    period under ``convention`` plus one day. Paid 2021-09-01, civil-code: 2021-11-01.
    """
    return last_day(event, length, unit, convention) + _ONE_DAY


def next_day(d: date) -> date:
    """Return the day after ``d`` ("次日", as in "自缴费次日起").

    The same under every convention: "次日" names a calendar day, not a counted period.
    """
    return _check_date(d, "d") + _ONE_DAY


def days_between(start: date, end: date) -> int:
    """Return ``end - start`` in days (negative if ``end`` is earlier), for reporting waiting days.

    The same under every convention: this is plain calendar subtraction, so a payment on
    2021-09-01 and cover from 2021-11-01 give 61.
    """
    return (_check_date(end, "end") - _check_date(start, "start")).days


def is_statutory_rest_day(d: date, include_weekends: bool = True) -> bool:
    """Return whether ``d`` is a 法定休假日 for 民法典 第二百零三条.

    With ``include_weekends=True`` (the default) a rest day is any day off under the State
    Council's holiday schedule as recorded by the ``chinese_calendar`` package: a named statutory
    holiday, or an ordinary Saturday or Sunday (公休日) that is not an adjusted working day
    (调休上班日). With ``include_weekends=False`` only days off that belong to a named holiday
    count. Raises ValueError naming the year when the package has no data for it.
    """
    d = _check_date(d, "d")
    try:
        is_rest, holiday_name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError as exc:
        raise ValueError(
            f"no statutory holiday data for year {d.year} in the chinese_calendar package: {exc}"
        ) from exc
    if not is_rest:
        return False
    return include_weekends or holiday_name is not None


def extend_for_holiday(last_day: date, include_weekends: bool = True) -> date:
    """Move the last day of a period past a statutory rest day (民法典 第二百零三条).

    Article 203: where the last day of a period is a 法定休假日, the day after the rest day
    ends is the last day. The term is generally read to cover both the weekly rest days
    (公休日, Saturdays and Sundays) and the statutory holidays (节假日); this reading is the
    default. Holidays and adjusted working days come from the ``chinese_calendar`` package: a
    Saturday or Sunday made a working day (调休上班日) is not a rest day, and a named holiday
    is one whose name ``chinese_calendar.get_holiday_detail`` reports (not None) on a day off.

    If ``last_day`` is not a rest day it is returned unchanged; otherwise the first day after the
    whole run of consecutive rest days is returned (a National Day week joined to a weekend is
    one run). With ``include_weekends=False`` only named holidays count, so a plain weekend does
    not move the last day and the run ends with the last day of the named holiday.

    The result is independent of the counting convention; apply it to the last day that
    :func:`last_day_of_days` or :func:`last_day_of_months` returned under the convention in use.

    Raises ValueError naming the year if any day examined lies in a year the package does not
    cover.
    """
    d = _check_date(last_day, "last_day")
    while is_statutory_rest_day(d, include_weekends=include_weekends):
        d += _ONE_DAY
    return d
