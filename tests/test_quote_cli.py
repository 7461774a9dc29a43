"""The `policylib quote` command: one-line usage errors, JSON output and the readable explanation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policylib.cli import main

REQUIRED_KEYS = {
    "jurisdiction", "year", "personal_due", "subsidy", "subsidy_payer", "total_premium", "coverage_start",
    "coverage_end", "waiting_days", "citations", "notes",
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


BAD_INPUTS = [
    # (argv after "quote", the argument the error must name, further text it must contain)
    (["guizhou", "2021", "--paid", "2021-02-30"], "--paid", ["2021-02-30"]),
    (["guizhou", "2021", "--paid", "2021/03/01"], "--paid", ["YYYY-MM-DD"]),
    (["guizhou", "2021", "--paid", "2021-3-1"], "--paid", ["YYYY-MM-DD"]),
    (["guizhou", "2021", "--event", "newborn", "--paid", "2021-03-01", "--born", "2020-02-30"], "--born", []),
    (["guizhou", "2021", "--event", "newborn", "--paid", "2021-03-01"], "--born", []),
    (["guizhou", "2021", "--event", "employee_lapse", "--paid", "2021-03-01"], "--lapsed", []),
    (["guizhou", "2021", "--event", "veteran", "--paid", "2021-03-01"], "--discharged", []),
    (["langxi", "2025", "--event", "released_prisoner", "--paid", "2025-03-01"], "--released", []),
    (["guizhou", "2021"], "--paid", []),
    (["guizhou", "2021", "--event", "newborn", "--born", "2021-03-02", "--paid", "2021-03-01"], "--paid", []),
    (["atlantis", "2021", "--paid", "2021-03-01"], "jurisdiction", ["guizhou", "langxi"]),
    (["guizhou", "2030", "--paid", "2021-03-01"], "year", ["2021"]),
    (["guizhou", "twenty", "--paid", "2021-03-01"], "year", []),
    (["national", "2021", "--paid", "2021-03-01"], "jurisdiction", []),
    (["guizhou", "2021", "--paid", "2021-03-01", "--category", "pirate"], "--category", ["tekun", "dibao_rural_1"]),
    (["dongxiang", "2021", "--paid", "2020-10-01", "--category", "dibao"], "--category",
     ["dibao_rural_1", "dibao_rural_2", "dibao_rural_3", "dibao_rural_4", "dibao_urban_full", "dibao_urban_partial"]),
    (["guizhou", "2021", "--paid", "2021-03-01", "--event", "wedding"], "--event",
     ["regular", "newborn", "employee_lapse", "veteran", "released_prisoner", "migrant_worker"]),
    (["guizhou", "2021", "--paid", "2021-03-01", "--day-count", "lunar"], "--day-count", ["civil-code", "inclusive"]),
    (["guizhou", "2021", "--paid", "2021-03-01", "--colour", "red"], "--colour", []),
    (["guizhou", "2021", "--paid"], "--paid", []),
    (["guizhou"], "year", []),
]


@pytest.mark.parametrize(("argv", "argument", "contains"), BAD_INPUTS, ids=[" ".join(a) for a, _, _ in BAD_INPUTS])
def test_bad_input_is_one_line_exit_2(argv: list[str], argument: str, contains: list[str],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["quote", *argv], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("policylib quote: ")
    assert argument in lines[0]
    assert "Traceback" not in err
    for text in contains:
        assert text in lines[0]


def test_error_format_names_the_argument_first(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(["quote", "guizhou", "2021", "--event", "newborn", "--paid", "2021-03-01"], capsys)
    assert err.startswith("policylib quote: --born: ")


def test_bad_input_through_the_installed_command() -> None:
    script = Path(sys.executable).with_name("policylib")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "policylib.cli"]
    result = subprocess.run([*cmd, "quote", "guizhou", "2021", "--paid", "2021-02-30"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "--paid" in result.stderr and "Traceback" not in result.stderr


def test_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["quote", "guizhou", "2021", "--category", "dibao", "--paid", "2021-05-10", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert set(data) >= REQUIRED_KEYS
    assert data["jurisdiction"] == "guizhou" and data["year"] == 2021
    assert data["personal_due"] == 830 and data["coverage_start"] == "2021-07-10" and data["waiting_days"] == 60
    assert data["citations"]
    for cite in data["citations"]:
        assert {"document", "clause", "excerpt"} <= set(cite)
    assert isinstance(data["notes"], list)


def test_json_not_stated_values_are_null(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["quote", "zhaoqing", "2021", "--category", "tekun", "--paid", "2020-10-15", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["subsidy"] is None and data["personal_due"] is None and data["coverage_start"] is None
    assert "医疗救助基金或财政资金" in data["subsidy_payer"]


def test_repeated_categories_and_day_count(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["quote", "guizhou", "2021", "--event", "newborn", "--born", "2021-01-15", "--paid", "2021-04-15",
            "--day-count", "inclusive", "--category", "dibao", "--category", "dibao", "--json"]
    code, out, _ = run(argv, capsys)
    assert code == 0
    data = json.loads(out)
    assert data["categories"] == ["dibao"]
    assert data["day_count"] == "inclusive" and data["rule"] == "newborn_after_90_days"


def test_readable_text_has_the_chinese_terms(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["quote", "guizhou", "2021", "--event", "newborn", "--born", "2021-01-15",
                          "--paid", "2021-04-16"], capsys)
    assert code == 0, err
    for term in ("个人应缴", "资助参保", "资助资金来源", "筹资总额", "待遇享受期", "待遇等待期", "适用规则", "说明"):
        assert term in out, term
    assert "830 yuan" in out
    assert "from 2021-06-16 to 2021-12-31" in out
    assert "Waiting days (待遇等待期): 60" in out
    assert "newborn_after_90_days" in out
    assert "四（三）4" in out and "自出生之日起90日后（不含90日）参保缴费的" in out


def test_readable_text_for_assisted_and_unstated(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["quote", "langxi", "2025", "--category", "dibao", "--paid", "2024-10-01"], capsys)
    assert "Amount due (个人应缴): 40 yuan" in out
    assert "Assistance (资助参保): 360 yuan" in out
    assert "城乡医疗救助资金" in out
    _, out, _ = run(["quote", "zhaoqing", "2021", "--category", "tekun", "--paid", "2020-10-15"], capsys)
    assert "Amount due (个人应缴): not stated" in out
    assert "肇府规〔2019〕6号" in out


def test_readable_text_upper_bound(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["quote", "guizhou", "2021", "--category", "dibao", "--paid", "2020-12-01"], capsys)
    assert "Amount due (个人应缴): at most 160 yuan" in out
    assert "Assistance (资助参保): at least 120 yuan" in out


def test_readable_text_when_not_payable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["quote", "dongxiang", "2021", "--paid", "2021-02-01"], capsys)
    assert code == 0
    assert "可否参保缴费" in out and "not stated in this notice" in out
    assert "个人应缴" not in out


def test_a_wait_past_the_year_end_reads_as_no_cover(capsys: pytest.CaptureFixture[str]) -> None:
    # Guizhou 2021 (三, 四（二）): a late payer pays from 1 April to 31 December and waits 60 days; paid on
    # 20 December, the wait runs past 31 December, so this year's payment buys no day of cover.
    _, out, _ = run(["quote", "guizhou", "2021", "--paid", "2021-12-20"], capsys)
    assert ("Cover (待遇享受期): none this coverage year: cover would start on 2022-02-19, "
            "after the coverage period ends on 2021-12-31") in out
    assert "(0 days)" not in out and "from 2022-02-19 to 2021-12-31" not in out
