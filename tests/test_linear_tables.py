"""Costs that grow with the number of jurisdiction-years N, counted rather than timed.

Projects of N synthetic jurisdiction-years (``benchmarks/synthetic.py``) are built in a temporary folder.
Each test counts what a quadratic program would do more of: rule files parsed and validated, files
opened for one profile or one quote, rows that a table with ``keys=`` gives against the full table.
"""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from policylib import catalogue, compare, loader, quote_cli
from policylib.model import RuleSet
from policylib.paths import ENV_HOME

REPO = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("synthetic", REPO / "benchmarks" / "synthetic.py")
synthetic = importlib.util.module_from_spec(_SPEC)  # type: ignore[arg-type]
_SPEC.loader.exec_module(synthetic)  # type: ignore[union-attr]

# Every table that takes keys=, by name: how to make it with and without keys.
KEYED: dict[str, Callable[..., pd.DataFrame]] = {
    "financing": compare.financing_table,
    "assisted_matrix": compare.assisted_matrix,
    "start_rules": compare.start_rules_table,
    "coverage_start_series": lambda keys=None: compare.coverage_start_series(keys=keys),
    "waiting_compliance": compare.waiting_compliance,
    "calendar_events": compare.calendar_events,
    "class_prices": compare.class_prices,
    "overview": compare.overview,
    "unstated": compare.unstated,
    "local_changes": compare.local_changes,
    "changes": compare.changes,
}
PROFILE_TABLES = ("financing", "assisted_matrix", "calendar_events", "start_rules", "unstated")


def _next_year(text: str) -> str:
    """A rule file's text one coverage year later: the year and every ISO date moved on by one year."""
    text = re.sub(r"^coverage_year: (\d{4})$", lambda m: f"coverage_year: {int(m.group(1)) + 1}", text,
                  count=1, flags=re.MULTILINE)
    def later(m: re.Match[str]) -> str:
        day = "28" if (m.group(2), m.group(3)) == ("02", "29") else m.group(3)
        return f"{int(m.group(1)) + 1}-{m.group(2)}-{day}"

    return re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b", later, text)


def _dearer(text: str, more: int) -> str:
    """A rule file's text with its personal contribution ``more`` yuan higher."""
    return re.sub(r"(personal_contribution:\n\s+amount: )(\d+)", lambda m: f"{m.group(1)}{int(m.group(2)) + more}",
                  text, count=1)


