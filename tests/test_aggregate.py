"""Aggregate views: provinces, summaries, extremes, histograms, shared patterns, and the per-chapter switch.

Expected figures come from the seed rule files (personal contributions: Dongxiang 2021 280 yuan, county;
Guizhou 2021 280, province; Langxi 2025 400, county; Zhaoqing 2021 290, city) and from how
``benchmarks/synthetic.py`` builds a project: copies of the four seeds in turn, so N = 20 holds five
copies of each, identical but for their names.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_charts import row_labels, without_asides

from policylib import aggregate, charts, compare, training
from policylib.book import render
from policylib.paths import ENV_HOME

REPO = Path(__file__).resolve().parent.parent
SEED_PROVINCES = {"dongxiang": "甘肃省", "guizhou": "贵州省", "langxi": "安徽省", "zhaoqing": "广东省"}
SEED_LEVELS = {"dongxiang": "county", "guizhou": "province", "langxi": "county", "zhaoqing": "city"}
SEEDS = tuple(sorted(SEED_PROVINCES))
SYNTHETIC_N = 20


def _synthetic_module():
    spec = importlib.util.spec_from_file_location("synthetic", REPO / "benchmarks" / "synthetic.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the rules and sources with SYNTHETIC_N synthetic jurisdiction-years."""
    root = tmp_path_factory.mktemp("synthetic")
    for name in ("rules", "sources"):
        shutil.copytree(REPO / name, root / name)
    _synthetic_module().make_synthetic(root, SYNTHETIC_N)
    return root


