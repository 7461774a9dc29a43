"""The built book in a real browser: headless Chromium (Debian's package) driven by Playwright.

The HTML is built once (``book/_build/html`` is reused when it is up to date; notebooks are not
re-executed) and served from a local ``http.server`` thread on 127.0.0.1. Requests to any other
host are refused and count as failures: the book must work offline.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from shared_book import MISSING, REPO, TIMEOUT_MS, Site, Tab, open_tab, serve

CITED_PROFILE = "profiles/guizhou-2021"  # every citation on this profile is followed
CITATION = re.compile(r"(?:^|/)sources/[a-z0-9-]+\.html#.")  # a clause on its source document's page
DOWNLOAD_TYPES = (".csv", ".xlsx", ".json")
SAMPLE_CITATIONS = 20


pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


def _toc_pages() -> list[str]:
    """Every page of the table of contents, root first (docnames such as ``profiles/guizhou-2021``)."""
    toc = yaml.safe_load((REPO / "book" / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            pages += [chapter["file"], *(section["file"] for section in chapter.get("sections", []))]
    return pages


PAGES = _toc_pages()
PROFILES = [p for p in PAGES if p.startswith("profiles/")]


# ---------------------------------------------------------------------------- serving and crawling


class _Links(HTMLParser):
    """Ids (anchors) and referenced URLs of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if a.get(name):
                self.ids.add(a[name] or "")
        attr = {"a": "href", "link": "href", "img": "src", "script": "src", "iframe": "src"}.get(tag)
        if attr and a.get(attr):
            self.links.append((tag, a[attr] or ""))


def fetch(url: str) -> tuple[int, str, bytes]:
    """GET a URL on the local server: (status, content type, body)."""
    parts = urllib.parse.urlsplit(url)
    safe = urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, urllib.parse.quote(urllib.parse.unquote(parts.path)), parts.query, "")
    )
    try:
        with urllib.request.urlopen(safe, timeout=30) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""


@dataclass
class Crawl:
    """Every page and file reachable from the table of contents by internal links."""

    status: dict[str, int] = field(default_factory=dict)  # URL without fragment -> HTTP status
    ids: dict[str, set[str]] = field(default_factory=dict)  # HTML page -> ids on it
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (page, href as written, absolute URL)

    def problems(self) -> list[str]:
        found = []
        for page, href, url in self.links:
            target, _, fragment = url.partition("#")
            if self.status.get(target) != 200:
                found.append(f"{page}: {href} -> HTTP {self.status.get(target)}")
            elif fragment and target in self.ids and urllib.parse.unquote(fragment) not in self.ids[target]:
                found.append(f"{page}: {href} -> no element with id {urllib.parse.unquote(fragment)!r}")
        return sorted(set(found))


def crawl(site: Site, start: list[str]) -> Crawl:
    result = Crawl()
    queue = list(dict.fromkeys(start))
    while queue:
        url = queue.pop(0)
        if url in result.status:
            continue
        status, kind, body = fetch(url)
        result.status[url] = status
        if status != 200 or kind != "text/html":
            continue
        parser = _Links()
        parser.feed(body.decode("utf-8", errors="replace"))
        result.ids[url] = parser.ids
        for _, href in parser.links:
            absolute = urllib.parse.urljoin(url, href)
            if not absolute.startswith(site.url + "/"):
                continue  # outside links are not followed
            if href.startswith("#") and len(href) == 1:
                continue  # the theme's "#" buttons
            result.links.append((url.removeprefix(site.url + "/"), href, absolute))
            target = absolute.partition("#")[0]
            if target not in result.status:
                queue.append(target)
    return result


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def links(site: Site) -> Crawl:
    return crawl(site, [site.page(p) for p in PAGES] + [f"{site.url}/index.html"])


# In the page: wait for the images still loading (at most the given milliseconds), then list those that did not
# load or have no natural size. One call, where polling until every image is complete takes a frame or more.
IMAGES_DONE = """async (ms) => {
  const pending = Array.from(document.images).filter(i => !i.complete).map(i => new Promise(r => {
    i.addEventListener('load', r, {once: true}); i.addEventListener('error', r, {once: true}); }));
  await Promise.race([Promise.all(pending), new Promise(r => setTimeout(r, ms))]);
  return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0 && i.naturalHeight > 0))
    .map(i => i.src);
}"""


def wait_for_images(tab: Tab) -> list[str]:
    """Wait until every image finished loading; return those that did not load or have no natural size."""
    return tab.page.evaluate(IMAGES_DONE, TIMEOUT_MS)


# ---------------------------------------------------------------------------- links


