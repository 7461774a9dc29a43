"""A MyST-NB mime renderer for the data outputs of :func:`policylib.book.render.data_output`.

The ``application/vnd.dataresource+json`` part of such an output is data for nbval and ``policylib diff``;
the page shows its ``text/html`` part (a closed "data behind this chart" table). Registered under the
``myst_nb.mime_renderers`` entry point, so that the data part renders to nothing instead of a warning.
"""

from __future__ import annotations

from typing import Any, ClassVar

DATA_MIME = "application/vnd.dataresource+json"


class DataResourceRenderer:
    """Renders the data part of a data output as nothing; every other mime type is left to MyST-NB."""

    mime_priority_overrides: ClassVar[list[tuple[str, str, int | None]]] = []

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool) -> list[Any] | None:
        return [] if data.mime_type == DATA_MIME else None
