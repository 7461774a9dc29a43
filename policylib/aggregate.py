"""Views of many jurisdiction-years: by province and level, distributions, extremes, shared patterns.

A chapter shows every place while there are few (at most :data:`MANY_PLACES`); beyond that it shows
what a reader can take in: summaries by level and province, the highest and lowest places, histograms,
and one entry per group of places whose rules read the same (:func:`shared_patterns`). The full tables
stay in the downloads.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

MANY_PLACES = 16
EXTREMES = 5
NAMES_SHOWN = 6
# Columns that name a place rather than describe its rules: places differing only there share a pattern.
IDENTITY = ("jurisdiction", "label", "name_en", "anchor")
# Municipalities directly under the central government are provinces by level (直辖市).
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
PROVINCE = re.compile(r"^(.+?(?:省|自治区|特别行政区))")
LEVEL_ORDER = ("province", "city", "county")


def count_places(frame: pd.DataFrame) -> int:
    """Number of distinct jurisdiction-years in a comparison table."""
    if frame.empty:
        return 0
    return len(frame.drop_duplicates(["jurisdiction", "year"]))


def many(places: int | pd.DataFrame) -> bool:
    """Whether a view should aggregate: more than :data:`MANY_PLACES` jurisdiction-years."""
    n = count_places(places) if isinstance(places, pd.DataFrame) else int(places)
    return n > MANY_PLACES


def province_of(level: str, name_zh: str, parent_zh: str | None) -> str | None:
    """The province (省级) of a jurisdiction: itself at province level, else the first province-level name
    its ``parent_zh`` starts with; None when the rule file does not say."""
    own = name_zh if level == "province" else (parent_zh or "")
    for city in MUNICIPALITIES:
        if own.startswith(city):
            return city
    found = PROVINCE.match(own)
    return found.group(1) if found else None


def places() -> pd.DataFrame:
    """One row per local jurisdiction-year: jurisdiction, year, label, level and province (from the rule file)."""
    from policylib import catalogue
    from policylib.model import RuleSet

    rows = []
    for entry in catalogue.local_entries():
        rules = catalogue.load_file(entry.path)  # the entry's own file: no search of the catalogue per place
        if not isinstance(rules, RuleSet):
            continue
        rows.append({"jurisdiction": entry.jurisdiction, "year": int(entry.year),
                     "label": f"{rules.name_en} {rules.coverage_year}", "level": entry.level,
                     "province": province_of(rules.level, rules.name_zh, rules.parent_zh) or "province not stated"})
    return pd.DataFrame(rows, columns=["jurisdiction", "year", "label", "level", "province"])


def with_places(frame: pd.DataFrame, where: pd.DataFrame | None = None) -> pd.DataFrame:
    """``frame`` with the level and province of each row's jurisdiction-year."""
    where = places() if where is None else where
    extra = where[["jurisdiction", "year", "level", "province"]]
    drop = [c for c in ("level", "province") if c in frame.columns]
    return frame.drop(columns=drop).merge(extra, on=["jurisdiction", "year"], how="left")


def summary(frame: pd.DataFrame, value: str, by: str) -> pd.DataFrame:
    """Per group of ``by`` (``level`` or ``province``): places, places with a stated ``value``, its lowest,
    median and highest. One value per jurisdiction-year: the highest where a place has several rows."""
    numbers = pd.to_numeric(frame[value], errors="coerce")
    per_place = (frame.assign(_value=numbers).groupby(["jurisdiction", "year", by], dropna=False, sort=False)["_value"]
                 .max().reset_index())
    grouped = per_place.groupby(by, dropna=False, sort=False)["_value"]
    out = pd.DataFrame({
        "places": grouped.size(),
        "stated": grouped.count(),
        "lowest": grouped.min(),
        "median": grouped.median(),
        "highest": grouped.max(),
    }).reset_index()
    order = {level: i for i, level in enumerate(LEVEL_ORDER)}
    key = out[by].map(lambda v: order.get(v, len(order))) if by == "level" else out[by].astype(str)
    out = out.assign(_key=key).sort_values(["_key"], kind="stable").drop(columns="_key").reset_index(drop=True)
    for col in ("lowest", "median", "highest"):
        out[col] = out[col].astype("Float64")
    return out


