"""Sphinx extension: section titles in the search index stored as HTML, as page titles already are.

Sphinx 7 stores page titles in ``searchindex.js`` as rendered HTML (``&lt;`` for ``<``) but section
titles (``alltitles``) as plain text, and its search page inserts both with ``innerHTML``: a heading
reading ``<img src=x onerror=…>`` would run as script in the search results. This extension escapes
the section titles once the index is written, so the results show them as text.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

__all__ = ["escape_index", "setup"]

INDEX_FILE = "searchindex.js"


def escape_index(data: dict[str, Any]) -> dict[str, Any]:
    """The search index with its ``alltitles`` keys HTML-escaped (titles sharing an escaped form merged)."""
    titles: dict[str, list[Any]] = {}
    for title, places in data.get("alltitles", {}).items():
        titles.setdefault(html.escape(title, quote=False), []).extend(places)
    return {**data, "alltitles": titles} if "alltitles" in data else data


def _rewrite(app: Any, exception: BaseException | None) -> None:
    if exception is not None or getattr(app.builder, "format", None) != "html":
        return
    from sphinx.search import js_index

    path = Path(app.outdir) / INDEX_FILE
    if not path.is_file():
        return
    data = js_index.loads(path.read_text(encoding="utf-8"))
    text = js_index.dumps(escape_index(data))
    if text != path.read_text(encoding="utf-8"):
        path.write_text(text, encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    """Register the rewrite at the end of an HTML build."""
    app.connect("build-finished", _rewrite)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
