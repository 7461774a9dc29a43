"""Whether a cited value stands in its quote: a number as that number and of its kind, a date with its year,
and, where a quote states several values of a kind, the value tied to its own label.

The rules, applied to the quote with its white space removed:

* **Dates.** A date is written ``2020年11月16日``, ``11月16日``, ``2020年6月底`` / ``6月底`` (a month end) or
  ``2024-09-20``. A form with a year matches only a value of that year. A form without a year takes the
  year of the nearest calendar year written before it in the quote (``2020年9月30日至12月28日``: 12月28日
  is in 2020; a ``2021年度`` names a coverage year, not the calendar year of the dates after it). A form
  without a year in a quote that writes no calendar year before it is accepted only if the quote writes no
  calendar year at all and the value's year is one the rule file can speak about (its coverage year, the
  year before and the year after). A month-day value (``10-01``) has no year and matches ``10月1日``.
* **Numbers.** A number is a whole token: never a part of a date, of a longer number (520 is not in
  1520, 5200 or 52.0) or of a ratio. Its kind is read from what follows it: 元 (money), 天/日 (days),
  个月 (months), 周岁/岁 (age), 年 (a count of years, or a calendar year when it has four digits), 级
  (a grade), % (a percentage); a ratio ``5:2:3`` gives its terms in order. From 1 to 10 a Chinese numeral
  before such a unit counts too (一级, 三个月). Each field expects a kind (:func:`expectation`): a
  contribution of 2021 is not found in ``2021年``, a wait of 90 days not in ``90元``.
* **Several values.** When the quote gives several distinct numbers of the field's kind and the field has
  a label (the name of its group or class; 个人 for what a person pays; 中央/省/市/县 for a level's share)
  that occurs in the quote, the value must be the label's own: the first number of the kind after an
  occurrence of the label, or, when none follows, the last before it. A ratio term must stand at its
  position in a ratio of as many terms as the field's list has shares.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel

from policylib.model import AssistedGroup, Cited, Condition, LevelShare, NationalWaiting, Start, Target

Loc = tuple[str | int, ...]

KIND_NAMES = {
    "money": "a sum in yuan (元)",
    "days": "a number of days (天/日)",
    "months": "a number of months (个月)",
    "years": "a number of years (年)",
    "age": "an age (周岁/岁)",
    "percent": "a percentage (%)",
    "calendar_year": "a year (e.g. 2025年)",
    "grade": "a grade (级)",
    "ratio": "a term of a ratio (a:b:c)",
    "bare": "a number",
}
LEVEL_WORDS = {"central": ("中央",), "province": ("省",), "city": ("市",), "county": ("县",),
               "township": ("乡", "镇")}
PERSONAL_LABEL = "个人"
CHINESE_NUMERALS = {c: i for i, c in enumerate("零一二三四五六七八九十")} | {"两": 2}

_YEAR = r"(?<![\d.])(1[89]\d\d|2[01]\d\d)年"
_DATE = re.compile(
    rf"(?:{_YEAR})?(?<![\d.])(\d{{1,2}})月(?:(\d{{1,2}})[日号]|(底|末))?"
    r"|(?<![\d.])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])"
)
_CALENDAR_YEAR = re.compile(rf"{_YEAR}(?!度)")
_RATIO = re.compile(r"(?<![\d.])\d+(?:[:：∶]\d+)+(?![\d.])")
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d])")
_CHINESE = re.compile(r"(?<![零一二三四五六七八九十两])([一二三四五六七八九十两])(?=个月|周岁|岁|级|年|天|日)")
_UNITS = [  # what follows a number, and the kind it makes
    (re.compile(r"[%％]"), "percent"),
    (re.compile(r"元"), "money"),
    (re.compile(r"个?工作日|天|日"), "days"),
    (re.compile(r"个月"), "months"),
    (re.compile(r"周?岁"), "age"),
    (re.compile(r"年"), "years"),
    (re.compile(r"级"), "grade"),
]


def squash(text: str) -> str:
    """The text without white space (quotes are matched on it)."""
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------- reading a quote


@dataclass(frozen=True)
class Number:
    """A number written in a quote: its value, kind and span; a ratio term also its place and the ratio's size."""

    value: Decimal
    kind: str
    start: int
    end: int
    term: tuple[int, int] | None = None


@dataclass(frozen=True)
class Written:
    """A date written in a quote: month, day (None for a month end or a month alone), its own year, and the
    calendar year written nearest before it in the quote."""

    month: int
    day: int | None
    month_end: bool
    year: int | None
    year_before: int | None
    start: int
    end: int


def written_dates(quote: str) -> list[Written]:
    """Every date (or month) written in a quote, in order."""
    text = squash(quote)
    years = [(m.start(), int(m.group(1))) for m in _CALENDAR_YEAR.finditer(text)]
    out = []
    for m in _DATE.finditer(text):
        if m.group(5):
            year, month, day, end = int(m.group(5)), int(m.group(6)), int(m.group(7)), False
        else:
            year = int(m.group(1)) if m.group(1) else None
            month, day, end = int(m.group(2)), int(m.group(3)) if m.group(3) else None, bool(m.group(4))
        if not 1 <= month <= 12:
            continue
        before = [y for pos, y in years if pos < m.start()]
        out.append(Written(month, day, end, year, before[-1] if before else None, m.start(), m.end()))
    return out


