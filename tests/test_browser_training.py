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
from test_reader_pages import SNAKE

from policylib import calculator, catalogue, training

pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

TRAINING = "chapters/training"
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


@dataclass
class TrainingVisit:
    """What one load of the training page showed: each question revealed and closed in turn on screen, then the page
    printed (the handout), then the question sheet chosen, on screen and printed. Counts are of visible elements."""

    questions: int  # the reveals
    answers_before: int  # answers shown before any question is revealed
    revealed: list[tuple[bool, int]]  # per question revealed: its own answer shown, answers shown
    answers_after: int  # answers shown once each is closed again
    errors_on_screen: list[str]  # the tab's errors until then
    answers: int  # the answers on the page, shown or not
    opened: int  # reveals left open before printing (none opened by hand)
    printed_text: str  # the page's text as printed
    printed_answers: int
    printed_chrome: int  # sidebar, header, previous/next links and print controls
    printed_reveals: int  # the reveals' summaries
    sheet_answers: int  # answers and reveals on screen with the question sheet chosen
    sheet_printed_answers: int  # and printed
    sheet_printed_questions: int
    errors: list[str]  # the tab's errors to the end


@pytest.fixture(scope="module")
def training_visit(browser: Any, site: Site) -> Iterator[TrainingVisit]:
    """The training page loaded once, used as the three tests below read it."""
    context, tab = open_tab(browser, site.url)
    try:
        tab.goto(site.page(TRAINING))
        page = tab.page
        summaries = page.locator("details.pl-reveal > summary")
        count = summaries.count()
        answers_before = page.evaluate(VISIBLE, ".pl-answer")
        revealed = []
        for i in range(count):
            summaries.nth(i).click()
            own = page.locator(".pl-question").nth(i).locator(".pl-answer").is_visible()
            revealed.append((own, page.evaluate(VISIBLE, ".pl-answer")))
            summaries.nth(i).click()
        answers_after = page.evaluate(VISIBLE, ".pl-answer")
        errors_on_screen = list(tab.errors)
        answers = page.locator(".pl-answer").count()
        opened = page.locator("details.pl-reveal[open]").count()
        page.emulate_media(media="print")
        printed_text = page.locator("body").inner_text()
        printed = [page.evaluate(VISIBLE, sel) for sel in (
            ".pl-answer", ".bd-sidebar-primary, .bd-header, .prev-next-area, .pl-print-controls",
            "details.pl-reveal > summary")]
        page.emulate_media(media="screen")
        page.check("#pl-sheet")  # the question sheet
        sheet_answers = page.evaluate(VISIBLE, ".pl-answer, details.pl-reveal")
        page.emulate_media(media="print")
        sheet_printed = [page.evaluate(VISIBLE, sel) for sel in (".pl-answer, details.pl-reveal", ".pl-question")]
        yield TrainingVisit(count, answers_before, revealed, answers_after, errors_on_screen, answers, opened,
                            printed_text, *printed, sheet_answers, *sheet_printed, tab.errors)
    finally:
        context.close()


def test_each_training_question_reveals_only_its_own_answer(training_visit: TrainingVisit) -> None:
    visit = training_visit
    assert visit.questions == len(training.all_cases())
    assert visit.answers_before == 0
    for i, (own, shown) in enumerate(visit.revealed):
        assert own, f"question {i + 1} does not reveal its answer"
        assert shown == 1, f"question {i + 1} revealed other answers"
    assert visit.answers_after == 0
    assert not visit.errors_on_screen, visit.errors_on_screen


def test_print_is_a_handout_with_answers_and_the_sheet_has_none(training_visit: TrainingVisit) -> None:
    visit = training_visit
    total = visit.answers
    assert total
    assert visit.opened == 0  # none opened by hand before printing
    assert visit.printed_answers == total  # the handout: every answer
    assert visit.printed_chrome == 0
    assert visit.printed_reveals == 0
    assert visit.sheet_answers == 0  # the question sheet
    assert visit.sheet_printed_answers == 0
    assert visit.sheet_printed_questions == total  # the questions stay
    assert not visit.errors, visit.errors


def test_training_page_shows_no_ids(training_visit: TrainingVisit) -> None:
    text = training_visit.printed_text  # printed: every answer shown
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


@dataclass(frozen=True)
class Circumstance:
    """What the calculator showed with a notice, a circumstance, the first day of cover as the payment day and every
    category set in the form (after the first worked case opened from its link)."""

    key: str  # jurisdiction-year
    circumstance: str
    text: str


@dataclass
class OnPhone:
    """The form of a worked case with two groups, at 390 px: each visible field focused as with the keyboard, where it
    ended (its top and height) and where the pinned answer's summary bar was (its top and height); and the space
    kept under the form."""

    fields: list[tuple[int, dict[str, float] | None, dict[str, float] | None]]  # (field's index, its box, the bar's)
    padding: float
    bar: dict[str, float] | None