def extremes(frame: pd.DataFrame, value: str, k: int = EXTREMES) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of the ``k`` jurisdiction-years with the highest and with the lowest stated ``value``
    (all rows of each such place, highest first / lowest first; ties in catalogue order)."""
    numbers = pd.to_numeric(frame[value], errors="coerce")
    per_place = (frame.assign(_value=numbers).dropna(subset=["_value"])
                 .groupby(["jurisdiction", "year"], sort=False)["_value"].max().reset_index())
    top = per_place.sort_values("_value", ascending=False, kind="stable").head(k)
    bottom = per_place.sort_values("_value", ascending=True, kind="stable").head(k)

    def rows_of(chosen: pd.DataFrame) -> pd.DataFrame:
        keys = list(zip(chosen["jurisdiction"], chosen["year"], strict=True))
        rank = {key: i for i, key in enumerate(keys)}
        part = frame[[(j, y) in rank for j, y in zip(frame["jurisdiction"], frame["year"], strict=True)]]
        order = [rank[(j, y)] for j, y in zip(part["jurisdiction"], part["year"], strict=True)]
        return part.assign(_rank=order).sort_values("_rank", kind="stable").drop(columns="_rank")

    return rows_of(top), rows_of(bottom)


def histogram(values: Iterable[Any], edges: Sequence[float], words: Callable[[float], str] | None = None,
              ) -> pd.DataFrame:
    """Counts of ``values`` in the bins ``[edges[i], edges[i+1])`` (the last bin closed), and of values
    not stated (missing), as rows ``bin``, ``low``, ``high``, ``count``; ``words`` writes an edge."""
    words = words or _number
    numbers = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
    rows = []
    for i, (low, high) in enumerate(itertools.pairwise(edges)):
        last = i == len(edges) - 2
        inside = (numbers >= low) & ((numbers <= high) if last else (numbers < high))
        rows.append({"bin": f"{words(low)}–{words(high)}", "low": low, "high": high, "count": int(inside.sum())})
    rows.append({"bin": "not stated", "low": None, "high": None, "count": int(numbers.isna().sum())})
    return pd.DataFrame(rows, columns=["bin", "low", "high", "count"])


def distribution(values: Iterable[Any], words: Callable[[float], str] | None = None, bins: int = 8) -> pd.DataFrame:
    """Counts as :func:`histogram`: one bar per value where there are at most ``bins`` distinct values,
    else ``bins`` equal ranges between the lowest and highest value."""
    words = words or _number
    numbers = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
    distinct = sorted(set(numbers.dropna().tolist()))
    if len(distinct) > bins:
        low, high = distinct[0], distinct[-1]
        edges = [low + (high - low) * i / bins for i in range(bins + 1)]
        return histogram(numbers, edges, words)
    rows = [{"bin": words(v), "low": v, "high": v, "count": int((numbers == v).sum())} for v in distinct]
    rows.append({"bin": "not stated", "low": None, "high": None, "count": int(numbers.isna().sum())})
    return pd.DataFrame(rows, columns=["bin", "low", "high", "count"])


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Pattern:
    """Jurisdiction-years whose rows read the same once the place's own name is left out."""

    places: tuple[tuple[str, int], ...]  # (jurisdiction, year), catalogue order; the first is shown
    labels: tuple[str, ...]

    @property
    def shown(self) -> tuple[str, int]:
        return self.places[0]

    def title(self, names: int = NAMES_SHOWN) -> str:
        """``Guizhou 2021`` for one place; ``Guizhou 2021 and 24 more with the same rules (A, B, …)``."""
        first, rest = self.labels[0], self.labels[1:]
        if not rest:
            return first
        listed = ", ".join(rest[:names]) + (", …" if len(rest) > names else "")
        return f"{first} and {len(rest)} more with the same rules ({listed})"

    def short(self) -> str:
        """``Guizhou 2021`` for one place; ``Guizhou 2021 +24`` for a group (for chart labels)."""
        return self.labels[0] + (f" +{len(self.labels) - 1}" if len(self.labels) > 1 else "")


