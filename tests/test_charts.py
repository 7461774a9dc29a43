"""The book's charts: SVG with alt text and caption, readable on a phone, legends off the data, no series hidden
under another, deadlines without duplicates, payments that buy no cover drawn as such."""

from __future__ import annotations

import base64
import html.parser
import itertools
import re
import warnings
from collections.abc import Callable, Iterator

import matplotlib
import pandas as pd
import pytest
import yaml
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from matplotlib.text import Text

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from policylib import aggregate, catalogue, charts, compare
from policylib.paths import rules_dir


@pytest.fixture(autouse=True)
def _setup() -> Iterator[None]:
    charts.JURISDICTION_COLOURS.reload()
    charts.setup()
    yield
    plt.close("all")


def _draw(make: Callable[[], charts.Chart]) -> tuple[charts.Chart, bytes]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing CJK glyph is a UserWarning
        chart = make()
        svg = chart.svg()
    return chart, svg


CHARTS: dict[str, Callable[[], charts.Chart]] = {
    "financing": lambda: charts.financing_chart(compare.financing_table(), compare.national_series()),
    "financing_spread": lambda: charts.financing_spread_chart(compare.class_prices(), compare.national_series()),
    "assisted": lambda: charts.assisted_heatmap(compare.assisted_pivot(),
                                                compare.assisted_pivot("personal_pays_upper_bound")),
    "coverage_start": lambda: charts.coverage_start_chart(compare.coverage_start_series(14)),
    "deadlines": lambda: charts.deadlines_chart(compare.calendar_events()),
    "national_deltas": lambda: charts.national_deltas_chart(compare.national_changes()),
    "distribution": lambda: charts.distribution_chart(
        [("highest personal contribution, yuan", aggregate.distribution(compare.overview()["highest_contribution"])),
         ("a late payer waits, days", aggregate.distribution(compare.overview()["late_waiting_days"]))]),
}


class _Figure(html.parser.HTMLParser):
    """The parts of a chart's HTML: img attributes and caption text."""

    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict[str, str | None]] = []
        self.caption = ""
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.imgs.append(dict(attrs))
        self._in_caption = self._in_caption or tag == "figcaption"

    def handle_endtag(self, tag: str) -> None:
        if tag == "figcaption":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.caption += data


_FIRST: dict[str, tuple[charts.Chart, bytes]] = {}


def _first_draw(name: str) -> tuple[charts.Chart, bytes]:
    """The chart ``name`` drawn once for the tests of this module that read it (drawing takes a second)."""
    if name not in _FIRST:
        _FIRST[name] = _draw(CHARTS[name])
    return _FIRST[name]


@pytest.mark.parametrize("name", list(CHARTS))
def test_each_chart_is_a_reproducible_svg_without_warnings(name: str) -> None:
    first, svg = _first_draw(name)
    again, svg_again = _draw(CHARTS[name])
    assert svg == svg_again
    assert b"<svg" in svg and b"<dc:date>" not in svg
    assert b"<text" not in svg  # glyphs are paths: Chinese renders without the reader's fonts
    assert isinstance(first.data, pd.DataFrame) and not first.data.empty
    pd.testing.assert_frame_equal(first.data, again.data)


@pytest.mark.parametrize("name", list(CHARTS))
def test_each_chart_has_alt_text_describing_it_and_a_caption(name: str) -> None:
    chart, svg = _first_draw(name)
    parsed = _Figure()
    parsed.feed(chart.html())
    assert len(parsed.imgs) == 1
    img = parsed.imgs[0]
    src = img["src"] or ""
    assert src.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(src.split(",", 1)[1]) == svg
    alt = img["alt"] or ""
    assert alt == chart.alt and len(alt) > 80 and "png" not in alt.lower()
    assert parsed.caption.strip() == chart.caption and len(chart.caption) > 60
    assert repr(chart) == chart.alt  # the notebook's plain-text form is the description


def test_alt_text_names_every_jurisdiction_year_drawn() -> None:
    labels = [f"{e.name_en} {e.year}" for e in catalogue.local_entries()]
    for name in ("financing", "coverage_start", "deadlines"):
        alt = CHARTS[name]().alt
        missing = [label for label in labels if label not in alt]
        assert not missing, f"{name}: alt text leaves out {missing}"


def test_alt_and_caption_are_escaped() -> None:
    fig, _ = charts._figure(1.0)
    chart = charts.Chart(fig, pd.DataFrame({"a": [1]}), 'x" onerror="alert(1)', "<script>alert(1)</script>")
    markup = chart.html()
    assert 'onerror="alert' not in markup and "<script>" not in markup
    assert "&lt;script&gt;" in markup


