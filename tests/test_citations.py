"""Citations: each value stands in its quote as itself (policylib.citation), each quote lies in the clause it
cites, and each clean.txt is what its received text and corrections give.

The matching functions are tried on quotes taken from the real cleaned sources; the check is tried on
copies of the real rule and source files, each broken one way, run as a user would in a temporary
project (POLICYLIB_HOME).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from cli_runner import run_cli

from policylib import sources
from policylib.citation import Expect, date_in, number_in, numbers, verify, written_dates
from policylib.paths import ENV_HOME

ROOT = Path(__file__).resolve().parent.parent
YEARS_2021 = frozenset({2020, 2021, 2022})
MONEY = Expect(frozenset({"money"}))
DAYS = Expect(frozenset({"days"}))
MONTHS = Expect(frozenset({"months"}))
LATE_START = "      starts: {kind: after_payment_period, length: 60, unit: "


def real(source_id: str, quote: str) -> str:
    """A quote that must stand verbatim in the real cleaned text of a source."""
    assert quote in sources.clean_text(source_id), f"{quote!r} is not in sources/{source_id}/clean.txt"
    return quote


# --------------------------------------------------------------------------- numbers


def test_a_contribution_is_not_found_in_a_year() -> None:
    quote = real("guizhou-2021", "2021年度城乡居民医保个人缴费标准确定为每人280元")
    assert number_in(280, quote, MONEY)
    assert not number_in(2021, quote, MONEY)
    zhaoqing = real("zhaoqing-2021", "明确2021年我市城乡居民医保个人缴费标准为290元/人/年")
    assert number_in(290, zhaoqing, MONEY)
    assert not number_in(2021, zhaoqing, MONEY)
    assert not number_in(2021, zhaoqing)  # a calendar year is no number of any kind


def test_a_number_is_not_found_inside_another() -> None:
    quote = real("national-standards-reprints", "新增30元,达到每人每年不低于520元")
    assert number_in(520, quote, MONEY) and number_in(30, quote, MONEY)
    for part in (52, 20, 5, 3, 0):
        assert not number_in(part, quote, MONEY), part
    url = real("dongxiang-2021", "http://10.192.200.30:7001/cxjm/")
    for part in (10, 192, 200, 30):  # parts of an address, not numbers
        assert not number_in(part, url), part
    assert number_in(7001, url)  # the port stands as a number


def test_a_decimal_is_its_own_number() -> None:
    assert [n.value for n in numbers("个人缴费52.0元")] == [Decimal("52.0")]
    assert not number_in(520, "个人缴费52.0元", MONEY)
    assert not number_in(52, "个人缴费52.5元", MONEY)
    assert number_in(52, "个人缴费52.0元", MONEY)


def test_a_year_inside_a_sentence_of_money_is_a_year() -> None:
    quote = real("guizhou-2021", "其中，120元按2020年度政府分担比例不变")
    assert number_in(120, quote, MONEY)
    assert not number_in(2020, quote, MONEY)
    assert number_in(2020, quote, Expect(frozenset({"calendar_year"})))


def test_a_coverage_year_is_found_as_a_year() -> None:
    quote = real("national-standards-reprints", "自2025年起,除新生儿等特殊群体外")
    year = Expect(frozenset({"calendar_year"}))
    assert number_in(2025, quote, year)
    assert not number_in(2024, quote, year)
    assert not number_in(2025, quote, MONEY)


def test_days_are_not_months() -> None:
    quote = real("guizhou-2021", "从缴费之日起60日后（不含60日）享受城乡居民医保待遇")
    assert number_in(60, quote, DAYS)
    assert not number_in(60, quote, MONTHS)
    langxi = real("langxi-2025", "超过3个月接续参加居民医保的")
    assert number_in(3, langxi, MONTHS)
    assert not number_in(3, langxi, DAYS)


def test_a_percentage_and_a_share() -> None:
    quote = real("zhaoqing-2021", "确保覆盖率超过98%")
    assert number_in(98, quote, Expect(frozenset({"percent"})))
    assert verify(0.98, [quote], Expect(frozenset({"percent"}), scale=100), YEARS_2021) is None
    assert not number_in(98, quote, MONEY)


def test_a_chinese_numeral_counts_a_grade() -> None:
    quote = real("guizhou-2021", "由省、市、县三级政府按照5:2:3的比例分担")
    assert number_in(3, quote, Expect(frozenset({"grade"})))
    assert not number_in(2, quote, Expect(frozenset({"grade"})))


def test_a_ratio_term_stands_at_its_place() -> None:
    quote = real("guizhou-2021", "由省、市、县三级政府按照5:2:3的比例分担")
    for place, value in enumerate((5, 2, 3)):
        assert number_in(value, quote, Expect(frozenset({"ratio"}), term=(place, 3)))
    assert not number_in(2, quote, Expect(frozenset({"ratio"}), term=(0, 3)))
    assert not number_in(5, quote, Expect(frozenset({"ratio"}), term=(0, 2)))
    assert not number_in(5, quote, MONEY)


def test_several_values_need_no_label_when_the_field_has_none() -> None:
    quote = real("national-standards-reprints", "达到每人每年分别不低于670元和400元")
    assert number_in(670, quote, MONEY) and number_in(400, quote, MONEY)
    assert not number_in(600, quote, MONEY)


def test_a_value_is_tied_to_its_label() -> None:
    quote = real("dongxiang-2021", "其中中央财政补贴440元，省级财政补贴100元，县级财政补贴10元")
    province = Expect(frozenset({"money"}), labels=("省",))
    assert verify(100, [quote], province, YEARS_2021) is None
    assert verify(440, [quote], province, YEARS_2021) == "as the value of '省': the quote gives 100 for '省'"
    langxi = real("langxi-2025", "低保对象给予定额资助360元,个人缴费40元")
    group = Expect(frozenset({"money"}), labels=("低保对象",))
    personal = Expect(frozenset({"money"}), labels=("个人",))
    assert verify(360, [langxi], group, YEARS_2021) is None
    assert verify(40, [langxi], personal, YEARS_2021) is None
    assert verify(40, [langxi], group, YEARS_2021) == "as the value of '低保对象': the quote gives 360 for '低保对象'"
    assert verify(360, [langxi], personal, YEARS_2021) is not None


def test_a_label_is_the_value_before_it_when_none_follows() -> None:
    quote = "二档每人540元、520元为一档"
    assert verify(520, [quote], Expect(frozenset({"money"}), labels=("一档",)), YEARS_2021) is None
    assert verify(540, [quote], Expect(frozenset({"money"}), labels=("一档",)), YEARS_2021) is not None


def test_a_label_absent_from_the_quote_leaves_membership() -> None:
    quote = real("dongxiang-2021", "对农村二、三、四类低保保障对象、城市低保差额保障对象、建档立卡贫困人口"
                 "参加城乡居民基本医疗保险个人缴费部分给予差额资助（160元/人）")
    group = Expect(frozenset({"money"}), labels=("农村二类低保保障对象",))
    assert verify(160, [quote], group, YEARS_2021) is None
    assert verify(150, [quote], group, YEARS_2021) == "as a sum in yuan (元)"


# --------------------------------------------------------------------------- dates


def test_a_date_is_matched_with_its_year() -> None:
    quote = real("guizhou-2021", "集中征缴期为2020年11月16日至2021年3月31日")
    assert date_in(dt.date(2020, 11, 16), quote, YEARS_2021)
    assert date_in(dt.date(2021, 3, 31), quote, YEARS_2021)
    assert not date_in(dt.date(2010, 11, 16), quote, YEARS_2021)
    assert not date_in(dt.date(2021, 11, 16), quote, YEARS_2021)
    assert verify(dt.date(2010, 11, 16), [quote], Expect(), YEARS_2021) == (
        "with its year: the quote puts 11月16日 in 2020")


def test_a_date_without_year_takes_the_year_written_before_it() -> None:
    quote = real("zhaoqing-2021", "明确2021年我市城乡居民医保个人缴费标准为290元/人/年,2020年9月30日至12月28日")
    assert date_in(dt.date(2020, 12, 28), quote, YEARS_2021)
    assert not date_in(dt.date(2021, 12, 28), quote, YEARS_2021)
    guizhou = real("guizhou-2021", "于2021年4月1日至12月31日期间")
    assert date_in(dt.date(2021, 12, 31), guizhou, YEARS_2021)
    assert not date_in(dt.date(2031, 12, 31), guizhou, YEARS_2021)


def test_a_date_in_a_quote_without_any_year_needs_a_year_of_the_file() -> None:
    quote = real("zhaoqing-2021", "12月31日前将代征收的参保个人缴费筹资款全额划入市社保基金财政专户")
    assert date_in(dt.date(2020, 12, 31), quote, YEARS_2021)
    assert date_in(dt.date(2021, 12, 31), quote, YEARS_2021)
    assert not date_in(dt.date(2031, 12, 31), quote, YEARS_2021)
    assert "2031 is not a year this file speaks about (2020-2022)" in str(
        verify(dt.date(2031, 12, 31), [quote], Expect(), YEARS_2021))


def test_a_coverage_year_does_not_date_what_follows() -> None:
    quote = real("dongxiang-2021", "2021年度城乡居民基本医疗保险费征缴标准为个人缴纳280元")
    [year] = [n for n in numbers(quote) if n.kind == "calendar_year"]
    assert year.value == 2021
    assert written_dates("参加2021年度城乡居民医保,12月31日前缴费")[0].year_before is None


def test_a_date_without_year_and_only_a_later_year_is_not_accepted() -> None:
    assert not date_in(dt.date(2020, 11, 16), "11月16日至2021年3月31日", YEARS_2021)
    assert date_in(dt.date(2021, 3, 31), "11月16日至2021年3月31日", YEARS_2021)


def test_a_month_end() -> None:
    quote = real("langxi-2025", "县外务工人员缴费期限可延长到2025年2月底")
    years = frozenset({2024, 2025, 2026})
    assert date_in(dt.date(2025, 2, 28), quote, years)
    assert not date_in(dt.date(2025, 2, 27), quote, years)
    assert not date_in(dt.date(2024, 2, 29), quote, years)
    later = real("langxi-2025", "在2025年1月1日至2月底前缴费的外出务工人员")
    assert date_in(dt.date(2025, 2, 28), later, years)


def test_a_month_day_has_no_year() -> None:
    quote = real("dongxiang-2021", "10月1日至12月31日出生的新生儿")
    assert verify("10-01", [quote], Expect(), YEARS_2021) is None
    assert verify("12-31", [quote], Expect(), YEARS_2021) is None
    assert verify("10-02", [quote], Expect(), YEARS_2021) is not None


def test_a_value_is_found_in_any_of_its_quotes() -> None:
    quotes = [real("guizhou-2021", "新增20元的部分调整分担比例"),
              real("guizhou-2021", "由省、市、县三级政府按照5:2:3的比例分担")]
    assert verify(20, quotes, MONEY, YEARS_2021) is None
    assert verify(5, quotes, Expect(frozenset({"ratio"}), term=(0, 3)), YEARS_2021) is None
    assert verify(5, quotes, MONEY, YEARS_2021) == "as a sum in yuan (元)"


# --------------------------------------------------------------------------- the check on broken copies


@dataclass(frozen=True)
class Break:
    """One file of the project broken one way, and the problem `policylib check` must report for it.

    ``path`` is relative to the project; ``line`` is a marker on the expected line of the broken file
    (None: no line); ``field`` and ``message`` are regular expressions; ``reported`` is the file the
    problem is reported for, when it is not the broken one.
    """

    id: str
    path: str
    old: str
    new: str
    line: str | None
    field: str
    message: str
    reported: str | None = None


def _esc(text: str) -> str:
    return re.escape(text)


BREAKS = [
    Break("contribution_in_a_year", "rules/guizhou-2021.yaml", "    amount: 280\n    cite: {clause: 一, quote: \"2021",
          "    amount: 2021\n    cite: {clause: 一, quote: \"2021", "amount: 2021",
          _esc("financing.personal_contribution.amount"),
          _esc("2021 does not appear in its citation's quote as a sum in yuan (元)")),
    Break("number_inside_a_longer_number", "rules/guizhou-2021.yaml", "    amount: 550\n", "    amount: 55\n",
          "amount: 55", _esc("financing.fiscal_subsidy.amount"),
          _esc("55 does not appear in its citation's quote as a sum in yuan (元)")),
    Break("window_start_a_decade_off", "rules/guizhou-2021.yaml", "      start: 2020-11-16\n      end: 2021-03-31\n",
          "      start: 2010-11-16\n      end: 2021-03-31\n", "start: 2010-11-16", _esc("enrolment.windows[0].start"),
          _esc("2010-11-16 does not appear in its citation's quote with its year: the quote puts 11月16日 in 2020")),
    Break("cover_end_a_decade_off", "rules/langxi-2025.yaml", "    start: 2025-01-01\n    end: 2025-12-31\n",
          "    start: 2025-01-01\n    end: 2035-12-31\n", "end: 2035-12-31", _esc("coverage.period.end"),
          _esc("2035-12-31 does not appear in its citation's quote with its year: the quote puts 12月31日 in 2025")),
    Break("yearless_date_in_the_wrong_year", "rules/zhaoqing-2021.yaml", "      end: 2020-12-28\n",
          "      end: 2021-12-28\n", "end: 2021-12-28", _esc("enrolment.windows[0].end"),
          _esc("2021-12-28 does not appear in its citation's quote with its year: the quote puts 12月28日 in 2020")),
    Break("yearless_date_outside_the_file_years", "rules/zhaoqing-2021.yaml", "      date: 2020-12-31\n",
          "      date: 2031-12-31\n", "date: 2031-12-31", r"administration\.milestones\[\d+\]\.date",
          _esc("2031-12-31 does not appear in its citation's quote with its year: the quote writes 12月31日 without "
               "a year, and 2031 is not a year this file speaks about (2020-2022)")),
    Break("group_given_the_personal_share", "rules/langxi-2025.yaml", "    amount: 360\n    personal_pays: 40\n",
          "    amount: 40\n    personal_pays: 360\n", "amount: 40\n", r"assisted_groups\[\d+\]\.amount",
          _esc("40 does not appear in its citation's quote as the value of '低保对象': "
               "the quote gives 360 for '低保对象'")),
    Break("level_given_another_level_share", "rules/dongxiang-2021.yaml", "{level: province, amount: 100}",
          "{level: province, amount: 440}", "{level: province, amount: 440}",
          _esc("financing.subsidy_split.shares[1].amount"),
          _esc("440 does not appear in its citation's quote as the value of '省': the quote gives 100 for '省'")),
    Break("ratio_terms_swapped", "rules/guizhou-2021.yaml",
          "          - {level: province, ratio: 5}\n          - {level: city, ratio: 2}\n",
          "          - {level: province, ratio: 2}\n          - {level: city, ratio: 5}\n",
          "{level: province, ratio: 2}",
          r"assisted_groups\[0\]\.cost_sharing\[1\]\.shares\[0\]\.ratio",
          _esc("2 does not appear in its citation's quote as term 1 of a ratio of 3 (a:b:c)")),
    Break("days_read_as_months", "rules/guizhou-2021.yaml",
          f"single_payment}}\n      due: late_payer_total\n{LATE_START}days,",
          f"single_payment}}\n      due: late_payer_total\n{LATE_START}months,",
          "length: 60, unit: months", r"coverage\.start_rules\[\d+\]\.starts\.length",
          _esc("60 does not appear in its citation's quote as a number of months (个月)")),
    Break("months_read_as_days", "rules/langxi-2025.yaml",
          "{kind: paid_within, event: lapsed, length: 3, unit: months, include_bound: true}",
          "{kind: paid_within, event: lapsed, length: 3, unit: days, include_bound: true}",
          "length: 3, unit: days", r"coverage\.start_rules\[\d+\]\.when\[1\]\.length",
          _esc("3 does not appear in its citation's quote as a number of days (天/日)")),
    Break("waiting_rule_from_another_year", "rules/national-2024.yaml", "  from_coverage_year: 2025\n",
          "  from_coverage_year: 2024\n", "from_coverage_year: 2024", _esc("waiting_period.from_coverage_year"),
          _esc("2024 does not appear in its citation's quote as a year (e.g. 2025年)")),
    Break("month_day_off_by_one", "rules/dongxiang-2021.yaml", 'from_month_day: "10-01"', 'from_month_day: "10-02"',
          'from_month_day: "10-02"', r"coverage\.start_rules\[\d+\]\.when\[\d+\]\.from_month_day",
          _esc("10-02 does not appear in its citation's quote")),
    Break("quote_in_another_clause", "rules/guizhou-2021.yaml", 'cite: {clause: 一, quote: "财政补助每人不低于550元"}',
          'cite: {clause: 二, quote: "财政补助每人不低于550元"}', "clause: 二, quote: \"财政补助",
          _esc("financing.fiscal_subsidy.cite[0].clause"),
          _esc("the quote does not lie in clause '二' of sources/guizhou-2021/clean.txt (it lies in clause 一)")),
    Break("clause_that_does_not_exist", "rules/guizhou-2021.yaml",
          'cite: {clause: 一, quote: "财政补助每人不低于550元"}',
          'cite: {clause: 十九, quote: "财政补助每人不低于550元"}', "clause: 十九",
          _esc("financing.fiscal_subsidy.cite[0].clause"),
          _esc("sources/guizhou-2021/clean.txt has no clause '十九' (it lies in clause 一)")),
    Break("clean_txt_edited_by_hand", "sources/guizhou-2021/clean.txt", "财政补助每人不低于550元",
          "财政补助每人不低于560元", "财政补助每人不低于560元", _esc("(file)"),
          r"out of date: from line \d+ it differs from what received\.txt, meta\.yaml and corrections\.yaml give; "
          + _esc("run `policylib sources --rebuild`")),
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary project root holding copies of rules/ and sources/, selected via POLICYLIB_HOME."""
    for name in ("rules", "sources"):
        shutil.copytree(ROOT / name, tmp_path / name)
    monkeypatch.setenv(ENV_HOME, str(tmp_path))
    return tmp_path


