"""Test set-up shared by every test module and by nbval's notebook kernels.

Kernels started by nbval inherit this process's environment: give them the one the book
pipeline executes notebooks with (inline figures, fixed hash seed), so that a re-run reproduces
the committed outputs whatever the caller's shell has set.

The browser tests share one Chromium and one served copy of the book's HTML per test process
(``site`` and ``browser``); the HTML is built at most once per run (``shared_book``).

Under pytest-xdist (``make test``: ``--dist loadfile --no-loadscope-reorder``) a file runs on one worker,
so that its module fixtures are made once and a notebook's cells run in order in one kernel. The files
are handed out in the order of ``FIRST`` (a few long end-to-end tests), the notebooks, then the rest, so
that no worker is left alone with a long test at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from shared_book import MISSING, BookUnavailable, Site, Tab, chromium, open_tab, published_html, serve

from policylib import catalogue

FIRST = (
    "test_book_pipeline.py", "test_browser_training.py", "test_diff.py", "test_hostile_book.py",
    "test_reader_pages.py", "test_build_faults.py", "test_new_jurisdiction.py", "test_calculator.py",
)

KERNEL_ENVIRONMENT = {
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "PYTHONHASHSEED": "0",
}

os.environ.update(KERNEL_ENVIRONMENT)


def _order(item: pytest.Item) -> int:
    if item.path.name in FIRST:
        return FIRST.index(item.path.name)
    return len(FIRST) + (0 if item.path.suffix == ".ipynb" else 1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The files of long tests first, then the notebooks, then the rest (xdist hands files out in this order)."""
    items.sort(key=_order)  # stable: within a file, the order of collection


@pytest.fixture(autouse=True)
def _strict_catalogue() -> Iterator[None]:
    """A command run in the test process (``cli.main``) tells the catalogue to skip broken rule files: no later
    test of the process inherits that."""
    yield
    catalogue.skip_broken_files(False)


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
