"""Text from rule files made safe for the book: HTML from Jinja2 templates with autoescaping, and
text placed into MyST markdown escaped so that it is read as text.

MyST parses inline HTML, emphasis, links, roles (``{name}`…```), math (``$…$``), substitutions
(``{{ … }}``) and bare addresses (linkify) in markdown. :func:`md_text` puts a backslash before every
ASCII punctuation character (CommonMark lets any of them be escaped, and an escaped character is
always literal text) and folds the text onto one line, so none of these can start; the HTML writer
then escapes ``<``, ``>`` and ``&`` like any other text.
"""

from __future__ import annotations

import functools
import string
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

__all__ = ["Markup", "escape", "md_text", "render", "template_env"]

_PUNCTUATION = frozenset(string.punctuation)


def md_text(text: object) -> str:
    """Text as literal MyST inline markdown: on one line, every ASCII punctuation character escaped."""
    return "".join("\\" + c if c in _PUNCTUATION else c for c in " ".join(str(text).split()))


@functools.cache
def template_env() -> Environment:
    """The Jinja2 environment of the book's HTML templates (``policylib/data/templates``), autoescaping."""
    return Environment(
        loader=PackageLoader("policylib", "data/templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(name: str, **context: Any) -> Markup:
    """Render a template; every value not already ``Markup`` is escaped."""
    return Markup(template_env().get_template(name).render(**context))
