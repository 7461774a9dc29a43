"""The figures of each rule file, read independently from the notices.

Every expected figure here was written from the cleaned text of the notice (``sources/*/clean.txt``)
or, for the national standards, from the project's table of national standards; each figure is
paired with the words of the notice it comes from, and those words are checked to be in the notice,
so that a change to the text or to the rule file is caught either way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from policylib import catalogue, sources
from policylib.model import AssistedGroup, RuleSet, StartRule
from policylib.paths import ENV_HOME

D = dt.date


@pytest.fixture(autouse=True)
def _checkout_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """These tests read the checkout's own rules and sources."""
    monkeypatch.delenv(ENV_HOME, raising=False)
    yield


@cache
def notice(source_id: str) -> str:
    return sources.clean_text(source_id)


def says(source_id: str, *phrases: str) -> None:
    """The notice contains each phrase verbatim (the figure beside it is read from there)."""
    text = notice(source_id)
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} is not in sources/{source_id}/clean.txt"


def rules(jurisdiction: str, year: int) -> RuleSet:
    return catalogue.rules(jurisdiction, year)


def group(ruleset: RuleSet, category: str) -> AssistedGroup:
    found = [g for g in ruleset.assisted_groups if g.category == category]
    assert len(found) == 1, f"{ruleset.jurisdiction}: {len(found)} groups of category {category!r}"
    return found[0]


def window(ruleset: RuleSet, start: dt.date, end: dt.date) -> None:
    spans = [(w.start, w.end) for w in ruleset.enrolment.windows]
    assert (start, end) in spans, f"{ruleset.jurisdiction}: no window {start}..{end} in {spans}"


def milestone_dates(ruleset: RuleSet) -> set[dt.date]:
    return {m.date for m in ruleset.administration.milestones if m.date is not None}


def start_rule(ruleset: RuleSet, circumstance: str, kind: str, length: int | None = None) -> StartRule:
    """The one start rule for a circumstance, for everyone (not only some groups), with a condition of the given
    kind (and length); payments in the coverage period unless the kind asks for those after it."""
    found = [
        r for r in ruleset.coverage.start_rules
        if r.circumstance == circumstance and not r.categories
        and (kind == "paid_after_period") == any(c.kind == "paid_after_period" for c in r.when)
        and any(c.kind == kind and (length is None or c.length == length) for c in r.when)
    ]
    assert len(found) == 1, f"{ruleset.jurisdiction}: {len(found)} {circumstance} rules with a {kind} condition"
    return found[0]


# --------------------------------------------------------------------------- Zhaoqing 2021

ZHAOQING_ASSISTED = ["特困人员", "孤儿", "低保对象", "建档立卡贫困人员", "残疾人", "优抚对象", "低收入救助对象"]


def test_zhaoqing_financing() -> None:
    z = rules("zhaoqing", 2021)
    says("zhaoqing-2021", "个人缴费标准为290元/人/年", "人均财政补助标不低于550元")
    personal, subsidy = z.financing.personal_contribution, z.financing.fiscal_subsidy
    assert (personal.stated, personal.amount, personal.at_least) == (True, 290, False)
    assert (subsidy.stated, subsidy.amount, subsidy.at_least) == (True, 550, True)


def test_zhaoqing_window_and_milestones() -> None:
    z = rules("zhaoqing", 2021)
    says("zhaoqing-2021", "2020年9月30日至12月28日", "12月28日前完成缴费工作", "12月31日前将代征收的参保个人缴费筹资款")
    window(z, D(2020, 9, 30), D(2020, 12, 28))
    assert {D(2020, 12, 28), D(2020, 12, 31)} <= milestone_dates(z)