def _kind_after(text: str, pos: int, digits: str) -> str:
    for pattern, kind in _UNITS:
        if pattern.match(text, pos):
            if kind == "years" and re.fullmatch(r"1[89]\d\d|2[01]\d\d", digits):
                return "calendar_year"
            return kind
    return "bare"


def numbers(quote: str) -> list[Number]:
    """Every number written in a quote, outside dates, with its kind (by the unit that follows it)."""
    text = squash(quote)
    found: list[Number] = []
    masked = list(text)

    def mask(start: int, end: int) -> None:
        masked[start:end] = "□" * (end - start)

    for m in _DATE.finditer(text):
        year = m.group(1) or m.group(5)
        if year:
            found.append(Number(Decimal(year), "calendar_year", m.start(), m.start() + 4))
        mask(m.start(), m.end())
    for m in _RATIO.finditer("".join(masked)):
        terms = re.split(r"[:：∶]", m.group())
        for i, term in enumerate(terms):
            found.append(Number(Decimal(term), "ratio", m.start(), m.end(), (i, len(terms))))
        mask(m.start(), m.end())
    rest = "".join(masked)
    for m in _NUMBER.finditer(rest):
        found.append(Number(Decimal(m.group()), _kind_after(rest, m.end(), m.group()), m.start(), m.end()))
    for m in _CHINESE.finditer(rest):
        found.append(Number(Decimal(CHINESE_NUMERALS[m.group(1)]), _kind_after(rest, m.end(), ""), m.start(),
                            m.end()))
    return sorted(found, key=lambda n: n.start)


# --------------------------------------------------------------------------- what a field expects


@dataclass(frozen=True)
class Expect:
    """What a field's value must be in a quote: the kinds of number it may be written as (None: any kind
    but a calendar year), a scale (a share of 0.75 is written 75%), labels naming it, and for a ratio
    term its place."""

    kinds: frozenset[str] | None = None
    scale: int = 1
    labels: tuple[str, ...] = ()
    term: tuple[int, int] | None = None

    def describe(self) -> str:
        if self.term is not None:
            return f"term {self.term[0] + 1} of a ratio of {self.term[1]} (a:b:c)"
        if self.kinds is None:
            return "a number"
        return " or ".join(KIND_NAMES[k] for k in sorted(self.kinds))


def _kinds(*names: str) -> frozenset[str]:
    return frozenset(names)


FACT_KINDS = {"disability_grade": _kinds("grade"), "employee_months": _kinds("months"),
              "years_uninsured": _kinds("years"), "years_back_paid": _kinds("years")}


def expectation(owner: BaseModel, name: str, label: str | None = None,
                term: tuple[int, int] | None = None) -> Expect:
    """What the number in field ``name`` of ``owner`` must be written as; ``label`` names the value
    (its group's or class's name), ``term`` places a ratio term in its list."""
    unit = getattr(owner, "unit", "days")
    by_unit = _kinds("months") if unit == "months" else _kinds("days")
    if name in ("amount", "portion"):
        words = LEVEL_WORDS.get(owner.level, ()) if isinstance(owner, LevelShare) else ()
        return Expect(_kinds("money"), labels=(label,) if label else words)
    if name == "personal_pays":
        return Expect(_kinds("money"), labels=(PERSONAL_LABEL,))
    if name == "ratio":
        return Expect(_kinds("ratio"), term=term)
    if name == "share" and isinstance(owner, AssistedGroup):
        return Expect(_kinds("percent"), scale=100)
    if name in ("length", "floor_length", "per_extra_year") and isinstance(owner, Condition | Start):
        return Expect(by_unit)
    if name == "floor_after_years":
        return Expect(_kinds("years"))
    if name == "years" and isinstance(owner, Condition):
        return Expect(_kinds("age", "years"))
    if name == "number" and isinstance(owner, Condition):
        return Expect(FACT_KINDS.get(owner.fact or ""))
    if name == "from_coverage_year" and isinstance(owner, NationalWaiting):
        return Expect(_kinds("calendar_year"))
    if name == "value" and isinstance(owner, Target) and owner.unit in ("percent", "%"):
        return Expect(_kinds("percent"))
    return Expect()


# --------------------------------------------------------------------------- the values of a cited object


Value = int | float | dt.date | str
SKIPPED_FIELDS = {"cite", "status", "note", "refers_to", "interpretation", "id"}
_MONTH_DAY = re.compile(r"\d\d-\d\d")


def _is_value(item: object) -> bool:
    if isinstance(item, bool):
        return False
    return isinstance(item, int | float | dt.date) or (isinstance(item, str) and bool(_MONTH_DAY.fullmatch(item)))


