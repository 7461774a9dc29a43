"""Matplotlib set-up for the book: a Chinese font, fixed colours and byte-reproducible images.

The font is Noto Sans SC, shipped as a file by the ``pylopdf-fonts-zh-cn`` package, so no
system font is needed. The book's charts are SVG (:class:`Chart`): glyphs are written as paths
(``svg.fonttype = "path"``), so Chinese renders the same in every browser whatever fonts it has, and
with a fixed ``svg.hashsalt`` and no ``Date`` the bytes depend only on the drawing. Each chart carries
alt text describing what it shows and a caption saying what to read from it.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib import font_manager

if TYPE_CHECKING:
    from policylib.model import Category

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
    rc["text.parse_math"] = False  # a name with $…$ is drawn as written, not as mathtext (or a parse error)
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


# --------------------------------------------------------------------------- book charts
#
# Each function draws one chart of the book on a figure of its own (no pyplot: nothing is shown until the
# notebook displays the returned :class:`Chart`) and returns it with the data it draws, alt text and caption.

NOT_STATED = "not stated"
NA_COLOUR = "#d9d9d9"
REST_DAY_COLOUR = "#d62728"
NO_COVER_COLOUR = "#b2182b"
NATIONAL_COLOUR = "#444444"
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h", "<", ">")
# Widths and type sizes chosen so a chart shown 360 px wide on a phone still has text of about 8 px or more.
CHART_WIDTH = 5.2  # inches
TEXT_SIZE = 10.5
SMALL_SIZE = 10.0
# Events a resident acts on (windows and their extensions, the coverage period) versus the authorities'
# internal work plan (stages, reporting, cut-off dates for counting targets).
RESIDENT_KINDS = ("coverage", "window", "extension")


@dataclass(frozen=True, repr=False)
class Chart:
    """A drawn chart: the figure, the data it draws, alt text (what it shows) and a caption (what to read).

    Displayed in a notebook it is a ``<figure>`` (:meth:`html`); its plain-text form is the alt text.
    """

    figure: Any
    data: Any
    alt: str
    caption: str

    def __repr__(self) -> str:
        return self.alt

    def svg(self) -> bytes:
        """The chart as SVG, byte-identical across runs (fixed hash salt, no date, glyphs as paths).

        Drawn once: a second draw of a constrained-layout figure may move it by a rounding error."""
        return self._svg

    @cached_property
    def _svg(self) -> bytes:
        buffer = io.BytesIO()
        with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "path"}):
            self.figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        return buffer.getvalue()

    def size_px(self) -> tuple[int, int]:
        """Natural display size in CSS pixels (SVG points × 4/3)."""
        width, height = self.figure.get_size_inches()
        return round(width * 96), round(height * 96)

    def html(self) -> str:
        """``<figure>`` with the SVG as an image (alt text on the ``img``) and a ``<figcaption>``."""
        from policylib.book.markup import template_env

        src = "data:image/svg+xml;base64," + base64.b64encode(self.svg()).decode("ascii")
        width, height = self.size_px()
        macro = template_env().get_template("charts.html").module.figure
        return str(macro(src, self.alt, self.caption, width, height))

    def _repr_html_(self) -> str:
        return self.html()


def _figure(height: float, nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Any, Any]:
    """A figure of the book's chart width with constrained layout (legends placed outside the axes)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(CHART_WIDTH, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def label_colours() -> dict[str, str]:
    """Jurisdiction-year label (``Guizhou 2021``) -> the jurisdiction's colour, for every local entry."""
    from policylib import catalogue

    return {f"{e.name_en} {e.year}": colour_for(e.jurisdiction) for e in catalogue.local_entries()}


def _spread(keys: list[Any], width: float = 0.3) -> list[float]:
    """Small horizontal offsets separating points that share an x value (in order of appearance)."""
    seen: dict[Any, int] = {}
    index = []
    for key in keys:
        index.append(seen.get(key, 0))
        seen[key] = seen.get(key, 0) + 1
    counts = {k: seen[k] for k in seen}
    return [0.0 if counts[k] == 1 else (i - (counts[k] - 1) / 2) * width / max(counts[k] - 1, 1)
            for k, i in zip(keys, index, strict=True)]


def _int_or_none(value: Any) -> int | None:
    import pandas as pd

    return None if value is None or value is pd.NA or pd.isna(value) else int(value)


def _words(items: list[str]) -> str:
    return ", ".join(items) if items else "none"


CLASS_COLUMNS = ("resident_class", "class_zh", "class_name", "class_label")


def _class_name(row: Any) -> str | None:
    """The resident class of a per-class financing row (a notice pricing by class), else None."""
    for column in CLASS_COLUMNS:
        value = getattr(row, column, None)
        if isinstance(value, str) and value:
            return value
    return None


