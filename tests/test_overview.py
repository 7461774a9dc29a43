"""The "at a glance" overview and the per-class prices: each answer agrees with the engine and the rule file,
on the seeds and on the fictional notices (resident classes)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from policylib import catalogue, compare, engine, national
from policylib.book import render
from tests.test_fictional import project  # noqa: F401  (the fixture: seeds plus fictional notices)

SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def _rules() -> list:
    return [catalogue.rules(e.jurisdiction, e.year) for e in catalogue.local_entries()]


def _check_overview() -> pd.DataFrame:
    overview = compare.overview()
    rules_list = _rules()
    assert list(zip(overview["jurisdiction"], overview["year"], strict=True)) == [
        (r.jurisdiction, r.coverage_year) for r in rules_list]
    matrix = compare.assisted_matrix()
    for rules, (_, row) in zip(rules_list, overview.iterrows(), strict=True):
        fin = rules.financing
        # highest contribution: over the classes where the notice prices classes, else the file-wide figure
        amounts = [c.personal_contribution.amount for c in fin.resident_classes if c.personal_contribution.stated]
        expected = max(amounts) if fin.resident_classes else fin.personal_contribution.amount
        assert row["highest_contribution"] == expected
        if fin.resident_classes:
            assert [c["class_zh"] for c in row["classes"]] == [c.name_zh for c in fin.resident_classes]
            top = max(fin.resident_classes, key=lambda c: c.personal_contribution.amount or -1)
            assert row["highest_class_zh"] == top.name_zh
        standard = catalogue.national_for(rules.coverage_year)
        if standard is not None and expected is not None:
            assert row["above_national"] == expected - standard.financing.personal_contribution.amount
        # 低保: the range of what its groups still pay, and the share of the contribution
        own = matrix[(matrix["jurisdiction"] == rules.jurisdiction) & (matrix["year"] == rules.coverage_year)
                     & matrix["category"].isin(compare._dibao_ids()) & ~matrix["excluded"].astype(bool)]
        pays = own["personal_pays"].dropna().astype(int).tolist()
        if fin.resident_classes:
            prices = [c.personal_contribution.amount for c in fin.resident_classes]
            if not pd.isna(row["dibao_pays_low"]):
                assert 0 <= row["dibao_pays_low"] <= row["dibao_pays_high"] <= max(prices)
        elif pays:
            assert (row["dibao_pays_low"], row["dibao_pays_high"]) == (min(pays), max(pays))
            contribution = fin.personal_contribution.amount
            assert row["dibao_share_high"] == round(max(pays) / contribution, 3)
        else:
            assert pd.isna(row["dibao_pays_low"]) and str(row["dibao_status"]).startswith(compare.NOT_STATED)
        # late payer: the engine's answer for a resident paying the day after the first window
        first = rules.enrolment.windows[0]
        paid = first.end + dt.timedelta(days=1)
        q = engine.quote(rules, engine.reference_facts(rules, engine.Person(paid=paid)))
        assert row["late_paid"].date() == paid
        got = None if pd.isna(row["late_waiting_days"]) else int(row["late_waiting_days"])
        assert got == (q.waiting_days if q.payable else None)
        assert bool(row["national_rule_in_force"]) == (national.waiting_rule(rules.coverage_year) is not None)
        # windows: the first window's end, then every later window and extension once
        assert row["window_end"].date() == first.end
        ends = {w["end"] for w in row["later_windows"]}
        assert {w.end.isoformat() for w in rules.enrolment.windows[1:] if w.end and w.stated} <= ends
        assert {e.end.isoformat() for e in rules.enrolment.extensions if e.end and e.stated} <= ends
    return overview


def test_overview_answers_agree_with_the_engine_and_the_rule_files() -> None:
    overview = _check_overview()
    html = render.overview_table(overview)
    body = html.split("<tbody>", 1)[1]
    assert body.count("<tr>") == len(overview)
    for (_, row), tr in zip(overview.iterrows(), body.split("<tr>")[1:], strict=True):
        assert f'href="../profiles/{row["jurisdiction"]}-{row["year"]}.html"' in tr
        # contribution, national minimum, 低保, late, window: each on its source's page
        assert len(re.findall(r'href="\.\./sources/[a-z0-9-]+\.html#', tr)) >= 4
    assert not SNAKE.search(re.sub(r"<[^>]+>", " ", html))


def test_overview_prices_each_resident_class(project: Path) -> None:  # noqa: F811
    overview = _check_overview()
    with_classes = overview[overview["classes"].notna()]
    assert not with_classes.empty, "no fictional notice prices resident classes"
    html = render.overview_table(with_classes)
    for classes in with_classes["classes"]:
        for c in classes:
            assert c["class_zh"] in html and render.money(c["amount"]) in html
    prices = compare.class_prices()
    for rules in _rules():
        own = prices[(prices["jurisdiction"] == rules.jurisdiction) & (prices["year"] == rules.coverage_year)]
        assert len(own) == max(1, len(rules.financing.resident_classes))


def test_unstated_points_are_named_in_plain_words(project: Path) -> None:  # noqa: F811
    unstated = compare.unstated()
    assert not unstated.empty
    for what in unstated["what"]:
        assert what and not SNAKE.search(what) and "[" not in what, what


def test_one_wording_for_money() -> None:
    from policylib import summary, wording

    assert wording.money(None) == render.money(None) == compare.NOT_STATED
    assert render.money(160, upper_bound=True) == wording.money(160, upper_bound=True) == "at most 160 yuan"
    amount = catalogue.rules(*next((e.jurisdiction, e.year) for e in catalogue.local_entries())).financing
    assert summary.money(amount.personal_contribution) == wording.money(amount.personal_contribution.amount)