def cited_values(obj: BaseModel, loc: Loc, label: str | None = None,
                 term: tuple[int, int] | None = None) -> Iterator[tuple[Loc, Value, Expect]]:
    """Numbers, dates and month-days held by a cited object itself or by its uncited parts (conditions,
    shares), not by nested cited objects; each with what it must be in a quote. ``label`` names the
    object's values (a group's or class's name); ``term`` places a ratio share in its list."""
    for name in type(obj).model_fields:
        if name in SKIPPED_FIELDS:
            continue
        value = getattr(obj, name)
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        ratios = [s for s in value if isinstance(s, LevelShare) and s.ratio is not None] \
            if isinstance(value, list) else []
        for index, item in items:
            sub = (*loc, name) if index is None else (*loc, name, index)
            if isinstance(item, Cited):
                continue
            if isinstance(item, BaseModel):
                places = [i for i, s in enumerate(ratios) if s is item]
                yield from cited_values(item, sub, None, (places[0], len(ratios)) if places else None)
            elif _is_value(item):
                yield sub, item, expectation(obj, name, label, term)


# --------------------------------------------------------------------------- matching


def number_in(value: float, quote: str, expect: Expect | None = None) -> bool:
    """Whether a number is written in the quote as itself and of the expected kind (see the module)."""
    return _number_reason(value, quote, expect or Expect()) is None


def _own_values(found: list[Number], label: str, text: str) -> set[Decimal]:
    """The values a label is given in a quote: at each occurrence, the first number after it, else the last
    before it."""
    owns = set()
    for m in re.finditer(re.escape(squash(label)), text):
        after = [n for n in found if n.start >= m.end()]
        before = [n for n in found if n.end <= m.start()]
        if after or before:
            owns.add(after[0].value if after else before[-1].value)
    return owns


def _number_reason(value: float, quote: str, expect: Expect) -> tuple[int, str] | None:
    """None when the number stands in the quote as the field expects; else how close it came and why not."""
    target = Decimal(str(value)) * expect.scale
    text = squash(quote)
    found = [n for n in numbers(quote)
             if (n.kind != "calendar_year" if expect.kinds is None else n.kind in expect.kinds)]
    hits = [n for n in found if n.value == target and (expect.term is None or n.term == expect.term)]
    if not hits:
        return 0, f"as {expect.describe()}"
    distinct = {n.value for n in found}
    if len(distinct) > 1:
        for label in expect.labels:
            owns = _own_values(found, label, text)
            if owns and target not in owns:
                given = ", ".join(_shown(v) for v in sorted(owns))
                return 1, f"as the value of '{label}': the quote gives {given} for '{label}'"
    return None


def _shown(value: Decimal) -> str:
    return str(value.normalize()) if value != value.to_integral() else str(int(value))


def date_in(day: dt.date, quote: str, years: frozenset[int]) -> bool:
    """Whether a date is written in the quote with its year (see the module for the year-less form)."""
    return _date_reason(day, quote, years) is None


def _is_day(written: Written, day: dt.date) -> bool:
    if written.month != day.month:
        return False
    if written.month_end:
        return day.day == calendar.monthrange(day.year, day.month)[1]
    return written.day == day.day


def _date_reason(day: dt.date, quote: str, years: frozenset[int]) -> tuple[int, str] | None:
    dates = [w for w in written_dates(quote) if _is_day(w, day)]
    if not dates:
        return 0, ""
    any_year = _CALENDAR_YEAR.search(squash(quote)) is not None
    reasons = []
    for w in dates:
        year = w.year or w.year_before
        if year == day.year or (year is None and not any_year and day.year in years):
            return None
        form = f"{w.month}月底" if w.month_end else f"{w.month}月{w.day}日"
        if year is not None:
            reasons.append(f"with its year: the quote puts {form} in {year}")
        elif any_year:
            reasons.append(f"with its year: the quote writes {form} without a year and no year before it")
        else:
            span = f"{min(years)}-{max(years)}" if years else "none"
            reasons.append(f"with its year: the quote writes {form} without a year, and {day.year} is not a "
                           f"year this file speaks about ({span})")
    return 1, reasons[0]


def _month_day_reason(value: str, quote: str) -> tuple[int, str] | None:
    month, day = (int(x) for x in value.split("-"))
    if any(w.month == month and w.day == day for w in written_dates(quote)):
        return None
    return 0, ""


def verify(value: Value, quotes: list[str], expect: Expect, years: frozenset[int]) -> str | None:
    """None when a value stands in one of its quotes; else the reason, e.g. 'as a sum in yuan (元)'."""
    best: tuple[int, str] | None = (-1, "")
    for quote in quotes:
        if isinstance(value, dt.date):
            reason = _date_reason(value, quote, years)
        elif isinstance(value, str):
            reason = _month_day_reason(value, quote)
        else:
            reason = _number_reason(value, quote, expect)
        if reason is None:
            return None
        best = max(best, reason, key=lambda r: r[0])
    return best[1] if best else ""


def shown(value: Value) -> str:
    """A value as the check reports it."""
    return value.isoformat() if isinstance(value, dt.date) else str(value)
