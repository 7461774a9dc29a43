"""Text put into the book's markdown and HTML is read as text: MyST's own parser is the judge."""

from __future__ import annotations

import html
import string

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from policylib.book.markup import md_text

HOSTILE = [
    "Guizhou<img src=x onerror=alert(2)>",
    "<script>window.__pwned=1</script>",
    "[a](javascript:alert(1)) ![i](x.png) <https://e.example> www.example.com",
    "*em* **strong** _u_ ~~s~~ `code` $x$ $$y$$ \\(z\\)",
    "{{ 7*7 }} {sub-ref}`today` {raw}`<b>` &amp; &lt;b&gt; &#60;",
    "# not a heading | a | b |",
]


# Jupyter Book's default MyST extensions, and more that give punctuation a meaning.
EXTENSIONS = {"colon_fence", "dollarmath", "linkify", "substitution", "tasklist", "amsmath", "deflist",
              "html_image", "strikethrough", "attrs_inline"}
PARSER = create_md_parser(MdParserConfig(enable_extensions=EXTENSIONS), RendererHTML)


def _rendered(text: str) -> str:
    return PARSER.render("x " + md_text(text))


def _as_text(text: str) -> str:
    """A paragraph ``x TEXT`` as markdown-it writes plain text (whitespace folded, ``&<>"`` escaped)."""
    shown = " ".join(text.split())
    return f"<p>x {html.escape(shown, quote=False)}</p>\n".replace('"', "&quot;").replace("<p>x </p>", "<p>x</p>")


def test_hostile_text_is_rendered_as_the_same_text() -> None:
    for text in HOSTILE:
        assert _rendered(text) == _as_text(text), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.punctuation + "abc 12低保\t", max_size=40))
def test_any_punctuation_is_literal(text: str) -> None:
    assert _rendered(text) == _as_text(text)


def test_templates_escape_what_is_not_markup() -> None:
    from policylib.book.render import Html, card, link

    shown = card("<b>t</b>", [("<i>l</i>", "<script>x</script>"), ("ok", Html("<em>kept</em>"))])
    assert "<b>" not in shown and "<script>" not in shown and "&lt;script&gt;x&lt;/script&gt;" in shown
    assert "<em>kept</em>" in shown
    assert link('"><img src=x>', 'x" onmouseover="y') == (
        '<a href="x&#34; onmouseover=&#34;y">&#34;&gt;&lt;img src=x&gt;</a>')