def test_zhaoqing_assisted_amounts_are_not_stated() -> None:
    z = rules("zhaoqing", 2021)
    says("zhaoqing-2021", "《肇庆市城乡居民基本医疗保险办法》(肇府规〔2019〕6号)第五、九条规定的困难人员参保政策",
         "、".join(ZHAOQING_ASSISTED))
    assert sorted(g.name_zh for g in z.assisted_groups) == sorted(ZHAOQING_ASSISTED)
    for g in z.assisted_groups:
        assert not g.stated, g.id
        assert g.help == "not_stated", g.id
        assert g.amount is None and g.personal_pays is None, g.id
        assert g.refers_to is not None and "肇府规〔2019〕6号" in g.refers_to, g.id


# --------------------------------------------------------------------------- Guizhou 2021

GUIZHOU_FULL = {
    "family_planning_special": "计生特殊家庭成员",
    "family_planning_two_households": "农村计生“两户”家庭成员",
    "orphan": "孤儿",
    "tekun": "特困供养人员",
    "downsized_1960s": "二十世纪六十年代初精减退职老职工",
    "mental_disorder_offender": "肇事肇祸的精神障碍患者",
}
GUIZHOU_LOW_INCOME = {
    "low_income_elderly": "低收入家庭中的老年人",
    "low_income_minor": "低收入家庭中的未成年人",
    "low_income_severely_disabled": "低收入家庭中的重度残疾人",
    "low_income_seriously_ill": "低收入家庭中的重病患者",
}


def test_guizhou_financing() -> None:
    g = rules("guizhou", 2021)
    says("guizhou-2021", "个人缴费标准确定为每人280元", "财政补助每人不低于550元", "政府补助标准之和（830元）")
    f = g.financing
    assert (f.personal_contribution.amount, f.personal_contribution.at_least) == (280, False)
    assert (f.fiscal_subsidy.amount, f.fiscal_subsidy.at_least) == (550, True)
    assert f.late_payer_total.stated and f.late_payer_total.amount == 830 == 280 + 550


def test_guizhou_registered_poor_and_cost_sharing() -> None:
    g = rules("guizhou", 2021)
    says("guizhou-2021", "建档立卡贫困人口个人缴费按照每人140元标准予以资助", "120元按2020年度政府分担比例不变",
         "新增20元的部分调整分担比例", "第一类贫困县（包括深度贫困县和一般贫困县，共66个）",
         "由省、市、县三级政府按照5:2:3的比例分担",
         "第二类非贫困县（贵安新区参照执行），由县级政府全部承担")
    poor = group(g, "registered_poor")
    assert poor.name_zh == "建档立卡贫困人口"
    assert (poor.help, poor.amount) == ("fixed", 140)
    first_class = [c for c in poor.cost_sharing if c.county_type and "第一类贫困县" in c.county_type]
    assert len(first_class) == 1
    assert first_class[0].portion == 20
    assert {s.level: s.ratio for s in first_class[0].shares} == {"province": 5, "city": 2, "county": 3}
    second_class = [c for c in poor.cost_sharing if c.county_type and "第二类非贫困县" in c.county_type]
    assert len(second_class) == 1
    assert (second_class[0].portion, second_class[0].borne_entirely_by) == (20, "county")
    assert sorted(c.portion for c in poor.cost_sharing if c.portion) == [20, 20, 120]


def test_guizhou_dibao_and_low_income() -> None:
    g = rules("guizhou", 2021)
    says("guizhou-2021", "最低生活保障家庭成员个人缴费由医疗救助基金按每人每年不低于120元的标准予以资助",
         "低收入家庭中的老年人、未成年人、重度残疾人和重病患者个人缴费由医疗救助基金按每人每年不低于50元的标准予以资助")
    dibao = group(g, "dibao")
    assert (dibao.help, dibao.amount, dibao.payer.kind) == ("at_least", 120, "medical_assistance_fund")
    for category, name in GUIZHOU_LOW_INCOME.items():
        member = group(g, category)
        assert member.name_zh == name
        assert (member.help, member.amount, member.payer.kind) == ("at_least", 50, "medical_assistance_fund")


