"""The book as readers see it, in a real browser (Chromium via Playwright): every page loads cleanly, is no wider
than its column on a laptop or a phone and shows no internal ids in its text; its charts fit their column with alt
text and a caption; Chinese text is drawn with a Chinese font; the search page finds every page saying a term; the
overview answers with working clause links, and the big tables sort and filter.

Every page is loaded once (``visits``), and what each test asserts on is gathered during that one load."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
import yaml
from shared_book import MISSING, REPO, SEARCH_DONE, TIMEOUT_MS, Site, Tab, open_tab
from test_browser import PAGES, PROFILES, fetch, wait_for_images

from policylib import catalogue

pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

OVERVIEW = "chapters/overview"
SORTED_TABLE = "chapters/assisted_groups"  # its matrix is filtered and sorted
LAPTOP, PHONE = 1400, 390
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
CLAUSE_LINK = 'a[href^="../sources/"][href*=".html#"]'  # a clause on its source document's page
CJK_FONT = re.compile(r"CJK|WenQuanYi|WQY|Droid Sans Fallback|AR PL|Source Han|Sarasa", re.IGNORECASE)
CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
FONT_PAGE = PROFILES[0] if PROFILES else PAGES[0]  # the page whose Chinese heading is measured
SEARCH = "search"
SEARCHED_ON_LOAD = "低保"  # the query of the search page's address (``?q=``), run by the page as it loads
SEARCH_TERMS = ("低保对象", "特困人员", "资助参保", "集中征缴期", "待遇等待期", "830")  # then typed in the same load

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


CHECKED = [*PAGES, "genindex", SEARCH]
CHAPTERS = [p for p in PAGES if p.startswith("chapters/")]  # the pages with charts

# Every chart of the page: the start of its image's source, its alt text and caption, and its width beside its
# column's, its natural width and the page's.
CHARTS = """() => Array.from(document.querySelectorAll('figure.pl-chart')).map(f => {
  const img = f.querySelector('img'); const column = f.parentElement.getBoundingClientRect();
  const box = img.getBoundingClientRect();
  return {src: img.src.slice(0, 25), alt: img.alt, caption: f.querySelector('figcaption').textContent,
          width: box.width, natural: img.naturalWidth, column: column.width,
          right: box.right, page: document.documentElement.clientWidth};
})"""

# Two Chinese characters and two missing glyphs measured at 40 px in the element's font; the element is marked for
# the query of the fonts Chromium drew it with.
GLYPH_WIDTHS = """(el) => {
  el.setAttribute('data-cjk-probe', '');
  const style = getComputedStyle(el);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${style.fontWeight} 40px ${style.fontFamily}`;
  return {cjk: ctx.measureText('低保').width, tofu: ctx.measureText('\\u{10FFFD}\\u{10FFFD}').width};
}"""

# Each row of the overview's table: its text, its number of cells, whether each of the five answers has a clause
# link or a badge, and the addresses of its clause links.
OVERVIEW_ROWS = """(link) => Array.from(document.querySelectorAll('table.pl-glance tbody tr')).map((row) => {
  const cells = Array.from(row.querySelectorAll('td'));
  return {text: row.innerText, cells: cells.length,
          answered: cells.slice(1, 6).map((c) => Boolean(c.querySelector(link) || c.querySelector('.pl-badge'))),
          clauses: Array.from(row.querySelectorAll(link)).map((a) => a.href)};
})"""

# Another query, answered by the search page's own code with the index it loaded (searchtools.js runs the query of
# the address, ``?q=``, with this same call): the previous results are cleared first.
SEARCH_AGAIN = """(term) => {
  document.getElementById('search-results').textContent = '';
  document.querySelectorAll('input[name="q"]').forEach((el) => (el.value = term));
  Search.performSearch(term);
}"""


@dataclass
class Font:
    """A visible heading with Chinese text: two Chinese characters and two missing glyphs measured in its font
    (at 40 px), and the fonts Chromium drew it with."""

    cjk: float
    tofu: float
    fonts: list[dict[str, Any]]


@dataclass
class Searched:
    """What the search page listed for one query, and the page's errors while it answered."""

    found: set[str]  # the docnames of the results
    results: int
    summary: str
    errors: list[str]


@dataclass
class Sorting:
    """The sortable matrix of ``SORTED_TABLE`` used on a laptop: filtered by a jurisdiction's name, the filter
    emptied, then its second column's header clicked twice."""

    tables: int  # sortable tables found (the first is used)
    label: str  # the name typed in the filter
    errors: list[str]  # the tab's while the table was used
    rows: int = 0
    filtered: list[str] = field(default_factory=list)  # the texts of the rows shown with the name in the filter
    cleared: int = 0  # rows shown once the filter is emptied
    orders: list[tuple[str | None, list[str]]] = field(default_factory=list)  # per click: aria-sort, the column


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
    charts: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # LAPTOP and PHONE px -> the charts
    font: Font | None = None  # FONT_PAGE only (None there too if no visible heading has Chinese text)
    searches: dict[str, Searched] = field(default_factory=dict)  # SEARCH only: query -> what it found
    rows: list[dict[str, Any]] = field(default_factory=list)  # OVERVIEW only: its table's rows (OVERVIEW_ROWS)
    first_profile: str = ""  # OVERVIEW only: the address its first row's link opened
    sorting: Sorting | None = None  # SORTED_TABLE only


def _searched(tab: Tab, site: Site) -> Searched:
    """The results of the query the search page is running, once it has finished, with the tab's current list of
    errors (which also takes those that come later)."""
    tab.page.wait_for_function(SEARCH_DONE, timeout=TIMEOUT_MS)
    hrefs = tab.page.eval_on_selector_all("#search-results ul.search li > a", "els => els.map(e => e.href)")
    base = f"{site.url}/"
    found = {urllib.parse.urlsplit(h).path.removeprefix(urllib.parse.urlsplit(base).path).removesuffix(".html")
             for h in hrefs if h.startswith(base)}
    return Searched(found, tab.page.locator("#search-results ul.search li").count(),
                    tab.page.locator("#search-results .search-summary").inner_text(), tab.errors)


def _font(tab: Tab) -> Font | None:
    heading = tab.page.locator("h1:visible, h2:visible").filter(has_text=CJK_CHAR).first
    if heading.count() != 1:
        return None
    widths = heading.evaluate(GLYPH_WIDTHS)
    cdp = tab.page.context.new_cdp_session(tab.page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-cjk-probe]"})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return Font(widths["cjk"], widths["tofu"], fonts)


def _open_first_profile(tab: Tab) -> str:
    """Click the profile link of the overview's first row (on a laptop); the address the tab then shows."""
    tab.errors = []  # the profile's own errors are its visit's
    tab.page.set_viewport_size({"width": LAPTOP, "height": 900})
    tab.page.locator("table.pl-glance tbody tr").nth(0).locator("td").nth(0).locator("a").click()
    tab.page.wait_for_load_state("load")
    return tab.page.url


def _sort_and_filter(tab: Tab) -> Sorting:
    page = tab.page
    tab.errors = []  # the page's own errors are the visit's
    page.set_viewport_size({"width": LAPTOP, "height": 900})
    table = page.locator("table.pl-table").filter(has=page.locator("th.pl-sortable")).first
    sorting = Sorting(table.count(), catalogue.local_entries()[0].name_en, tab.errors)
    if sorting.tables != 1:
        return sorting
    sorting.rows = table.locator("tbody tr").count()
    page.locator(".pl-table-tools input").first.fill(sorting.label)
    sorting.filtered = table.locator("tbody tr:not([hidden])").all_inner_texts()
    page.locator(".pl-table-tools input").first.fill("")
    sorting.cleared = table.locator("tbody tr:not([hidden])").count()
    header = table.locator("th.pl-sortable").nth(1)
    for _ in range(2):
        header.click()
        sorting.orders.append((header.get_attribute("aria-sort"),
                               table.locator("tbody tr td:nth-child(2)").all_inner_texts()))
    return sorting


@pytest.fixture(scope="module")
def visits(site: Site, browser: Any) -> Iterator[dict[str, Visit]]:
    """Every page of ``CHECKED`` loaded once, in one tab, with what the tests below assert on."""
    context, tab = open_tab(browser, site.url)
    found: dict[str, Visit] = {}
    try:
        for docname in CHECKED:
            tab.errors = []  # this page's errors only (the tab's handlers append to the current list)
            tab.page.set_viewport_size({"width": LAPTOP, "height": 900})
            query = "?q=" + urllib.parse.quote(SEARCHED_ON_LOAD) if docname == SEARCH else ""
            tab.goto(site.page(docname) + query)
            searched = _searched(tab, site) if docname == SEARCH else None
            visit = Visit(tab.errors, wait_for_images(tab), tab.page.evaluate("typeof window.__pwned"),
                          tab.page.locator("h1").count())
            if searched is not None:
                visit.searches[SEARCHED_ON_LOAD] = searched
                for term in SEARCH_TERMS:
                    tab.errors = []  # this query's errors (the page's own are the visit's)
                    tab.page.evaluate(SEARCH_AGAIN, term)
                    visit.searches[term] = _searched(tab, site)
            if docname in PAGES:
                visit.too_wide = tab.page.evaluate(TOO_WIDE)
                visit.texts = tab.page.evaluate(VISIBLE_TEXT)
                visit.charts[LAPTOP] = tab.page.evaluate(CHARTS)
                if docname == FONT_PAGE:
                    visit.font = _font(tab)
                if docname == OVERVIEW:
                    visit.rows = tab.page.evaluate(OVERVIEW_ROWS, CLAUSE_LINK)
                tab.page.set_viewport_size({"width": PHONE, "height": 900})
                visit.too_wide_on_phone = tab.page.evaluate(TOO_WIDE)
                visit.charts[PHONE] = tab.page.evaluate(CHARTS)
            if docname == SORTED_TABLE:  # last: the table is changed
                visit.sorting = _sort_and_filter(tab)
            if docname == OVERVIEW:  # last: the tab leaves the page
                visit.first_profile = _open_first_profile(tab)
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


@pytest.mark.parametrize("width", [LAPTOP, PHONE])
def test_charts_fit_their_column_with_alt_text_and_caption(width: int, visits: dict[str, Visit]) -> None:
    """Every chart is an SVG image no wider than its column, with alt text and a caption; on a phone it still
    fills the column (so its text is not shrunk further than the column requires)."""
    seen = 0
    for docname in CHAPTERS:
        for chart in visits[docname].charts[width]:
            where = f"{docname} at {width}px"
            assert chart["src"] == "data:image/svg+xml;base64", where
            assert len(chart["alt"]) > 80 and len(chart["caption"]) > 60, f"{where}: alt text or caption missing"
            assert chart["width"] <= chart["column"] + 0.5 and chart["right"] <= chart["page"], \
                f"{where}: chart {chart['width']:.0f}px wider than its {chart['column']:.0f}px column"
            assert chart["width"] >= min(chart["natural"], chart["column"]) - 1, f"{where}: chart shrunk"
        seen += len(visits[docname].charts[width])
    errors = [f"{docname}: {e}" for docname in CHAPTERS for e in visits[docname].errors]
    assert not errors, "\n".join(errors)
    assert seen >= 1, "no chart found in the chapters"


def test_chinese_text_is_drawn_with_a_chinese_font(visits: dict[str, Visit]) -> None:
    """The glyphs of Chinese text are real (a full-width advance from a CJK font), not missing-glyph boxes."""
    font = visits[FONT_PAGE].font
    assert font is not None, "no heading with Chinese text"
    assert 72 <= font.cjk <= 88, f"two Chinese characters at 40px measure {font.cjk:.1f}px, not 2em"
    assert abs(font.cjk - font.tofu) > 4, "Chinese characters measure like missing-glyph boxes"
    cjk = [f for f in font.fonts if CJK_FONT.search(f["familyName"]) and f["glyphCount"] > 0]
    assert cjk, f"the heading's Chinese text is drawn with {[f['familyName'] for f in font.fonts]}, no Chinese font"


def test_search_finds_dibao(visits: dict[str, Visit]) -> None:
    searched = visits[SEARCH].searches[SEARCHED_ON_LOAD]
    assert searched.results > 0, f"search for {SEARCHED_ON_LOAD} found nothing: {searched.summary}"


def test_overview_has_one_row_per_jurisdiction_year_with_working_clause_links(visits: dict[str, Visit]) -> None:
    rows = visits[OVERVIEW].rows
    entries = catalogue.local_entries()
    assert len(rows) == len(entries)
    targets: dict[str, set[str]] = {}
    for entry, row in zip(entries, rows, strict=True):
        assert entry.name_en in row["text"] and str(entry.year) in row["text"]
        assert row["cells"] == 6  # jurisdiction-year and the five answers
        for c, answered in enumerate(row["answered"], start=1):
            assert answered, f"{entry.key}: answer {c} has no clause"
        for href in row["clauses"]:
            page, _, fragment = href.partition("#")
            assert page.endswith(f"/sources/{urllib.parse.unquote(fragment).split('--')[0]}.html"), href
            if page not in targets:
                status, _, body = fetch(page)
                assert status == 200, href
                targets[page] = _ids(body)
            assert urllib.parse.unquote(fragment) in targets[page], f"{entry.key}: {href} lands on no clause"
    # the profile link of each row opens that profile
    assert f"profiles/{entries[0].jurisdiction}-{entries[0].year}" in visits[OVERVIEW].first_profile


_ARTICLE = re.compile(r"<article\b.*?</article>", re.DOTALL)
_NOT_TEXT = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL)


def _pages_saying(site: Site, term: str) -> set[str]:
    """Pages of the book whose article text holds ``term`` (a number only as a whole number)."""
    import html

    pattern = re.compile(rf"(?<!\d){re.escape(term)}(?!\d)" if term.isdigit() else re.escape(term))
    found = set()
    for docname in PAGES:
        page = (site.root / f"{docname}.html").read_text(encoding="utf-8")
        text = html.unescape(_NOT_TEXT.sub(" ", " ".join(_ARTICLE.findall(page))))
        if pattern.search(text):
            found.add(docname)
    return found


@pytest.mark.parametrize("term", SEARCH_TERMS)
def test_search_in_chinese_finds_every_page_saying_it(term: str, site: Site, visits: dict[str, Visit]) -> None:
    expected = _pages_saying(site, term)
    assert expected, f"no page says {term}: pick a term the book uses"
    searched = visits[SEARCH].searches[term]
    found = searched.found
    assert expected <= found, f"search for {term} misses {sorted(expected - found)}"
    errors = [*visits[SEARCH].errors, *searched.errors]  # the page's load and this query
    assert not errors, errors


def test_big_tables_sort_and_filter_offline(visits: dict[str, Visit]) -> None:
    visit = visits[SORTED_TABLE]
    sorting = visit.sorting
    assert sorting is not None and sorting.tables == 1, "the assisted-groups matrix has no sorting"
    total = sorting.rows
    assert total >= 8
    assert 0 < len(sorting.filtered) < total
    assert all(sorting.label in t for t in sorting.filtered)
    assert sorting.cleared == total
    (first, ascending), (second, descending) = sorting.orders
    assert first == "ascending"
    assert second == "descending"
    assert len(set(ascending)) > 1 and ascending != descending
    assert (descending[0], descending[-1]) == (ascending[-1], ascending[0])
    errors = [*visit.errors, *sorting.errors]  # the page's load, then its use
    assert not errors, "\n".join(errors)