@pytest.mark.parametrize("name", list(CHARTS))
def test_text_stays_readable_at_phone_width(name: str) -> None:
    """Shown 360 px wide on a phone, every text is at least 7.5 px high."""
    chart = CHARTS[name]()
    width, _ = chart.size_px()
    texts = [t for t in chart.figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
    smallest = min(t.get_fontsize() for t in texts) * 4 / 3  # points to CSS pixels
    assert smallest * min(1.0, 360 / width) >= 7.5, f"{name}: smallest text {smallest:.1f}px in a {width}px figure"


@pytest.mark.parametrize("name", list(CHARTS))
def test_no_legend_over_the_data(name: str) -> None:
    """Every legend lies inside the figure and outside every axes."""
    chart = CHARTS[name]()
    fig = chart.figure
    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        inside = fig.bbox
        assert inside.x0 - 1 <= box.x0 and box.x1 <= inside.x1 + 1 and inside.y0 - 1 <= box.y0, \
            f"{name}: legend cut off at the figure's edge"
        for ax in fig.axes:
            if ax.get_visible() and ax.get_label() != "<colorbar>":
                assert not box.overlaps(ax.get_window_extent(renderer)), f"{name}: legend overlaps an axes"


def _marks(ax: object) -> list[tuple[object, set[tuple[float, float]], tuple[object, ...]]]:
    """(artist, points, style) of every drawn line or scatter of an axes."""
    out = []
    for artist in [*ax.lines, *ax.collections]:  # type: ignore[attr-defined]
        if isinstance(artist, Line2D):
            xs, ys = artist.get_xdata(), artist.get_ydata()
            points = {(round(float(x), 6), round(float(y), 6)) for x, y in zip(xs, ys, strict=True) if y == y}
            style = ("line", artist.get_marker(), artist.get_linestyle(), matplotlib.colors.to_hex(artist.get_color()))
        elif isinstance(artist, PathCollection):
            points = {(round(float(x), 6), round(float(y), 6)) for x, y in artist.get_offsets()}
            face = tuple(matplotlib.colors.to_hex(c) for c in artist.get_facecolor())
            edge = tuple(matplotlib.colors.to_hex(c) for c in artist.get_edgecolor())
            shape = tuple(map(tuple, artist.get_paths()[0].vertices.round(3).tolist())) if artist.get_paths() else ()
            style = ("scatter", shape, face, edge, tuple(round(float(s)) for s in artist.get_sizes()))
        else:
            continue
        if points:
            out.append((artist, points, style))
    return out


@pytest.mark.parametrize("name", list(CHARTS))
def test_no_series_hidden_under_another(name: str) -> None:
    """Marks of an axes sharing a point differ in marker shape (a ring around a diamond), never only in colour;
    two lines in jurisdiction colours never run along each other (share two or more points)."""
    chart = CHARTS[name]()
    palette = set(charts.PALETTE)
    for ax in chart.figure.axes:
        for (a, pa, sa), (b, pb, sb) in itertools.combinations(_marks(ax), 2):
            shared = pa & pb
            if not shared:
                continue
            if sa[0] == sb[0] == "scatter":
                assert sa[1] != sb[1], f"{name}: {a} and {b} draw the same marker at {sorted(shared)[:3]}"
            if sa[0] == sb[0] == "line" and sa[3] in palette and sb[3] in palette:
                assert len(shared) < 2, f"{name}: two series lines coincide at {sorted(shared)[:3]}"


def test_financing_marks_sharing_a_year_and_amount_are_set_apart() -> None:
    base = compare.financing_table().iloc[[0]]
    twins = pd.concat([base, base.assign(jurisdiction="twin", label="Twin 2021")], ignore_index=True)
    chart = charts.financing_chart(twins, compare.national_series())
    for ax in chart.figure.axes:
        points = [p for _, pts, style in _marks(ax) if style[0] == "scatter" for p in pts]
        assert len(points) == len(set(points)) == 2


def test_local_points_use_their_jurisdiction_colour() -> None:
    chart = charts.financing_chart(compare.financing_table(), compare.national_series())
    colours = {matplotlib.colors.to_hex(c) for ax in chart.figure.axes for col in ax.collections
               for c in [*col.get_facecolor(), *col.get_edgecolor()]}
    for entry in catalogue.local_entries():
        fin = catalogue.rules(entry.jurisdiction, entry.year).financing
        if fin.personal_contribution.stated or fin.fiscal_subsidy.stated:
            assert charts.colour_for(entry.jurisdiction) in colours


def test_financing_data_has_national_and_local_rows() -> None:
    data = charts.financing_chart(compare.financing_table(), compare.national_series()).data
    national = data[data["series"].str.startswith("national minimum")]
    assert len(national) == len(catalogue.national_standards())
    local = set(data["series"]) - set(national["series"])
    assert local == {f"{e.name_en} {e.year}" for e in catalogue.local_entries()}


@pytest.mark.parametrize("column", ["resident_class", "class_zh"])
def test_a_class_priced_notice_gets_one_labelled_mark_per_class(column: str) -> None:
    row = compare.class_prices().iloc[[0]]
    classes = {"老年居民": 500, "学生儿童": 300, "其他居民": 400}
    per_class = pd.concat([row.assign(**{column: name, "personal_contribution": price})
                           for name, price in classes.items()], ignore_index=True)
    chart = charts.financing_chart(per_class, compare.national_series())
    personal = chart.figure.axes[1]
    ys = sorted(int(y) for _, pts, style in _marks(personal) if style[0] == "scatter" for _, y in pts)
    assert ys == sorted(classes.values())
    assert sorted(t.get_text() for t in personal.texts) == sorted(classes)
    label = str(row["label"].iloc[0])
    assert {f"{label} · {name}" for name in classes} <= set(chart.data["series"])
    assert all(f"{label} · {name} {price} yuan" in chart.alt for name, price in classes.items())


def test_heatmap_marks_missing_cells_not_stated_and_shows_no_internal_ids() -> None:
    pivot = compare.assisted_pivot()
    chart = charts.assisted_heatmap(pivot)
    ax = chart.figure.axes[0]
    hatched = [p for p in ax.patches if p.get_hatch() and p.get_label() == "not stated"]
    assert len(hatched) == int(pivot.isna().sum().sum()) > 0
    stated = [t.get_text() for t in ax.texts if t.get_label() not in (charts.ROW_NAME, charts.ROW_GLOSS)]
    assert len(stated) == int(pivot.notna().sum().sum())  # a figure in every stated cell, none in the others
    for column in pivot.columns:  # the alt text reads out every stated cell of each jurisdiction-year
        segment = chart.alt.split(f"In {column}, ", 1)[1].split(". ", 1)[0]
        for row, value in pivot[column].dropna().items():
            assert re.search(rf"{re.escape(charts._category_label(row))} · [^;]*: (at most )?{int(value)} yuan\b",
                             segment), row
    assert "not stated by the notice" in " ".join(t.get_text() for lg in chart.figure.legends for t in lg.get_texts())
    assert list(chart.data.columns) == ["category", "gloss", *[str(c) for c in pivot.columns]]
    rows = [name for name, _ in row_labels(chart)]
    assert len(rows) == len(pivot.index)
    assert not any("_" in r for r in rows)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r) for r in rows)
    ticks = {t.get_text().replace("\n", " "): matplotlib.colors.to_hex(t.get_color()) for t in ax.get_xticklabels()}
    for label, colour in charts.label_colours().items():
        if label in ticks:
            assert ticks[label] == colour