def test_guizhou_full_assistance() -> None:
    g = rules("guizhou", 2021)
    says("guizhou-2021", "计生特殊家庭成员、农村计生“两户”家庭成员个人缴费继续执行全额资助政策",
         "继续执行全额资助政策，所需资金由县级财政全额承担",
         "孤儿、特困供养人员、二十世纪六十年代初精减退职老职工、肇事肇祸的精神障碍患者个人缴费由医疗救助基金全额资助")
    for category, name in GUIZHOU_FULL.items():
        member = group(g, category)
        assert (member.name_zh, member.help) == (name, "full")
        expected_payer = "county_finance" if category.startswith("family_planning") else "medical_assistance_fund"
        assert member.payer.kind == expected_payer, category
    assert g.multiple_groups.rule == "highest_only"
    assert g.multiple_groups.cap_at_personal_contribution is True


def test_guizhou_window_and_waiting_periods() -> None:
    g = rules("guizhou", 2021)
    says("guizhou-2021", "集中征缴期为2020年11月16日至2021年3月31日", "从2021年1月1日起享受城乡居民医保待遇",
         "从缴费之日起60日后（不含60日）享受城乡居民医保待遇")
    window(g, D(2020, 11, 16), D(2021, 3, 31))
    assert g.coverage.period.start == D(2021, 1, 1)
    in_window = [r for r in g.coverage.start_rules
                 if r.circumstance == "regular" and not r.categories
                 and [(c.kind, c.window) for c in r.when] == [("paid_in_window", "main")]]
    assert [(r.due, r.starts.kind) for r in in_window] == [("standard", "coverage_start")]
    late = [r for r in g.coverage.start_rules if r.circumstance == "regular" and r.due == "late_payer_total"]
    assert len(late) == 1
    assert (late[0].starts.kind, late[0].starts.length, late[0].starts.unit) == ("after_payment_period", 60, "days")
    assert late[0].starts.include_bound is False


def test_guizhou_newborns() -> None:
    g = rules("guizhou", 2021)
    says("guizhou-2021", "新生儿自出生之日起90日内（含90日）参保缴费的，从出生之日起享受城乡居民医保待遇",
         "自出生之日起90日后（不含90日）参保缴费的，按年度个人缴费标准和政府补助标准之和缴纳参保费用，并从缴费之日起60日后（不含60日）")
    # 三 and 四（一）: these rules are for those who did not pay in the 集中征缴期
    says("guizhou-2021", "未在集中征缴期内缴纳2021年度城乡居民医保费的")
    timely = start_rule(g, "newborn", "paid_within", 90)
    assert [(c.kind, c.window or c.event, c.include_bound) for c in timely.when] == [
        ("paid_after_window", "main", True), ("paid_within", "born", True)]
    assert (timely.starts.kind, timely.starts.event) == ("event_day", "born")
    late = start_rule(g, "newborn", "paid_after", 90)
    assert [(c.kind, c.window or c.event, c.include_bound) for c in late.when] == [
        ("paid_after_window", "main", True), ("paid_after", "born", False)]
    assert late.due == "late_payer_total"
    assert (late.starts.kind, late.starts.length, late.starts.include_bound) == ("after_payment_period", 60, False)
    # The 90 days of 四（三）4 run across the year end: a 2021 child paid for in 2022 is covered from birth.
    across = start_rule(g, "newborn", "paid_after_period")
    assert [(c.kind, c.length) for c in across.when if c.kind == "paid_within"] == [("paid_within", 90)]
    assert (across.starts.kind, across.due) == ("event_day", "standard")


