"""Tests for policylib.sources: metadata, corrections and the cleaned texts of the notices."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from policylib import paths, sources
from policylib.sources import Correction, CorrectionError, SourceError, SourceMeta, Trim

REPO_SOURCES = Path(__file__).resolve().parent.parent / "sources"
# The sources are the folders holding a meta.yaml, read from the disk rather than from the code under test.
EXPECTED_IDS = {p.parent.name for p in REPO_SOURCES.glob("*/meta.yaml")}


def _meta(**overrides: object) -> SourceMeta:
    """A minimal valid SourceMeta for unit tests."""
    data: dict[str, object] = {
        "id": "sample",
        "title": "样例通知",
        "title_en": "Sample notice",
        "issuers": ["某市医疗保障局"],
        "issued": "2020-09-27",
        "document_number": None,
        "document_number_note": "no document number in the text",
        "jurisdiction": "sample",
        "jurisdiction_zh": "某市",
        "level": "city",
        "province": "广东省",
        "coverage_year": 2021,
        "kind": "official_notice",
        "received_from": "shared/seeds/sample.txt",
    }
    data.update(overrides)
    return SourceMeta.model_validate(data)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary project root holding a copy of the sources, selected via POLICYLIB_HOME."""
    shutil.copytree(REPO_SOURCES, tmp_path / "sources")
    monkeypatch.setenv(paths.ENV_HOME, str(tmp_path))
    return tmp_path


# --------------------------------------------------------------------------- layout


def test_source_ids_and_meta_load() -> None:
    assert set(sources.source_ids()) == EXPECTED_IDS
    for source_id in sources.source_ids():
        meta = sources.load_meta(source_id)
        assert meta.id == source_id
        assert sources.source_dir(source_id).name == source_id


def test_paths_honour_env(home: Path) -> None:
    assert paths.project_root() == home.resolve()
    assert paths.sources_dir() == home.resolve() / "sources"
    assert paths.rules_dir() == home.resolve() / "rules"


@pytest.mark.parametrize(
    ("source_id", "seed"),
    [
        ("zhaoqing-2021", "001_d04a70ca83370706.txt"),
        ("guizhou-2021", "002_5a3c7e07e115e19e.txt"),
        ("dongxiang-2021", "003_175bb4a65cddb001.txt"),
        ("langxi-2025", "004_95ea66a781cd5b19.txt"),
    ],
)
def test_received_from_points_at_seed(source_id: str, seed: str) -> None:
    assert sources.load_meta(source_id).received_from == f"shared/seeds/{seed}"


def test_meta_facts() -> None:
    zq = sources.load_meta("zhaoqing-2021")
    assert str(zq.issued) == "2020-09-27" and zq.document_number is None and zq.level == "city"
    gz = sources.load_meta("guizhou-2021")
    assert gz.issued is None and gz.issued_note
    dx = sources.load_meta("dongxiang-2021")
    assert dx.document_number == "东县府办发〔2020〕66号" and str(dx.issued) == "2020-09-22"
    lx = sources.load_meta("langxi-2025")
    assert lx.document_number == "郎医保办〔2024〕17号"
    assert (str(lx.issued), str(lx.published)) == ("2024-09-13", "2024-09-20")
    assert sources.load_meta("national-standards-reprints").kind == "secondary_reprint"
    assert sources.load_meta("civil-code").kind == "statute"


def test_meta_requires_notes_for_missing_facts() -> None:
    with pytest.raises(ValueError, match="document_number_note"):
        _meta(document_number_note=None)
    with pytest.raises(ValueError, match="issued_note"):
        _meta(issued=None)
    with pytest.raises(ValueError, match="province"):
        _meta(level="national")


# --------------------------------------------------------------------------- staleness


def test_rebuild_all_reports_changes(home: Path) -> None:
    assert sources.rebuild_all() == []
    target = home / "sources" / "guizhou-2021" / "clean.txt"
    target.write_text("stale\n", encoding="utf-8")
    assert sources.rebuild_all() == [target.resolve()]
    assert sources.clean_text("guizhou-2021") == sources.build_clean("guizhou-2021")


