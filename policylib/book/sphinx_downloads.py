"""Sphinx extension: the downloads (``book/downloads``) copied as they are to ``downloads/`` in the HTML.

The downloads page links them with ``{download}`` (Sphinx copies each to ``_downloads/<hash>/``); the
links beside the chapters' tables (:func:`policylib.book.render.download_link`) are plain HTML in a
notebook's output, which Sphinx does not follow, so they point at this stable copy:
``../downloads/<table>.csv`` from a chapter.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

__all__ = ["DOWNLOADS_DIR", "copy_downloads", "setup"]

DOWNLOADS_DIR = "downloads"


def copy_downloads(source: Path, output: Path) -> list[Path]:
    """Copy the files of ``source/downloads`` to ``output/downloads``; return the copies."""
    folder = source / DOWNLOADS_DIR
    if not folder.is_dir():
        return []
    target = output / DOWNLOADS_DIR
    target.mkdir(parents=True, exist_ok=True)
    copies = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            copies.append(Path(shutil.copy2(path, target / path.name)))
    return copies


def _copy(app: Any, exception: BaseException | None) -> None:
    if exception is None and getattr(app.builder, "format", None) == "html":
        copy_downloads(Path(app.srcdir), Path(app.outdir))


def setup(app: Any) -> dict[str, Any]:
    """Copy the downloads once the HTML is written."""
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