def test_guizhou_employees_leaving_employee_insurance() -> None:
    g = rules("guizhou", 2021)
    says("guizhou-2021", "可在职工医保暂停缴费90日内（含90日）参加城乡居民医保，缴费之日起享受城乡居民医保待遇",
         "超过90日（不含90日）缴费的，按年度个人缴费标准和政府补助标准之和缴纳参保费用，并从缴费之日起60日后（不含60日）开始享受")
    timely = start_rule(g, "employee_lapse", "paid_within", 90)
    assert [(c.kind, c.window or c.event, c.include_bound) for c in timely.when] == [
        ("paid_after_window", "main", True), ("paid_within", "lapsed", True)]
    assert timely.starts.kind == "payment_day"
    late = start_rule(g, "employee_lapse", "paid_after", 90)
    assert [(c.kind, c.window or c.event, c.include_bound) for c in late.when] == [
        ("paid_after_window", "main", True), ("paid_after", "lapsed", False)]
    assert late.due == "late_payer_total"
    assert (late.starts.kind, late.starts.length, late.starts.include_bound) == ("after_payment_period", 60, False)


def test_guizhou_veterans() -> None:
    g = rules("guizhou", 2021)
    says("guizhou-2021", "军人退出现役当年，城乡居民医保实行全年动态参保",
         "个人按当年缴费标准（280元）缴纳，并从缴费之日起享受城乡居民医保待遇")
    veteran = start_rule(g, "veteran", "event_in_coverage_year")
    assert (veteran.due, veteran.starts.kind) == ("personal_contribution", "payment_day")


# --------------------------------------------------------------------------- Dongxiang 2021

DONGXIANG_FULL = ["dibao_rural_1", "dibao_urban_full", "tekun", "orphan"]
DONGXIANG_160 = ["dibao_rural_2", "dibao_rural_3", "dibao_rural_4", "dibao_urban_partial", "registered_poor"]


def test_dongxiang_financing() -> None:
    d = rules("dongxiang", 2021)
    says("dongxiang-2021", "个人缴纳280元/人", "各级财政补助标准550元/人",
         "其中中央财政补贴440元，省级财政补贴100元，县级财政补贴10元", "2021年度大病保险筹资标准为90元/人")
    f = d.financing
    assert (f.personal_contribution.amount, f.personal_contribution.at_least) == (280, False)
    assert (f.fiscal_subsidy.amount, f.fiscal_subsidy.at_least) == (550, False)
    assert {s.level: s.amount for s in f.subsidy_split.shares} == {"central": 440, "province": 100, "county": 10}
    assert sum(s.amount or 0 for s in f.subsidy_split.shares) == 550
    assert f.critical_illness_funding.amount == 90


def test_dongxiang_assistance() -> None:
    d = rules("dongxiang", 2021)
    says("dongxiang-2021", "对农村低保一类对象、城市低保全额保障对象、特困人员、孤儿", "给予全额资助（280元/人）",
         "对农村二、三、四类低保保障对象、城市低保差额保障对象、建档立卡贫困人口", "给予差额资助（160元/人）")
    for category in DONGXIANG_FULL:
        member = group(d, category)
        assert (member.help, member.amount) == ("full", 280), category
    for category in DONGXIANG_160:
        member = group(d, category)
        assert member.amount == 160, category
        assert member.help in ("fixed", "at_least"), category


def test_dongxiang_window_and_coverage() -> None:
    d = rules("dongxiang", 2021)
    says("dongxiang-2021", "2020年9月1日-2020年12月31日", "待遇享受期为2021年1月1日—2021年12月31日",
         "监护人应自出生之日起90天（含）内")
    window(d, D(2020, 9, 1), D(2020, 12, 31))
    assert (d.coverage.period.start, d.coverage.period.end) == (D(2021, 1, 1), D(2021, 12, 31))
    newborn = [r for r in d.coverage.start_rules if r.circumstance == "newborn"]
    counted = [(c.kind, c.length, c.unit, c.include_bound) for r in newborn for c in r.when
               if c.kind in ("paid_within", "paid_after")]
    assert counted and set(counted) == {("paid_within", 90, "days", True), ("paid_after", 90, "days", False)}


# --------------------------------------------------------------------------- Langxi 2025


