"""The training page and the calculator in a real browser (headless Chromium driven by Playwright): one reveal
per question, a printable handout with every answer and a question sheet with none, and no rule id or
snake_case identifier in the text a reader sees."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from shared_book import MISSING, Site, Tab, open_tab

from policylib import calculator, catalogue, training

pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

TRAINING = "chapters/training"
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
VISIBLE = "sel => Array.from(document.querySelectorAll(sel)).filter(e => e.checkVisibility()).length"
SET_PERSON = ("([key, event, day]) => { const f = PolicylibCalculatorForm; f.state.rules = key; f.state.event = event; "
              "f.state.paid = day; f.state.categories = PolicylibCalculator.data.categories.map(c => c.id); "
              "f.render(); }")


def _ids() -> set[str]:
    """Ids a reader must never see: every start rule, window, group and class id of the rule files, and every
    category id, where the id is not an ordinary English word (it holds an underscore or a digit)."""
    found = {c.id for c in catalogue.categories().categories}
    for entry in catalogue.local_entries():
        rules = catalogue.rules(entry.jurisdiction, entry.year)
        found |= {r.id for r in rules.coverage.start_rules} | {w.id for w in rules.enrolment.windows}
        found |= {g.id for g in rules.assisted_groups} | {c.id for c in rules.financing.resident_classes}
    return {i for i in found if re.search(r"[_0-9]", i)}


def _leaks(text: str, ids: set[str]) -> list[str]:
    words = set(re.findall(r"[A-Za-z0-9_]+", text))
    return sorted(set(SNAKE.findall(text)) | (ids & words))


def test_each_training_question_reveals_only_its_own_answer(site: Site, tab: Tab) -> None:
    tab.goto(site.page(TRAINING))
    summaries = tab.page.locator("details.pl-reveal > summary")
    count = summaries.count()
    assert count == len(training.all_cases())
    assert tab.page.evaluate(VISIBLE, ".pl-answer") == 0
    for i in range(count):
        summaries.nth(i).click()
        block = tab.page.locator(".pl-question").nth(i)
        assert block.locator(".pl-answer").is_visible()
        assert tab.page.evaluate(VISIBLE, ".pl-answer") == 1, f"question {i + 1} revealed other answers"
        summaries.nth(i).click()
    assert tab.page.evaluate(VISIBLE, ".pl-answer") == 0
    assert not tab.errors, tab.errors


def test_print_is_a_handout_with_answers_and_the_sheet_has_none(site: Site, tab: Tab) -> None:
    tab.goto(site.page(TRAINING))
    total = tab.page.locator(".pl-answer").count()
    assert total
    tab.page.emulate_media(media="print")
    assert tab.page.evaluate(VISIBLE, ".pl-answer") == total  # the handout: every answer, none opened by hand
    assert tab.page.evaluate(VISIBLE, ".bd-sidebar-primary, .bd-header, .prev-next-area, .pl-print-controls") == 0
    assert tab.page.evaluate(VISIBLE, "details.pl-reveal > summary") == 0
    tab.page.emulate_media(media="screen")
    tab.page.check("#pl-sheet")  # the question sheet
    assert tab.page.evaluate(VISIBLE, ".pl-answer, details.pl-reveal") == 0
    tab.page.emulate_media(media="print")
    assert tab.page.evaluate(VISIBLE, ".pl-answer, details.pl-reveal") == 0
    assert tab.page.evaluate(VISIBLE, ".pl-question") == total  # the questions stay
    assert not tab.errors, tab.errors


def test_training_page_shows_no_ids(site: Site, tab: Tab) -> None:
    tab.goto(site.page(TRAINING))
    tab.page.emulate_media(media="print")  # every answer shown
    text = tab.page.locator("body").inner_text()
    assert "Common mistakes" in text and "Where the notice is silent" in text
    assert not _leaks(text, _ids())


def _calculator_text(tab: Tab) -> str:
    tab.page.wait_for_selector("#pl-calc-answer .pl-calc-status, #pl-calc-answer p")
    return tab.page.locator("article").inner_text()


@dataclass(frozen=True)
class CaseVisit:
    """What the calculator showed for one worked case, opened from its link."""

    key: str
    text: str
    clause_links: list[str]


@pytest.fixture(scope="module")
def case_visits(browser: Any, site: Site) -> Iterator[tuple[list[CaseVisit], list[str]]]:
    """Every worked case opened once in the calculator (what two tests read), with the tab's errors."""
    context, tab = open_tab(browser, site.url)
    visits = []
    for case in training.all_cases():
        tab.goto(f"{site.url}/{calculator.link(case.person, case.jurisdiction, case.year, '')}")
        text = _calculator_text(tab)
        links = tab.page.locator("#pl-calc a").filter(has_text="§").evaluate_all("els => els.map(e => e.href)")
        visits.append(CaseVisit(case.key, text, links))
    yield visits, tab.errors
    context.close()


