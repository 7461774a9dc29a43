"""Sphinx extension: Chinese search that finds what a reader types, offline.

Sphinx's Chinese index (``html_search_language: zh``) cuts the text into words with jieba, but its
search page splits a query only at spaces and punctuation, so ``低保对象``, a phrase jieba indexes as
``低保`` and ``对象``, matches no indexed word, and it drops a query made only of digits (``830``).
This extension registers :class:`SearchChinese`, whose query code (written into ``language_data.js``):

- cuts each Chinese run of the query into the words the index holds (longest words first, characters
  the index cannot hold, single characters, left out), so that a page must hold every word to match;
- keeps a number the index holds as a search term.

It also keeps the Latin terms seen while indexing in a set, not a list that Sphinx 7.4 scans on every
word (the index written is the same, byte for byte).
"""

from __future__ import annotations

from typing import Any

from sphinx.search import languages
from sphinx.search.zh import SearchChinese as SphinxSearchChinese

__all__ = ["QUERY_JS", "SearchChinese", "setup"]

QUERY_JS = r"""
/* policylib.book.sphinx_search: a query cut into the words of the index (see the module's docstring). */
var splitQuery = (query) => {
  const index = (typeof Search !== "undefined" && Search._index) || {};
  const known = (word) => (index.terms && Object.prototype.hasOwnProperty.call(index.terms, word))
    || (index.titleterms && Object.prototype.hasOwnProperty.call(index.titleterms, word));
  const longest = 12;
  const cut = (run) => {
    // fewest characters left out, then fewest words: best[i] covers run[0..i)
    const best = [{ dropped: 0, words: [] }];
    for (let end = 1; end <= run.length; end++) {
      let choice = { dropped: best[end - 1].dropped + 1, words: best[end - 1].words };
      for (let start = Math.max(0, end - longest); start < end - 1; start++) {
        const word = run.slice(start, end);
        const before = best[start];
        if (known(word.toLowerCase()) && (before.dropped < choice.dropped
            || (before.dropped === choice.dropped && before.words.length + 1 < choice.words.length))) {
          choice = { dropped: before.dropped, words: [...before.words, word] };
        }
      }
      best.push(choice);
    }
    return best[run.length].words;
  };
  const out = [];
  query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu).filter((t) => t).forEach((token) => {
    if (known(token.toLowerCase()) || !/\p{Script=Han}/u.test(token)) {
      out.push(token);
      return;
    }
    token.split(/(\p{Script=Han}+)/u).filter((t) => t).forEach((part) => {
      if (/\p{Script=Han}/u.test(part)) out.push(...cut(part));
      else out.push(part);
    });
  });
  return out;
};
(() => {
  if (typeof Search === "undefined" || Search._policylibNumbers) return;
  const parse = Search._parseQuery;
  // Sphinx drops a term made only of digits; keep one the index holds (e.g. 830 yuan).
  Search._parseQuery = (query) => {
    const parsed = parse(query);
    const terms = (Search._index && Search._index.terms) || {};
    splitQuery(query.trim()).forEach((term) => {
      if (/^\d+$/.test(term) && Object.prototype.hasOwnProperty.call(terms, term)) {
        parsed[1].add(term);
        parsed[3].add(term);
      }
    });
    return parsed;
  };
  Search._policylibNumbers = true;
})();
"""


class SearchChinese(SphinxSearchChinese):
    """Sphinx's Chinese search with the query code above and its Latin terms kept in a set."""

    js_splitter_code = QUERY_JS

    def init(self, options: dict[str, str]) -> None:
        super().init(options)
        self.latin_terms: set[str] = set()  # type: ignore[assignment]  # Sphinx 7.4: a shared list

    def split(self, input: str) -> list[str]:
        latin = self.latin_terms
        self.latin_terms = []  # type: ignore[assignment]  # Sphinx's split extends a list
        try:
            words = super().split(input)
            latin.update(self.latin_terms)
        finally:
            self.latin_terms = latin  # type: ignore[assignment]
        return words


def setup(app: Any) -> dict[str, Any]:
    """Use :class:`SearchChinese` for ``html_search_language: zh``."""
    languages["zh"] = SearchChinese
    return {"parallel_read_safe": True, "parallel_write_safe": True}
