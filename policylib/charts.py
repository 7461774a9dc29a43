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
# Each function draws one chart of the book with pyplot (so the notebook's inline backend shows it) and
# returns the figure with the data it draws, for the notebook to print as a text table.

NOT_STATED = "not stated"
NA_COLOUR = "#d9d9d9"
REST_DAY_COLOUR = "#d62728"
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _pyplot() -> Any:
    import matplotlib.pyplot as plt

    return plt


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


def financing_chart(financing: Any, national: Any) -> tuple[Any, Any]:
    """Local subsidy and personal contribution against the national minimum series, by coverage year.

    ``financing`` is :func:`policylib.compare.financing_table`, ``national`` :func:`policylib.compare.national_series`.
    National lines are drawn at the coverage year each standard governs (tick labels name the standard
    year); local points are in their jurisdiction's colour, triangles for "at least" (不低于) figures.
    """
    import pandas as pd

    plt = _pyplot()
    nat = national.sort_values("governs_coverage_year")
    rows: list[dict[str, Any]] = [
        {"series": f"national minimum (standard {int(r.standard_year)})", "coverage_year": int(r.governs_coverage_year),
         "fiscal_subsidy": _int_or_none(r.subsidy_min), "subsidy_at_least": bool(r.subsidy_at_least),
         "personal_contribution": _int_or_none(r.personal_standard)}
        for r in nat.itertuples(index=False)
    ]
    local = financing.sort_values(["year", "jurisdiction"], kind="stable")
    rows += [
        {"series": r.label, "coverage_year": int(r.year), "fiscal_subsidy": _int_or_none(r.fiscal_subsidy),
         "subsidy_at_least": bool(r.fiscal_subsidy_at_least),
         "personal_contribution": _int_or_none(r.personal_contribution)}
        for r in local.itertuples(index=False)
    ]
    data = pd.DataFrame(rows, columns=["series", "coverage_year", "fiscal_subsidy", "subsidy_at_least",
                                       "personal_contribution"])
    for col in ("fiscal_subsidy", "personal_contribution"):
        data[col] = pd.array(data[col].tolist(), dtype="Int64")

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharex=True)
    panels = (("fiscal_subsidy", "subsidy_min", "财政补助 fiscal subsidy (yuan per person)"),
              ("personal_contribution", "personal_standard", "个人缴费 personal contribution (yuan per person)"))
    offsets = _spread(local["year"].tolist())
    for ax, (local_col, nat_col, title) in zip(axes, panels, strict=True):
        xs = nat["governs_coverage_year"].astype(int).tolist()
        ys = [_int_or_none(v) for v in nat[nat_col].tolist()]
        ax.plot(xs, [float("nan") if y is None else y for y in ys], color="#444444", linestyle="--", marker=".",
                label="national minimum 国家最低标准")
        for r, dx in zip(local.itertuples(index=False), offsets, strict=True):
            value = _int_or_none(getattr(r, local_col))
            if value is None:
                continue
            at_least = bool(r.fiscal_subsidy_at_least) if local_col == "fiscal_subsidy" else False
            ax.scatter([int(r.year) + dx], [value], color=colour_for(r.jurisdiction), marker="^" if at_least else "o",
                       s=60, zorder=3, edgecolor="black", linewidth=0.5, label=r.label)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", color="#e5e5e5")
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{c}\n(std {s})" for c, s in zip(xs, nat["standard_year"].astype(int), strict=True)],
                           fontsize=8)
        ax.set_xlabel("coverage year 待遇年度 (national standard year)", fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    fig.legend(unique.values(), unique.keys(), loc="lower center", ncol=min(len(unique), 5), fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle("Local figures (● exact, ▲ at least 不低于) against the national minimum", fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig, data


def assisted_heatmap(pivot: Any, upper_bound: Any | None = None) -> tuple[Any, Any]:
    """Heat map of :func:`policylib.compare.assisted_pivot`: the amount the person still pays.

    Missing cells are grey, hatched and labelled "not stated"; ``upper_bound`` (the pivot of
    ``personal_pays_upper_bound``) marks amounts that are at most (≤) the figure shown.
    """
    import numpy as np
    import pandas as pd
    from matplotlib.patches import Rectangle

    plt = _pyplot()
    values = pivot.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    masked = np.ma.masked_invalid(values)
    cmap = plt.get_cmap("YlOrRd").with_extremes(bad=NA_COLOUR)
    n_rows, n_cols = values.shape
    fig, ax = plt.subplots(figsize=(2.2 + 1.6 * n_cols, 1.2 + 0.36 * n_rows))
    vmax = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    image = ax.imshow(masked, cmap=cmap, aspect="auto", vmin=0, vmax=max(vmax, 1.0))
    bounds = upper_bound.reindex(index=pivot.index, columns=pivot.columns) if upper_bound is not None else None
    for i in range(n_rows):
        for j in range(n_cols):
            v = values[i, j]
            if np.isnan(v):
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#9e9e9e",
                                       linewidth=0))
                ax.text(j, i, NOT_STATED, ha="center", va="center", fontsize=7, color="#555555",
                        bbox={"facecolor": NA_COLOUR, "edgecolor": "none", "pad": 0.5})
            else:
                bound = bounds is not None and bool(pd.notna(bounds.iat[i, j]) and bounds.iat[i, j])
                text = f"≤{int(v)}" if bound else f"{int(v)}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if v > 0.6 * max(vmax, 1.0) else "black")
    ax.xaxis.tick_top()
    ax.set_xticks(range(n_cols))
    ax.set_xticklabels([str(c) for c in pivot.columns], rotation=0, fontsize=9)
    colours = label_colours()
    for tick, label in zip(ax.xaxis.get_major_ticks(), pivot.columns, strict=True):
        for text in (tick.label1, tick.label2):
            text.set_color(colours.get(str(label), "black"))
    ax.set_yticks(range(n_rows))
    ax.set_yticklabels([str(r) for r in pivot.index], fontsize=8)
    ax.set_xticks(np.arange(-0.5, n_cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, n_rows, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("个人仍需缴纳 amount the person still pays (yuan)", fontsize=8)
    ax.set_title("资助参保 assisted groups: what the person still pays", fontsize=10, pad=28)
    fig.tight_layout()
    data = pivot.reset_index()
    data.columns = [str(c) for c in data.columns]
    return fig, data


def coverage_start_chart(series: Any) -> tuple[Any, Any]:
    """Start of cover against payment date, both in days from the coverage period's start, one line per
    jurisdiction-year (:func:`policylib.compare.coverage_start_series`). A line with no stated start is
    listed in the legend as "start not stated"."""
    import pandas as pd

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.8))
    labels = list(dict.fromkeys(series["label"]))
    styles = ("-", "--", "-.", ":")
    seen: dict[str, int] = {}
    lo = int(series["days_from_start"].min()) if len(series) else -120
    hi = int(series["days_from_start"].max()) if len(series) else 365
    ax.plot([lo, hi], [lo, hi], color="#bbbbbb", linestyle=":", linewidth=1, label="cover from the day of payment")
    ax.axvline(0, color="#888888", linewidth=0.8)
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.axhline(365, color="#888888", linewidth=0.8, linestyle="--")
    ax.text(hi, 368, "365 days after the start of the coverage period", fontsize=7, color="#666666",
            va="bottom", ha="right")
    for k, label in enumerate(labels):
        part = series[series["label"] == label]
        jurisdiction = str(part["jurisdiction"].iloc[0])
        style = styles[seen.get(jurisdiction, 0) % len(styles)]
        seen[jurisdiction] = seen.get(jurisdiction, 0) + 1
        y = [float("nan") if pd.isna(v) else float(v) for v in part["cover_days_from_start"].tolist()]
        stated = any(v == v for v in y)
        # Earlier lines are drawn wider, so lines that coincide stay visible as nested strokes.
        width = 1.5 + min(1.0 * (len(labels) - 1 - k), 4.0)
        ax.plot(part["days_from_start"].tolist(), y, color=colour_for(jurisdiction), linestyle=style,
                linewidth=width, drawstyle="steps-post", solid_capstyle="butt",
                label=label if stated else f"{label} (start {NOT_STATED})")
    ax.set_xlabel("payment day, days from the start of the coverage period (缴费日)", fontsize=9)
    ax.set_ylabel("first day of cover, days from the start (待遇起始日)", fontsize=9)
    ax.set_title("待遇起始 start of cover for an ordinary resident, by payment date", fontsize=10)
    ax.grid(color="#eeeeee")
    ax.legend(fontsize=8, loc="center left", frameon=False)
    fig.tight_layout()
    data = coverage_start_table(series)
    return fig, data


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


def _month_ticks(lo: int, hi: int, year: int = 2001) -> tuple[list[int], list[str]]:
    """Ticks at month starts between offsets ``lo`` and ``hi`` (days from 1 January of the coverage year),
    labelled ``Sep Y−1``, ``Jan Y``. Offsets are counted in a fixed non-leap reference year."""
    import datetime as dt

    jan1 = dt.date(year, 1, 1)
    ticks, labels = [], []
    for y in (year - 1, year, year + 1):
        for m in range(1, 13):
            offset = (dt.date(y, m, 1) - jan1).days
            if lo <= offset <= hi and (m - 1) % 2 == 0:
                rel = y - year
                ticks.append(offset)
                labels.append(f"{MONTH_ABBR[m - 1]}\nY{'' if rel == 0 else f'{rel:+d}'.replace('-', '−')}")
    return ticks, labels


def deadlines_chart(events: Any) -> tuple[Any, Any]:
    """Timeline of :func:`policylib.compare.calendar_events` aligned on the coverage year (x: days from
    1 January of the coverage year). Spans are bars, single dates diamonds; an end falling on a weekend or
    statutory holiday is ringed in red; events without a stated date are listed as "not stated"."""
    import pandas as pd

    plt = _pyplot()
    n = len(events)
    fig, ax = plt.subplots(figsize=(10, 1.0 + 0.32 * max(n, 1)))
    ylabels = []
    offsets = [int(v) for v in pd.concat([events["start_offset"], events["end_offset"]]).dropna().tolist()]
    lo = min([*offsets, 0]) - 10
    hi = max([*offsets, 365]) + 10
    for i, r in enumerate(events.itertuples(index=False)):
        colour = colour_for(r.jurisdiction)
        name = str(r.name_zh)
        ylabels.append(f"{r.label} · {name if len(name) <= 14 else name[:13] + '…'}")
        start = _int_or_none(r.start_offset)
        end = _int_or_none(r.end_offset)
        if end is None:
            ax.text(0, i, NOT_STATED, va="center", ha="left", fontsize=7, color="#666666", style="italic",
                    bbox={"facecolor": NA_COLOUR, "edgecolor": "none", "pad": 1})
            continue
        if start is not None and start != end:
            ax.barh(i, end - start + 1, left=start, height=0.55, color=colour, alpha=0.55 if r.kind == "coverage"
                    else 0.9, edgecolor=colour)
        else:
            ax.scatter([end], [i], marker="D", s=30, color=colour, zorder=3)
        rest = r.end_is_rest_day
        weekend = r.end_is_weekend
        if (rest is True) or (rest is None and weekend is True):
            ax.scatter([end], [i], marker="o", s=120, facecolors="none", edgecolors=REST_DAY_COLOUR, linewidths=1.5,
                       zorder=4)
    ax.set_yticks(range(n))
    ax.set_yticklabels(ylabels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="#555555", linewidth=0.8)
    ticks, labels = _month_ticks(lo, hi)
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_xlim(lo, hi)
    ax.grid(axis="x", color="#eeeeee")
    ax.set_xlabel("days from 1 January of the coverage year (Y = coverage year 待遇年度)", fontsize=9)
    ax.set_title("缴费期与时间节点 windows, extensions and milestones", fontsize=10)
    ax.scatter([], [], marker="o", s=120, facecolors="none", edgecolors=REST_DAY_COLOUR,
               label="ends on a weekend or statutory holiday (休息日)")
    ax.scatter([], [], marker="D", s=30, color="#777777", label="single date")
    ax.legend(fontsize=7, loc="lower right", frameon=True)
    fig.tight_layout()
    return fig, deadlines_table(events)


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


def national_deltas_chart(changes: Any) -> tuple[Any, Any]:
    """Year-on-year change of the national subsidy minimum and personal standard (grouped bars), from
    :func:`policylib.compare.national_changes`."""
    import numpy as np

    plt = _pyplot()
    fields = (("fiscal_subsidy", "财政补助最低标准 subsidy minimum", "#4c72b0"),
              ("personal_contribution", "个人缴费标准 personal standard", "#dd8452"))
    steps = list(dict.fromkeys(zip(changes["from_year"].astype(int), changes["to_year"].astype(int), strict=True)))
    x = np.arange(len(steps))
    fig, ax = plt.subplots(figsize=(9, 3.8))
    width = 0.38
    for k, (name, title, colour) in enumerate(fields):
        part = changes[changes["field"] == name]
        by_step = {(int(a), int(b)): _int_or_none(d) for a, b, d in
                   zip(part["from_year"], part["to_year"], part["delta"], strict=True)}
        heights = [by_step.get(s) for s in steps]
        xs = x + (k - 0.5) * width
        ax.bar(xs, [0 if h is None else h for h in heights], width=width, color=colour, label=title)
        for xi, h in zip(xs, heights, strict=True):
            ax.text(xi, (h or 0) + 0.5, NOT_STATED if h is None else f"{h:+d}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{a}→{b}" for a, b in steps], fontsize=8)
    ax.set_ylabel("change, yuan per person", fontsize=9)
    ax.set_xlabel("national standard year", fontsize=9)
    ax.set_title("国家标准年度变化 year-on-year change of the national minimum", fontsize=10)
    ax.axhline(0, color="#555555", linewidth=0.8)
    ax.margins(y=0.15)
    ax.grid(axis="y", color="#eeeeee")
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    fig.tight_layout()
    columns = ["from_year", "to_year", "field", "before", "after", "delta"]
    return fig, changes.loc[:, columns].reset_index(drop=True)