def financing_chart(financing: Any, national: Any) -> Chart:
    """Local subsidy and personal contribution against the national minimum series, by coverage year.

    ``financing`` is :func:`policylib.compare.class_prices` or :func:`policylib.compare.financing_table` (a
    notice that prices by resident class gives one row per class, named in a ``resident_class`` or
    ``class_zh`` column: one labelled mark per class),
    ``national`` :func:`policylib.compare.national_series`. Two panels, one above the other; national
    minimum as a dashed line at the coverage year each standard governs; each jurisdiction-year has its
    colour and marker, filled for an exact figure and hollow for "at least" (不低于); marks sharing a
    year are set side by side; the legend is below the panels.
    """
    import pandas as pd

    nat = national.sort_values("governs_coverage_year")
    rows: list[dict[str, Any]] = [
        {"series": f"national minimum (standard {int(r.standard_year)})", "coverage_year": int(r.governs_coverage_year),
         "fiscal_subsidy": _int_or_none(r.subsidy_min), "subsidy_at_least": bool(r.subsidy_at_least),
         "personal_contribution": _int_or_none(r.personal_standard)}
        for r in nat.itertuples(index=False)
    ]
    local = financing.sort_values(["year", "jurisdiction"], kind="stable")
    marks = []
    for r in local.itertuples(index=False):
        klass = _class_name(r)
        series = r.label if klass is None else f"{r.label} · {klass}"
        marks.append((r, klass, series))
        rows.append({"series": series, "coverage_year": int(r.year), "fiscal_subsidy": _int_or_none(r.fiscal_subsidy),
                     "subsidy_at_least": bool(r.fiscal_subsidy_at_least),
                     "personal_contribution": _int_or_none(r.personal_contribution)})
    data = pd.DataFrame(rows, columns=["series", "coverage_year", "fiscal_subsidy", "subsidy_at_least",
                                       "personal_contribution"])
    for col in ("fiscal_subsidy", "personal_contribution"):
        data[col] = pd.array(data[col].tolist(), dtype="Int64")

    labels = list(dict.fromkeys(r.label for r, _, _ in marks))
    marker_of = {label: MARKERS[i % len(MARKERS)] for i, label in enumerate(labels)}
    fig, grid = _figure(7.4, 2, 1, sharex=True)
    axes = grid[:, 0]
    panels = (("fiscal_subsidy", "subsidy_min", "财政补助 fiscal subsidy, yuan per person"),
              ("personal_contribution", "personal_standard", "个人缴费 personal contribution, yuan per person"))
    xs = nat["governs_coverage_year"].astype(int).tolist()
    for ax, (local_col, nat_col, title) in zip(axes, panels, strict=True):
        ys = [_int_or_none(v) for v in nat[nat_col].tolist()]
        ax.plot(xs, [float("nan") if y is None else y for y in ys], color=NATIONAL_COLOUR, linestyle="--",
                marker=".", label="national minimum 国家最低标准")
        drawn = [(r, k, s) for r, k, s in marks if _int_or_none(getattr(r, local_col)) is not None]
        offsets = _spread([int(r.year) for r, _, _ in drawn], width=0.5)
        for (r, klass, _), dx in zip(drawn, offsets, strict=True):
            value = _int_or_none(getattr(r, local_col))
            at_least = local_col == "fiscal_subsidy" and bool(r.fiscal_subsidy_at_least)
            colour = colour_for(r.jurisdiction)
            ax.scatter([int(r.year) + dx], [value], marker=marker_of[r.label], s=70, zorder=3, linewidth=1.4,
                       facecolors="white" if at_least else colour, edgecolors=colour if at_least else "black",
                       label=r.label)
            if klass is not None:
                ax.annotate(klass, (int(r.year) + dx, value), xytext=(6, 0), textcoords="offset points",
                            fontsize=SMALL_SIZE - 1, va="center", color=colour)
        ax.set_title(title, fontsize=TEXT_SIZE, loc="left")
        ax.grid(axis="y", color="#e5e5e5")
        ax.tick_params(labelsize=SMALL_SIZE)
        ax.margins(x=0.08, y=0.12)
    standards = nat["standard_year"].astype(int).tolist()
    year_before = all(c == s + 1 for c, s in zip(xs, standards, strict=True))
    axes[-1].set_xticks(xs)
    axes[-1].set_xticklabels([str(c) if year_before else f"{c}\n(std {s})" for c, s in zip(xs, standards, strict=True)],
                             fontsize=SMALL_SIZE)
    axes[-1].set_xlabel("coverage year 待遇年度" + ("" if year_before else " (national standard year)"),
                        fontsize=SMALL_SIZE)
    from matplotlib.lines import Line2D

    handles: dict[str, Any] = {"national minimum 国家最低标准": axes[0].get_lines()[0]}
    for r, _, _ in marks:
        colour = colour_for(r.jurisdiction)
        handles.setdefault(r.label, Line2D([], [], linestyle="none", marker=marker_of[r.label], markersize=8,
                                           markerfacecolor=colour, markeredgecolor="black"))

    handles["hollow: at least 不低于"] = Line2D([], [], linestyle="none", marker="o",
                                                                  markerfacecolor="white", markeredgecolor="#555555")
    fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=2, fontsize=SMALL_SIZE,
               frameon=False)

    def describe(col: str) -> str:
        parts = []
        for r, _, series in marks:
            value = _int_or_none(getattr(r, col))
            at_least = col == "fiscal_subsidy" and bool(r.fiscal_subsidy_at_least)
            amount = NOT_STATED if value is None else ("at least " if at_least else "") + f"{value} yuan"
            parts.append(f"{series} {amount}")
        return _words(parts)

    nat_sub = [f"{y}: {_int_or_none(v)}" for y, v in zip(xs, nat["subsidy_min"], strict=True) if _int_or_none(v)]
    nat_per = [f"{y}: {_int_or_none(v)}" for y, v in zip(xs, nat["personal_standard"], strict=True)
               if _int_or_none(v)]
    alt = ("Two panels by coverage year. Top: fiscal subsidy per person; national minimum "
           f"{_words(nat_sub)} yuan; local: {describe('fiscal_subsidy')}. Bottom: personal contribution; "
           f"national minimum {_words(nat_per)} yuan; local: {describe('personal_contribution')}.")
    caption = ("Local fiscal subsidy (财政补助, top) and personal contribution (个人缴费, bottom) against the national "
               "minimum (dashed line) for the coverage year each figure governs"
               + (" (a national standard of year N governs coverage year N+1)" if year_before else "")
               + ". A mark above the line is above the national minimum; hollow marks are “at least” (不低于) "
               "figures; marks of the same year are set side by "
               "side so none hides another.")
    return Chart(fig, data, alt, caption)


