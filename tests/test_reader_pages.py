"""The book as readers see it, in a real browser (Chromium via Playwright): every page loads cleanly, is no wider
than its column on a laptop or a phone and shows no internal ids in its text; the overview answers with working
clause links, and the big tables sort and filter."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
import yaml
from shared_book import MISSING, REPO, Site, Tab, open_tab
from test_browser import PAGES, fetch, wait_for_images

from policylib import catalogue

pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

OVERVIEW = "chapters/overview"
LAPTOP, PHONE = 1400, 390
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
CLAUSE_LINK = 'a[href^="../sources/"][href*=".html#"]'  # a clause on its source document's page

# Visible text nodes of the article, outside code and preformatted blocks (literals for maintainers).
VISIBLE_TEXT = """() => {
  const root = document.querySelector('article') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('code, pre, script, style, .headerlink')) continue;
    if (!el.checkVisibility({checkVisibilityCSS: true})) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  return out;
}"""

# Tables, figures and outputs that are wider than the article's column or overflow their own box.
TOO_WIDE = """() => {
  const column = document.querySelector('article.bd-article') || document.querySelector('article');
  if (!column) return ['no article element'];
  const limit = column.getBoundingClientRect().right + 1;
  const out = [];
  column.querySelectorAll('table, img, svg, figure, .cell_output, .output, details, .pl-card').forEach((el) => {
    if (!el.checkVisibility()) return;
    const box = el.getBoundingClientRect();
    if (box.width === 0) return;
    const name = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    if (box.right > limit) out.push(`${name} ends at ${Math.round(box.right)} px, column at ${Math.round(limit)} px`);
    else if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
      out.push(`${name} scrolls sideways: ${el.scrollWidth} px in ${el.clientWidth} px`);
  });
  return out;
}"""


def _rule_ids() -> set[str]:
    """Every id in the rule files that cannot be an English word (it holds an underscore or a digit)."""
    ids: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            value = node.get("id")
            if isinstance(value, str) and re.search(r"[_0-9]", value):
                ids.add(value)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for path in sorted((REPO / "rules").glob("*.yaml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return ids


def _ids(html: bytes) -> set[str]:
    class Ids(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.ids: set[str] = set()

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.ids |= {v for k, v in attrs if k == "id" and v}

    parser = Ids()
    parser.feed(html.decode("utf-8", errors="replace"))
    return parser.ids


def test_overview_has_one_row_per_jurisdiction_year_with_working_clause_links(site: Site, tab: Tab) -> None:
    tab.goto(site.page(OVERVIEW))
    rows = tab.page.locator("table.pl-glance tbody tr")
    entries = catalogue.local_entries()
    assert rows.count() == len(entries)
    targets: dict[str, set[str]] = {}
    for i, entry in enumerate(entries):
        row = rows.nth(i)
        assert entry.name_en in row.inner_text() and str(entry.year) in row.inner_text()
        cells = row.locator("td")
        assert cells.count() == 6  # jurisdiction-year and the five answers
        for c in range(1, 6):
            cell = cells.nth(c)
            has_clause = cell.locator(CLAUSE_LINK).count() > 0
            assert has_clause or cell.locator(".pl-badge").count() > 0, f"{entry.key}: answer {c} has no clause"
        for href in row.locator(CLAUSE_LINK).evaluate_all("els => els.map(e => e.href)"):
            page, _, fragment = href.partition("#")
            assert page.endswith(f"/sources/{urllib.parse.unquote(fragment).split('--')[0]}.html"), href
            if page not in targets:
                status, _, body = fetch(page)
                assert status == 200, href
                targets[page] = _ids(body)
            assert urllib.parse.unquote(fragment) in targets[page], f"{entry.key}: {href} lands on no clause"
    # the profile link of each row opens that profile
    first = rows.nth(0).locator("td").nth(0).locator("a")
    first.click()
    tab.page.wait_for_load_state("load")
    assert f"profiles/{entries[0].jurisdiction}-{entries[0].year}" in tab.page.url


# The rule-file reference names the file's fields for the maintainers who write rule files.
FIELD_REFERENCE = {"schema"}
# Addresses and file names quoted from a source are not ids.
URL = re.compile(r"\S+://\S+|\S+/\S+|[\w.-]+\.(?:txt|ya?ml|md|csv|json|xlsx|s?html?)\b")


def _id_leaks(texts: list[str], rule_ids: set[str]) -> list[str]:
    found = []
    for text in (URL.sub(" ", t) for t in texts):
        words = set(re.findall(r"[A-Za-z0-9_]+", text))
        found += [f"{hit!r} in {text[:80]!r}" for hit in sorted(set(SNAKE.findall(text)) | (words & rule_ids))]
    return found


@pytest.fixture(scope="module")
def rule_ids() -> set[str]:
    found = _rule_ids()
    assert found, "no ids found in the rule files"
    return found


CHECKED = [*PAGES, "genindex", "search"]


@dataclass
class Visit:
    """What one load of a page showed: at laptop width, then with the viewport narrowed to a phone's."""

    errors: list[str]
    broken_images: list[str]
    pwned: str
    titles: int
    too_wide: list[str] = field(default_factory=list)  # at LAPTOP px
    texts: list[str] = field(default_factory=list)
    too_wide_on_phone: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def visits(site: Site, browser: Any) -> Iterator[dict[str, Visit]]:
    """Every page of ``CHECKED`` loaded once, in one tab, with what the tests below assert on."""
    context, tab = open_tab(browser, site.url)
    found: dict[str, Visit] = {}
    try:
        for docname in CHECKED:
            tab.errors = []  # this page's errors only (the tab's handlers append to the current list)
            tab.page.set_viewport_size({"width": LAPTOP, "height": 900})
            tab.goto(site.page(docname) + ("?q=" + urllib.parse.quote("低保") if docname == "search" else ""))
            visit = Visit(tab.errors, wait_for_images(tab), tab.page.evaluate("typeof window.__pwned"),
                          tab.page.locator("h1").count())
            if docname in PAGES:
                visit.too_wide = tab.page.evaluate(TOO_WIDE)
                visit.texts = tab.page.evaluate(VISIBLE_TEXT)
                tab.page.set_viewport_size({"width": PHONE, "height": 900})
                visit.too_wide_on_phone = tab.page.evaluate(TOO_WIDE)
            found[docname] = visit
        yield found
    finally:
        context.close()


