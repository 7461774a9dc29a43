"""Sphinx extension: page and section titles shown as text where Sphinx or the theme insert raw text as HTML.

Titles reach a page as rendered HTML in most places (``&lt;`` for ``<``), but not everywhere:

- Sphinx 7 stores section titles in ``searchindex.js`` (``alltitles``) as plain text, and its search
  page inserts them with ``innerHTML``; they are HTML-escaped once the index is written.
- sphinx-book-theme puts the page title (``pagetitle``) into the printed page's ``<h1>`` and the
  book's title (``root_title``) into the sidebar as plain text, in templates that do not escape;
  they are handed to the templates escaped (``markupsafe.Markup``).

A heading reading ``<img src=x onerror=…>`` is then shown as written, never run.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from markupsafe import escape

__all__ = ["escape_context", "escape_index", "setup"]

INDEX_FILE = "searchindex.js"
RAW_TEXT_KEYS = ("pagetitle", "root_title")  # set with .astext() by sphinx-book-theme
AFTER_THEME = 900  # html-page-context priority: after the theme (500) has set its keys


def escape_index(data: dict[str, Any]) -> dict[str, Any]:
    """The search index with its ``alltitles`` keys HTML-escaped (titles sharing an escaped form merged)."""
    if "alltitles" not in data:
        return data
    titles: dict[str, list[Any]] = {}
    for title, places in data["alltitles"].items():
        titles.setdefault(html.escape(title, quote=False), []).extend(places)
    return {**data, "alltitles": titles}


def escape_context(context: dict[str, Any]) -> None:
    """Escape the template variables that hold plain text (values already ``Markup`` are kept)."""
    for key in RAW_TEXT_KEYS:
        if isinstance(context.get(key), str):
            context[key] = escape(context[key])


def _page_context(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    escape_context(context)


def _rewrite_index(app: Any, exception: BaseException | None) -> None:
    if exception is not None or getattr(app.builder, "format", None) != "html":
        return
    from sphinx.search import js_index

    path = Path(app.outdir) / INDEX_FILE
    if not path.is_file():
        return
    before = path.read_text(encoding="utf-8")
    after = js_index.dumps(escape_index(js_index.loads(before)))
    if after != before:
        path.write_text(after, encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    """Escape the theme's plain-text titles on every page and the search index at the end of the build."""
    app.connect("html-page-context", _page_context, priority=AFTER_THEME)
    app.connect("build-finished", _rewrite_index)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
