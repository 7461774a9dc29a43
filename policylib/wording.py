"""Plain words for quotes, tables and pages: money, "not stated", conditions on a person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from policylib.model import Condition

NOT_STATED = "not stated"


def money(amount: int | None, *, at_least: bool = False, upper_bound: bool = False) -> str:
    """The one wording of a sum in yuan: ``280 yuan``, ``at least 550 yuan``, ``at most 160 yuan``, or
    ``not stated`` when the notice gives no figure."""
    if amount is None:
        return NOT_STATED
    prefix = "at least " if at_least else "at most " if upper_bound else ""
    return f"{prefix}{int(amount)} yuan"


def cover_range(start: dt.date, end: dt.date | None, days: int | None) -> str:
    """The one wording of a period of cover: ``2021-01-01 to 2021-12-31 (365 days)``, or, where cover would
    start only after the coverage period has ended, that there is none this year and why."""
    if end is not None and start > end:
        return (f"none this coverage year: cover would start on {start.isoformat()}, "
                f"after the coverage period ends on {end.isoformat()}")
    shown = f"{start.isoformat()} to {end.isoformat() if end else '…'}"
    return shown if days is None else f"{shown} ({days} days)"


FACT_WORDS = {
    "student": ("a student (在校学生)", "not a student"),
    "rural_hukou": ("of rural household registration (农村户籍)", "of urban household registration (城镇户籍)"),
    "parent_insured": ("with a parent insured (父母一方已参保)", "with no parent insured"),
    "years_uninsured": "years without insurance (断保年数)",
    "years_back_paid": "years paid back (补缴年数)",
    "disability_grade": "disability grade (残疾等级)",
    "employee_months": "months of employee-insurance contributions last year (上年度职工医保缴费月数)",
}


def _fact(c: Condition) -> str:
    words = FACT_WORDS.get(c.fact or "", c.fact or "")
    if c.kind == "fact_is":
        yes, no = words if isinstance(words, tuple) else (str(words), f"not {words}")
        return yes if c.value else no
    bound = "at least" if c.kind == "fact_at_least" else "at most"
    return f"with {words} {bound} {c.number}"


PERSON_WORDS: dict[str, Callable[[Condition], str]] = {
    "age_at_least": lambda c: f"aged {c.years} or more on {c.as_of.isoformat() if c.as_of else '?'}",
    "age_below": lambda c: f"aged under {c.years} on {c.as_of.isoformat() if c.as_of else '?'}",
    "student": lambda c: FACT_WORDS["student"][0 if c.value else 1],
    "rural_hukou": lambda c: FACT_WORDS["rural_hukou"][0 if c.value else 1],
    "insured_last_year": lambda c: "insured last year (上年度已参保)" if c.value else "not insured last year (断保)",
    "years_uninsured_at_least": lambda c: f"{c.years} or more years without insurance (断保)",
    "years_uninsured_below": lambda c: f"fewer than {c.years} years without insurance (断保)",
    "fact_is": _fact,
    "fact_at_least": _fact,
    "fact_at_most": _fact,
}


def person_words(cond: Condition) -> str:
    """One condition on a person in English, with the Chinese term."""
    return PERSON_WORDS[cond.kind](cond)