def test_langxi_financing() -> None:
    lx = rules("langxi", 2025)
    says("langxi-2025", "2025年度居民医保财政补助每人不低于670元,个人缴费每人400元")
    f = lx.financing
    assert (f.personal_contribution.amount, f.personal_contribution.at_least) == (400, False)
    assert (f.fiscal_subsidy.amount, f.fiscal_subsidy.at_least) == (670, True)


@pytest.mark.parametrize(
    ("category", "phrase", "help_kind", "amount", "personal"),
    [
        ("tekun", "特困人员给予全额资助", "full", None, None),
        ("dibao", "低保对象给予定额资助360元,个人缴费40元", "fixed", 360, 40),
        ("returned_to_poverty", "返贫致贫人口给予定额资助320元,个人缴费80元", "fixed", 320, 80),
        ("monitored_low_income", "农村低收入人口监测范围的人口给予定额资助200元,个人缴纳200元", "fixed", 200, 200),
        ("severely_disabled", "一般重度残疾人给予定额资助200元、个人缴纳200元", "fixed", 200, 200),
        ("family_planning_special", "计生特扶对象、重点优抚对象给予全额资助", "full", None, None),
        ("key_entitled_groups", "计生特扶对象、重点优抚对象给予全额资助", "full", None, None),
    ],
)
def test_langxi_assistance(category: str, phrase: str, help_kind: str, amount: int | None,
                           personal: int | None) -> None:
    lx = rules("langxi", 2025)
    says("langxi-2025", phrase)
    member = group(lx, category)
    assert member.help == help_kind
    if amount is not None:
        assert (member.amount, member.personal_pays) == (amount, personal)
        assert amount + (personal or 0) == 400


def test_langxi_stable_poverty_exit_is_excluded() -> None:
    lx = rules("langxi", 2025)
    says("langxi-2025", "未纳入农村低收入人口监测范围的稳定脱贫人口不再享受医疗救助资助参保政策")
    assert "stable_poverty_exit" in {g.category for g in lx.excluded_groups}
    assert "stable_poverty_exit" not in {g.category for g in lx.assisted_groups}


def test_langxi_dates() -> None:
    lx = rules("langxi", 2025)
    says("langxi-2025", "县外务工人员缴费期限可延长到2025年2月底", "待遇保障周期为2025年1月1日至12月31日",
         "动员准备阶段(2024年9月20日前)", "汇总上报阶段(2025年1月10日前)", "认定时间以2024年8月31日为准",
         "原则上在2024年12月31日前全面征缴到位")
    migrant = [e for e in lx.enrolment.extensions if e.circumstance == "migrant_worker"]
    assert [e.end for e in migrant] == [D(2025, 2, 28)]
    assert (lx.coverage.period.start, lx.coverage.period.end) == (D(2025, 1, 1), D(2025, 12, 31))
    assert {D(2024, 9, 20), D(2025, 1, 10), D(2024, 8, 31)} <= milestone_dates(lx)
    cutoff = [m for m in lx.administration.milestones if m.date == D(2024, 8, 31)]
    assert [m.kind for m in cutoff] == ["cutoff"]
    assert max(w.end for w in lx.enrolment.windows if "migrant" not in w.id) == D(2024, 12, 31)


# --------------------------------------------------------------------------- national standards

# Standard year: (fiscal subsidy at least, personal contribution), from the national standards table.
NATIONAL = {
    2018: (490, 220),
    2019: (520, 250),
    2020: (550, 280),
    2021: (580, 320),
    2022: (610, 350),
    2023: (640, 380),
    2024: (670, 400),
    2025: (700, 400),
}


def test_national_standards_are_all_there() -> None:
    assert [s.standard_year for s in catalogue.national_standards()] == sorted(NATIONAL)