def _yaml_categories() -> list[dict[str, str]]:
    """The canonical categories as rules/categories.yaml writes them (read here, not through policylib)."""
    return yaml.safe_load((rules_dir() / "categories.yaml").read_text(encoding="utf-8"))["categories"]


def without_asides(gloss: str) -> str:
    """A gloss with every parenthesised part left out, as the heat map's rows should show it."""
    kept, depth = [], 0
    for ch in gloss:
        depth += ch in "(（"
        if depth == 0:
            kept.append(ch)
        depth -= ch in ")）" and depth > 0
    return " ".join("".join(kept).split()).strip(" ,;:")


def row_labels(chart: charts.Chart) -> list[tuple[str, str | None]]:
    """(Chinese name, English under it on one line, or None) of each heat map row, top to bottom."""
    ax = chart.figure.axes[0]
    names = {round(t.xy[1]): t.get_text() for t in ax.texts if t.get_label() == charts.ROW_NAME}
    glosses = {round(t.xy[1]): " ".join(t.get_text().split()) for t in ax.texts if t.get_label() == charts.ROW_GLOSS}
    return [(names[i], glosses.get(i)) for i in sorted(names)]


def test_heatmap_rows_name_each_group_in_chinese_and_english_from_the_categories_file() -> None:
    """Every row reads the category's Chinese name with its English gloss from rules/categories.yaml, shortened
    to the words outside parentheses; the alt text names it the same way, the data behind the chart gives the
    gloss as written."""
    written = {c["name_zh"]: c["gloss"] for c in _yaml_categories()}
    english = {name: without_asides(gloss) for name, gloss in written.items()}
    pivot = compare.assisted_pivot()
    chart = charts.assisted_heatmap(pivot, compare.assisted_pivot("personal_pays_upper_bound"))
    rows = row_labels(chart)
    assert rows == [(str(r), english[str(r)]) for r in pivot.index]
    shown = dict(rows)
    assert shown["特困人员"] == "persons in extreme poverty"
    assert shown["一般重度残疾人"] == "severely disabled persons"  # the gloss starts with an aside: "(ordinary) …"
    assert shown["职工基本医疗保险参保人员"] == "people insured under employee basic medical insurance"
    assert not any(ch in gloss for _, gloss in rows for ch in "()（）")
    assert chart.data["gloss"].tolist() == [written[str(r)] for r in pivot.index]
    bounds = compare.assisted_pivot("personal_pays_upper_bound")
    for column in pivot.columns:
        for row, value in pivot[column].dropna().items():
            at_most = "at most " if bool(bounds.at[row, column]) else ""
            assert f"{row} · {english[str(row)]}: {at_most}{int(value)} yuan" in chart.alt


