"""The book's calculator held to the engine, in a real browser (headless Chromium driven by Playwright).

Random persons of every local rule file and every fictional notice (tests/fictional), spread over every
circumstance and group and placed around every boundary (tests/calculator_persons.py), are quoted by the
page's evaluator and by the engine, and every field of the answer must be equal: the amounts, the bound
flags, the payer, the rule, the cover, the waiting days, the reason, the citations and the notes, or the input
error with its message.
The law-derived cases go through the page too, and a few persons through the form itself.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import yaml
from fictional_project import fictional_project
from shared_book import MISSING, TIMEOUT_MS, BookUnavailable, published_html, record_outside, serve

from policylib import calculator, catalogue, engine, table, wording
from tests import calculator_persons as persons
from tests.test_law_cases import CASES_DIR, check_expected, make_person

pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

REPO = Path(__file__).resolve().parent.parent
FICTIONAL = Path(__file__).resolve().parent / "fictional"
PERSONS = 2_400  # spread evenly over the jurisdiction-years: enough to reach every rule kind checked below
BATCH = 2_000
SEED = 20_261_202
PAYLOAD = "<script>window.__pwned=1</script>"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the project's rules and sources with every fictional notice added."""
    with fictional_project(tmp_path_factory.mktemp("calculator")) as root:
        yield root


@pytest.fixture(scope="module")
def html() -> Path:
    """The book's HTML, built if not up to date (the notebooks are not executed)."""
    try:
        return published_html()
    except BookUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def page(html: Path, project: Path, browser: Any) -> Iterator[Any]:
    """The calculator page served locally, with the fictional notices added to its data; nothing else fetched."""
    seeds = {f"{e.jurisdiction}-{e.year}" for e in catalogue.local_entries(REPO / "rules")}
    extra = [calculator.export_rules(catalogue.rules(e.jurisdiction, e.year)) for e in catalogue.local_entries()
             if f"{e.jurisdiction}-{e.year}" not in seeds]
    with serve(html) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        outside: list[str] = []
        record_outside(context, url, outside.append)
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(f"{url}/{calculator.PAGE}.html", wait_until="load", timeout=TIMEOUT_MS)
        tab.url_base = url  # type: ignore[attr-defined]
        tab.extra = extra  # type: ignore[attr-defined]
        yield tab
        context.close()
        assert not outside, f"the calculator fetched from another host: {outside}"
        assert not errors, f"page errors: {errors}"


def _key(rules: Any) -> str:
    return f"{rules.jurisdiction}-{rules.coverage_year}"


def _through_page(tab: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page's answers, in batches (as JSON text: Playwright's own serialisation of large values is slow)."""
    out: list[dict[str, Any]] = []
    tab.evaluate("extra => PolicylibCalculator.addRules(extra)", tab.extra)
    for start in range(0, len(items), BATCH):
        text = tab.evaluate("s => JSON.stringify(PolicylibCalculator.quoteBatch(JSON.parse(s)))",
                            json.dumps(items[start:start + BATCH]))
        out += json.loads(text)
    return out


def _mismatches(items: list[dict[str, Any]], expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> list[str]:
    found = []
    for item, want, answer in zip(items, expected, got, strict=True):
        have = persons.page_answer(answer)
        if have != want:
            fields = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
            found.append(f"{json.dumps(item, ensure_ascii=False)}: {', '.join(fields)}: "
                         f"engine {[want.get(k) for k in fields]} page {[have.get(k) for k in fields]}")
    return found


def test_random_persons_get_the_engines_answer(page: Any, project: Path) -> None:
    """Random persons: every field of every answer equal to the engine's, and between them every file, circumstance,
    group, class, most rules and the kinds of input error reached."""
    every = [catalogue.rules(e.jurisdiction, e.year) for e in catalogue.local_entries()]
    assert len(every) > len(catalogue.local_entries(REPO / "rules")), "no fictional notice was added"
    rng = random.Random(SEED)
    items, expected, rules_of = [], [], []
    for i in range(PERSONS):
        rules = every[i % len(every)]
        person, convention = persons.person(rules, rng)
        items.append({"rules": _key(rules), "person": persons.as_input(person), "convention": convention})
        expected.append(persons.engine_answer(rules, person, convention))
        rules_of.append(rules)
    got = _through_page(page, items)
    bad = _mismatches(items, expected, got)
    assert not bad, f"{len(bad)} of {len(items)} answers differ; first: " + "\n".join(bad[:3])

    # The persons reach what they are meant to: every file, circumstance, rule, group, class and error kind.
    quoted = [(r, it, e) for r, it, e in zip(rules_of, items, expected, strict=True) if "error" not in e]
    for rules in every:
        mine = [(it, e) for r, it, e in quoted if r is rules]
        hit = {e["rule"] for _, e in mine}
        reachable = {r.id for r in rules.coverage.start_rules}
        assert len(hit & reachable) >= 0.8 * len(reachable), f"{_key(rules)}: rules reached {sorted(hit)}"
        circumstances = {it["person"]["circumstance"] for it, _ in mine}
        assert {r.circumstance for r in rules.coverage.start_rules} <= circumstances, _key(rules)
        groups = {c for it, _ in mine for c in it["person"]["categories"]}
        assert {g.category for g in rules.assisted_groups} <= groups, _key(rules)
        classes = {e["resident_class"] for _, e in mine}
        assert {c.id for c in rules.financing.resident_classes} <= classes, _key(rules)
        assert any(e["payable"] is None for _, e in mine) or all(r.stated for r in rules.coverage.start_rules)
    kinds = Counter(e["error"] for e in expected if "error" in e)
    assert {"--paid", "category"} <= set(kinds) and len(kinds) >= 4, kinds
    assert sum(1 for e in expected if "error" not in e) >= 0.8 * len(expected)


def test_boundary_days_are_reached(project: Path) -> None:
    """The generator puts payments on the window edges, the period's ends and leap days of every file."""
    for entry in catalogue.local_entries():
        rules = catalogue.rules(entry.jurisdiction, entry.year)
        days = set(persons.boundaries(rules))
        for w in rules.enrolment.windows:
            assert {d for d in (w.start, w.end) if d} <= days
        assert {rules.coverage.period.start, rules.coverage.period.end} <= days
        first, last = table.domain(rules)
        leap_days = {dt.date(y, 2, 29) for y in range(first.year, last.year + 1) if y % 4 == 0}
        assert {d for d in leap_days if first <= d <= last} <= days
        assert {dt.date(y, 12, 31) for y in range(first.year, last.year)} <= days


