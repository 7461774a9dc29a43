"""The book's charts: Chinese labels without warnings, jurisdiction colours, data returned for printing."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from policylib import catalogue, charts, compare


@pytest.fixture(autouse=True)
def _setup() -> Iterator[None]:
    charts.JURISDICTION_COLOURS.reload()
    charts.setup()
    yield
    plt.close("all")


def _png(fig: object) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata=dict(charts.PNG_METADATA))  # type: ignore[attr-defined]
    return buffer.getvalue()


def _draw(make: object) -> tuple[object, pd.DataFrame, bytes]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing CJK glyph is a UserWarning
        fig, data = make()  # type: ignore[operator]
        image = _png(fig)
    return fig, data, image


CHARTS = {
    "financing": lambda: charts.financing_chart(compare.financing_table(), compare.national_series()),
    "assisted": lambda: charts.assisted_heatmap(compare.assisted_pivot(),
                                                compare.assisted_pivot("personal_pays_upper_bound")),
    "coverage_start": lambda: charts.coverage_start_chart(compare.coverage_start_series(14)),
    "deadlines": lambda: charts.deadlines_chart(compare.calendar_events()),
    "national_deltas": lambda: charts.national_deltas_chart(compare.national_changes()),
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_each_chart_draws_reproducibly_without_warnings_and_returns_its_data(name: str) -> None:
    _, data, first = _draw(CHARTS[name])
    _, again, second = _draw(CHARTS[name])
    assert first == second
    assert first.startswith(b"\x89PNG") and b"Software" not in first
    assert isinstance(data, pd.DataFrame) and not data.empty
    pd.testing.assert_frame_equal(data, again)


def test_local_points_use_their_jurisdiction_colour() -> None:
    fig, _ = charts.financing_chart(compare.financing_table(), compare.national_series())
    colours = {matplotlib.colors.to_hex(c.get_facecolor()[0]) for ax in fig.axes for c in ax.collections}
    for entry in catalogue.local_entries():
        fin = catalogue.rules(entry.jurisdiction, entry.year).financing
        if fin.personal_contribution.stated and fin.fiscal_subsidy.stated:  # one price to plot (not by class)
            assert charts.colour_for(entry.jurisdiction) in colours


def test_financing_data_has_national_and_local_rows() -> None:
    _, data = charts.financing_chart(compare.financing_table(), compare.national_series())
    national = data[data["series"].str.startswith("national minimum")]
    assert len(national) == len(catalogue.national_standards())
    local = set(data["series"]) - set(national["series"])
    assert local == {f"{e.name_en} {e.year}" for e in catalogue.local_entries()}


def test_heatmap_marks_missing_cells_not_stated() -> None:
    pivot = compare.assisted_pivot()
    fig, data = charts.assisted_heatmap(pivot)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("not stated") == int(pivot.isna().sum().sum())
    assert list(data.columns) == ["category", *[str(c) for c in pivot.columns]]
    ticks = {t.get_text(): matplotlib.colors.to_hex(t.get_color()) for t in fig.axes[0].get_xticklabels(which="both")}
    for label, colour in charts.label_colours().items():
        if label in ticks:
            assert ticks[label] == colour


def test_coverage_start_table_samples_each_series() -> None:
    series = compare.coverage_start_series(7)
    table = charts.coverage_start_table(series, every_days=28)
    assert table.columns[0] == "payment day"
    assert list(table.columns[1:]) == list(dict.fromkeys(series["label"]))
    steps = table["payment day"].diff().dropna().unique().tolist()
    assert steps == [28]
    assert table.isna().any().any()  # a not-stated start stays missing


def test_coverage_start_legend_says_when_the_start_is_not_stated() -> None:
    series = compare.coverage_start_series(28)
    fig, _ = charts.coverage_start_chart(series)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    for label in dict.fromkeys(series["label"]):
        part = series[series["label"] == label]
        if part["cover_days_from_start"].isna().all():
            assert f"{label} (start not stated)" in labels
        else:
            assert label in labels


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
    _png(fig)
    assert label.get_text() == r"Guizhou $\frac{x$ 贵州 $y$"
    assert matplotlib.rcParams["text.parse_math"] is False
