"""Matplotlib set-up for the book: a Chinese font, fixed colours and byte-reproducible images.

The font is Noto Sans SC, shipped as a file by the ``pylopdf-fonts-zh-cn`` package, so no
system font is needed. PNG is the image format: glyphs are rasterised with the bundled font, so
pages look the same in every browser, and with the ``Software`` metadata key dropped the bytes
depend only on the drawing.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager

FONT_FAMILY = "Noto Sans SC"
FALLBACK_FAMILIES = ("DejaVu Sans",)
PNG_METADATA: dict[str, str | None] = {"Software": None}
SVG_HASHSALT = "policylib"

# Tableau 10, the default qualitative palette of matplotlib, as fixed hex values.
PALETTE: tuple[str, ...] = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def font_path() -> Path:
    """Path of the bundled Noto Sans SC font file."""
    import pylopdf_fonts_zh_cn

    path = Path(pylopdf_fonts_zh_cn.sans_path())
    if not path.is_file():
        raise FileNotFoundError(f"CJK font file missing: {path}")
    return path


@cache
def register_font() -> str:
    """Register the CJK font with matplotlib once per process and return its family name."""
    path = font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def setup() -> None:
    """Configure matplotlib (and the notebook inline backend, when running in IPython)."""
    family = register_font()
    rc = matplotlib.rcParams
    rc["font.family"] = "sans-serif"
    rc["font.sans-serif"] = [family, *FALLBACK_FAMILIES]
    rc["svg.hashsalt"] = SVG_HASHSALT
    rc["svg.fonttype"] = "path"
    rc["pdf.fonttype"] = 42
    rc["figure.dpi"] = 100
    rc["savefig.dpi"] = 100
    _configure_inline_backend()


def _configure_inline_backend() -> None:
    """Make inline PNG figures carry fixed metadata, so executed notebooks are byte-stable."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not matplotlib.get_backend().startswith("module://matplotlib_inline"):
        return
    importlib.import_module("matplotlib.pyplot")  # activates the inline integration first
    from matplotlib_inline.backend_inline import InlineBackend, set_matplotlib_formats

    config = InlineBackend.instance()
    config.print_figure_kwargs = {**config.print_figure_kwargs, "metadata": dict(PNG_METADATA)}
    config.figure_formats = {"png"}
    set_matplotlib_formats("png")


def savefig(figure: Any, path: str | Path, **kwargs: Any) -> None:
    """Save a figure with fixed metadata (PNG, SVG or PDF chosen by the file suffix)."""
    suffix = Path(path).suffix.lower()
    metadata: dict[str, Any]
    if suffix == ".png":
        metadata = dict(PNG_METADATA)
    elif suffix == ".svg":
        metadata = {"Date": None, "Creator": None}
    elif suffix == ".pdf":
        metadata = {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}
    else:
        metadata = {}
    figure.savefig(path, metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs)


def _catalogue_jurisdictions() -> list[str]:
    from policylib import catalogue

    seen: dict[str, None] = {}
    for entry in catalogue.entries():
        seen.setdefault(entry.jurisdiction, None)
    return list(seen)


class _JurisdictionColours(Mapping[str, str]):
    """Jurisdiction slug -> palette colour, in catalogue order, loaded on first use."""

    def __init__(self) -> None:
        self._colours: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._colours is None:
            slugs = _catalogue_jurisdictions()
            self._colours = {slug: PALETTE[i % len(PALETTE)] for i, slug in enumerate(slugs)}
        return self._colours

    def __getitem__(self, slug: str) -> str:
        return self._load()[slug]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def reload(self) -> None:
        """Forget the cached mapping (after the catalogue changed)."""
        self._colours = None


JURISDICTION_COLOURS = _JurisdictionColours()


def colour_for(jurisdiction: str) -> str:
    """Colour of a jurisdiction: its catalogue position in the palette, else a stable hash of the slug."""
    try:
        return JURISDICTION_COLOURS[jurisdiction]
    except KeyError:
        digest = hashlib.sha256(jurisdiction.encode("utf-8")).digest()
        return PALETTE[digest[0] % len(PALETTE)]