def _case_items(doc: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    rules = catalogue.rules(doc["jurisdiction"], doc["year"])
    out = []
    for case in doc["cases"]:
        person = make_person(case["person"])
        convention = case.get("day_count", "civil-code")
        item = {"rules": _key(rules), "person": persons.as_input(person), "convention": convention}
        out.append((case, item, persons.engine_answer(rules, person, convention)))
    return out


def test_law_derived_cases_through_the_page(page: Any, project: Path) -> None:
    """Every hand-worked case of the seed notices and the fictional ones: the page gives the engine's answer,
    and what the case expects."""
    docs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(CASES_DIR.glob("*.yaml"))]
    docs += [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(FICTIONAL.glob("*/cases.yaml"))]
    triples = [t for doc in docs for t in _case_items(doc)]
    assert len(triples) >= 20
    got = _through_page(page, [item for _, item, _ in triples])
    bad = _mismatches([i for _, i, _ in triples], [e for _, _, e in triples], got)
    assert not bad, "\n".join(bad[:3])
    for (case, _, _), answer in zip(triples, got, strict=True):
        if case.get("known_issue"):
            continue
        if "expect_error" in case:
            assert answer["error"].lstrip("-") == case["expect_error"]["argument"], case["name"]
        else:
            problems = check_expected(answer, case["expect"])
            assert not problems, f"{case['name']}: {problems}"


def _shown(tab: Any, css: str) -> str:
    return tab.locator(f"#pl-calc-answer {css}").inner_text()


def _expect_shown(tab: Any, q: engine.Quote) -> None:
    due = tab.locator("#pl-calc-answer .pl-calc-due").inner_text()
    if q.personal_due is not None:
        assert due == f"{'at most ' if q.personal_due_is_upper_bound else ''}{q.personal_due} yuan"
    cover = _shown(tab, ".pl-calc-cover")
    if q.coverage_start is not None:
        assert cover == wording.cover_range(q.coverage_start, q.coverage_end, q.covered_days)
    if q.rule is not None:
        assert tab.locator("#pl-calc-answer .pl-calc-rule [data-rule]").get_attribute("data-rule") == q.rule
        assert "_" not in q.rule or q.rule not in tab.locator("#pl-calc-answer").inner_text()
    assert tab.locator("#pl-calc-answer .pl-calc-status").get_attribute("data-reason") == q.payable_reason


def test_the_form_shows_the_engines_answer(page: Any, project: Path) -> None:
    """A worked case's person opened from its link, then the payment date changed in the form, again and again:
    the answer shown is the engine's each time, and the address follows the form."""
    from policylib import training

    base = page.url_base
    shown = no_cover = 0
    for entry in catalogue.local_entries(REPO / "rules"):
        rules = catalogue.rules(entry.jurisdiction, entry.year)
        case = training.cases(rules)[0]
        page.goto(f"{base}/{calculator.link(case.person, rules.jurisdiction, rules.coverage_year, '')}")
        page.wait_for_selector("#pl-calc-answer .pl-calc-status")
        _expect_shown(page, engine.quote(rules, case.person))
        assert case.person.paid is not None
        # The last date: a late payment whose wait, where there is one, runs past the end of the year.
        for moved in [case.person.paid + dt.timedelta(days=days) for days in (45, -60, 200)] + [
                dt.date(rules.coverage_year, 12, 20)]:
            page.fill("[name=paid]", moved.isoformat())
            assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["paid"] == [moved.isoformat()]
            try:
                q = engine.quote(rules, replace(case.person, paid=moved))
            except engine.InputError:
                assert "Check the inputs" in page.locator("#pl-calc-answer").inner_text()
                continue
            _expect_shown(page, q)
            shown += 1
            no_cover += bool(q.coverage_start and q.coverage_end and q.coverage_start > q.coverage_end)
    assert shown >= 8
    assert no_cover  # Guizhou 2021: paid on 20 December, the 60-day wait ends in 2022