@pytest.mark.parametrize("year", sorted(NATIONAL))
def test_national_standard(year: int) -> None:
    [standard] = [s for s in catalogue.national_standards() if s.standard_year == year]
    subsidy, personal = NATIONAL[year]
    assert standard.financing.fiscal_subsidy.amount == subsidy
    assert standard.financing.fiscal_subsidy.at_least is True
    assert standard.financing.personal_contribution.amount == personal
    assert standard.governs_coverage_year == year + 1
    assert catalogue.national_for(year + 1) == standard
    says("national-standards-reprints", f"{subsidy}元", f"{personal}元")


LOCAL = [("guizhou", 2021), ("zhaoqing", 2021), ("dongxiang", 2021), ("langxi", 2025)]


def test_every_local_file_is_covered_here_or_by_its_cases() -> None:
    """The figures above are the seeds'; a jurisdiction-year added later is held to its law-derived cases."""
    local = {(e.jurisdiction, e.year) for e in catalogue.local_entries()}
    assert set(LOCAL) <= local, "figures written here for a rule file that is gone"
    cases = Path(__file__).parent / "cases"
    for jurisdiction, year in local - set(LOCAL):
        assert (cases / f"{jurisdiction}-{year}.yaml").is_file(), f"{jurisdiction}-{year} has no figures and no cases"


@pytest.mark.parametrize("entry", catalogue.local_entries(), ids=lambda e: e.key)
def test_local_subsidy_meets_the_national_minimum(entry: catalogue.Entry) -> None:
    local = catalogue.rules(entry.jurisdiction, entry.year)
    standard = catalogue.national_for(local.coverage_year)
    if standard is None:
        pytest.skip(f"the project has no national standard governing {local.coverage_year}")
    floor = standard.financing.fiscal_subsidy.amount
    assert floor is not None
    # Every price the notice sets: the file's subsidy, or each resident class's where it prices by class.
    subsidies = [c.fiscal_subsidy for c in local.financing.resident_classes] or [local.financing.fiscal_subsidy]
    for subsidy in subsidies:
        assert subsidy.amount is not None
        assert subsidy.amount >= floor


def test_governing_national_standards_of_the_local_files() -> None:
    expected = {2021: (2020, 550), 2025: (2024, 670)}
    for coverage_year, (standard_year, subsidy) in expected.items():
        standard = catalogue.national_for(coverage_year)
        assert standard is not None
        assert (standard.standard_year, standard.financing.fiscal_subsidy.amount) == (standard_year, subsidy)
    assert rules("langxi", 2025).financing.fiscal_subsidy.amount == 670


# --------------------------------------------------------------------------- the normalizer

# Traditional characters of the received Zhaoqing text (each is checked to be there).
TRADITIONAL = (
    "縣區慶會關單據醫療險辦規鄉繳標準財稅務應盡數為貫徹議"
    "經現鞏擴實蓋黨統報時達貧殘聯優撫納資專費發動員傳開節點層級廣東農轉學廳"
)
TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹ"
PINYIN_BRACKET = re.compile(rf"[(（][a-zü{TONED}]*[{TONED}][a-zü{TONED}]*[)）]")


def test_zhaoqing_clean_text_is_simplified() -> None:
    received = sources.received_text("zhaoqing-2021")
    clean = notice("zhaoqing-2021")
    assert len(set(TRADITIONAL)) >= 40
    missing = [ch for ch in TRADITIONAL if ch not in received]
    assert not missing, f"not in the received text: {missing}"
    left = sorted({ch for ch in clean if ch in TRADITIONAL})
    assert not left, f"traditional characters left in clean.txt: {left}"


def test_zhaoqing_clean_text_has_no_pinyin_brackets() -> None:
    received = sources.received_text("zhaoqing-2021")
    clean = notice("zhaoqing-2021")
    assert len(PINYIN_BRACKET.findall(received)) > 50
    assert PINYIN_BRACKET.findall(clean) == []
    assert "?" not in clean
    says("zhaoqing-2021", "肇庆市医疗保障局", "城乡居民医保", "(肇府规〔2019〕6号)")