def _category_label(value: object) -> str:
    """Row label of the heat map: the Chinese name, without a leading internal id (``dibao 低保对象``)."""
    text = str(value)
    first, _, rest = text.partition(" ")
    return rest if rest and first.isascii() and ("_" in first or first.islower()) else text


_ASIDE = re.compile(r"\s*[(（][^()（）]*[)）]")  # a parenthesised aside, innermost first


def short_gloss(gloss: str) -> str:
    """A category's English gloss without its parenthesised asides (Chinese synonyms, former names,
    explanations): ``persons in extreme poverty (特困供养人员, …)`` → ``persons in extreme poverty``,
    ``(ordinary) severely disabled persons`` → ``severely disabled persons``. A gloss that is all aside is
    kept whole."""
    text, previous = gloss, None
    while text != previous:
        previous, text = text, _ASIDE.sub("", text)
    return " ".join(text.split()).strip(" ,;:") or " ".join(gloss.split())


def category_finder() -> Callable[[object], Category | None]:
    """Row of a category pivot (``id 中文`` or the Chinese name) -> its category in ``rules/categories.yaml``
    (:class:`policylib.model.Category`), or None for a category the file does not know. The category is found
    by its id where the row names one, else by its Chinese name where that is unique."""
    from policylib import catalogue

    known = catalogue.categories().categories
    by_id = {c.id: c for c in known}
    names = Counter(c.name_zh for c in known)
    by_name = {c.name_zh: c for c in known if names[c.name_zh] == 1}

    def find(value: object) -> Category | None:
        text = str(value).strip()
        first, _, rest = text.partition(" ")
        category = by_id.get(first) if rest else None
        return category or by_id.get(text) or by_name.get(_category_label(text))

    return find


def category_words(value: object, gloss: str | None) -> str:
    """A category in one line, as the heat map's alt text names it: ``特困人员 · persons in extreme poverty``
    (the Chinese name alone without a gloss)."""
    return f"{_category_label(value)} · {gloss}" if gloss else _category_label(value)


