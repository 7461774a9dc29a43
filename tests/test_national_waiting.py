"""The national waiting-period rule (国办发〔2024〕38号) as data, worked by hand from its sentence:
"设置参保后固定待遇等待期3个月；…每多断保1年…增加变动待遇等待期1个月…每多缴纳1年可减少1个月…连续断缴4年及以上的，
修复后…之和原则上不少于6个月"; newborns (新生儿) do not wait. Months end on the corresponding day
(民法典 第二百零二条)."""

from __future__ import annotations

import datetime as dt

import pytest

from policylib import national

D = dt.date


def _rule():
    found = national.waiting_rule(2025)
    assert found is not None, "no national waiting rule for 2025"
    return found[1]


def test_the_rule_applies_from_2025_only() -> None:
    assert national.waiting_rule(2024) is None
    assert national.waiting_rule(2026) is not None
    assert _rule().document == "国办发〔2024〕38号"


@pytest.mark.parametrize(("years", "back", "paid", "days", "why"), [
    (0, 0, D(2025, 1, 1), 90, "late but insured last year: the fixed 3 months, 2025-01-01 to 2025-04-01, cover 04-02"),
    (1, 0, D(2025, 1, 1), 90, "one year without insurance: still 3 months (每多断保 counts the further years)"),
    (2, 0, D(2025, 1, 1), 120, "two years: 3 + 1 = 4 months, to 2025-05-01, cover 05-02: Jan 2..May 1 = 120 days"),
    (3, 1, D(2025, 1, 1), 120, "three years, one paid back: 3 + (3 - 1 - 1) = 4 months"),
    (4, 0, D(2025, 1, 1), 181, "four years: 3 + 3 = 6 months, to 2025-07-01: Jan 2..Jul 1 = 181 days"),
    (4, 3, D(2025, 1, 1), 181, "four years all but one paid back: 3 months, but at least 6 from 4 years on"),
    (6, 0, D(2025, 1, 1), 243, "six years: 3 + 5 = 8 months, to 2025-09-01: Jan 2..Sep 1 = 30+28+31+30+31+30+31+31+1"),
    (2, 0, D(2025, 10, 31), 120, "4 months from 2025-10-31 end on 2026-02-28 (no 31 February): Nov 1..Feb 28"),
])
def test_national_waiting_days(years: int, back: int, paid: dt.date, days: int, why: str) -> None:
    assert national.waiting_days(_rule(), "regular", paid, years, back) == days, why


def test_newborns_do_not_wait() -> None:
    assert national.waiting_days(_rule(), "newborn", D(2025, 3, 1), 0) == 0