def _content(part: pd.DataFrame) -> str:
    kept = part.drop(columns=[c for c in IDENTITY if c in part.columns]).reset_index(drop=True)
    return kept.to_json(orient="split", index=False, date_format="iso", default_handler=str)


def shared_patterns(frame: pd.DataFrame) -> list[Pattern]:
    """Group the jurisdiction-years of a comparison table whose rows are equal once the columns naming
    the place (:data:`IDENTITY`) are left out; largest groups first, then in order of first appearance."""
    if frame.empty:
        return []
    groups: dict[str, list[tuple[str, int, str]]] = {}
    for (jurisdiction, year), part in frame.groupby(["jurisdiction", "year"], sort=False):
        label = str(part["label"].iloc[0]) if "label" in part.columns else f"{jurisdiction} {year}"
        groups.setdefault(_content(part), []).append((str(jurisdiction), int(year), label))
    ordered = sorted(groups.values(), key=lambda members: -len(members))
    return [Pattern(tuple((j, y) for j, y, _ in members), tuple(label for _, _, label in members))
            for members in ordered]


def pattern_rows(frame: pd.DataFrame, patterns: Sequence[Pattern], limit: int = MANY_PLACES,
                 short: bool = False) -> pd.DataFrame:
    """The rows of the first place of each of the first ``limit`` patterns, its label replaced by the
    pattern's title (``short``: :meth:`Pattern.short`), so that one chart or table shows each pattern once."""
    parts = []
    for pattern in patterns[:limit]:
        jurisdiction, year = pattern.shown
        part = frame[(frame["jurisdiction"] == jurisdiction) & (frame["year"] == year)].copy()
        part["label"] = pattern.short() if short else pattern.title()
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else frame.iloc[0:0]


def groups_words(n: int) -> str:
    """``1 group``, ``4 groups``."""
    return f"{n} group" if n == 1 else f"{n} groups"


def patterns_note(patterns: Sequence[Pattern], places: int, limit: int = MANY_PLACES) -> str:
    """A sentence saying how many places and patterns there are, and how many patterns are left out."""
    shown = min(len(patterns), limit)
    words = (f"{places} jurisdiction-years fall into {groups_words(len(patterns))} whose rules read the same; "
             f"each group is shown once, under its first jurisdiction-year")
    if len(patterns) > shown:
        words += f" (the {shown} largest groups; {len(patterns) - shown} smaller ones are in the downloads)"
    return words + "."


def sample_places(frame: pd.DataFrame, limit: int = MANY_PLACES) -> list[tuple[str, int]]:
    """One jurisdiction-year per shared pattern (the first of each, largest groups first), at most ``limit``:
    the places whose worked cases stand for the others."""
    return [p.shown for p in shared_patterns(frame)[:limit]]


def select_cases(cases: Sequence[Any], chosen: Iterable[tuple[str, int]]) -> list[Any]:
    """The cases (anything with ``jurisdiction`` and ``year``) of the chosen jurisdiction-years, in order."""
    keep = set(chosen)
    return [c for c in cases if (c.jurisdiction, int(c.year)) in keep]


def by_rows(frame: pd.DataFrame, render: Callable[[pd.DataFrame], Any], short: bool = False) -> Any:
    """``render`` of the whole table for few places, else of one place per shared pattern (labels
    :meth:`Pattern.title`, or :meth:`Pattern.short` for charts)."""
    if not many(frame):
        return render(frame)
    return render(pattern_rows(frame, shared_patterns(frame), short=short))


# --------------------------------------------------------------------------- chapter views
#
# Each view below is what a chapter shows of one comparison table: every place while there are few,
# an aggregate view beyond :data:`MANY_PLACES`. The notebooks only call and display.

