"""A book whose rule files and sources carry script and markup shows them as text, and runs none of it.

A copy of the project keeps the national files, the categories and one local rule file (the first in
``rules/``). Every text field a reader can see — the names (``name_en``, ``name_zh`` of the place, its
groups, windows and classes), notes, readings, the category names and glosses of the glossary, one
quote (planted in the cleaned source too, so that it still verifies), the notice's title and notes, the
corrections' reasons — gets a numbered payload: HTML with script, a ``javascript:`` link,
markdown emphasis and link syntax, a ``{{ }}`` substitution, a MyST role and math. The book is built
(the notebooks and the HTML) and every page, and the search results for the profile's title, are
opened in Chromium: no script runs, no dialog opens, no element comes from a payload, no payload's markup
stands unescaped in a page's HTML file, and wherever a payload's number is shown the payload follows it as
written.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from shared_book import MISSING, SEARCH_DONE, TIMEOUT_MS, copy_project, record_outside, serve

pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

REPO = Path(__file__).resolve().parent.parent
TEXT_KEYS = frozenset({"name_en", "name_zh", "note", "reading", "why", "gloss", "title", "title_en", "notes",
                       "title_zh", "refers_to"})
MARK = re.compile(r"⟦(\d+)⟧")


def payload(n: int) -> str:
    """Hostile text number ``n``: each part would run, link or format if it were not shown as text."""
    return (f"⟦{n}⟧<img src=x onerror=\"window.__pwned={n};alert({n})\"><script>window.__pwned={n}</script>"
            f"[link](javascript:alert({n})) <a href=\"javascript:alert({n})\">a</a> *EMPH* {{{{ 7*7 }}}} "
            f"{{sub-ref}}`today` $x$ &amp;")


@dataclass
class Planted:
    """What was planted: payload number -> where (file and key)."""

    where: dict[int, str] = field(default_factory=dict)

    def add(self, place: str) -> str:
        n = len(self.where) + 1
        self.where[n] = place
        return payload(n)

    def numbers(self, key: str) -> set[int]:
        return {n for n, place in self.where.items() if place.endswith(f":{key}")}


def _poison(data: Any, planted: Planted, place: str) -> None:
    """Append a payload to every text field a reader sees, in place."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        if key in TEXT_KEYS and isinstance(value, str) and value.strip():
            data[key] = value + " " + planted.add(f"{place}:{key}")
        else:
            _poison(value, planted, place)


def _quotes(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, dict):
        if isinstance(data.get("quote"), str):
            yield data
        for value in data.values():
            yield from _quotes(value)
    elif isinstance(data, list):
        for value in data:
            yield from _quotes(value)


def _edit_yaml(path: Path, planted: Planted) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    _poison(data, planted, path.name)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return data