def test_heatmap_row_labels_sit_on_their_row_inside_the_figure() -> None:
    """The English is under the Chinese, both within their row's height, left of the map and inside the figure,
    so no label runs into the next or is cut off."""
    pivot = compare.assisted_pivot()
    chart = charts.assisted_heatmap(pivot)
    fig = chart.figure
    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    ax = fig.axes[0]
    texts = {(t.get_label(), round(t.xy[1])): t.get_window_extent(renderer) for t in ax.texts
             if t.get_label() in (charts.ROW_NAME, charts.ROW_GLOSS)}
    axes_box = ax.get_window_extent(renderer)
    for i in range(len(pivot.index)):
        top, bottom = (ax.transData.transform((0, y))[1] for y in (i - 0.5, i + 0.5))  # the y axis runs down
        name, gloss = texts[(charts.ROW_NAME, i)], texts[(charts.ROW_GLOSS, i)]
        assert gloss.y1 <= name.y0 + 0.5, f"row {i}: the English is not under the Chinese"
        for box in (name, gloss):
            assert bottom - 0.5 <= box.y0 and box.y1 <= top + 0.5, f"row {i}: a label leaves its row"
            assert fig.bbox.x0 - 0.5 <= box.x0 and box.x1 <= axes_box.x0, f"row {i}: a label is cut off or on the map"


def test_heatmap_rows_named_by_id_or_unknown_to_the_categories_file() -> None:
    """A row ``id 中文`` is looked up by its id; a category the file does not know keeps its Chinese label alone."""
    dibao = next(c for c in _yaml_categories() if c["id"] == "dibao")
    pivot = pd.DataFrame({"Guizhou 2021": pd.array([160, 10], dtype="Int64")},
                         index=pd.Index(["dibao 低保对象", "no_such_group 未知人群"], name="category"))
    chart = charts.assisted_heatmap(pivot)
    assert row_labels(chart) == [("低保对象", without_asides(dibao["gloss"])), ("未知人群", None)]
    assert f"低保对象 · {without_asides(dibao['gloss'])}: 160 yuan" in chart.alt
    assert "未知人群: 10 yuan" in chart.alt
    assert chart.data["gloss"].tolist() == [dibao["gloss"], ""]


@pytest.mark.parametrize(("gloss", "short"), [
    ("persons in extreme poverty (特困供养人员, destitute persons under public support)", "persons in extreme poverty"),
    ("(ordinary) severely disabled persons", "severely disabled persons"),
    ("people insured (or required to be insured) under employee insurance (职工医保)",
     "people insured under employee insurance"),
    ("urban recipients, partial (top-up (差额)) allowance", "urban recipients, partial allowance"),
    ("orphans", "orphans"),
    ("(only an aside)", "(only an aside)"),
], ids=["chinese-synonym", "leading-aside", "two-asides", "nested-asides", "no-aside", "all-aside"])
def test_short_gloss_leaves_out_parenthesised_asides(gloss: str, short: str) -> None:
    assert charts.short_gloss(gloss) == short