# --------------------------------------------------------------------------- Zhaoqing


@pytest.fixture(scope="module")
def zhaoqing() -> str:
    return sources.clean_text("zhaoqing-2021")


@pytest.mark.parametrize(
    "quote",
    [
        "个人缴费标准为290元/人/年",
        "2020年9月30日至12月28日",
        "适当的工作经费保障",
        "市社保基金管理局，市社保基金管理局汇总后报送至市医疗保障局",
        "人均财政补助标不低于550元",
        "12月28日前完成缴费工作;12月31日前将代征收的参保个人缴费筹资款全额划入市社保基金财政专户",
        "10月31日前每月报送一次进展情况(详见附件1);11月起,每10天报送一次",
        "(医保发〔2020〕24号)",
        "各县(市、区)人民政府",
    ],
)
def test_zhaoqing_quotes(zhaoqing: str, quote: str) -> None:
    assert quote in zhaoqing


def test_zhaoqing_is_clean(zhaoqing: str) -> None:
    assert not re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", zhaoqing)
    for char in "區醫縣國繳費險鄉":
        assert char not in zhaoqing
    assert "?" not in zhaoqing
    assert not any(line != line.strip() for line in zhaoqing.splitlines())
    assert zhaoqing.endswith("2020年9月27日\n")


# --------------------------------------------------------------------------- Langxi


@pytest.fixture(scope="module")
def langxi() -> str:
    return sources.clean_text("langxi-2025")


def test_langxi_trimmed(langxi: str) -> None:
    assert langxi.startswith("关于印发《郎溪县2025年度城乡居民基本医疗保险征缴工作实施方案》的通知\n")
    for junk in ("OA办公", "网友评论", "扫一扫", "验证码", "字体大小", "您现在位置"):
        assert junk not in langxi
    last = "工作专班日常工作由县税务局、县医保局分管同志负责,重大事项及时向工作专班请示汇报。\n"
    assert langxi.endswith(last)


@pytest.mark.parametrize(
    "quote",
    [
        "2024年9月1日至12月31日新增资助参保人员",
        "个人缴费每人400元",
        "2025年度居民医保财政补助每人不低于670元",
        "低保对象给予定额资助360元,个人缴费40元",
        "原则上在2024年12月31日前全面征缴到位,待遇保障周期为2025年1月1日至12月31日",
        "对困难群众参加居民医保",
        "对参保人的保障作用",
        "郎医保办〔2024〕17号",
        "发布时间:2024-09-20",
    ],
)
def test_langxi_quotes(langxi: str, quote: str) -> None:
    assert quote in langxi


def test_langxi_has_no_stray_spaces_or_doubles(langxi: str) -> None:
    assert "月月" not in langxi
    assert "参-加" not in langxi
    assert not re.search(r"[\u4e00-\u9fff] +[\u4e00-\u9fff0-9]|[0-9] +[\u4e00-\u9fff]", langxi)
    assert "\u00a0" not in langxi


def test_statute_keeps_spacing() -> None:
    text = sources.clean_text("civil-code")
    assert "第二百零一条  按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算。" in text


def test_reprints_keep_url_question_marks() -> None:
    assert "info.php?LDg=k.html" in sources.clean_text("national-standards-reprints")


# --------------------------------------------------------------------------- corrections


def test_missing_correction_original_names_source_and_correction(home: Path) -> None:
    path = home / "sources" / "langxi-2025" / "corrections.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "- original: 不存在的原文\n  corrected: 替换\n  why: test\n",
        encoding="utf-8",
    )
    with pytest.raises(CorrectionError) as info:
        sources.build_clean("langxi-2025")
    message = str(info.value)
    assert "langxi-2025" in message
    assert "#8" in message and "不存在的原文" in message
    assert "does not occur" in message