def make_hostile_project(root: Path) -> tuple[Planted, str]:
    """A copy of the project under ``root`` with payloads planted; returns them and the rule file's source id."""
    copy_project(root, book_ignore=("*.ipynb", ".hashes.json"))
    rules = root / "rules"
    shutil.rmtree(rules)
    rules.mkdir()
    local = []
    for path in sorted((REPO / "rules").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("level") not in (None, "national"):
            local.append(path)
        else:
            shutil.copy(path, rules / path.name)
    shutil.copy(local[0], rules / local[0].name)

    planted = Planted()
    rule = rules / local[0].name
    data = yaml.safe_load(rule.read_text(encoding="utf-8"))
    source = data["source"]
    clean = root / "sources" / source / "clean.txt"
    text = clean.read_text(encoding="utf-8")
    cite = next(c for c in _quotes(data) if c["quote"] in text and not c.get("source"))
    hostile = planted.add(f"{rule.name}:quote")
    text = text.replace(cite["quote"], cite["quote"] + hostile, 1)
    cite["quote"] += hostile  # the quote still lies, verbatim, in its clause of the cleaned text
    clean.write_text(text, encoding="utf-8")
    _poison(data, planted, rule.name)
    rule.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    _edit_yaml(rules / "categories.yaml", planted)
    _edit_yaml(root / "sources" / source / "corrections.yaml", planted)
    _edit_yaml(root / "sources" / source / "meta.yaml", planted)  # a javascript: address is refused on loading
    return planted, rule.stem


@dataclass(frozen=True)
class Hostile:
    html: Path
    url: str
    planted: Planted
    profile: str
    pages: list[str]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    root = tmp_path_factory.mktemp("hostile")
    planted, profile = make_hostile_project(root)
    env = {**os.environ, "POLICYLIB_HOME": str(root)}
    proc = subprocess.run([sys.executable, "-m", "policylib.book", "--jobs", "2"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    toc = yaml.safe_load((root / "book" / "_toc.yml").read_text(encoding="utf-8"))
    chapters = [c for part in toc["parts"] for c in part["chapters"]]
    pages = [toc["root"], *(f for c in chapters for f in [c["file"], *(s["file"] for s in c.get("sections", []))])]
    html = root / "book" / "_build" / "html"
    with serve(html) as url:
        yield Hostile(html, url, planted, f"profiles/{profile}", pages)


# What a page shows as text (script and style contents left out), and the elements a payload could have made.
INSPECT = r"""() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('script, style, noscript, template').forEach(e => e.remove());
  const injected = [];
  document.querySelectorAll('*').forEach(e => {
    const handlers = Array.from(e.attributes).filter(a => a.name.startsWith('on')).map(a => a.value).join(' ');
    if (/__pwned|alert\(/.test(handlers) || (e.tagName === 'IMG' && e.getAttribute('src') === 'x'))
      injected.push(e.outerHTML.slice(0, 120));
  });
  document.querySelectorAll('a[href]').forEach(a => {
    if (a.getAttribute('href').trim().toLowerCase().startsWith('javascript:')) injected.push(a.outerHTML.slice(0, 120));
  });
  document.querySelectorAll('script').forEach(s => {
    if (s.textContent.includes('__pwned')) injected.push(s.outerHTML.slice(0, 120));
  });
  document.querySelectorAll('em, strong, b, i').forEach(e => {
    if (e.textContent.trim() === 'EMPH') injected.push(e.outerHTML);
  });
  return {text: clone.textContent, injected, pwned: typeof window.__pwned};
}"""


# A payload's markup as it would stand in the HTML file had it not been escaped.
RAW_MARKUP = re.compile(r"<script>window\.__pwned|<img src=x onerror")


# Markup shown as text where the book's own HTML was escaped twice.
ESCAPED_MARKUP = re.compile(r"</?(?:p|strong|em|br|small|code|table|tr|td|th|span|a|ul|li|div|details)\b[^>]*>"
                            r"|&(?:lt|gt|amp|quot|#\d+);")


def _double_escaped(text: str) -> list[str]:
    """Markup tags or entities in a page's text once every payload is taken out."""
    text = " ".join(text.split())
    for n in sorted({int(m.group(1)) for m in MARK.finditer(text)}, reverse=True):
        text = text.replace(payload(n), "")
    return ESCAPED_MARKUP.findall(text)


def _literal_problems(text: str) -> tuple[set[int], list[str]]:
    """Payload numbers shown, and each place where a shown number is not followed by its payload as written."""
    seen, problems = set(), []
    text = " ".join(text.split())  # a wrapped line (the schema page's YAML example) is the same text
    for match in MARK.finditer(text):
        n = int(match.group(1))
        seen.add(n)
        expected = payload(n)
        shown = text[match.start(): match.start() + len(expected)]
        if shown == expected:
            continue
        same = next(i for i, (a, b) in enumerate(zip(shown, expected, strict=False)) if a != b)
        if shown[same:].startswith(("…", "...")):  # a cut: text tables and search summaries end one so
            continue
        problems.append(f"payload {n}: shown as {shown!r}")
    return seen, problems


@dataclass
class Visit:
    text: str
    injected: list[str]
    pwned: str
    dialogs: list[str]


class Viewer:
    """One browser tab on the hostile book, reused from page to page (a visit is a new document)."""

    def __init__(self, browser: Any, hostile: Hostile) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)
        self.outside: list[str] = []
        record_outside(self.context, hostile.url, self.outside.append)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visit(self, url: str, ready: str | None = None) -> Visit:
        """Open ``url`` (waiting for ``ready`` if given) and inspect what it shows."""
        self.dialogs = []  # the dialogs this visit opens
        self.page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
        if ready:
            self.page.wait_for_function(ready, timeout=TIMEOUT_MS)
        self.page.wait_for_timeout(50)  # let a failed image's onerror fire
        found = self.page.evaluate(INSPECT)
        return Visit(found["text"], found["injected"], found["pwned"], self.dialogs)


@pytest.fixture(scope="module")
def viewer(hostile: Hostile, browser: Any) -> Iterator[Viewer]:
    opened = Viewer(browser, hostile)
    yield opened
    opened.context.close()


def test_every_page_shows_the_payloads_as_text(hostile: Hostile, viewer: Viewer) -> None:
    seen_anywhere: set[int] = set()
    names = hostile.planted.numbers("name_en") | hostile.planted.numbers("name_zh")
    for docname in [*hostile.pages, "genindex"]:
        visit = viewer.visit(f"{hostile.url}/{urllib.parse.quote(docname)}.html")
        assert visit.pwned == "undefined" and not visit.dialogs, f"{docname}: script ran ({visit.dialogs})"
        assert not visit.injected, f"{docname}: elements from rule text: {visit.injected}"
        raw = (hostile.html / f"{docname}.html").read_text(encoding="utf-8")
        assert not RAW_MARKUP.search(raw), f"{docname}: rule text reached the page's HTML unescaped"
        seen, problems = _literal_problems(visit.text)
        assert not problems, f"{docname}: rule text not shown as written:\n" + "\n".join(problems)
        assert not _double_escaped(visit.text), f"{docname}: the book's markup shown as text"
        if docname in {"profiles", hostile.profile}:  # the index of profiles and the profile name the place
            assert names & seen, f"{docname}: the profile's hostile title is not shown"
        seen_anywhere |= seen
    for key in ("name_en", "name_zh", "note", "quote", "gloss", "title", "why"):
        shown = hostile.planted.numbers(key) & seen_anywhere
        assert shown, f"no page shows the {key} planted in the rule or source files"
    assert not viewer.outside, f"the pages asked another host for: {viewer.outside}"


def _search(viewer: Viewer, hostile: Hostile, query: str) -> tuple[set[int], Visit]:
    visit = viewer.visit(f"{hostile.url}/search.html?q={urllib.parse.quote(query)}", SEARCH_DONE)
    assert visit.pwned == "undefined" and not visit.dialogs, f"search {query!r}: script ran ({visit.dialogs})"
    assert not visit.injected, f"search {query!r}: elements from rule text: {visit.injected}"
    seen, problems = _literal_problems(visit.text)
    assert not problems, f"search {query!r}: titles not shown as written:\n" + "\n".join(problems)
    assert not viewer.outside, f"search {query!r}: the pages asked another host for: {viewer.outside}"
    return seen, visit


def test_search_results_show_the_title_as_text(hostile: Hostile, viewer: Viewer) -> None:
    # The whole title: what Sphinx matches against its section titles (shown with innerHTML).
    profile = viewer.visit(f"{hostile.url}/{hostile.profile}.html").text
    title = next(line.strip() for line in profile.splitlines() if "coverage year" in line and MARK.search(line))
    _search(viewer, hostile, title)
    # The place's own name: the profile is found by its title's words and listed under its title.
    rule = yaml.safe_load((REPO / "rules" / f"{Path(hostile.profile).name}.yaml").read_text(encoding="utf-8"))
    seen, _ = _search(viewer, hostile, rule["name_en"])
    assert hostile.planted.numbers("name_en") & seen, "the search results do not show the profile's title"