def apply(project: Path, case: Break) -> tuple[Path, str]:
    """Write the broken copy; return its path and text."""
    path = project / case.path
    text = path.read_text(encoding="utf-8")
    assert text.count(case.old) == 1, f"{case.old!r} must occur once in {case.path}; update the case"
    text = text.replace(case.old, case.new)
    path.write_text(text, encoding="utf-8")
    return path, text


def assert_reported(stderr: str, path: Path, line: int | None, field: str, message: str) -> None:
    where = _esc(f"{path}:{line}") if line else _esc(str(path))
    pattern = re.compile(rf"^{where}: {field}: {message}$", re.MULTILINE)
    assert pattern.search(stderr), f"expected /{pattern.pattern}/ in:\n{stderr}"
    assert "Traceback" not in stderr


@pytest.mark.parametrize("case", BREAKS, ids=[c.id for c in BREAKS])
def test_broken_citation_is_rejected(project: Path, case: Break) -> None:
    path, text = apply(project, case)
    rule_file = path if path.suffix == ".yaml" else None
    result = run_cli("check", *([str(rule_file)] if rule_file else []), cwd=project, home=project)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    line = text.count("\n", 0, text.index(case.line)) + 1 if case.line else None
    assert_reported(result.stderr, path, line, case.field, case.message)