def _wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` broken at spaces into lines at most ``width`` points wide in the book's font at ``size``
    (a single word wider than that stays whole)."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and _text_width(candidate, size) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


GLOSS_SIZE = SMALL_SIZE - 1.5  # the English under a heat map row's Chinese name
GLOSS_COLOUR = "#444444"
GLOSS_MIN_WIDTH = 1.7 * 72  # points: the English wraps at the widest Chinese name, or at this
ROW_PADDING = 7.0  # points between the label blocks of two rows
ROW_NAME, ROW_GLOSS = "row name", "row gloss"  # the labels of a heat map row's two texts


def _text_width(text: str, size: float) -> float:
    """Width in points of one line of ``text`` in the book's font at ``size``."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family=matplotlib.rcParams["font.sans-serif"], size=size)
    return float(TextToPath().get_text_width_height_descent(text, prop, ismath=False)[0])


def _row_labels(ax: Any, names: list[str], gloss_lines: list[list[str]]) -> None:
    """Label each row of a heat map at its left: the Chinese name, and under it the English lines, smaller
    and grey, the two centred on the row together (a row without English has its name centred)."""
    pad = matplotlib.rcParams["ytick.major.size"] + matplotlib.rcParams["ytick.major.pad"]  # where tick labels go
    for i, (name, lines) in enumerate(zip(names, gloss_lines, strict=True)):
        zh_height, en_height = 1.2 * SMALL_SIZE, 1.2 * GLOSS_SIZE * len(lines)
        common = {"xy": (0, i), "xycoords": ax.get_yaxis_transform(), "textcoords": "offset points",
                  "ha": "right", "va": "center", "annotation_clip": False}
        ax.annotate(name, xytext=(-pad, en_height / 2), fontsize=SMALL_SIZE, label=ROW_NAME, **common)
        if lines:
            ax.annotate("\n".join(lines), xytext=(-pad, -zh_height / 2), fontsize=GLOSS_SIZE, color=GLOSS_COLOUR,
                        multialignment="right", linespacing=1.2, label=ROW_GLOSS, **common)


def assisted_heatmap(pivot: Any, upper_bound: Any | None = None) -> Chart:
    """Heat map of :func:`policylib.compare.assisted_pivot`: the amount the person still pays.

    Missing cells are grey, hatched and labelled "not stated"; ``upper_bound`` (the pivot of
    ``personal_pays_upper_bound``) marks amounts that are at most (≤) the figure shown. The colour bar is
    below the map, so the columns keep the width. Each row is labelled with the category's Chinese name over
    its English gloss from ``rules/categories.yaml`` shortened by :func:`short_gloss`, smaller and wrapped
    to the Chinese names' width; the alt text names each group the same way, and the data gives the gloss
    in full as written (a ``gloss`` column: the book shows rule-file text as written, never cut unmarked).
    A row whose category the file does not know keeps its Chinese label alone.
    """
    import numpy as np
    import pandas as pd
    from matplotlib.patches import Rectangle

    from policylib.wording import money

    values = pivot.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    masked = np.ma.masked_invalid(values)
    cmap = matplotlib.colormaps["YlOrRd"].with_extremes(bad=NA_COLOUR)
    n_rows, n_cols = values.shape
    find = category_finder()
    categories = [find(r) for r in pivot.index]
    names = [_category_label(r) for r in pivot.index]
    glosses = [None if c is None else short_gloss(c.gloss) for c in categories]
    width = max([_text_width(name, SMALL_SIZE) for name in names] + [GLOSS_MIN_WIDTH])
    gloss_lines = [_wrap(g, width, GLOSS_SIZE) if g else [] for g in glosses]
    most = max([len(lines) for lines in gloss_lines] + [0])
    row_height = max(0.34, (1.2 * SMALL_SIZE + 1.2 * GLOSS_SIZE * most + ROW_PADDING) / 72)
    fig, grid = _figure(1.9 + row_height * n_rows)
    ax = grid[0, 0]
    vmax = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    image = ax.imshow(masked, cmap=cmap, aspect="auto", vmin=0, vmax=max(vmax, 1.0))
    bounds = upper_bound.reindex(index=pivot.index, columns=pivot.columns) if upper_bound is not None else None
    for i in range(n_rows):
        for j in range(n_cols):
            v = values[i, j]
            if np.isnan(v):
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#9e9e9e",
                                       linewidth=0, label=NOT_STATED))
            else:
                bound = bounds is not None and bool(pd.notna(bounds.iat[i, j]) and bounds.iat[i, j])
                text = f"≤{int(v)}" if bound else f"{int(v)}"
                ax.text(j, i, text, ha="center", va="center", fontsize=SMALL_SIZE,
                        color="white" if v > 0.6 * max(vmax, 1.0) else "black")
    ax.xaxis.tick_top()
    ax.set_xticks(range(n_cols))
    ax.set_xticklabels([str(c) for c in pivot.columns], rotation=40, ha="left", rotation_mode="anchor",
                       fontsize=SMALL_SIZE)
    colours = label_colours()
    for tick, label in zip(ax.xaxis.get_major_ticks(), pivot.columns, strict=True):
        for text in (tick.label1, tick.label2):
            text.set_color(colours.get(str(label), "black"))
    ax.set_yticks(range(n_rows))
    ax.set_yticklabels([])
    _row_labels(ax, names, gloss_lines)
    ax.set_xticks(np.arange(-0.5, n_cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, n_rows, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    bar = fig.colorbar(image, ax=ax, location="bottom", fraction=0.04, pad=0.01, aspect=40)
    bar.set_label("个人仍需缴纳 the person still pays, yuan", fontsize=SMALL_SIZE)
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(facecolor=NA_COLOUR, edgecolor="#9e9e9e", hatch="///",
                              label="grey hatched: not stated by the notice")],
               loc="outside lower center", fontsize=SMALL_SIZE, frameon=False)
    bar.ax.tick_params(labelsize=SMALL_SIZE)
    data = pivot.reset_index()
    data.columns = [str(c) for c in data.columns]
    data.insert(1, "gloss", pd.Series(["" if c is None else c.gloss for c in categories], dtype=object))
    columns = []
    for j, column in enumerate(pivot.columns):
        cells = []
        for i, row in enumerate(pivot.index):
            if np.isfinite(values[i, j]):
                bound = bounds is not None and bool(pd.notna(bounds.iat[i, j]) and bounds.iat[i, j])
                cells.append(f"{category_words(row, glosses[i])}: {money(int(values[i, j]), upper_bound=bound)}")
        missing = n_rows - len(cells)
        columns.append(f"In {column}, " + ("; ".join(cells) if cells else "no group stated")
                       + (f"; {missing} groups not stated" if missing and cells else "") + ".")
    alt = (f"Heat map of what the person still pays, in yuan, for {n_rows} assisted groups by {n_cols} "
           f"jurisdiction-years. " + " ".join(columns))
    caption = ("What a person in each assisted group (资助参保对象) still pays, by jurisdiction-year: pale cells pay "
               "little or nothing, dark cells pay more; ≤ marks an upper bound; grey hatched cells are not stated "
               "by the notice (consult the local implementing rules).")
    return Chart(fig, data, alt, caption)


def coverage_start_chart(series: Any) -> Chart:
    """Start of cover against payment date, both in days from the coverage period's start, one small panel
    per jurisdiction-year (:func:`policylib.compare.coverage_start_series`), so no line hides another.

    A payment whose cover would start after the coverage period ends buys no cover this year: it is drawn
    as a red cross on the panel's top edge, not as a start of cover. Payments for which the notice states no
    start of cover are a grey band labelled "not stated".
    """
    import numpy as np
    import pandas as pd
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    labels = list(dict.fromkeys(series["label"]))
    n = max(len(labels), 1)
    fig, grid = _figure(1.4 + 1.75 * n, n, 1, sharex=True, sharey=True)
    lo = int(series["days_from_start"].min()) if len(series) else -120
    hi = int(series["days_from_start"].max()) if len(series) else 365
    top = hi + 45
    summaries = []
    for ax, label in zip(grid[:, 0], labels, strict=False):
        part = series[series["label"] == label].sort_values("days_from_start")
        colour = colour_for(str(part["jurisdiction"].iloc[0]))
        days = part["days_from_start"].astype(int).to_numpy()
        end = int(days.max())
        cover = np.array([np.nan if pd.isna(v) else float(v) for v in part["cover_days_from_start"].tolist()])
        no_cover = cover > end
        stated = ~np.isnan(cover) & ~no_cover
        ax.plot([lo, hi], [lo, hi], color="#bbbbbb", linestyle=":", linewidth=1)
        ax.axhline(end, color="#888888", linewidth=0.8, linestyle="--")
        line = np.where(stated, cover, np.nan)
        ax.plot(days, line, color=colour, linewidth=2.2, drawstyle="steps-post", solid_capstyle="butt")
        if no_cover.any():
            ax.scatter(days[no_cover], np.full(int(no_cover.sum()), top), marker="x", s=36, color=NO_COVER_COLOUR,
                       linewidth=1.6, zorder=4, clip_on=False)
        step = int(np.median(np.diff(days))) if len(days) > 1 else 1
        unknown = np.isnan(cover)
        for start, stop in _runs(days, unknown, step):
            ax.axvspan(start, stop, color=NA_COLOUR, alpha=0.6, linewidth=0)
        if unknown.any() and not stated.any() and not no_cover.any():
            ax.text((lo + hi) / 2, (lo + hi) / 2, f"start of cover {NOT_STATED}", ha="center", va="center",
                    fontsize=SMALL_SIZE, color="#444444")
        ax.set_title(label, fontsize=TEXT_SIZE, loc="left", color=colour)
        ax.grid(color="#eeeeee")
        ax.tick_params(labelsize=SMALL_SIZE)
        ax.set_ylim(min(lo, 0) - 20, top + 25)
        summaries.append(_coverage_summary(label, days, cover, end, step))
    for ax in grid[len(labels):, 0]:
        ax.set_visible(False)
    grid[-1, 0].set_xlabel("payment day 缴费日 (days from the start of the coverage period)", fontsize=SMALL_SIZE)
    fig.supylabel("first day of cover 待遇起始日 (days from the start)", fontsize=SMALL_SIZE)
    handles = [Line2D([], [], color="#555555", linewidth=2.2, label="first day of cover"),
               Line2D([], [], color="#bbbbbb", linestyle=":", label="cover from the day of payment"),
               Line2D([], [], color="#888888", linestyle="--", label="last day of the coverage period"),
               Line2D([], [], color=NO_COVER_COLOUR, marker="x", linestyle="none",
                      label="payment buys no cover this year"),
               Patch(color=NA_COLOUR, label=f"start of cover {NOT_STATED}")]
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=SMALL_SIZE, frameon=False)
    alt = ("Small multiples, one panel per jurisdiction-year, of the first day of cover against the payment day. "
           + " ".join(summaries))
    caption = ("When cover starts (待遇起始) for an ordinary resident, by the day they pay. A flat line at 0: cover "
               "from the start of the coverage period; a line rising above the dotted diagonal: a waiting period "
               "after payment. Red crosses: late payments whose cover would start after the coverage period "
               "ends, so they buy no cover this year. Grey: the notice does not state a start of cover.")
    return Chart(fig, coverage_start_table(series), alt, caption)


def _runs(days: Any, mask: Any, step: int) -> list[tuple[int, int]]:
    """Spans ``(first, last + step)`` of consecutive days where ``mask`` holds."""
    runs: list[tuple[int, int]] = []
    start = None
    for day, flag in zip(days.tolist(), mask.tolist(), strict=True):
        if flag and start is None:
            start = day
        if not flag and start is not None:
            runs.append((start, day))
            start = None
    if start is not None:
        runs.append((start, int(days[-1]) + step))
    return runs


def _coverage_summary(label: str, days: Any, cover: Any, end: int, step: int) -> str:
    """One sentence of alt text for a panel of the coverage-start chart."""
    import numpy as np

    parts = []
    covered = ~np.isnan(cover) & (cover <= end)
    from_start = covered & (cover == 0)
    if from_start.any():
        parts.append(f"payment from day {int(days[from_start].min())} to day {int(days[from_start].max())} "
                     "gives cover from the start of the period")
    late = covered & (cover > 0)
    if late.any():
        waits = (cover[late] - days[late]).astype(int)
        parts.append(f"payment from day {int(days[late].min())} gives cover after a wait of "
                     f"{int(waits.min())}{'' if waits.min() == waits.max() else f' to {int(waits.max())}'} days")
    no_cover = ~np.isnan(cover) & (cover > end)
    if no_cover.any():
        parts.append(f"payment from day {int(days[no_cover].min())} buys no cover this year")
    if np.isnan(cover).any():
        parts.append(f"for {int(np.isnan(cover).sum() * step)} days of payments the start is not stated")
    return f"{label}: {'; '.join(parts) or 'no data'}."


def coverage_start_table(series: Any, every_days: int = 28) -> Any:
    """The coverage-start series as a small table: one row per ``every_days`` of payment, one column per
    jurisdiction-year, cells the first day of cover in days from the start (missing = not stated)."""
    import pandas as pd

    if series.empty:
        return pd.DataFrame({"payment day": []})
    first = int(series["days_from_start"].min())
    keep = series[(series["days_from_start"] - first) % every_days == 0]
    table = keep.pivot_table(index="days_from_start", columns="label", values="cover_days_from_start",
                             aggfunc="first", dropna=False, sort=False)
    table = table.reindex(columns=list(dict.fromkeys(series["label"]))).sort_index()
    table.index.name = "payment day"
    out = table.reset_index()
    out.columns = [str(c) for c in out.columns]
    for col in out.columns[1:]:
        out[col] = pd.array([None if pd.isna(v) else int(v) for v in out[col].tolist()], dtype="Int64")
    return out


def _month_ticks(lo: int, hi: int, year: int = 2001, every: int = 2) -> tuple[list[int], list[str]]:
    """Ticks at month starts between offsets ``lo`` and ``hi`` (days from 1 January of the coverage year),
    labelled ``Sep Y−1``, ``Jan Y``, every ``every`` months. Offsets are counted in a fixed non-leap year."""
    import datetime as dt

    jan1 = dt.date(year, 1, 1)
    ticks, labels = [], []
    for y in (year - 1, year, year + 1):
        for m in range(1, 13):
            offset = (dt.date(y, m, 1) - jan1).days
            if lo <= offset <= hi and (m - 1) % every == 0:
                rel = y - year
                ticks.append(offset)
                labels.append(f"{MONTH_ABBR[m - 1]}\nY{'' if rel == 0 else f'{rel:+d}'.replace('-', '−')}")
    return ticks, labels


def deadline_rows(events: Any) -> tuple[Any, Any]:
    """Split :func:`policylib.compare.calendar_events` into the rows drawn in the resident panel (windows,
    extensions, coverage period) and in the internal work-plan panel (stages, reporting, cut-offs).

    An event repeating another of the same jurisdiction-year with the same name and dates (a work stage
    restating the collection window) is drawn once, in the resident panel.
    """
    resident = events[events["kind"].isin(RESIDENT_KINDS)]
    internal = events[~events["kind"].isin(RESIDENT_KINDS)]

    def key(r: Any) -> tuple[Any, ...]:
        return (r.label, str(r.name_zh), _int_or_none(r.start_offset), _int_or_none(r.end_offset))

    seen: set[tuple[Any, ...]] = set()
    keep_resident = []
    for i, r in zip(resident.index, resident.itertuples(index=False), strict=True):
        if key(r) not in seen:
            seen.add(key(r))
            keep_resident.append(i)
    keep_internal = []
    for i, r in zip(internal.index, internal.itertuples(index=False), strict=True):
        if key(r) not in seen:
            seen.add(key(r))
            keep_internal.append(i)
    return events.loc[keep_resident], events.loc[keep_internal]


def _draw_timeline(ax: Any, rows: Any, lo: int, hi: int) -> None:
    """Bars for spans, diamonds for single dates, red rings on ends falling on a rest day."""
    ylabels = []
    for i, r in enumerate(rows.itertuples(index=False)):
        colour = colour_for(r.jurisdiction)
        name = str(r.name_zh)
        ylabels.append(f"{r.label}\n{name if len(name) <= 12 else name[:11] + '…'}")
        start = _int_or_none(r.start_offset)
        end = _int_or_none(r.end_offset)
        if end is None:
            ax.text(lo + 4, i, f"date {NOT_STATED}", va="center", ha="left", fontsize=SMALL_SIZE - 1,
                    color="#444444", style="italic", bbox={"facecolor": NA_COLOUR, "edgecolor": "none", "pad": 1})
            continue
        if start is not None and start != end:
            ax.barh(i, end - start + 1, left=start, height=0.6, color=colour,
                    alpha=0.45 if r.kind == "coverage" else 0.9, edgecolor=colour)
        else:
            ax.scatter([end], [i], marker="D", s=40, color=colour, zorder=3)
        rest = r.end_is_rest_day
        if (rest is True) or (rest is None and r.end_is_weekend is True):
            ax.scatter([end], [i], marker="o", s=150, facecolors="none", edgecolors=REST_DAY_COLOUR, linewidths=1.6,
                       zorder=4)
    ax.set_yticks(range(len(ylabels)))
    ax.set_yticklabels(ylabels, fontsize=SMALL_SIZE - 1)
    ax.set_ylim(len(ylabels) - 0.5, -0.5)
    ax.axvline(0, color="#555555", linewidth=0.8)
    ticks, labels = _month_ticks(lo, hi, every=3)
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, fontsize=SMALL_SIZE)
    ax.set_xlim(lo, hi)
    ax.grid(axis="x", color="#eeeeee")


def _timeline_words(rows: Any) -> str:
    parts = []
    for r in rows.itertuples(index=False):
        end = _int_or_none(r.end_offset)
        if end is None:
            when = "date not stated"
        elif _int_or_none(r.start_offset) is not None and _int_or_none(r.start_offset) != end:
            when = f"{r.start.date().isoformat()} to {r.end.date().isoformat()}"
        else:
            when = r.end.date().isoformat()
        parts.append(f"{r.label} {r.name_zh} {when}")
    return "; ".join(parts) or "none"


def deadlines_chart(events: Any) -> Chart:
    """Timeline of :func:`policylib.compare.calendar_events` aligned on the coverage year (x: days from
    1 January of the coverage year), in two panels: what residents act on (collection windows, extensions,
    coverage period) and the authorities' internal milestones. Spans are bars, single dates diamonds; an
    end falling on a weekend or statutory holiday is ringed in red; events without a stated date say so."""
    import pandas as pd
    from matplotlib.lines import Line2D

    resident, internal = deadline_rows(events)
    offsets = [int(v) for v in pd.concat([events["start_offset"], events["end_offset"]]).dropna().tolist()]
    lo = min([*offsets, 0]) - 15
    hi = max([*offsets, 365]) + 15
    n_res, n_int = max(len(resident), 1), max(len(internal), 1)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(CHART_WIDTH, 2.2 + 0.42 * (n_res + n_int)), layout="constrained")
    ax_res, ax_int = fig.subplots(2, 1, sharex=True, height_ratios=[n_res, n_int])
    _draw_timeline(ax_res, resident, lo, hi)
    _draw_timeline(ax_int, internal, lo, hi)
    ax_res.set_title("For residents 缴费期:\nwindows, extensions, coverage period",
                     fontsize=TEXT_SIZE, loc="left")
    ax_int.set_title("Internal work plan 工作节点:\nstages, reports, cut-off dates", fontsize=TEXT_SIZE, loc="left")
    ax_int.set_xlabel("month, relative to the coverage year Y\n(待遇年度)", fontsize=SMALL_SIZE)
    handles = [Line2D([], [], color="#777777", linewidth=6, label="period"),
               Line2D([], [], color="#777777", marker="D", linestyle="none", label="single date"),
               Line2D([], [], color=REST_DAY_COLOUR, marker="o", markerfacecolor="none", markersize=11,
                      linestyle="none", label="ends on a weekend or statutory holiday (休息日)")]
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=SMALL_SIZE, frameon=False)
    alt = ("Timeline in two panels, dates relative to 1 January of the coverage year. For residents: "
           f"{_timeline_words(resident)}. Internal work plan: {_timeline_words(internal)}.")
    caption = ("When each collection window (缴费期) opens and closes, with any extension, above; the authorities' "
               "internal milestones below. Read how early in the year before the coverage year a window closes; a "
               "red ring means the last day falls on a weekend or holiday.")
    return Chart(fig, deadlines_table(events), alt, caption)


def deadlines_table(events: Any) -> Any:
    """The timeline's data as text: offsets, last day and its rest-day flag; "not stated" only where the
    date is not stated (a single date has no start; a working day has no holiday name)."""
    import pandas as pd

    def text(value: Any, blank: str = "") -> str:
        return blank if value is None or value is pd.NA or pd.isna(value) else str(value)

    rows = []
    for r in events.itertuples(index=False):
        stated = _int_or_none(r.end_offset) is not None
        rest = r.end_is_rest_day
        rows.append({
            "label": r.label, "event_id": r.event_id, "kind": r.kind,
            "from": text(_int_or_none(r.start_offset)),
            "to": text(_int_or_none(r.end_offset), NOT_STATED),
            "last day": r.end.date().isoformat() if stated else NOT_STATED,
            "weekday": text(r.end_weekday),
            "rest day": "" if not stated else "unknown" if rest is None else "yes" if rest else "no",
            "holiday": text(r.end_is_holiday),
        })
    return pd.DataFrame(rows, columns=["label", "event_id", "kind", "from", "to", "last day", "weekday", "rest day",
                                       "holiday"])


def national_deltas_chart(changes: Any) -> Chart:
    """Year-on-year change of the national subsidy minimum and personal standard (grouped bars), from
    :func:`policylib.compare.national_changes`; the legend is below the bars."""
    import numpy as np

    fields = (("fiscal_subsidy", "财政补助最低标准 subsidy minimum", "#4c72b0"),
              ("personal_contribution", "个人缴费标准 personal standard", "#dd8452"))
    steps = list(dict.fromkeys(zip(changes["from_year"].astype(int), changes["to_year"].astype(int), strict=True)))
    x = np.arange(len(steps))
    fig, grid = _figure(4.4)
    ax = grid[0, 0]
    width = 0.4
    words = []
    for k, (name, title, colour) in enumerate(fields):
        part = changes[changes["field"] == name]
        by_step = {(int(a), int(b)): _int_or_none(d) for a, b, d in
                   zip(part["from_year"], part["to_year"], part["delta"], strict=True)}
        heights = [by_step.get(s) for s in steps]
        xs = x + (k - 0.5) * width
        ax.bar(xs, [0 if h is None else h for h in heights], width=width, color=colour, label=title)
        for xi, h in zip(xs, heights, strict=True):
            ax.text(xi, (h or 0) + 0.5, NOT_STATED if h is None else f"{h:+d}", ha="center", va="bottom",
                    fontsize=SMALL_SIZE - 1.5, rotation=90 if h is None else 0)
        words.append(f"{title}: " + ", ".join(f"{a}→{b} {NOT_STATED if h is None else f'{h:+d}'}"
                                              for (a, b), h in zip(steps, heights, strict=True)))
    ax.set_xticks(x)
    ax.set_xticklabels([f"{a}→\n{b}" for a, b in steps], fontsize=SMALL_SIZE - 1)
    ax.set_ylabel("change, yuan per person", fontsize=SMALL_SIZE)
    ax.set_xlabel("national standard year", fontsize=SMALL_SIZE)
    ax.axhline(0, color="#555555", linewidth=0.8)
    ax.margins(y=0.15)
    ax.grid(axis="y", color="#eeeeee")
    ax.tick_params(labelsize=SMALL_SIZE)
    fig.legend(loc="outside lower center", ncol=1, fontsize=SMALL_SIZE, frameon=False)
    columns = ["from_year", "to_year", "field", "before", "after", "delta"]
    alt = "Grouped bars of the yearly change of the national minimum, yuan per person. " + ". ".join(words) + "."
    caption = ("How much the national minimum rose each year: blue the fiscal subsidy minimum (财政补助最低标准), "
               "orange the personal contribution standard (个人缴费标准). Taller bars are bigger rises.")
    return Chart(fig, changes.loc[:, columns].reset_index(drop=True), alt, caption)


def financing_spread_chart(financing: Any, national: Any) -> Chart:
    """Many jurisdiction-years' subsidy and personal contribution as a spread per coverage year, against the
    national minimum: :func:`financing_chart` for more places than one mark each can show.

    ``financing`` and ``national`` as for :func:`financing_chart`. Each coverage year has a box (the middle
    half of the local figures, the line at the median, whiskers to the lowest and highest) over the
    figures themselves as small grey dots (each distinct figure once, so the drawing does not grow with the
    number of places); the national minimum is the dashed line. An "at least" figure counts at its stated
    minimum.
    """
    import numpy as np
    import pandas as pd

    nat = national.sort_values("governs_coverage_year")
    xs = nat["governs_coverage_year"].astype(int).tolist()
    years = sorted({int(y) for y in financing["year"].tolist()} | set(xs))
    panels = (("fiscal_subsidy", "subsidy_min", "财政补助 fiscal subsidy, yuan per person"),
              ("personal_contribution", "personal_standard", "个人缴费 personal contribution, yuan per person"))
    fig, grid = _figure(6.4, 2, 1, sharex=True)
    rows: list[dict[str, Any]] = []
    words = []
    for ax, (local_col, nat_col, title) in zip(grid[:, 0], panels, strict=True):
        ys = [_int_or_none(v) for v in nat[nat_col].tolist()]
        ax.plot(xs, [float("nan") if y is None else y for y in ys], color=NATIONAL_COLOUR, linestyle="--",
                marker=".", label="national minimum 国家最低标准", zorder=4)
        values = pd.to_numeric(financing[local_col], errors="coerce")
        per_year = []
        for year in years:
            stated = values[(financing["year"].astype(int) == year).to_numpy()].dropna().to_numpy(dtype=float)
            missing = int(((financing["year"].astype(int) == year) & values.isna()).sum())
            if len(stated) or missing:
                per_year.append((year, stated, missing))
        for year, stated, missing in per_year:
            if len(stated):
                shown = np.unique(stated)  # equal figures would be drawn on top of each other: once each
                jitter = (np.arange(len(shown)) % 9 - 4) * 0.03
                ax.scatter(year + jitter, shown, s=6, color="#9e9e9e", zorder=2, linewidth=0)
                ax.boxplot([stated], positions=[year], widths=0.45, showfliers=False, patch_artist=True,
                           boxprops={"facecolor": "#c6dbef", "alpha": 0.6, "edgecolor": "#3b6ea5"},
                           medianprops={"color": "#08306b", "linewidth": 2}, zorder=3)
                q1, median, q3 = np.percentile(stated, [25, 50, 75])
            else:
                q1 = median = q3 = float("nan")
            row = {"field": local_col, "coverage_year": year, "places": len(stated), "not_stated": missing,
                   "lowest": float(stated.min()) if len(stated) else None,
                   "lower_quartile": None if np.isnan(q1) else float(q1),
                   "median": None if np.isnan(median) else float(median),
                   "upper_quartile": None if np.isnan(q3) else float(q3),
                   "highest": float(stated.max()) if len(stated) else None}
            rows.append(row)
            words.append(f"{title.split(',')[0]} {year}: " + (
                f"{len(stated)} figures from {row['lowest']:g} to {row['highest']:g}, median {row['median']:g}"
                if len(stated) else "none stated") + (f", {missing} not stated" if missing else ""))
        ax.set_title(title, fontsize=TEXT_SIZE, loc="left")
        ax.grid(axis="y", color="#e5e5e5")
        ax.tick_params(labelsize=SMALL_SIZE)
        ax.margins(x=0.08, y=0.12)
    axes = grid[:, 0]
    axes[-1].set_xticks(years)
    axes[-1].set_xticklabels([str(y) for y in years], fontsize=SMALL_SIZE)
    axes[-1].set_xlabel("coverage year 待遇年度", fontsize=SMALL_SIZE)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [axes[0].get_lines()[0],
               Patch(facecolor="#c6dbef", edgecolor="#3b6ea5", label="middle half of the local figures"),
               Line2D([], [], color="#08306b", linewidth=2, label="median"),
               Line2D([], [], linestyle="none", marker="o", markersize=3, color="#9e9e9e",
                      label="a jurisdiction-year (or a resident class)")]
    fig.legend(handles=handles, loc="outside lower center", ncol=1, fontsize=SMALL_SIZE, frameon=False)
    data = pd.DataFrame(rows, columns=["field", "coverage_year", "places", "not_stated", "lowest", "lower_quartile",
                                       "median", "upper_quartile", "highest"])
    alt = ("Two panels by coverage year, the spread of local figures against the national minimum (dashed). "
           + "; ".join(words) + ".")
    caption = ("The spread of local fiscal subsidies (财政补助, top) and personal contributions (个人缴费, bottom) in "
               "each coverage year: the box holds the middle half of the jurisdiction-years, the dark line is the "
               "median, the whiskers reach the lowest and highest, grey dots are the distinct figures. The "
               "dashed line is the national minimum (国家最低标准): dots below it are below the minimum.")
    return Chart(fig, data, alt, caption)


def distribution_chart(panels: list[tuple[str, Any]]) -> Chart:
    """Small multiples of histograms, one panel per figure: ``panels`` is ``(title, counts)`` pairs, each
    ``counts`` from :func:`policylib.aggregate.histogram` (bins, then a "not stated" row drawn grey and hatched).
    """
    import pandas as pd

    n = max(len(panels), 1)
    fig, grid = _figure(0.9 + 1.9 * n, n, 1)
    words, frames = [], []
    for ax, (title, counts) in zip(grid[:, 0], panels, strict=False):
        labels = [str(b) for b in counts["bin"]]
        values = [int(c) for c in counts["count"]]
        missing = [b == NOT_STATED for b in labels]
        colours = [NA_COLOUR if m else "#4c72b0" for m in missing]
        bars = ax.bar(range(len(labels)), values, color=colours, edgecolor="#555555", linewidth=0.5)
        for bar, m in zip(bars, missing, strict=True):
            if m:
                bar.set_hatch("///")
        for x, v in enumerate(values):
            if v:
                ax.text(x, v, str(v), ha="center", va="bottom", fontsize=SMALL_SIZE - 1)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, fontsize=SMALL_SIZE - 1, rotation=30, ha="right", rotation_mode="anchor")
        ax.set_title(title, fontsize=TEXT_SIZE, loc="left")
        ax.set_ylabel("jurisdiction-years", fontsize=SMALL_SIZE - 1)
        ax.tick_params(labelsize=SMALL_SIZE - 1)
        ax.margins(y=0.2)
        ax.grid(axis="y", color="#eeeeee")
        words.append(f"{title}: " + ", ".join(f"{label} {v}" for label, v in zip(labels, values, strict=True)))
        frames.append(counts.assign(figure=title)[["figure", "bin", "count"]])
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["figure", "bin", "count"])
    alt = ("Histograms, one panel per figure, of how many jurisdiction-years fall in each range. "
           + ". ".join(words) + ".")
    caption = ("How the jurisdiction-years spread over each answer: each bar counts the jurisdiction-years in a range; "
               f"the grey hatched bar counts those whose notice does not state the figure ({NOT_STATED}).")
    return Chart(fig, data, alt, caption)