@dataclass
class CalculatorVisits:
    cases: list[CaseVisit]
    errors: list[str]  # the tab's while the cases were opened
    circumstances: list[Circumstance]
    circumstance_errors: list[str]
    on_phone: OnPhone | None  # None: the case was not among the worked cases opened


PHONE_CASE = "two_groups"  # the kind of worked case whose form is measured on a phone


def _on_phone(tab: Tab) -> OnPhone:
    page = tab.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_selector("#pl-calc-answer .pl-calc-status")
    fields = page.locator("form.pl-calc-form input, form.pl-calc-form select")
    seen = []
    for i in range(fields.count()):
        field = fields.nth(i)
        if not field.is_visible():
            continue
        field.focus()
        seen.append((i, field.bounding_box(), page.locator(".pl-calc-summary").bounding_box()))
    padding = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#pl-calc')).paddingBottom)")
    on_phone = OnPhone(seen, padding, page.locator(".pl-calc-summary").bounding_box())
    page.set_viewport_size({"width": 1280, "height": 900})  # the tab's own, for the next case
    return on_phone


@pytest.fixture(scope="module")
def case_visits(browser: Any, site: Site) -> Iterator[CalculatorVisits]:
    """Every worked case opened once in the calculator (what three tests read), with the tab's errors. After the first
    case, every circumstance of every notice set in its form; the case with two groups also measured at a phone's
    width, as it was opened."""
    context, tab = open_tab(browser, site.url)
    phone_case = training.all_cases(kinds=(PHONE_CASE,))[0].key
    visits, circumstances, on_phone = [], [], None
    errors, circumstance_errors = tab.errors, []
    try:
        for case in training.all_cases():
            tab.goto(f"{site.url}/{calculator.link(case.person, case.jurisdiction, case.year, '')}")
            text = _calculator_text(tab)
            links = tab.page.locator("#pl-calc a").filter(has_text="§").evaluate_all("els => els.map(e => e.href)")
            visits.append(CaseVisit(case.key, text, links))
            if case.key == phone_case:
                on_phone = _on_phone(tab)
            if not circumstances:
                tab.errors = circumstance_errors
                circumstances = _every_circumstance(tab)
                tab.errors = errors
        yield CalculatorVisits(visits, errors, circumstances, circumstance_errors, on_phone)
    finally:
        context.close()


def _every_circumstance(tab: Tab) -> list[Circumstance]:
    """Every circumstance of every notice set in the calculator's form, with every category ticked."""
    found = []
    for entry in catalogue.local_entries():
        rules = catalogue.rules(entry.jurisdiction, entry.year)
        for circumstance in sorted({r.circumstance for r in rules.coverage.start_rules}):
            tab.page.evaluate(SET_PERSON, [f"{entry.jurisdiction}-{entry.year}", circumstance,
                                           rules.coverage.period.start.isoformat()])
            found.append(Circumstance(entry.key, circumstance, _calculator_text(tab)))
    return found


def test_calculator_shows_no_ids(case_visits: CalculatorVisits) -> None:
    """Every worked case opened in the calculator (a rule of each kind, not-stated ones included), then every
    circumstance of every notice with every category ticked: the page names rules, windows and groups in words."""
    ids = _ids()
    visits = case_visits.cases
    assert len(visits) == len(training.all_cases())
    for visit in visits:
        assert not _leaks(visit.text, ids), (visit.key, _leaks(visit.text, ids))
    for seen in case_visits.circumstances:
        assert not _leaks(seen.text, ids), (seen.key, seen.circumstance, _leaks(seen.text, ids))
    assert len(case_visits.circumstances) >= len(catalogue.local_entries())
    assert not case_visits.errors, case_visits.errors
    assert not case_visits.circumstance_errors, case_visits.circumstance_errors


def test_calculator_clause_links_land_on_their_clause(case_visits: CalculatorVisits) -> None:
    """Every clause link the calculator shows for the worked cases goes to an element with that id on its source
    document's page (a citation that names no source cites the notice of its rule file)."""
    from test_browser import fetch
    from test_reader_pages import _ids as ids_of

    pages: dict[str, set[str]] = {}
    visits, errors = case_visits.cases, case_visits.errors
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


def test_calculator_fields_are_not_hidden_under_the_pinned_bar_on_phones(case_visits: CalculatorVisits) -> None:
    """At 390 px the answer's summary bar is pinned to the bottom of the screen: a field reached with the keyboard
    is scrolled above it, and the end of the form can be scrolled clear of it."""
    on_phone = case_visits.on_phone
    assert on_phone is not None, f"no worked case of the kind {PHONE_CASE} was opened"
    for i, box, bar in on_phone.fields:
        assert box is not None and bar is not None and bar["height"] > 40
        assert box["y"] + box["height"] <= bar["y"] + 1, f"field {i} is under the pinned bar"
    assert len(on_phone.fields) >= 5
    assert on_phone.bar is not None and on_phone.padding >= on_phone.bar["height"]
