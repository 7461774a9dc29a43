"""Test set-up shared by every test module and by nbval's notebook kernels.

Kernels started by nbval inherit this process's environment: give them the one the book
pipeline executes notebooks with (inline figures, fixed hash seed), so that a re-run reproduces
the committed outputs whatever the caller's shell has set.

The browser tests share one Chromium and one served copy of the book's HTML per test process
(``site`` and ``browser``); the HTML is built at most once per run (``shared_book``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from shared_book import MISSING, BookUnavailable, Site, Tab, chromium, open_tab, published_html, serve

KERNEL_ENVIRONMENT = {
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "PYTHONHASHSEED": "0",
}

os.environ.update(KERNEL_ENVIRONMENT)


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    """The book's HTML (built by the pipeline if not up to date), served locally."""
    try:
        html = published_html()
    except BookUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    with serve(html) as url:
        yield Site(html, url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for every browser test of this process."""
    if MISSING is not None:
        pytest.skip(MISSING)
    with chromium() as opened:
        yield opened


@pytest.fixture
def tab(browser: Any, site: Site) -> Iterator[Tab]:
    """A fresh browser tab on the served book, recording console errors and failed or outside requests."""
    context, opened = open_tab(browser, site.url)
    yield opened
    context.close()