def test_stale_clean_txt_is_found_when_checking_a_rule_file_citing_it(project: Path) -> None:
    clean = project / "sources" / "langxi-2025" / "clean.txt"
    clean.write_text(clean.read_text(encoding="utf-8") + "多余的一行\n", encoding="utf-8")
    result = run_cli("check", str(project / "rules" / "langxi-2025.yaml"), cwd=project, home=project)
    assert result.returncode == 1
    lines = clean.read_text(encoding="utf-8").count("\n")
    assert_reported(result.stderr, clean, lines, _esc("(file)"), r"out of date: from line \d+ .*")


def test_edited_received_text_makes_clean_txt_stale(project: Path) -> None:
    received = project / "sources" / "dongxiang-2021" / "received.txt"
    text = received.read_text(encoding="utf-8")
    received.write_text(text.replace("280", "285", 1), encoding="utf-8")
    result = run_cli("check", cwd=project, home=project)
    assert result.returncode == 1
    clean = project / "sources" / "dongxiang-2021" / "clean.txt"
    line = next(i for i, row in enumerate(clean.read_text(encoding="utf-8").split("\n"), 1) if "280" in row)
    assert_reported(result.stderr, clean, line, _esc("(file)"), r"out of date: from line \d+ .*")


def test_correction_that_no_longer_applies_is_reported(project: Path) -> None:
    corrections = project / "sources" / "langxi-2025" / "corrections.yaml"
    corrections.write_text(corrections.read_text(encoding="utf-8")
                           + "- original: 不存在的原文\n  corrected: 替换\n  why: a correction of text that is gone\n",
                           encoding="utf-8")
    result = run_cli("check", cwd=project, home=project)
    assert result.returncode == 1
    assert_reported(result.stderr, corrections, None, _esc("(file)"),
                    r"clean\.txt cannot be rebuilt: .*不存在的原文.*")


def test_missing_clean_txt_is_reported(project: Path) -> None:
    clean = project / "sources" / "zhaoqing-2021" / "clean.txt"
    clean.unlink()
    result = run_cli("check", cwd=project, home=project)
    assert result.returncode == 1
    assert_reported(result.stderr, clean, None, _esc("(file)"),
                    _esc("missing file: the cleaned text of the notice; run `policylib sources --rebuild`"))
    assert "check failed: 1 problem(s)" in result.stderr  # once, not once per citation
    alone = run_cli("check", str(project / "rules" / "zhaoqing-2021.yaml"), cwd=project, home=project)
    assert alone.returncode == 1
    assert alone.stderr.count("zhaoqing-2021/clean.txt") == 1, alone.stderr


def test_rebuilt_sources_pass_again(project: Path) -> None:
    """The fix the stale message names works: after a rebuild the copy passes."""
    case = next(c for c in BREAKS if c.id == "clean_txt_edited_by_hand")
    apply(project, case)
    assert run_cli("check", cwd=project, home=project).returncode == 1
    assert run_cli("sources", "--rebuild", cwd=project, home=project).returncode == 0
    result = run_cli("check", cwd=project, home=project)
    assert result.returncode == 0, result.stderr
