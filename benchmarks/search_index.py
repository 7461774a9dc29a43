"""Time the Chinese search indexing of the book's text: Sphinx 7.4's list of Latin terms against our set.

Usage: ``python benchmarks/search_index.py [--copies N]`` after ``make book``. Each page's text (from
``book/_build/html``) is split and stemmed as Sphinx's indexer does, ``N`` times over (a bigger book);
prints both timings and checks that both give the same words.
"""

from __future__ import annotations

import argparse
import html
import re
import time
from pathlib import Path

from sphinx.search.zh import SearchChinese as SphinxSearchChinese

from policylib.book.sphinx_search import SearchChinese

HTML = Path(__file__).resolve().parent.parent / "book" / "_build" / "html"
ARTICLE = re.compile(r"<article\b.*?</article>", re.DOTALL)
NOT_TEXT = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL)


def page_texts() -> list[str]:
    """The article text of every built page."""
    texts = []
    for path in sorted(HTML.rglob("*.html")):
        page = path.read_text(encoding="utf-8")
        texts.append(html.unescape(NOT_TEXT.sub(" ", " ".join(ARTICLE.findall(page)))))
    return [t for t in texts if t.strip()]


def index_words(language: SphinxSearchChinese, texts: list[str]) -> tuple[float, list[str]]:
    """Seconds to split and stem ``texts`` as the indexer does, and the words kept."""
    start = time.perf_counter()
    words = []
    for text in texts:
        for word in language.split(text):
            stemmed = language.stem(word)
            if language.word_filter(stemmed):
                words.append(stemmed)
    return time.perf_counter() - start, words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=1, help="times each page's text is indexed")
    args = parser.parse_args()
    texts = page_texts() * args.copies
    if not texts:
        raise SystemExit(f"no pages in {HTML}: run `make book` first")
    SphinxSearchChinese.latin_terms = []  # the class-level list Sphinx 7.4 shares between instances
    stock_time, stock_words = index_words(SphinxSearchChinese({}), texts)
    ours_time, ours_words = index_words(SearchChinese({}), texts)
    print(f"{len(texts)} page texts, {sum(map(len, texts)):,} characters, {len(ours_words):,} words")
    print(f"Sphinx 7.4 (list of Latin terms): {stock_time:.2f} s")
    print(f"policylib (set of Latin terms):   {ours_time:.2f} s  ({stock_time / ours_time:.1f}x faster)")
    print("same words:", stock_words == ours_words)


if __name__ == "__main__":
    main()