@pytest.mark.parametrize("docname", CHECKED)
def test_page_loads_cleanly(docname: str, visits: dict[str, Visit], rule_ids: set[str]) -> None:
    """No console error, failed or outside request; every image has a size; no script injected; on a laptop
    nothing is wider than its column, and the text shows no internal id."""
    visit = visits[docname]
    broken_images, errors, too_wide = visit.broken_images, visit.errors, visit.too_wide  # short failure reports
    assert not broken_images, f"{docname}: images without a natural size: {broken_images}"
    assert visit.pwned == "undefined"
    assert visit.titles >= 1, f"{docname}: no title"
    assert not errors, f"{docname}:\n" + "\n".join(errors)
    if docname in PAGES:
        assert not too_wide, f"{docname} at {LAPTOP} px:\n" + "\n".join(too_wide[:40])
    if docname in PAGES and docname not in FIELD_REFERENCE:
        leaks = _id_leaks(visit.texts, rule_ids)
        assert not leaks, f"{docname}: {len(leaks)} internal ids in visible text:\n" + "\n".join(leaks[:60])


def test_nothing_is_wider_than_its_column_on_a_phone(visits: dict[str, Visit]) -> None:
    problems = [f"{docname}: {p}" for docname in PAGES for p in visits[docname].too_wide_on_phone]
    assert not problems, f"at {PHONE} px:\n" + "\n".join(problems[:40])


def test_big_tables_sort_and_filter_offline(site: Site, tab: Tab) -> None:
    tab.goto(site.page("chapters/assisted_groups"))
    table = tab.page.locator("table.pl-table").filter(has=tab.page.locator("th.pl-sortable")).first
    assert table.count() == 1, "the assisted-groups matrix has no sorting"
    rows = table.locator("tbody tr")
    total = rows.count()
    assert total >= 8
    label = catalogue.local_entries()[0].name_en
    tab.page.locator(".pl-table-tools input").first.fill(label)
    shown = table.locator("tbody tr:not([hidden])")
    assert 0 < shown.count() < total
    assert all(label in t for t in shown.all_inner_texts())
    tab.page.locator(".pl-table-tools input").first.fill("")
    assert table.locator("tbody tr:not([hidden])").count() == total
    header = table.locator("th.pl-sortable").nth(1)
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    ascending = table.locator("tbody tr td:nth-child(2)").all_inner_texts()
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    descending = table.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert len(set(ascending)) > 1 and ascending != descending
    assert (descending[0], descending[-1]) == (ascending[-1], ascending[0])
    assert not tab.errors, "\n".join(tab.errors)