def test_ambiguous_correction_original_is_rejected() -> None:
    with pytest.raises(CorrectionError, match="occurs 2 times"):
        sources.apply_corrections("甲乙甲", [Correction(original="甲", corrected="丙", why="t")], "demo")


def test_corrections_yaml_is_validated(home: Path) -> None:
    path = home / "sources" / "guizhou-2021" / "corrections.yaml"
    path.write_text("- original: 甲\n  corrected: 乙\n", encoding="utf-8")
    with pytest.raises(SourceError, match="why"):
        sources.load_corrections("guizhou-2021")


def test_every_recorded_correction_applies_once() -> None:
    for source_id in sources.source_ids():
        received = sources.received_text(source_id)
        for corr in sources.load_corrections(source_id):
            assert received.count(corr.original) == 1, (source_id, corr.original)


# --------------------------------------------------------------------------- normalize


def test_normalize_garbled_sample() -> None:
    received = (
        "各縣(市、區(qū))人民政府:\n"
        "??? 根據(jù)《國家醫(yī)保局?財政部?國家稅務總局?關于做好工作的通知》"
        "(醫(yī)保發(fā)〔2020〕24號)。\n"
        "\n\n\n\n"
        "?? 個人繳費 2025 年1 月 1 日起 不低于 670 元,每人 400 元。\n"
        "肇慶市醫療保障局???????????肇慶市財政局   \n"
        "壞字節段\n"
    )
    corrections = [Correction(original="壞字節段", corrected="正確文字", why="sample")]
    assert sources.normalize(received, _meta(), corrections) == (
        "各县(市、区)人民政府:\n"
        "根据《国家医保局财政部国家税务总局关于做好工作的通知》(医保发〔2020〕24号)。\n"
        "\n"
        "个人缴费2025年1月1日起不低于670元,每人400元。\n"
        "肇庆市医疗保障局肇庆市财政局\n"
        "正确文字\n"
    )


def test_normalize_keeps_real_parentheses_and_latin() -> None:
    text = "按照《通知》(國發﹝2016﹞44號)和(含港澳人員),智能APP、LED屏 see http://a.b/c.php?x=1 (ok)\n"
    assert sources.normalize(text) == (
        "按照《通知》(国发﹝2016﹞44号)和(含港澳人员),智能APP、LED屏 see http://a.b/c.php?x=1 (ok)\n"
    )


def test_normalize_spaces_and_brackets() -> None:
    text = "(二)征缴阶段( 2024 年\u00a0 9\u00a0 月 1 日 — 2024 年 12 月 31日)\n"
    text += "1. 提高认识 , 加强组织领导 。\n"
    assert sources.normalize(text) == "(二)征缴阶段(2024年9月1日—2024年12月31日)\n1.提高认识,加强组织领导。\n"


def test_normalize_trim_markers() -> None:
    meta = _meta(trim=Trim(start_marker="正文标题", end_marker="评论"))
    text = "导航\n首页 > 专栏\n正文标题\n\n内容 一\n评论区\n网友评论\n"
    assert sources.normalize(text, meta) == "正文标题\n\n内容一\n"
    with pytest.raises(SourceError, match="start_marker"):
        sources.normalize(text, _meta(trim=Trim(start_marker="没有")))


def test_normalize_is_deterministic_and_idempotent() -> None:
    for source_id in sources.source_ids():
        meta = sources.load_meta(source_id)
        once = sources.build_clean(source_id)
        assert sources.build_clean(source_id) == once
        assert sources.clean_rules(once, join_spaces=meta.join_spaces) == once


def test_a_source_address_is_a_web_address() -> None:
    assert _meta(url="https://example.org/notice.html").url == "https://example.org/notice.html"
    for address in ("javascript:alert(1)", "data:text/html,<script>x</script>", "https://e.org/\"><b>", "/local"):
        with pytest.raises(ValidationError):
            _meta(url=address)