def test_coverage_start_table_samples_each_series() -> None:
    series = compare.coverage_start_series(7)
    table = charts.coverage_start_table(series, every_days=28)
    assert table.columns[0] == "payment day"
    assert list(table.columns[1:]) == list(dict.fromkeys(series["label"]))
    steps = table["payment day"].diff().dropna().unique().tolist()
    assert steps == [28]
    assert table.isna().any().any()  # a not-stated start stays missing


def test_coverage_start_has_one_panel_per_jurisdiction_year() -> None:
    series = compare.coverage_start_series(14)
    chart = charts.coverage_start_chart(series)
    titles = [ax.get_title(loc="left") for ax in chart.figure.axes if ax.get_visible()]
    assert titles == list(dict.fromkeys(series["label"]))


def test_a_payment_that_buys_no_cover_is_not_drawn_as_a_start_of_cover() -> None:
    series = compare.coverage_start_series(7)
    chart = charts.coverage_start_chart(series)
    panels = {ax.get_title(loc="left"): ax for ax in chart.figure.axes if ax.get_visible()}
    found = 0
    for label, part in series.groupby("label", sort=False):
        end = int(part["days_from_start"].max())
        cover = part["cover_days_from_start"]
        beyond = sorted(int(d) for d, c in zip(part["days_from_start"], cover, strict=True) if pd.notna(c) and c > end)
        ax = panels[str(label)]
        step_lines = [line for line in ax.lines if line.get_drawstyle() == "steps-post"]
        assert len(step_lines) == 1
        drawn = [y for y in step_lines[0].get_ydata() if y == y]
        assert all(y <= end for y in drawn), f"{label}: a start of cover after the period is drawn on the line"
        crosses = [sorted(int(x) for x, _ in c.get_offsets()) for c in ax.collections
                   if isinstance(c, PathCollection) and len(c.get_offsets())]
        assert crosses == ([beyond] if beyond else []), f"{label}: no-cover payments not marked"
        found += len(beyond)
    assert found, "no seed notice has a payment that buys no cover (the test would prove nothing)"
    assert "buys no cover this year" in chart.alt


def test_deadlines_draw_no_duplicate_and_keep_internal_milestones_apart() -> None:
    events = compare.calendar_events()
    duplicated = events.duplicated(["label", "name_zh", "start_offset", "end_offset"]).any()
    assert duplicated, "the seeds have no repeated event (the test would prove nothing)"
    resident, internal = charts.deadline_rows(events)
    assert set(resident["kind"]) <= set(charts.RESIDENT_KINDS)
    assert not set(internal["kind"]) & set(charts.RESIDENT_KINDS)
    drawn = pd.concat([resident, internal])
    assert not drawn.duplicated(["label", "name_zh", "start_offset", "end_offset"]).any()
    assert set(events["event_id"] + events["label"]) >= set(drawn["event_id"] + drawn["label"])
    chart = charts.deadlines_chart(events)
    ax_res, ax_int = chart.figure.axes
    for ax, rows in ((ax_res, resident), (ax_int, internal)):
        assert len(ax.get_yticklabels()) == len(rows)
        bars = [(round(p.get_x()), round(p.get_width()), ax.get_yticklabels()[round(p.get_y() + p.get_height() / 2)]
                 .get_text()) for p in ax.patches]
        assert len(bars) == len(set(bars))


def test_deadlines_table_only_says_not_stated_for_missing_dates() -> None:
    events = compare.calendar_events()
    table = charts.deadlines_table(events)
    missing = events["end"].isna().tolist()
    assert [v == "not stated" for v in table["last day"]] == missing
    assert set(table["rest day"]) <= {"", "yes", "no", "unknown"}


def test_month_ticks_are_relative_to_the_coverage_year() -> None:
    ticks, labels = charts._month_ticks(-130, 370)
    assert 0 in ticks and labels[ticks.index(0)] == "Jan\nY"
    assert labels[0].endswith("Y−1") and labels[-1] == "Jan\nY+1"


def test_spread_separates_points_sharing_a_year() -> None:
    assert charts._spread([2021, 2021, 2021, 2025]) == [-0.15, 0.0, 0.15, 0.0]


def test_a_label_with_dollar_signs_is_drawn_as_written() -> None:
    fig, ax = plt.subplots()
    label = ax.set_title(r"Guizhou $\frac{x$ 贵州 $y$")  # mathtext would fail to parse this
    charts.Chart(fig, pd.DataFrame(), "", "").svg()
    assert label.get_text() == r"Guizhou $\frac{x$ 贵州 $y$"
    assert matplotlib.rcParams["text.parse_math"] is False