def test_no_broken_internal_links(links: Crawl) -> None:
    """Every internal link of every page answers 200, and every anchor it points to exists."""
    assert len(links.ids) >= len(PAGES)
    problems = links.problems()
    assert not problems, f"{len(problems)} broken links:\n" + "\n".join(problems[:50])


def _citations(links: Crawl) -> list[tuple[str, str]]:
    """(page, absolute URL) of every citation link, once per page and target."""
    return sorted({(page, url) for page, href, url in links.links if CITATION.search(href)})


def test_citation_links_land_on_their_clause(site: Site, links: Crawl, tab: Tab) -> None:
    """Every citation on one profile, and a sample of the others, scrolls to an element with that id."""
    citations = _citations(links)
    assert citations, "no citation links (href to sources/<source>.html#<clause>) in the book"
    profile = f"{CITED_PROFILE}.html" if f"{CITED_PROFILE}.html" in {p for p, _ in citations} else citations[0][0]
    chosen = sorted({url for page, url in citations if page == profile})
    others = sorted({url for page, url in citations if page != profile} - set(chosen))
    step = max(1, len(others) // SAMPLE_CITATIONS)
    chosen += others[::step][:SAMPLE_CITATIONS]
    assert len(chosen) >= min(SAMPLE_CITATIONS, len(citations))
    missed = []
    for url in chosen:
        tab.goto(url)
        landed = tab.page.evaluate(
            """() => {
                const id = decodeURIComponent(location.hash.slice(1));
                const el = document.getElementById(id);
                if (!el) return 'no element with id ' + id;
                const top = el.getBoundingClientRect().top;
                return top > -5 && top < window.innerHeight ? '' : 'element not scrolled into view (top ' + top + ')';
            }"""
        )
        if landed:
            missed.append(f"{url.removeprefix(site.url + '/')}: {landed}")
    assert not missed, "\n".join(missed)


def test_the_sources_index_links_every_source_page_and_each_holds_its_clauses(site: Site, links: Crawl) -> None:
    """The Sources page links each source document's page; the page answers and carries its clauses' anchors,
    and the profiles' citations of that source point there."""
    from policylib import anchors, sources

    index = site.page("sources")
    linked = {url for page, _, url in links.links if f"{site.url}/{page}" == index}
    cited = {url.partition("#")[0] for _, url in _citations(links)}
    ids = sources.source_ids()
    assert ids
    for source in ids:
        page = site.page(anchors.source_page(source))
        assert page in linked, f"the Sources page does not link {source}"
        assert links.status.get(page) == 200, f"{page}: HTTP {links.status.get(page)}"
        clauses = {i for i in links.ids[page] if i.startswith(f"{anchors.slug(source)}--")}
        assert clauses, f"{page} holds no clause anchor"
        assert not {i for i in links.ids[page] if "--" in i} - clauses, f"{page} holds another source's clauses"
    assert cited <= {site.page(anchors.source_page(s)) for s in ids}


# ---------------------------------------------------------------------------- downloads


def _downloads(site: Site, links: Crawl) -> list[str]:
    page = "downloads.html"
    return sorted({url for source, _, url in links.links if source == page and url.endswith(DOWNLOAD_TYPES)})


def test_downloads_exist_and_open(site: Site, links: Crawl) -> None:
    files = _downloads(site, links)
    kinds = {Path(urllib.parse.urlsplit(u).path).suffix for u in files}
    assert kinds == set(DOWNLOAD_TYPES), f"the downloads page should offer {DOWNLOAD_TYPES}, offers {sorted(kinds)}"
    from openpyxl import load_workbook

    for url in files:
        name = urllib.parse.unquote(url.rsplit("/", 1)[-1])
        status, _, body = fetch(url)
        assert status == 200, f"{name}: HTTP {status}"
        if name.endswith(".csv"):
            rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
            assert len(rows) >= 2, f"{name}: no data rows"
            assert len({len(r) for r in rows}) == 1, f"{name}: rows of different lengths"
        elif name.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(body), read_only=True)
            sheet = book[book.sheetnames[0]]
            assert sum(1 for _ in sheet.iter_rows(max_row=2)) == 2, f"{name}: no data rows"
            book.close()
        else:
            assert json.loads(body.decode("utf-8")), f"{name}: empty"


def test_a_request_to_another_host_is_recorded_whatever_its_address_begins_with(browser: Any, tmp_path: Path) -> None:
    """An address that starts with the local server's but names another host (``http://127.0.0.1:PORT@host/``)
    is a request to that host."""
    with serve(tmp_path) as url:
        (tmp_path / "page.html").write_text(f'<img src="{url}@example.com/a.png">', encoding="utf-8")
        context, tab = open_tab(browser, url)
        try:
            tab.goto(f"{url}/page.html")
        finally:
            context.close()
    assert f"request to another host: {url}@example.com/a.png" in tab.errors