# Overview answers summarised at many places: answer key -> (column, words of the figure).
OVERVIEW_FIGURES = {
    "highest": ("highest_contribution", "highest personal contribution, yuan"),
    "national": ("above_national", "above the national minimum, yuan"),
    "dibao": ("dibao_pays_high", "a 低保对象 pays, yuan"),
    "late": ("late_waiting_days", "a late payer waits, days"),
    "window": ("window_end_day", "first window closes (Y: the coverage year)"),
}
GROUPINGS = (("level", "Level (级别)", "By level"), ("province", "Province (省份)", "By province"))


def day_words(offset: float) -> str:
    """Days from 1 January of the coverage year Y as a day and month (``31 Mar Y``, ``27 Dec Y−1``),
    counted in a non-leap year; a half day (a median between two days) is rounded down."""
    import datetime as dt

    day = dt.date(2001, 1, 1) + dt.timedelta(days=int(offset // 1))
    shift = day.year - 2001
    return f"{day.day} {day.strftime('%b')} Y" + ("" if shift == 0 else f"{shift:+d}".replace("-", "−"))


def _spread_words(row: Any, words: Callable[[float], str] = _number) -> str:
    if not row["stated"]:
        return "not stated"
    low, mid, high = (words(float(row[c])) for c in ("lowest", "median", "highest"))
    words = low if low == high else f"{low} to {high} (median {mid})"
    return words + ("" if row["stated"] == row["places"] else f"; {int(row['stated'])} of {int(row['places'])} stated")


def summary_html(frame: pd.DataFrame, figures: Sequence[tuple[str, str]], where: pd.DataFrame | None = None) -> Any:
    """Tables by level and by province: places, and for each ``(column, words)`` figure its range and median."""
    from policylib.book import render

    located = with_places(frame, where)
    out = render.Html("")
    for by, header, heading in GROUPINGS:
        merged: pd.DataFrame | None = None
        for column, _ in figures:
            part = summary(located, column, by)
            words = day_words if column.endswith("_day") else _number
            part = part.assign(**{column: [_spread_words(r, words) for _, r in part.iterrows()]})
            part = part[[by, "places", column]]
            merged = part if merged is None else merged.merge(part.drop(columns="places"), on=by, how="left")
        if merged is None:
            continue
        columns = [render.Column(header, lambda r, key=by: r[key]),
                   render.Column("Jurisdiction-years", lambda r: int(r["places"]))]
        columns += [render.Column(words, lambda r, key=column: r[key]) for column, words in figures]
        shown = render.table(merged, columns, css="pl-matrix")
        if len(merged) > MANY_PLACES // 2:
            shown = render.details(f"{heading} ({len(merged)} rows)", shown)
        else:
            shown = render.paragraph(heading) + shown
        out += shown
    return out


def _per_place(frame: pd.DataFrame, column: str) -> pd.Series:
    """One value per jurisdiction-year (the highest of its rows; missing if none is stated)."""
    numbers = pd.to_numeric(frame[column], errors="coerce")
    return frame.assign(_value=numbers).groupby(["jurisdiction", "year"], sort=False)["_value"].max()


def _with_window_day(overview: pd.DataFrame) -> pd.DataFrame:
    ends = pd.to_datetime(overview["window_end"], errors="coerce")
    jan1 = pd.to_datetime(overview["year"].astype(int).astype(str) + "-01-01")
    return overview.assign(window_end_day=(ends - jan1).dt.days.astype("Int64"))


def overview_view(overview: pd.DataFrame, only: Sequence[str] | None = None) -> Any:
    """The "at a glance" answers: every row for few places; else the answers' ranges by level and by
    province, then the jurisdiction-years with the highest and the lowest figure of the first answer."""
    from policylib import charts
    from policylib.book import render

    if not many(overview):
        return render.overview_table(overview, only)
    keys = list(only or OVERVIEW_FIGURES)
    frame = _with_window_day(overview)
    figures = [OVERVIEW_FIGURES[k] for k in keys]
    column, words = figures[0]
    top, bottom = extremes(frame, column)
    panels = [(label, distribution(_per_place(frame, col), day_words if col.endswith("_day") else None))
              for col, label in figures]
    charts.setup()  # the chart's fonts, also where the chapter draws no other chart
    chart = charts.distribution_chart(panels)
    return (render.paragraph(f"{count_places(frame)} jurisdiction-years: how they spread over each answer, their "
                             f"answers by level and by province, then the {EXTREMES} highest and lowest ({words}). "
                             "Each jurisdiction-year's own answers are on its profile page.")
            + render.Html(chart.html()) + summary_html(frame, figures)
            + render.paragraph(f"Highest: {words}") + render.overview_table(top, keys)
            + render.paragraph(f"Lowest: {words}") + render.overview_table(bottom, keys))


def extremes_view(frame: pd.DataFrame, column: str, words: str, table: Callable[[pd.DataFrame], Any],
                  figures: Sequence[tuple[str, str]] | None = None, download: str | None = None) -> Any:
    """A long table: whole for few places; else its figures by level and province and the rows of the
    places with the highest and lowest ``column``, with the full table's download."""
    from policylib.book import render

    if not many(frame):
        return table(frame)
    top, bottom = extremes(frame, column)
    out = (render.paragraph(f"{count_places(frame)} jurisdiction-years: ranges by level and by province, then the "
                            f"{EXTREMES} highest and lowest ({words}).")
           + summary_html(frame, figures or [(column, words)])
           + render.paragraph(f"Highest: {words}") + table(top)
           + render.paragraph(f"Lowest: {words}") + table(bottom))
    if download:
        out += render.paragraph("Every jurisdiction-year is in the download below.")
    return out


def groups_table(patterns: Sequence[Pattern], limit: int = MANY_PLACES) -> Any:
    """Which jurisdiction-years each shown group stands for: its short name, size and the others' names."""
    from policylib.book import render

    rows = [{"shown": p.short(), "places": len(p.labels),
             "others": ", ".join(p.labels[1:1 + NAMES_SHOWN]) + (", …" if len(p.labels) > 1 + NAMES_SHOWN else "")}
            for p in patterns[:limit]]
    return render.table(rows, [render.Column("Shown as", lambda r: r["shown"]),
                               render.Column("Jurisdiction-years", lambda r: r["places"]),
                               render.Column("With the same rules as the first", lambda r: r["others"] or "none")])


def patterns_view(frame: pd.DataFrame, table: Callable[[pd.DataFrame], Any]) -> Any:
    """A table of rules: whole for few places; else one place per group of places whose rows read the
    same, named ``first place +n``, after a table of which places each group holds."""
    from policylib.book import render

    if not many(frame):
        return table(frame)
    patterns = shared_patterns(frame)
    return (render.paragraph(patterns_note(patterns, count_places(frame)))
            + groups_table(patterns) + table(pattern_rows(frame, patterns, short=True)))


def chart_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a per-place chart draws: all for few places, else one place per shared pattern (short labels)."""
    if not many(frame):
        return frame
    return pattern_rows(frame, shared_patterns(frame), short=True)


def training_cases(cases: Sequence[Any], rules_table: pd.DataFrame) -> list[Any]:
    """Worked cases for the training page: every place's for few places; else those of one place per group
    of places whose start-of-cover rules read the same."""
    if not many(rules_table):
        return list(cases)
    return select_cases(cases, sample_places(rules_table))


def training_note(rules_table: pd.DataFrame) -> Any:
    """What the training page shows at many places (nothing for few)."""
    from policylib.book import render

    if not many(rules_table):
        return render.Html("")
    patterns = shared_patterns(rules_table)
    shown = min(len(patterns), MANY_PLACES)
    return render.paragraph(
        f"{count_places(rules_table)} jurisdiction-years fall into {groups_words(len(patterns))} whose "
        f"start-of-cover rules read the same; the cases below are those of one jurisdiction-year per group "
        f"({shown} shown). Each jurisdiction-year's own cases are on its profile page.")


def changes_view(local: pd.DataFrame, entries: Sequence[Any], limit: int = 50) -> Any:
    """Local changes: as they are for few places; else how many jurisdictions have one or several years
    and the ``limit`` largest changes (by size of the change), the rest in the download."""
    from policylib.book import render

    entries = list(entries)
    grouped = render.years_by_jurisdiction(entries)
    if len(grouped) <= MANY_PLACES:
        return render.local_changes_html(local, entries)
    several = sum(1 for _, years in grouped.values() if len(years) > 1)
    out = render.paragraph(f"{len(grouped)} jurisdictions: {several} with several years, "
                           f"{len(grouped) - several} with a single year (nothing can move there yet).")
    if local.empty:
        return out + render.paragraph("No jurisdiction has two years yet, so no local rule can have moved.")
    if len(local) <= limit:
        return out + render.changes_table(local)
    size = pd.to_numeric(local["delta"], errors="coerce").abs()
    largest = local.assign(_size=size).sort_values("_size", ascending=False, kind="stable").head(limit)
    return (out + render.paragraph(f"The {limit} largest of {len(local)} changes; every change is in the download.")
            + render.changes_table(largest.drop(columns="_size")))


def financing_chart(financing: pd.DataFrame, national: pd.DataFrame) -> Any:
    """One mark per jurisdiction-year for few places; the spread per coverage year for many."""
    from policylib import charts

    if many(financing):
        return charts.financing_spread_chart(financing, national)
    return charts.financing_chart(financing, national)


def pivot_groups(pivot: pd.DataFrame, upper_bound: pd.DataFrame | None = None,
                 limit: int = MANY_PLACES) -> tuple[pd.DataFrame, pd.DataFrame | None, list[Pattern]]:
    """Columns of a category x jurisdiction-year pivot grouped where they are equal (with their upper-bound
    marks): one column per group, named :meth:`Pattern.short`, the ``limit`` largest groups."""
    bounds = upper_bound.reindex(index=pivot.index, columns=pivot.columns) if upper_bound is not None else None
    groups: dict[str, list[str]] = {}
    for column in pivot.columns:
        key = [str(v) for v in pivot[column].tolist()]
        key += [] if bounds is None else [str(v) for v in bounds[column].tolist()]
        groups.setdefault("\x1f".join(key), []).append(str(column))
    ordered = sorted(groups.values(), key=lambda members: -len(members))[:limit]
    patterns = [Pattern(tuple((label, 0) for label in members), tuple(members)) for members in ordered]
    first = [p.labels[0] for p in patterns]
    names = {p.labels[0]: p.short() for p in patterns}
    shown = pivot.loc[:, first].rename(columns=names)
    shown_bounds = None if bounds is None else bounds.loc[:, first].rename(columns=names)
    return shown, shown_bounds, patterns


def assisted_heatmap(pivot: pd.DataFrame, upper_bound: pd.DataFrame | None = None) -> Any:
    """The heat map of what assisted groups pay: one column per jurisdiction-year for few places, else one
    per group of jurisdiction-years paying the same in every group."""
    import dataclasses

    from policylib import charts

    if len(pivot.columns) <= MANY_PLACES:
        return charts.assisted_heatmap(pivot, upper_bound)
    shown, bounds, patterns = pivot_groups(pivot, upper_bound)
    chart = charts.assisted_heatmap(shown, bounds)
    groups = len(pivot_groups(pivot, upper_bound, limit=len(pivot.columns))[2])
    note = (f" {len(pivot.columns)} jurisdiction-years fall into {groups_words(groups)} that pay the same in every "
            f"group; each column is one group, named by its first jurisdiction-year and how many more it holds"
            + (f" (the {len(patterns)} largest groups)" if groups > len(patterns) else "") + ".")
    return dataclasses.replace(chart, caption=chart.caption + note)


def per_place_chart(draw: Callable[[pd.DataFrame], Any], frame: pd.DataFrame) -> Any:
    """A chart with a row or panel per jurisdiction-year: all of them for few places; else one per group of
    places whose rows read the same (named ``first place +n``), the caption saying so."""
    import dataclasses

    if not many(frame):
        return draw(frame)
    chart = draw(chart_rows(frame))
    note = (" " + patterns_note(shared_patterns(frame), count_places(frame))
            + " A label “first jurisdiction-year +n” stands for it and n more with the same rules; "
            "the table of groups names them.")
    return dataclasses.replace(chart, caption=chart.caption + note)
