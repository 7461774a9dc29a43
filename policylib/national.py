"""National rules that local notices are compared with: the waiting-period rule of 国办发〔2024〕38号."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from policylib import catalogue, table
from policylib.model import NationalStandard, NationalWaiting


def waiting_rule(coverage_year: int, directory: Path | None = None
                 ) -> tuple[NationalStandard, NationalWaiting] | None:
    """The national waiting-period rule in force for a coverage year (the latest that applies), if any."""
    found = [(s, s.waiting_period) for s in catalogue.national_standards(directory)
             if s.waiting_period is not None and s.waiting_period.from_coverage_year <= coverage_year]
    if not found:
        return None
    standard, rule = max(found, key=lambda sw: sw[1].from_coverage_year)
    return standard, rule


def waiting_days(rule: NationalWaiting, circumstance: str, paid: dt.date, years_uninsured: int,
                 years_back_paid: int = 0, convention: str = "civil-code") -> int:
    """Days a person who enrols on ``paid`` outside the collection period waits under the national rule
    (0 for the exempt circumstances), counted as the local quotes count them."""
    if circumstance in rule.exempt:
        return 0
    cols = table.one(circumstance, frozenset(), paid, {},
                     {"years_uninsured": years_uninsured, "years_back_paid": years_back_paid})
    last = int(table.waiting_last_day(rule.waiting, cols, convention)[0])
    start = last if rule.waiting.include_bound else last + 1
    return max(0, start - table.day(paid) - (1 if convention == "civil-code" else 0))
