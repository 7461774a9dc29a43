"""What the tests of one run share: the book's published HTML, built once, and copies of the project.

The HTML is built under the book pipeline's build lock, so that test processes running side by side
(pytest-xdist workers) build it once between them: the first builds, the others find it up to date.
The notebooks are not executed here; nbval re-executes the committed ones.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# Every request to a host other than the loopback goes to a proxy that is not there, so it fails; the tabs
# record such requests (``record_outside``). Playwright's request routing would refuse them too, but it sends
# every request of every page through this process and makes a page load take half as long again.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--proxy-server=http://127.0.0.1:9",
]
# What a project needs to build its book: the rules, their sources, the notebook templates and book/.
PROJECT_PARTS = ("rules", "sources", "notebooks")
BOOK_IGNORED = ("_build", ".ipynb_checkpoints")
TIMEOUT_MS = 30_000
# A request cancelled because the tab went on to the next page (the tab's icon, fetched after the page has
# loaded, often is): not a failure of the page.
ABORTED = "net::ERR_ABORTED"
# True once the search page (Sphinx's searchtools.js) has listed the results of its query.
SEARCH_DONE = ("() => { const s = document.querySelector('#search-results .search-summary');"
               " return s !== null && s.innerText.trim().length > 0; }")


class BookUnavailable(Exception):
    """The book's HTML does not build."""


_built: Path | None = None


def published_html() -> Path:
    """``book/_build/html`` of the checkout, built now unless it is up to date (once per process)."""
    global _built
    if _built is None:
        from policylib.book import pipeline
        from policylib.book.lock import build_lock

        paths = pipeline.Paths(REPO)
        try:
            with build_lock(paths.lock, echo=lambda _: None):
                pipeline.recover(paths)
                pipeline.build_html(paths, echo=lambda _: None)
        except pipeline.BookBuildError as exc:
            raise BookUnavailable(f"the book's HTML does not build: {exc}") from None
        _built = paths.html
    return _built


def copy_project(dest: Path, *, book_ignore: Iterable[str] = ()) -> Path:
    """A copy of the project at ``dest`` (rules, sources, templates and book/ without its build output)."""
    for name in PROJECT_PARTS:
        shutil.copytree(REPO / name, dest / name)
    shutil.copytree(REPO / "book", dest / "book", ignore=shutil.ignore_patterns(*BOOK_IGNORED, *book_ignore))
    return dest


# ---------------------------------------------------------------------------- serving and the browser


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the browser left before the answer ended
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) from a thread; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Site:
    """A built book served over HTTP."""

    root: Path
    url: str

    def page(self, docname: str) -> str:
        return f"{self.url}/{quote(docname)}.html"


def _has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list:
        out = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
        return bool(out.strip())
    fonts = Path("/usr/share/fonts")
    return fonts.is_dir() and (any(fonts.rglob("NotoSansCJK*")) or any(fonts.rglob("wqy*")))


def _missing() -> str | None:
    if not CHROMIUM.is_file():
        return f"needs {CHROMIUM} (Debian package chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright Python package (pip install -e '.[test]')"
    if not _has_cjk_font():
        return "needs a Chinese font (Debian package fonts-noto-cjk or fonts-wqy-microhei)"
    return None


MISSING = _missing()  # why the browser tests cannot run here, or None


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Tab:
    """A browser page and what went wrong while it was used."""

    page: Any
    errors: list[str]

    def goto(self, url: str) -> None:
        response = self.page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
        if response is not None and response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {url}")


def record_outside(context: Any, local: str, record: Callable[[str], object]) -> None:
    """Call ``record`` with the address of every request of ``context`` to anywhere but ``local`` (the browser
    itself makes such requests fail: ``CHROMIUM_ARGS``). ``local`` ends at its port: what follows must be a path, not
    ``@host`` (an address with a user name and password)."""
    root = local.rstrip("/") + "/"
    context.on("request", lambda request: None if request.url.startswith(root) else record(request.url))


def open_tab(browser: Any, local: str) -> tuple[Any, Tab]:
    """A new context and tab; requests to any host but ``local`` fail and are recorded as errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = Tab(context.new_page(), [])
    record_outside(context, local, lambda url: tab.errors.append(f"request to another host: {url}"))
    tab.page.on("console", lambda m: tab.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    tab.page.on("pageerror", lambda e: tab.errors.append(f"page error: {e}"))
    tab.page.on("requestfailed", lambda r: None if r.failure == ABORTED else tab.errors.append(
        f"request failed: {r.url} ({r.failure})"))
    tab.page.on("response", lambda r: tab.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    return context, tab
