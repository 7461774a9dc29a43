"""Where a clause of a source document is in the book: its anchor id and its address.

Each source document has its own page below the Sources page, ``sources/<slug>.html`` (the slug of its
source id), on which every clause carries the anchor id ``<slug>--<clause>``. A slug never holds ``--``,
so an anchor names its page: :func:`clause_url` is the one place a clause's address is made.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["SOURCES_DIR", "anchor", "clause_link", "clause_url", "slug", "source_page"]

SOURCES_DIR = "sources"  # the source documents' pages, one directory below the book root
_SEPARATOR = "--"


def slug(text: str) -> str:
    """Lowercase letters, digits and CJK characters of ``text``; every run of anything else becomes ``-``."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\W_]+", "-", text).strip("-")


def anchor(source_id: str, clause: str) -> str:
    """HTML anchor id of a clause on its source's page, e.g. ``guizhou-2021--四-二-3``.

    Letters, digits and CJK characters are kept; brackets, punctuation and spaces become ``-``;
    runs of dashes collapse. Source and clause are joined by ``--``.
    """
    clause_part = slug(clause) or "c" + hashlib.sha1(clause.encode("utf-8")).hexdigest()[:8]
    return f"{slug(source_id)}{_SEPARATOR}{clause_part}"


def source_page(source_id: str) -> str:
    """A source document's page, relative to the book root and without suffix, e.g. ``sources/guizhou-2021``."""
    return _page(slug(source_id))


def clause_url(clause_anchor: str, base: str = "../") -> str:
    """Address of the clause with this anchor, on the page its prefix names.

    ``base`` is the book root as seen from where the link is: ``../`` from a profile or chapter, ``""``
    from a page at the root, the published address (``html.baseurl``) for the downloads.
    """
    return f"{base}{_page(clause_anchor.split(_SEPARATOR, 1)[0])}.html#{clause_anchor}"


def _page(source_slug: str) -> str:
    return f"{SOURCES_DIR}/{source_slug}"


def clause_link(source_id: str, clause: str) -> str:
    """Link from a chapter or profile page (one directory below the book root) to a clause."""
    return clause_url(anchor(source_id, clause))