@pytest.fixture
def synthetic_home(synthetic_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The synthetic copy, selected for one test."""
    monkeypatch.setenv(ENV_HOME, str(synthetic_root))
    return synthetic_root


def _seed_of(jurisdiction: str) -> str:
    return re.sub(r"_s\d{4}$", "", jurisdiction)


# --------------------------------------------------------------------------- provinces and places


@pytest.mark.parametrize(("level", "name_zh", "parent_zh", "expected"), [
    ("province", "贵州省", None, "贵州省"),
    ("county", "东乡族自治县", "甘肃省临夏回族自治州", "甘肃省"),
    ("city", "肇庆市", "广东省", "广东省"),
    ("county", "某县", "新疆维吾尔自治区某地区", "新疆维吾尔自治区"),
    ("county", "某区", "上海市", "上海市"),
    ("city", "某市", None, None),
])
def test_province_of(level: str, name_zh: str, parent_zh: str | None, expected: str | None) -> None:
    assert aggregate.province_of(level, name_zh, parent_zh) == expected


def test_places_at_the_seeds_read_level_and_province_from_the_rule_files() -> None:
    found = aggregate.places().set_index("jurisdiction")
    assert sorted(found.index) == list(SEEDS)
    assert found["province"].to_dict() == SEED_PROVINCES
    assert found["level"].to_dict() == SEED_LEVELS


# --------------------------------------------------------------------------- summaries and extremes


def test_summary_by_level_of_the_seed_contributions() -> None:
    table = aggregate.summary(aggregate.with_places(compare.financing_table()), "personal_contribution", "level")
    by = table.set_index("level")
    assert list(table["level"]) == ["province", "city", "county"]
    assert by.loc["county", "places"] == 2 and by.loc["county", "stated"] == 2
    assert (by.loc["county", "lowest"], by.loc["county", "median"], by.loc["county", "highest"]) == (280, 340, 400)
    assert by.loc["city", "highest"] == 290 and by.loc["province", "lowest"] == 280


def test_summary_counts_a_place_once_and_missing_figures_as_not_stated() -> None:
    frame = pd.DataFrame({"jurisdiction": ["a", "a", "b", "c"], "year": [2021] * 4, "level": ["city"] * 4,
                          "v": [10, 30, None, 20]})
    row = aggregate.summary(frame, "v", "level").iloc[0]
    assert (row["places"], row["stated"], row["lowest"], row["highest"]) == (3, 2, 20, 30)


def test_extremes_of_the_seed_contributions() -> None:
    top, bottom = aggregate.extremes(compare.financing_table(), "personal_contribution", k=1)
    assert list(top["jurisdiction"]) == ["langxi"]
    _, lowest_two = aggregate.extremes(compare.financing_table(), "personal_contribution", k=2)
    assert set(lowest_two["jurisdiction"]) == {"dongxiang", "guizhou"}
    assert set(bottom["jurisdiction"]) <= {"dongxiang", "guizhou"} and len(bottom) == 1


def test_extremes_keep_every_row_of_a_chosen_place() -> None:
    frame = pd.DataFrame({"jurisdiction": ["a", "a", "b"], "year": [2021] * 3, "v": [5, 50, 7]})
    top, bottom = aggregate.extremes(frame, "v", k=1)
    assert list(top["v"]) == [5, 50]
    assert list(bottom["jurisdiction"]) == ["b"]


def test_histogram_bins_and_not_stated() -> None:
    counts = aggregate.histogram([0, 10, 49, 50, 100, None], [0, 50, 100])
    assert counts["count"].tolist() == [3, 2, 1]
    assert counts["bin"].tolist() == ["0–50", "50–100", "not stated"]


# --------------------------------------------------------------------------- shared patterns


def test_places_differing_only_in_name_share_a_pattern() -> None:
    frame = pd.DataFrame({"jurisdiction": ["a", "b", "c", "b"], "year": [2021] * 4,
                          "label": ["A 2021", "B 2021", "C 2021", "B 2021"], "rule": ["x", "x", "x", "y"]})
    patterns = aggregate.shared_patterns(frame)
    assert [p.labels for p in patterns] == [("A 2021", "C 2021"), ("B 2021",)]
    assert patterns[0].title().startswith("A 2021 and 1 more") and patterns[1].title() == "B 2021"


def test_the_seeds_each_have_their_own_pattern() -> None:
    assert len(aggregate.shared_patterns(compare.start_rules_table())) == len(SEEDS)


# --------------------------------------------------------------------------- the switch


def test_few_places_show_every_place() -> None:
    overview = compare.overview()
    assert not aggregate.many(overview)
    assert aggregate.overview_view(overview) == render.overview_table(overview)
    events = compare.calendar_events()
    assert aggregate.patterns_view(events, render.calendar_table) == render.calendar_table(events)
    assert aggregate.chart_rows(events) is events


def test_synthetic_copies_of_a_seed_share_one_pattern(synthetic_home: Path) -> None:
    patterns = aggregate.shared_patterns(compare.start_rules_table())
    assert len(patterns) == len(SEEDS)
    for pattern in patterns:
        assert len(pattern.places) == SYNTHETIC_N // len(SEEDS)
        assert len({_seed_of(j) for j, _ in pattern.places}) == 1


def test_many_places_aggregate(synthetic_home: Path) -> None:
    overview = compare.overview()
    assert aggregate.count_places(overview) == SYNTHETIC_N and aggregate.many(overview)
    html = str(aggregate.overview_view(overview, only=["highest"]))
    assert "By level" in html and "By province" in html
    linked = set(re.findall(r'href="\.\./profiles/([^"]+)\.html"', html))
    assert 0 < len(linked) <= 2 * aggregate.EXTREMES < SYNTHETIC_N
    # The highest contribution is a Langxi copy (400 yuan); the table by level gives counties 280 to 400.
    assert any(name.startswith("langxi_s") for name in linked)
    assert "280 to 400" in html


def test_many_places_draw_one_row_per_pattern(synthetic_home: Path) -> None:
    events = compare.calendar_events()
    drawn = aggregate.chart_rows(events)
    assert drawn["label"].nunique() == len(SEEDS)
    assert all(label.endswith(f" +{SYNTHETIC_N // len(SEEDS) - 1}") for label in drawn["label"].unique())
    chart = aggregate.per_place_chart(lambda frame: _FakeChart(frame, "caption."), events)
    assert f"{SYNTHETIC_N} jurisdiction-years fall into {len(SEEDS)} groups" in chart.caption


def test_training_at_many_places_keeps_one_place_per_pattern(synthetic_home: Path) -> None:
    kept = aggregate.training_cases(training.all_cases(), compare.start_rules_table())
    places = {(c.jurisdiction, c.year) for c in kept}
    assert len(places) == len(SEEDS)
    assert {_seed_of(j) for j, _ in places} == set(SEEDS)


def test_heat_map_columns_grouped_at_many_places(synthetic_home: Path) -> None:
    pivot = compare.assisted_pivot("personal_pays")
    shown, _, patterns = aggregate.pivot_groups(pivot, compare.assisted_pivot("personal_pays_upper_bound"))
    assert len(pivot.columns) == SYNTHETIC_N
    assert sum(len(p.labels) for p in patterns) == SYNTHETIC_N
    assert len(shown.columns) == len(patterns) <= len(SEEDS)


def test_heat_map_at_many_places_labels_rows_in_chinese_and_english(synthetic_home: Path) -> None:
    """The grouped heat map (one column per group of places) names its rows as the few-places one does: the
    Chinese name over the English gloss of rules/categories.yaml, without its parenthesised parts (the data
    gives the gloss as written)."""
    charts.setup()
    categories = yaml.safe_load((synthetic_home / "rules" / "categories.yaml").read_text(encoding="utf-8"))
    written = {c["name_zh"]: c["gloss"] for c in categories["categories"]}
    english = {name: without_asides(gloss) for name, gloss in written.items()}
    pivot = compare.assisted_pivot("personal_pays")
    assert len(pivot.columns) > aggregate.MANY_PLACES
    chart = aggregate.assisted_heatmap(pivot, compare.assisted_pivot("personal_pays_upper_bound"))
    assert len(chart.figure.axes[0].get_xticklabels()) <= len(SEEDS)  # the grouped drawing
    assert row_labels(chart) == [(str(r), english[str(r)]) for r in pivot.index]
    assert chart.data["gloss"].tolist() == [written[str(r)] for r in pivot.index]
    assert f"特困人员 · {english['特困人员']}: 0 yuan" in chart.alt


@dataclasses.dataclass(frozen=True)
class _FakeChart:
    """Stands in for a chart in :func:`aggregate.per_place_chart`: a dataclass with a caption."""

    data: pd.DataFrame
    caption: str


@pytest.mark.parametrize(("offset", "expected"), [(0, "1 Jan Y"), (89, "31 Mar Y"), (-4, "28 Dec Y−1"),
                                                  (365, "1 Jan Y+1"), (-2.5, "29 Dec Y−1")])
def test_day_words(offset: float, expected: str) -> None:
    assert aggregate.day_words(offset) == expected


def test_financing_spread_at_many_places_gives_the_seed_figures(synthetic_home: Path) -> None:
    chart = aggregate.financing_chart(compare.class_prices(), compare.national_series())
    rows = chart.data.set_index(["field", "coverage_year"])
    # 2021: five copies each of Guizhou (280), Zhaoqing (290) and Dongxiang (280); 2025: five of Langxi (400).
    personal_2021 = rows.loc[("personal_contribution", 2021)]
    assert (personal_2021["places"], personal_2021["lowest"], personal_2021["median"],
            personal_2021["highest"]) == (15, 280, 280, 290)
    personal_2025 = rows.loc[("personal_contribution", 2025)]
    assert (personal_2025["places"], personal_2025["lowest"], personal_2025["highest"]) == (5, 400, 400)
    assert rows.loc[("fiscal_subsidy", 2025), "median"] == 670


def test_distribution_counts_each_value_or_equal_ranges() -> None:
    few = aggregate.distribution([280, 280, 290, None])
    assert few["bin"].tolist() == ["280", "290", "not stated"] and few["count"].tolist() == [2, 1, 1]
    spread = aggregate.distribution(list(range(0, 100, 10)), bins=2)
    assert spread["bin"].tolist() == ["0–45", "45–90", "not stated"] and spread["count"].tolist() == [5, 5, 0]


def test_overview_at_many_places_draws_the_spread_of_each_answer(synthetic_home: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing CJK glyph is a UserWarning
        html = str(aggregate.overview_view(compare.overview(), only=["highest", "dibao"]))
    assert html.count("<img") == 1
    # Highest contribution: ten copies at 280 (Guizhou, Dongxiang), five at 290 (Zhaoqing), five at 400 (Langxi).
    alt = re.search(r'alt="([^"]*)"', html).group(1)
    assert "280 10, 290 5, 400 5" in alt