def _project(root: Path, n: int) -> Path:
    """N synthetic jurisdiction-years, and the next year of the first of them (to compare years)."""
    synthetic.make_project(root, n)
    first = min(p for p in (root / "rules").glob("*_s0000-*.yaml"))
    jurisdiction, year = first.stem.rsplit("-", 1)
    (root / "rules" / f"{jurisdiction}-{int(year) + 1}.yaml").write_text(
        _dearer(_next_year(first.read_text(encoding="utf-8")), 10), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    return {n: _project(tmp_path_factory.mktemp(f"n{n}"), n) for n in (20, 40)}


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Empty caches, and a count of the rule files parsed and validated, by file name."""
    parsed: Counter[str] = Counter()
    real_load = loader.load

    def counting_load(path: Path):
        parsed[Path(path).name] += 1
        return real_load(path)

    monkeypatch.setattr(catalogue, "load", counting_load)
    monkeypatch.setattr(catalogue, "_MODELS", {})
    monkeypatch.setattr(compare, "_ROWS", {})
    monkeypatch.setattr(compare, "_CONTENT", {})
    yield parsed


def _use(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    monkeypatch.setenv(ENV_HOME, str(root))


def _all_tables() -> None:
    for make in compare._tables().values():
        make()
    compare.overview()
    compare.class_prices()


@pytest.mark.parametrize("n", [20, 40])
def test_building_every_table_parses_each_rule_file_once(projects: dict[int, Path], n: int, fresh: Counter[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, projects[n])
    _all_tables()
    _all_tables()
    files = {p.name for p in (projects[n] / "rules").glob("*.yaml")}
    assert set(fresh) == files
    assert max(fresh.values()) == 1, fresh.most_common(3)


def test_catalogue_lookups_grow_linearly(projects: dict[int, Path], fresh: Counter[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Each table asks the catalogue for each file a bounded number of times: doubling N doubles the asks
    (a table that looked every row up in the whole catalogue would ask four times as often)."""
    asks = Counter[int]()
    real = catalogue._loaded

    def counting(path: Path):
        asks[current] += 1
        return real(path)

    monkeypatch.setattr(catalogue, "_loaded", counting)
    for current in (20, 40):
        _use(monkeypatch, projects[current])
        _all_tables()
    local = {n: len(catalogue.local_entries(projects[n] / "rules")) for n in (20, 40)}
    assert local[40] - local[20] == 20
    per_file = {n: asks[n] / local[n] for n in (20, 40)}
    assert per_file[40] <= per_file[20] * 1.1, per_file


def test_a_changed_rule_file_is_read_again_and_its_rows_follow(projects: dict[int, Path], fresh: Counter[str],
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    root = _project(tmp_path / "p", 4)
    _use(monkeypatch, root)
    before = compare.financing_table()
    path = sorted((root / "rules").glob("*_s0001-*.yaml"))[0]
    rules = catalogue.load_file(path)
    assert isinstance(rules, RuleSet) and rules.financing.personal_contribution.amount is not None
    old = rules.financing.personal_contribution.amount
    path.write_text(_dearer(path.read_text(encoding="utf-8"), 1), encoding="utf-8")
    after = compare.financing_table()
    assert fresh[path.name] == 2
    changed = after["jurisdiction"] == rules.jurisdiction
    assert after.loc[changed, "personal_contribution"].tolist() == [old + 1]
    pd.testing.assert_frame_equal(after[~changed].reset_index(drop=True), before[~changed].reset_index(drop=True))


def test_rows_shared_by_files_of_the_same_content_carry_their_own_names(projects: dict[int, Path],
                                                                       fresh: Counter[str],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, projects[20])
    models = {(m.jurisdiction, m.coverage_year): m for e in catalogue.local_entries()
              if isinstance(m := catalogue.load_file(e.path), RuleSet)}
    financing = compare.financing_table()
    for row in financing.itertuples():
        own = models[(row.jurisdiction, row.year)]
        assert (row.name_zh, row.label) == (own.name_zh, f"{own.name_en} {own.coverage_year}")
    for name in ("start_rules", "coverage_start_series", "unstated"):
        table = KEYED[name]()
        labels = {(j, y): lab for j, y, lab in zip(table["jurisdiction"], table["year"], table["label"], strict=True)}
        assert labels == {k: f"{m.name_en} {m.coverage_year}" for k, m in models.items() if k in labels}
        assert len(labels) >= len(models) - 1


def _keys(root: Path) -> list[tuple[str, int]]:
    """A jurisdiction-year with a year before it, and one without."""
    names = sorted(p.stem for p in (root / "rules").glob("*_s00*-*.yaml"))
    first = max(n for n in names if "_s0000-" in n)
    other = next(n for n in names if "_s0002-" in n)
    return [(k.rsplit("-", 1)[0], int(k.rsplit("-", 1)[1])) for k in (first, other)]


def _rows_for(table: pd.DataFrame, keys: list[tuple[str, int]], year: str = "year") -> pd.DataFrame:
    wanted = pd.Series([(j, y) in keys for j, y in zip(table["jurisdiction"], table[year], strict=True)],
                       index=table.index)
    if "scope" in table.columns:
        wanted |= table["scope"] == "national"
    return table[wanted].reset_index(drop=True)


@pytest.mark.parametrize("name", list(KEYED))
def test_a_table_with_keys_holds_the_full_tables_rows_for_them(projects: dict[int, Path], name: str,
                                                              fresh: Counter[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, projects[20])
    keys = _keys(projects[20])
    full = KEYED[name]()
    part = KEYED[name](keys=keys)
    year = "to_year" if "to_year" in full.columns else "year"
    expected = _rows_for(full, keys, year)
    assert not expected.empty
    pd.testing.assert_frame_equal(_plain(part), _plain(expected))


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """Values as objects, missing as None: a column all missing in a few rows is not typed as in the full table."""
    return table.astype(object).where(table.notna(), None)


def test_local_changes_of_one_key_compare_it_with_its_year_before(projects: dict[int, Path], fresh: Counter[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, projects[20])
    key = _keys(projects[20])[0]
    part = compare.local_changes([key])
    assert set(zip(part["jurisdiction"], part["from_year"], part["to_year"], strict=True)) == {
        (key[0], key[1] - 1, key[1])}


def test_the_pivot_with_keys_is_the_full_pivots_columns_for_them(projects: dict[int, Path], fresh: Counter[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, projects[20])
    keys = _keys(projects[20])
    full, part = compare.assisted_pivot(), compare.assisted_pivot(keys=keys)
    models = [catalogue.rules(j, y) for j, y in keys]
    assert set(part.columns) == {f"{m.name_en} {m.coverage_year}" for m in models}
    pd.testing.assert_frame_equal(part, full.loc[part.index, part.columns])


def _shared_files(root: Path) -> set[str]:
    return {catalogue.CATEGORIES_FILE} | {p.name for p in (root / "rules").glob("national-*.yaml")}


def test_a_profiles_tables_read_only_its_own_rule_file(projects: dict[int, Path], fresh: Counter[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = projects[40]
    _use(monkeypatch, root)
    jurisdiction, year = _keys(root)[1]
    own = catalogue.rules(jurisdiction, year)
    for name in PROFILE_TABLES:
        table = KEYED[name](keys=[(jurisdiction, year)])
        assert set(zip(table["jurisdiction"], table["year"], strict=True)) == {(jurisdiction, year)}, name
    local = set(fresh) - _shared_files(root)
    assert local == {f"{own.jurisdiction}-{own.coverage_year}.yaml"}


def test_the_changes_into_one_year_read_that_year_and_the_year_before(projects: dict[int, Path],
                                                                     fresh: Counter[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = projects[40]
    _use(monkeypatch, root)
    jurisdiction, year = _keys(root)[0]
    compare.changes([(jurisdiction, year)])
    assert set(fresh) - _shared_files(root) == {f"{jurisdiction}-{year}.yaml", f"{jurisdiction}-{year - 1}.yaml"}


def test_a_quote_opens_one_rule_file(projects: dict[int, Path], fresh: Counter[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = projects[40]
    _use(monkeypatch, root)
    jurisdiction, year = _keys(root)[1]
    rules = quote_cli.load_rules(jurisdiction, str(year))
    assert (rules.jurisdiction, rules.coverage_year) == (jurisdiction, year)
    assert dict(fresh) == {f"{jurisdiction}-{year}.yaml": 1}
