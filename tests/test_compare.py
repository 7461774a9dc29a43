"""Tests for policylib.compare: comparison tables checked against figures of the notices."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from policylib import anchors, catalogue, compare, paths
from policylib.engine import CIRCUMSTANCES

ROOT = Path(__file__).resolve().parent.parent
TS = pd.Timestamp


def _row(df: pd.DataFrame, **where: Any) -> pd.Series:
    """The single row matching every column == value."""
    mask = pd.Series(True, index=df.index)
    for column, value in where.items():
        mask &= df[column] == value
    hits = df[mask]
    assert len(hits) == 1, f"{len(hits)} rows match {where}"
    return hits.iloc[0]


def _local_labels() -> set[str]:
    return {f"{e.name_en} {e.year}" for e in catalogue.local_entries()}


# --------------------------------------------------------------------------- anchors


@pytest.mark.parametrize(
    ("source", "clause", "expected"),
    [
        ("guizhou-2021", "四（二）3", "guizhou-2021--四-二-3"),
        ("guizhou-2021", "二（一）1", "guizhou-2021--二-一-1"),
        ("zhaoqing-2021", "一（二）、 3", "zhaoqing-2021--一-二-3"),
        ("civil-code", "第一千二百五十九条", "civil-code--第一千二百五十九条"),
        ("national-standards-reprints", "2020", "national-standards-reprints--2020"),
        ("dongxiang-2021", "（二）", "dongxiang-2021--二"),
        ("langxi-2025", "三（二）４", "langxi-2025--三-二-4"),  # full-width digit
    ],
)
def test_anchor(source: str, clause: str, expected: str) -> None:
    assert compare.anchor(source, clause) == expected


def test_anchor_is_deterministic_and_never_empty() -> None:
    assert compare.anchor("x", "（）") == compare.anchor("x", "（）")
    assert compare.anchor("x", "（）").startswith("x--c")
    assert compare.anchor("x", "（）") != compare.anchor("x", "【】")


def test_clause_link() -> None:
    assert compare.clause_link("guizhou-2021", "四（二）3") == "../sources/guizhou-2021.html#guizhou-2021--四-二-3"


@pytest.mark.parametrize("source", ["guizhou-2021", "national-standards-reprints", "Some Source_2021"])
@pytest.mark.parametrize("clause", ["四（二）3", "（）", "第一千二百五十九条", "2020", "一--二"])
def test_a_clause_address_names_its_source_page(source: str, clause: str) -> None:
    target = compare.anchor(source, clause)
    page = f"{anchors.source_page(source)}.html"
    assert anchors.clause_url(target, base="") == f"{page}#{target}"
    assert anchors.clause_url(target) == compare.clause_link(source, clause) == f"../{page}#{target}"
    assert anchors.clause_url(target, "https://example.org/book/") == f"https://example.org/book/{page}#{target}"
    assert "--" not in anchors.slug(source)


# --------------------------------------------------------------------------- financing


def test_financing_figures_and_national_compliance() -> None:
    df = compare.financing_table()
    assert set(df["label"]) == _local_labels()
    gz = _row(df, jurisdiction="guizhou", year=2021)
    # 贵州 一: "个人缴费标准确定为每人280元" "财政补助每人不低于550元"; 三: 之和（830元）
    assert (gz["personal_contribution"], gz["fiscal_subsidy"], gz["late_payer_total"]) == (280, 550, 830)
    assert gz["fiscal_subsidy_at_least"]
    # national 2020 (医保发〔2020〕24号): 不低于550元, 个人 280元; governs coverage year 2021
    assert (gz["national_standard_year"], gz["national_subsidy_min"], gz["national_personal_standard"]) == (
        2020, 550, 280)
    assert gz["subsidy_meets_national"] is True
    assert gz["subsidy_difference"] == 0
    assert pd.isna(gz["critical_illness_funding"])
    assert gz["critical_illness_funding_status"] == "not stated"

    lx = _row(df, jurisdiction="langxi", year=2025)
    # 郎溪 三（一）: "财政补助每人不低于670元" "个人缴费每人400元"; national 2024: 670 and 400
    assert (lx["personal_contribution"], lx["fiscal_subsidy"]) == (400, 670)
    assert (lx["national_standard_year"], lx["national_subsidy_min"]) == (2024, 670)
    assert lx["subsidy_meets_national"] is True

    zq = _row(df, jurisdiction="zhaoqing", year=2021)
    # 肇庆 二（二）: "个人缴费标准为290元/人/年", 10 above the national 280
    assert zq["personal_contribution"] == 290
    assert zq["personal_difference"] == 10
    assert pd.isna(zq["late_payer_total"])
    assert zq["late_payer_total_status"] == "not stated"

    dx = _row(df, jurisdiction="dongxiang", year=2021)
    # 东乡 三: "大病保险筹资标准为90元/人"; 中央440 省级100 县级10
    assert dx["critical_illness_funding"] == 90
    assert dx["subsidy_split"] == "central 440, province 100, county 10"
    assert not dx["fiscal_subsidy_at_least"]


def test_financing_citations() -> None:
    df = compare.financing_table()
    gz = _row(df, jurisdiction="guizhou")
    assert (gz["source"], gz["personal_contribution_clause"], gz["late_payer_total_clause"]) == (
        "guizhou-2021", "一", "三")
    assert gz["late_payer_total_anchor"] == compare.anchor("guizhou-2021", "三")
    for name in compare.FINANCING_FIGURES:
        stated = df[df[name].notna()]
        assert stated[f"{name}_clause"].notna().all(), name
        assert stated[f"{name}_anchor"].notna().all(), name
        assert df[df[name].isna()][f"{name}_status"].str.startswith("not stated").all(), name


def test_national_series() -> None:
    df = compare.national_series()
    assert list(df["standard_year"]) == sorted(df["standard_year"])
    row = _row(df, standard_year=2020)
    assert (row["governs_coverage_year"], row["subsidy_min"], row["personal_standard"]) == (2021, 550, 280)
    assert row["document"] == "医保发〔2020〕24号"
    assert bool(row["document_seen"]) is True
    # 2023 (医保发〔2023〕24号): "不低于640元" "个人缴费标准达到每人每年380元"
    row = _row(df, standard_year=2023)
    assert (row["subsidy_min"], row["personal_standard"]) == (640, 380)
    assert df["anchor"].notna().all()


# --------------------------------------------------------------------------- assisted groups


def test_assisted_matrix_amounts() -> None:
    df = compare.assisted_matrix()
    assert set(df["label"]) == _local_labels()
    # 东乡 七（二）: 差额资助（160元/人） of the 280-yuan contribution -> the person pays 120
    row = _row(df, jurisdiction="dongxiang", category="dibao_rural_2")
    assert (row["assistance"], row["personal_pays"]) == (160, 120)
    assert row["reading"]  # the reading of 差额资助 is shown
    # 郎溪 三（二）2: "低保对象给予定额资助360元,个人缴费40元"
    row = _row(df, jurisdiction="langxi", category="dibao")
    assert (row["assistance"], row["personal_pays"], row["personal_pays_stated"]) == (360, 40, 40)
    # 贵州 二（一）1: "建档立卡贫困人口个人缴费按照每人140元标准予以资助" of 280
    row = _row(df, jurisdiction="guizhou", category="registered_poor")
    assert row["personal_pays"] == 140
    assert row["payer_kind"] == "government_shared"
    # 贵州 二（一）2: 低保 "不低于120元": the person pays at most 160
    row = _row(df, jurisdiction="guizhou", category="dibao")
    assert row["personal_pays"] == 160
    assert bool(row["personal_pays_upper_bound"]) is True
    # 肇庆: assistance only by reference to 肇府规〔2019〕6号 第五、九条
    row = _row(df, jurisdiction="zhaoqing", category="tekun")
    assert pd.isna(row["assistance"]) and pd.isna(row["personal_pays"])
    assert row["status"] == "not stated (refers to 肇府规〔2019〕6号 第五、九条)"
    assert row["payer_name_zh"] == "医疗救助基金或财政资金"
    # 特困 full assistance where stated
    assert _row(df, jurisdiction="langxi", category="tekun")["personal_pays"] == 0


def test_assisted_matrix_excluded_and_rules() -> None:
    df = compare.assisted_matrix()
    # 郎溪 三（二）4: 稳定脱贫人口 "不再享受医疗救助资助参保政策"
    row = _row(df, jurisdiction="langxi", category="stable_poverty_exit")
    assert bool(row["excluded"]) is True
    assert (row["assistance"], row["personal_pays"]) == (0, 400)
    assert row["clause"] == "三（二）4"
    assert _row(df, jurisdiction="guizhou", category="tekun")["multiple_groups"] == "highest_only"
    zq = _row(df, jurisdiction="zhaoqing", category="tekun")
    assert zq["multiple_groups_gloss"] == "not stated"
    assert df["clause"].notna().all()
    assert (df["anchor"] == [compare.anchor(s, c) for s, c in zip(df["source"], df["clause"], strict=True)]).all()
    assert df["category_label"].iloc[0] == "特困人员"


def test_assisted_pivot() -> None:
    pivot = compare.assisted_pivot()
    assert pivot.loc["农村低保二类对象", "Dongxiang 2021"] == 120
    assert pivot.loc["低保对象", "Langxi 2025"] == 40
    assert pd.isna(pivot.loc["特困人员", "Zhaoqing 2021"])
    assert set(pivot.columns) == _local_labels()
    help_kind = compare.assisted_pivot("help")
    assert help_kind.loc["特困人员", "Zhaoqing 2021"] == "not_stated"
    with pytest.raises(KeyError):
        compare.assisted_pivot("no_such_column")


# --------------------------------------------------------------------------- start of cover


def test_start_rules_table() -> None:
    df = compare.start_rules_table()
    for label, group in df.groupby("label"):
        assert set(CIRCUMSTANCES) <= set(group["circumstance"]), label
    # 肇庆 has no newborn rule: a newborn enrols as an ordinary resident (the table's second tier)
    row = _row(df, jurisdiction="zhaoqing", circumstance="newborn")
    assert row["condition"] == "no rule of its own: as for ordinary residents"
    assert row["starts_words"] == "as for ordinary residents"
    assert not row["rule_stated"]
    # 贵州 四（三）4, for those who did not pay in the 集中征缴期 (三, 四（一））:
    # "新生儿自出生之日起90日内（含90日）参保缴费的，从出生之日起享受"
    row = _row(df, jurisdiction="guizhou", rule_id="newborn_within_90_days")
    assert row["condition"] == ("paid after 集中征缴期 (after 2021-03-31) and "
                                "paid within 90 days of birth (inclusive)")
    assert row["starts_words"] == "day of birth"
    assert row["clause"] == "四（三）4"
    # 贵州 四（二）: "从缴费之日起60日后（不含60日）享受"; 三: 之和（830元）
    row = _row(df, jurisdiction="guizhou", rule_id="late")
    assert row["waiting_days"] == 60
    assert row["due_amount"] == 830
    assert row["worked_cover_start"] == TS(row["worked_payment"]) + pd.Timedelta(days=61)
    # 肇庆: the start of cover in the collection period is not stated
    row = _row(df, jurisdiction="zhaoqing", rule_id="in_window")
    assert row["starts_words"].startswith("not stated")
    assert pd.isna(row["waiting_days"])
    # 郎溪 四（二）: 3 months' waiting period, counted in months
    row = _row(df, jurisdiction="langxi", rule_id="employee_lapse_after_3_months")
    words = "paid after 3 months from the lapse in employee insurance contributions (exclusive)"
    assert row["condition"].endswith(words)
    assert row["worked_payment"] == TS("2025-01-01")
    assert row["worked_cover_start"] == TS("2025-04-02")
    stated = df[df["rule_stated"]]
    assert stated["clause"].notna().all()
    assert stated["worked_payment"].notna().all()  # the engine matched a worked payment to every rule


def test_coverage_start_series() -> None:
    df = compare.coverage_start_series(step_days=1)
    assert set(df["label"]) == _local_labels()
    gz = df[df["jurisdiction"] == "guizhou"]
    assert gz["payment_date"].min() == TS("2020-09-03")  # 120 days before 2021-01-01
    assert gz["payment_date"].max() == TS("2021-12-31")
    row = _row(df, jurisdiction="guizhou", payment_date=TS("2021-09-01"))
    assert row["coverage_start"] == TS("2021-11-01")
    assert (row["days_from_start"], row["personal_due"], row["payable"], row["rule"]) == (243, 830, True, "late")
    row = _row(df, jurisdiction="guizhou", payment_date=TS("2021-03-31"))
    assert row["coverage_start"] == TS("2021-01-01")
    assert row["personal_due"] == 280
    # 肇庆: payable in the window, start of cover not stated; nothing stated after the window
    row = _row(df, jurisdiction="zhaoqing", payment_date=TS("2020-12-28"))
    assert row["payable"] is True and pd.isna(row["coverage_start"])
    row = _row(df, jurisdiction="zhaoqing", payment_date=TS("2020-12-29"))
    assert row["payable"] is None and pd.isna(row["personal_due"])
    weekly = compare.coverage_start_series()
    assert (weekly.groupby("label")["payment_date"].diff().dropna() == pd.Timedelta(days=7)).all()
    with pytest.raises(ValueError):
        compare.coverage_start_series(step_days=0)


# --------------------------------------------------------------------------- calendar


def test_calendar_events() -> None:
    df = compare.calendar_events()
    assert set(df["label"]) == _local_labels()
    # 肇庆 二（二）: "2020年9月30日至12月28日"; 2020-12-28 is a Monday
    row = _row(df, jurisdiction="zhaoqing", event_id="main")
    assert (row["start"], row["end"]) == (TS("2020-09-30"), TS("2020-12-28"))
    assert row["end_weekday"] == "Monday"
    assert row["end_is_weekend"] is False and row["end_is_holiday"] is None
    assert row["end_offset"] == -4
    # 贵州 三: "集中征缴期为2020年11月16日至2021年3月31日"
    row = _row(df, jurisdiction="guizhou", event_id="main", kind="window")
    assert row["end"] == TS("2021-03-31")
    assert (row["start_offset"], row["end_offset"]) == (-46, 89)
    # 郎溪 四: 县外务工人员 extension to 2025年2月底
    row = _row(df, jurisdiction="langxi", kind="extension")
    assert row["end"] == TS("2025-02-28") and pd.isna(row["start"])
    # a milestone without a date stays NaT with flags None
    row = _row(df, jurisdiction="zhaoqing", event_id="mobilisation_meeting")
    assert pd.isna(row["end"]) and row["end_is_weekend"] is None
    # 肇庆's coverage period is not stated: no dates shown
    row = _row(df, jurisdiction="zhaoqing", kind="coverage")
    assert row["status"].startswith("not stated") and pd.isna(row["start"])


def test_day_flags() -> None:
    assert compare.day_flags(dt.date(2021, 10, 1))["holiday"] == "National Day"
    adjusted = compare.day_flags(dt.date(2021, 10, 9))  # a Saturday made a working day
    assert adjusted["is_weekend"] is True and adjusted["is_rest_day"] is False and adjusted["holiday"] is None
    outside = compare.day_flags(dt.date(2099, 1, 1))
    assert outside["holiday"] is None and outside["is_rest_day"] is None
    assert outside["weekday"] == "Thursday"


# --------------------------------------------------------------------------- changes and unstated


def test_changes_national_part() -> None:
    df = compare.changes()
    assert list(df.columns) == compare.CHANGE_COLUMNS
    national = df[df["scope"] == "national"]
    row = _row(national, from_year=2019, to_year=2020, field="fiscal_subsidy")
    assert (row["before"], row["after"], row["delta"]) == (520, 550, 30)
    row = _row(national, from_year=2020, to_year=2021, field="personal_contribution")
    assert (row["before"], row["after"], row["delta"]) == (280, 320, 40)
    assert national["anchor"].notna().all()
    local = compare.local_changes()
    assert local.empty and list(local.columns) == compare.CHANGE_COLUMNS


def test_unstated() -> None:
    df = compare.unstated()
    row = _row(df, jurisdiction="zhaoqing", field="assisted_groups[tekun]")
    assert row["not_stated"] and row["refers_to"] == "肇府规〔2019〕6号 第五、九条"
    row = _row(df, jurisdiction="dongxiang", field="assisted_groups[dibao_rural_2]")
    assert row["interpreted"] and not row["not_stated"]
    assert "120 yuan" in row["alternatives"]
    row = _row(df, jurisdiction="zhaoqing", field="coverage.period")
    assert row["not_stated"] and row["interpreted"]
    row = _row(df, jurisdiction="zhaoqing", field="coverage.start_rules[in_window].starts")
    assert row["status"] == "not stated (refers to 肇府规〔2019〕6号)"
    assert (df["not_stated"] | df["interpreted"]).all()


# --------------------------------------------------------------------------- a new rule file


def _shift_dates(data: Any, years: int) -> Any:
    if isinstance(data, dict):
        return {k: _shift_dates(v, years) for k, v in data.items()}
    if isinstance(data, list):
        return [_shift_dates(v, years) for v in data]
    if isinstance(data, dt.date):
        return data.replace(year=data.year + years)
    return data


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[int, int, int], Path]:
    """A copy of rules/ and sources/ selected via POLICYLIB_HOME; call it to add a Guizhou year."""
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    monkeypatch.setenv(paths.ENV_HOME, str(tmp_path))

    def add_guizhou(year: int, personal: int, late_total: int) -> Path:
        data = yaml.safe_load((ROOT / "rules" / "guizhou-2021.yaml").read_text(encoding="utf-8"))
        data = _shift_dates(data, year - 2021)
        data["coverage_year"] = year
        data["financing"]["personal_contribution"]["amount"] = personal
        data["financing"]["late_payer_total"]["amount"] = late_total
        path = tmp_path / "rules" / f"guizhou-{year}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return add_guizhou


def test_new_rule_file_appears_everywhere(home: Callable[[int, int, int], Path]) -> None:
    home(2022, 320, 870)
    label = "Guizhou 2022"
    fin = compare.financing_table()
    row = _row(fin, label=label)
    assert row["personal_contribution"] == 320
    # governed by the national standard for 2021 (不低于580元): 550 falls 30 short
    assert (row["national_standard_year"], row["national_subsidy_min"]) == (2021, 580)
    assert row["subsidy_meets_national"] is False and row["subsidy_difference"] == -30
    matrix = compare.assisted_matrix()
    assert _row(matrix, label=label, category="registered_poor")["personal_pays"] == 320 - 140
    assert label in compare.assisted_pivot().columns
    starts = compare.start_rules_table()
    assert _row(starts, label=label, rule_id="late")["waiting_days"] == 60
    assert set(starts[starts["label"] == label]["circumstance"]) == set(CIRCUMSTANCES)
    cal = compare.calendar_events()
    assert _row(cal, label=label, event_id="main", kind="window")["end"] == TS("2022-03-31")
    series = compare.coverage_start_series(step_days=30)
    assert label in set(series["label"])
    assert label in set(compare.unstated()["label"])


def test_changes_lists_local_fields(home: Callable[[int, int, int], Path]) -> None:
    home(2022, 320, 870)
    df = compare.changes()
    local = df[df["scope"] == "local"]
    assert set(local["jurisdiction"]) == {"guizhou"}
    row = _row(local, field="financing.personal_contribution.amount")
    assert (row["from_year"], row["to_year"], row["before"], row["after"], row["delta"]) == (2021, 2022, 280, 320, 40)
    assert row["clause"] == "一" and row["anchor"] == compare.anchor("guizhou-2021", "一")
    assert _row(local, field="financing.late_payer_total.amount")["delta"] == 40
    # dates moved by exactly one year are no change
    assert set(local["field"]) == {"financing.personal_contribution.amount", "financing.late_payer_total.amount"}
    assert len(df[df["scope"] == "national"]) == len(compare.national_changes())


def test_year_without_national_standard_or_holiday_data(home: Callable[[int, int, int], Path]) -> None:
    home(2040, 280, 830)
    row = _row(compare.financing_table(), label="Guizhou 2040")
    assert row["subsidy_meets_national"] is None and pd.isna(row["national_standard_year"])
    row = _row(compare.calendar_events(), label="Guizhou 2040", event_id="main", kind="window")
    assert row["end"] == TS("2040-03-31")
    assert row["end_is_holiday"] is None and row["end_is_rest_day"] is None
    assert row["end_weekday"] == "Saturday" and row["end_is_weekend"] is True  # the weekday needs no holiday data


# --------------------------------------------------------------------------- export


def test_export_all(tmp_path: Path) -> None:
    written = compare.export_all(tmp_path / "a")
    names = {p.name for p in written}
    for table in ("financing", "national_series", "assisted_matrix", "assisted_pivot", "start_rules",
                  "coverage_start_series", "calendar_events", "changes", "unstated"):
        assert {f"{table}.csv", f"{table}.xlsx"} <= names
        csv_path = tmp_path / "a" / f"{table}.csv"
        assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads the Chinese
        from_csv = pd.read_csv(csv_path, encoding="utf-8-sig")
        from_xlsx = pd.read_excel(tmp_path / "a" / f"{table}.xlsx")
        assert list(from_csv.columns) == list(from_xlsx.columns)
        assert len(from_csv) == len(from_xlsx) > 0
    fin = pd.read_csv(tmp_path / "a" / "financing.csv", encoding="utf-8-sig")
    assert fin.loc[fin["jurisdiction"] == "guizhou", "name_zh"].item() == "贵州省"
    rules = json.loads((tmp_path / "a" / "rules.json").read_text(encoding="utf-8"))
    assert rules["rules"]["guizhou-2021"]["financing"]["personal_contribution"]["amount"] == 280
    assert "national-2020" in rules["rules"]
    again = compare.export_all(tmp_path / "b")
    for first, second in zip(written, again, strict=True):
        if first.suffix in (".csv", ".json"):
            assert first.read_bytes() == second.read_bytes(), first.name


def test_downloads_keep_text_as_text(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    df = pd.DataFrame({"name": ["=HYPERLINK(\"http://e.example\",\"x\")", "+1", "@SUM(A1)", "-x", "Guizhou"],
                       "delta": [-5, 3, 0, 1, 2]})
    shown = compare.csv_safe(df)
    assert shown["name"].tolist() == ["'=HYPERLINK(\"http://e.example\",\"x\")", "'+1", "'@SUM(A1)", "'-x", "Guizhou"]
    assert shown["delta"].tolist() == [-5, 3, 0, 1, 2]  # numbers are left alone
    compare.write_xlsx(df, tmp_path / "t.xlsx", "t")
    sheet = load_workbook(tmp_path / "t.xlsx")["t"]
    cells = [c for c in sheet["A"][1:]]
    assert [c.value for c in cells] == df["name"].tolist()
    assert {c.data_type for c in cells} == {"s"}  # text, not a formula