def test_the_form_asks_only_what_the_notice_uses(page: Any, project: Path) -> None:
    """The facts asked are the file's needed inputs for the circumstance; nothing else."""
    base = page.url_base
    for entry in catalogue.local_entries(REPO / "rules"):
        rules = catalogue.rules(entry.jurisdiction, entry.year)
        page.goto(f"{base}/{calculator.PAGE}.html?rules={_key(rules)}&event=regular")
        page.wait_for_selector("#pl-calc-answer .pl-calc-status, #pl-calc-answer p")
        asked = set(page.eval_on_selector_all("form [name]", "els => els.map(e => e.name)"))
        facts = {n for n in asked if n in table.FACTS or n in table.EVENTS}
        assert facts <= set(table.needed_inputs(rules)) | {"recognised"}, (_key(rules), facts)
    page.evaluate("extra => PolicylibCalculator.addRules(extra)", page.extra)
    facts_asked: set[str] = set()
    for entry in catalogue.local_entries():
        rules = catalogue.rules(entry.jurisdiction, entry.year)
        for circumstance in sorted({r.circumstance for r in rules.coverage.start_rules}):
            page.evaluate("([key, event]) => { const f = PolicylibCalculatorForm; f.state.rules = key; "
                          "f.state.event = event; f.state.categories = []; f.render(); }", [_key(rules), circumstance])
            asked = set(page.eval_on_selector_all("form [name]", "els => els.map(e => e.name)"))
            event = table.EVENT_FOR.get(circumstance)
            wanted = set(calculator.inputs_for(rules, circumstance)) | {"paid"} | ({event} if event else set())
            assert {n for n in asked if n in table.FACTS or n in table.EVENTS or n == "paid"} == wanted
            assert wanted - {"paid", event} <= set(table.needed_inputs(rules))
            facts_asked |= wanted - {"paid", event}
    assert facts_asked, "no notice asks for a fact: the form's facts are not tested"


def test_hostile_rule_text_is_shown_as_text(page: Any, project: Path) -> None:
    """A rule file carrying markup in its names, notes and quotes: shown as text, never run."""
    rules = catalogue.rules(*next((e.jurisdiction, e.year) for e in catalogue.local_entries(REPO / "rules")))
    data = calculator.export_rules(rules)
    data["key"] = "hostile-1"
    data["name_en"] = PAYLOAD
    for rule in data["start_rules"]:
        rule["words"] = [PAYLOAD]
        rule["note"] = PAYLOAD
        for c in rule["cite"]:
            c["quote"] = PAYLOAD
    page.goto(f"{page.url_base}/{calculator.PAGE}.html")
    page.evaluate("extra => PolicylibCalculator.addRules(extra)", [data])
    page.evaluate("() => { PolicylibCalculatorForm.state.rules = 'hostile-1'; PolicylibCalculatorForm.render(); }")
    paid = rules.enrolment.windows[0].end or rules.coverage.period.start
    page.fill("[name=paid]", paid.isoformat())
    text = page.locator("#pl-calc").inner_text()
    assert PAYLOAD in text
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert PAYLOAD not in page.content()


def test_the_exported_data_is_the_rule_files(html: Path) -> None:
    """The book ships the data of the rule files as they are (rebuild the book after changing one)."""
    rules = [catalogue.rules(e.jurisdiction, e.year) for e in catalogue.local_entries(REPO / "rules")]
    shipped = (REPO / "book" / calculator.EXTRA_DIR / calculator.DATA_FILE).read_text(encoding="utf-8")
    assert shipped == calculator.data_script(calculator.export(rules))
    assert (html / calculator.DATA_FILE).read_text(encoding="utf-8") == shipped


def test_every_worked_case_links_to_the_calculator_with_its_person(html: Path) -> None:
    """The training questions and the profiles' worked cases each link to the calculator filled in with the
    case's person."""
    from policylib import training

    rules_dir = REPO / "rules"
    every = [catalogue.rules(e.jurisdiction, e.year, rules_dir) for e in catalogue.local_entries(rules_dir)]
    pages = {"chapters/training.html": [c for r in every for c in training.cases(r)]}
    for r in every:
        pages[f"profiles/{_key(r)}.html"] = training.cases(r, training.PROFILE_KINDS)
    for name, cases in pages.items():
        text = (html / name).read_text(encoding="utf-8")
        found = {unescape(h) for h in re.findall(r'class="pl-calc-link" href="([^"]+)"', text)}
        wanted = {calculator.link(c.person, c.jurisdiction, c.year) for c in cases}
        assert wanted and found == wanted, name