def test_calculator_shows_no_ids(case_visits: tuple[list[CaseVisit], list[str]], site: Site, tab: Tab) -> None:
    """Every worked case opened in the calculator (a rule of each kind, not-stated ones included), then every
    circumstance of every notice with every category ticked: the page names rules, windows and groups in words."""
    ids = _ids()
    visits, errors = case_visits
    assert len(visits) == len(training.all_cases())
    for visit in visits:
        assert not _leaks(visit.text, ids), (visit.key, _leaks(visit.text, ids))
    seen = 0
    first = training.all_cases()[0]
    tab.goto(f"{site.url}/{calculator.link(first.person, first.jurisdiction, first.year, '')}")
    for entry in catalogue.local_entries():
        rules = catalogue.rules(entry.jurisdiction, entry.year)
        for circumstance in sorted({r.circumstance for r in rules.coverage.start_rules}):
            tab.page.evaluate(SET_PERSON, [f"{entry.jurisdiction}-{entry.year}", circumstance,
                                           rules.coverage.period.start.isoformat()])
            text = _calculator_text(tab)
            assert not _leaks(text, ids), (entry.key, circumstance, _leaks(text, ids))
            seen += 1
    assert seen >= len(catalogue.local_entries())
    assert not errors, errors
    assert not tab.errors, tab.errors


def test_calculator_clause_links_land_on_their_clause(case_visits: tuple[list[CaseVisit], list[str]]) -> None:
    """Every clause link the calculator shows for the worked cases goes to an element with that id on its source
    document's page (a citation that names no source cites the notice of its rule file)."""
    from test_browser import fetch
    from test_reader_pages import _ids as ids_of

    pages: dict[str, set[str]] = {}
    visits, errors = case_visits
    seen = 0
    for visit in visits:
        for href in visit.clause_links:
            page, _, fragment = href.partition("#")
            assert re.search(r"/sources/[a-z0-9-]+\.html$", page) and fragment, f"{visit.key}: {href}"
            if page not in pages:
                status, _, body = fetch(page)
                assert status == 200, href
                pages[page] = ids_of(body)
            assert urllib.parse.unquote(fragment) in pages[page], f"{visit.key}: {href} lands on no clause"
            seen += 1
    assert seen >= len(visits)
    assert not errors, errors


def test_calculator_fields_are_not_hidden_under_the_pinned_bar_on_phones(site: Site, browser: Any) -> None:
    """At 390 px the answer's summary bar is pinned to the bottom of the screen: a field reached with the keyboard
    is scrolled above it, and the end of the form can be scrolled clear of it."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    case = training.all_cases(kinds=("two_groups",))[0]
    page.goto(f"{site.url}/{calculator.link(case.person, case.jurisdiction, case.year, '')}", wait_until="load")
    page.wait_for_selector("#pl-calc-answer .pl-calc-status")
    fields = page.locator("form.pl-calc-form input, form.pl-calc-form select")
    checked = 0
    for i in range(fields.count()):
        field = fields.nth(i)
        if not field.is_visible():
            continue
        field.focus()
        box, bar = field.bounding_box(), page.locator(".pl-calc-summary").bounding_box()
        assert box is not None and bar is not None and bar["height"] > 40
        assert box["y"] + box["height"] <= bar["y"] + 1, f"field {i} is under the pinned bar"
        checked += 1
    assert checked >= 5
    padding = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#pl-calc')).paddingBottom)")
    assert padding >= page.locator(".pl-calc-summary").bounding_box()["height"]
    context.close()
