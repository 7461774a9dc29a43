"""Generated book pages: clause anchors for every citation, escaping, intro, glossary, downloads, input hashing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from policylib import anchors, catalogue, compare, sources
from policylib.book import pages, pipeline
from policylib.check import cited_objects
from policylib.model import NationalStandard, RuleSet

REPO = Path(__file__).resolve().parent.parent


def all_citations() -> list[tuple[str, str, str, str]]:
    """(rule file, source id, clause, quote) of every citation in rules/*.yaml."""
    out = []
    for path in catalogue.rule_paths():
        model = catalogue.load_file(path)
        if not isinstance(model, RuleSet | NationalStandard):
            continue
        for _, obj in cited_objects(model):
            out += [(path.name, c.source or model.source, c.clause, c.quote) for c in obj.cite]
    return out


@pytest.fixture(scope="module")
def source_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A book directory holding the Sources page and the source documents' pages, as the generator writes them."""
    book = tmp_path_factory.mktemp("book")
    order = pages._source_order()
    (book / "sources.md").write_text(pages.sources_page(order), encoding="utf-8")
    pages.write_source_pages(book, order)
    return book


def _clause_ids(page: str) -> list[str]:
    return re.findall(r'<div class="policylib-clause" id="([^"]+)"', page)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's rules and sources, selected with POLICYLIB_HOME."""
    for name in ("rules", "sources"):
        shutil.copytree(REPO / name, tmp_path / name)
    monkeypatch.setenv("POLICYLIB_HOME", str(tmp_path))
    return tmp_path


# --------------------------------------------------------------------------- clause anchors


def test_every_citation_lands_on_an_anchor_of_the_page_it_links(source_pages: Path) -> None:
    """The address a citation links (from a chapter or profile) names a written page holding the clause's id."""
    citations = all_citations()
    assert len(citations) > 200
    kinds = {clause for _, _, clause, _ in citations}
    assert {"序言", "落款", "第一千二百五十九条", "2020", "四（二）", "二（一）1", "三（二）4"} <= kinds
    chapter = source_pages / "chapters"
    missing = []
    for f, s, c, _ in citations:
        target, _, fragment = compare.clause_link(s, c).partition("#")
        page = (chapter / target).resolve().relative_to(source_pages.resolve()).with_suffix(".md")
        if not (source_pages / page).is_file() or fragment not in _clause_ids(
                (source_pages / page).read_text(encoding="utf-8")):
            missing.append((f, s, c, page.as_posix()))
    assert not missing, f"citations without an anchor on the page they link: {sorted(set(missing))}"


def test_each_source_page_holds_its_own_clauses_once(source_pages: Path) -> None:
    ids = sources.source_ids()
    assert sorted(p.stem for p in (source_pages / "sources").glob("*.md")) == ids
    for source_id in ids:
        page = (source_pages / f"{anchors.source_page(source_id)}.md").read_text(encoding="utf-8")
        meta = sources.load_meta(source_id)
        assert f"(source-{source_id})=\n# {pages.md(meta.title)}\n" in page
        clauses = _clause_ids(page)
        wanted = {compare.anchor(source_id, seg.clause) for seg in pages.source_segments(source_id)}
        assert set(clauses) == wanted and len(clauses) == len(wanted), source_id
        every = re.findall(r' id="([^"]+)"', page)
        assert len(every) == len(set(every))
        assert "## Manual corrections" in page
        assert ("Secondary evidence" in page) == (meta.kind == "secondary_reprint")


def test_the_sources_page_lists_every_document_with_a_link_to_its_page(source_pages: Path) -> None:
    index = (source_pages / "sources.md").read_text(encoding="utf-8")
    assert 'class="policylib-clause"' not in index  # the texts are on the documents' pages only
    # One item per document: its linked title, then a line with its place, kind, date and number.
    rows = re.findall(r"^- \[.*\n  .*$", index, flags=re.MULTILINE)
    assert [re.search(r"\]\(<([^>]+)\.md>\)", row).group(1) for row in rows] == [
        anchors.source_page(s) for s in pages._source_order()]
    for source_id, row in zip(pages._source_order(), rows, strict=True):
        meta = sources.load_meta(source_id)
        assert (source_pages / f"{anchors.source_page(source_id)}.md").is_file()
        assert row.startswith(f"- [{pages.md(meta.title)}](<") and pages.md(meta.jurisdiction_zh) in row
        issued = f"issued {meta.issued.isoformat()}" if meta.issued else "date not stated"
        assert pages.md(f"{issued}; {meta.document_number or 'number not stated'}") in row
    local = [catalogue.rules(e.jurisdiction, e.year).source for e in catalogue.local_entries()]
    assert pages._source_order()[: len(set(local))] == list(dict.fromkeys(local))


def test_the_pages_of_sources_that_are_gone_are_removed(tmp_path: Path) -> None:
    book = tmp_path / "book"
    (book / "sources").mkdir(parents=True)
    (book / "sources" / "gone-2020.md").write_text("# Gone\n", encoding="utf-8")
    (book / "sources" / "notes.txt").write_text("kept\n", encoding="utf-8")
    assert pages.write_source_pages(book, ["civil-code"]) == ["sources/civil-code.md"]
    assert sorted(p.name for p in (book / "sources").iterdir()) == ["civil-code.md", "notes.txt"]


def test_notice_headings_at_three_levels_with_half_width_brackets() -> None:
    text = (
        "某某局关于做好2025年度征缴工作的通知\n"
        "各县医保局:\n"
        "根据有关规定,通知如下:\n"
        "一、筹资标准\n"
        "(一)个人缴费每人400元。\n"
        "1.特困人员全额资助;\n"
        "2．低保对象定额资助。\n"
        "（二）财政补助不低于670元。\n"
        "二、缴费期限\n"
        "正文。\n"
        "某某局\n"
        "2024年9月13日\n"
    )
    segments = pages.parse_clauses(text, "official_notice", ["某某局"])
    assert [s.clause for s in segments] == [
        "标题", "序言", "一", "一（一）", "一（一）1", "一（一）2", "一（二）", "二", "落款",
    ]
    assert segments[-1].lines == ("某某局", "2024年9月13日")
    texts = pages.clause_texts(segments)
    assert "低保对象定额资助" in texts["一（一）"] and "低保对象定额资助" in texts["一"]
    assert "低保对象定额资助" not in texts["一（二）"]


def test_a_heading_that_lost_its_number_is_restored() -> None:
    text = "一、工作目标\n正文。\n\n缴费时间\n\n2020年9月1日-2020年12月31日。\n三、筹资标准\n正文。\n"
    segments = pages.parse_clauses(text)
    assert [s.clause for s in segments] == ["一", "二", "三"]
    assert "2020年9月1日-2020年12月31日。" in segments[1].lines


def test_cover_notice_signature_and_plan_preamble() -> None:
    text = (
        "县府办发〔2020〕1号\n县政府办公室\n关于印发《方案》的通知\n\n各乡镇:\n现印发给你们。\n"
        "县政府办公室\n2020年9月22日\n方案\n\n根据上级文件,制定本方案。\n一、目标\n正文。\n"
    )
    segments = pages.parse_clauses(text, "official_notice", ["县政府办公室"])
    assert [s.clause for s in segments] == ["标题", "印发通知", "落款", "序言", "一"]
    assert "根据上级文件,制定本方案。" in segments[3].lines


def test_statute_articles_and_reprint_years() -> None:
    statute = "# 某法\n## 附则\n第一千二百五十九条  民法所称的“以上”包括本数。\n\n第一千二百六十条  本法施行。\n"
    assert [s.clause for s in pages.parse_clauses(statute, "statute")] == [
        "标题", "附则", "第一千二百五十九条", "第一千二百六十条",
    ]
    reprints = "Header.\n\n2019  doc\n\"句子。\"\n\n2020  doc\n\"句子。\"\n2019 rule as relayed\n\"另一句。\"\n"
    segments = pages.parse_clauses(reprints, "secondary_reprint")
    assert [(s.clause, s.first) for s in segments] == [("序言", True), ("2019", True), ("2020", True), ("2019", False)]
    assert "另一句" in pages.clause_texts(segments)["2019"]


# --------------------------------------------------------------------------- escaping


def test_source_text_and_metadata_are_escaped(project: Path) -> None:
    clean = project / "sources" / "guizhou-2021" / "clean.txt"
    clean.write_text(clean.read_text(encoding="utf-8") + "引文<script>alert(1)</script>结束\n", encoding="utf-8")
    corrections = project / "sources" / "guizhou-2021" / "corrections.yaml"
    corrections.write_text('- {original: "a<b>", corrected: "a", why: "stray <i>tag</i> & more"}\n', encoding="utf-8")
    page = pages.source_document_page("guizhou-2021")
    assert "引文&lt;script&gt;alert(1)&lt;/script&gt;结束" in page
    assert "<script>" not in page
    assert "<code>a&lt;b&gt;</code>" in page and "stray &lt;i&gt;tag&lt;/i&gt; &amp; more" in page


def test_markdown_text_is_escaped() -> None:
    assert pages.md("a*b* [x](y) `c` $d$ <e> {f}") == r"a\*b\* \[x\]\(y\) \`c\` \$d\$ \<e\> \{f\}"
    assert pages.role_text("x`y<z>") == "x'y‹z›"


# --------------------------------------------------------------------------- intro and glossary


def test_intro_lists_every_local_jurisdiction_year_and_the_national_standards() -> None:
    text = pages.intro_page(pipeline.book_title(pipeline.Paths(REPO)))
    for entry in catalogue.local_entries():
        row = next(line for line in text.splitlines() if f"<profiles/{entry.jurisdiction}-{entry.year}>" in line)
        assert entry.name_zh in row and f"| {entry.year} |" in row
        assert f"<source-{catalogue.rules(entry.jurisdiction, entry.year).source}>" in row
    for standard in catalogue.national_standards():
        assert f"| {standard.standard_year} | {standard.governs_coverage_year} |" in text
    years = [s.standard_year for s in catalogue.national_standards()]
    assert f"## National standards {min(years)}–{max(years)}" in text
    assert "not stated (no document number in the text)" in text


def test_a_new_rule_file_appears_in_the_intro(project: Path) -> None:
    text = (project / "rules" / "guizhou-2021.yaml").read_text(encoding="utf-8")
    (project / "rules" / "guizhou-2022.yaml").write_text(text.replace("coverage_year: 2021", "coverage_year: 2022"),
                                                         encoding="utf-8")
    assert "<profiles/guizhou-2022>" in pages.intro_page(pipeline.book_title(pipeline.Paths(REPO)))


def test_glossary_has_every_category_and_the_procedural_terms() -> None:
    text = pages.glossary_page()
    for category in catalogue.categories().categories:
        assert pages.md(category.name_zh) in text and f"`{category.id}`" in text
    for term in ("集中征缴期", "待遇享受等待期", "全年动态参保", "资助参保", "就高不就低", "医疗救助基金",
                 "大病保险", "个人缴费", "财政补助", "新生儿", "职工医保", "退出现役", "刑满释放", "低保", "特困人员"):
        assert term in text, term


# --------------------------------------------------------------------------- downloads


def test_downloads_are_written_once_and_reopen(tmp_path: Path) -> None:
    directory = tmp_path / "downloads"
    (directory).mkdir()
    (directory / "removed_table.csv").write_text("stale\n", encoding="utf-8")
    files = pages.export_downloads(directory)
    names = {p.name for p in files}
    assert "rules.json" in names and "financing.csv" in names and "financing.xlsx" in names
    assert not (directory / "removed_table.csv").exists()
    for path in files:
        if path.suffix == ".csv":
            df = pd.read_csv(path, encoding="utf-8-sig")
            xlsx = pd.read_excel(path.with_suffix(".xlsx"), engine="openpyxl")
            assert list(df.columns) == list(xlsx.columns) and len(df) == len(xlsx)
    assert len(pd.read_csv(directory / "financing.csv", encoding="utf-8-sig")) == len(catalogue.local_entries())

    stamps = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    assert pages.export_downloads(directory) == files
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == stamps

    page = pages.downloads_page(files)
    for path in files:
        assert f"<downloads/{path.name}>`" in page


def test_the_pipeline_leaves_the_generated_pages_to_the_generator(tmp_path: Path) -> None:
    assert pages.GENERATED_PAGES == pipeline.GENERATED_PAGES
    assert set(pages.GENERATED_PAGES) <= {pipeline.INTRO_PAGE, *pipeline.REFERENCE_PAGES}
    paths = pipeline.Paths(tmp_path)
    pipeline.write_book_files(paths, [], generated=pipeline.GENERATED_PAGES)
    assert (paths.book / "regression.md").read_text(encoding="utf-8") == "# Regression checks\n"
    assert not (paths.book / "sources.md").exists()
    assert pipeline.book_config()["sphinx"]["config"]["html_search_language"] == "zh"


def test_write_pages_rewrites_nothing_when_nothing_changed(tmp_path: Path) -> None:
    book = tmp_path / "book"
    written = pages.write_pages(book, pipeline.book_title(pipeline.Paths(REPO)))
    assert {"intro.md", "sources.md", "glossary.md", "downloads.md", "downloads/rules.json"} <= set(written)
    assert {f"{anchors.source_page(s)}.md" for s in sources.source_ids()} <= set(written)
    stamps = {rel: (book / rel).stat().st_mtime_ns for rel in written}
    assert pages.write_pages(book, pipeline.book_title(pipeline.Paths(REPO))) == written
    assert {rel: (book / rel).stat().st_mtime_ns for rel in written} == stamps


# --------------------------------------------------------------------------- input hashing


def _entries() -> list[pipeline.CachedEntry]:
    def entry(j: str, year: int, level: str, source: str, *cited: str) -> pipeline.CachedEntry:
        return pipeline.CachedEntry(j, year, level, j, j, f"rules/{j}-{year}.yaml", source, (source, *cited))

    return [
        entry("national", 2021, "national", "reprints"),
        entry("alpha", 2021, "province", "alpha-2021", "statute"),
        entry("alpha", 2022, "province", "alpha-2022"),
        entry("beta", 2021, "city", "beta-2021"),
    ]


def test_a_profile_depends_on_its_own_jurisdiction_and_the_shared_files() -> None:
    files = {
        "rules/national-2021.yaml": "n", "rules/categories.yaml": "c", "rules/alpha-2021.yaml": "a1",
        "rules/alpha-2022.yaml": "a2", "rules/beta-2021.yaml": "b", "sources/alpha-2021/clean.txt": "sa",
        "sources/beta-2021/clean.txt": "sb", "sources/beta-2021/meta.yaml": "mb",
        "sources/statute/clean.txt": "st", "sources/reprints/clean.txt": "r", "policylib/engine.py": "e",
    }
    jobs = {job.output: job for job in pipeline.plan(_entries())}
    alpha, beta = jobs["profiles/alpha-2021.ipynb"], jobs["profiles/beta-2021.ipynb"]
    chapter = jobs["chapters/financing.ipynb"]
    assert alpha.context == ("national", "alpha", "beta")

    def changed(job: pipeline.Job, rel: str) -> bool:
        return pipeline.job_inputs(job, files) != pipeline.job_inputs(job, {**files, rel: "edited"})

    for rel in ("rules/beta-2021.yaml", "sources/beta-2021/clean.txt", "sources/beta-2021/meta.yaml"):
        assert not changed(alpha, rel) and changed(beta, rel) and changed(chapter, rel)
    for rel in ("rules/alpha-2022.yaml", "sources/alpha-2021/clean.txt"):
        assert changed(alpha, rel) and not changed(beta, rel)
    for rel in ("rules/national-2021.yaml", "rules/categories.yaml", "sources/statute/clean.txt",
                "sources/reprints/clean.txt", "policylib/engine.py", "rules/new-file.txt"):
        assert changed(alpha, rel) and changed(beta, rel) and changed(chapter, rel)


def test_without_rule_files_known_a_profile_depends_on_everything() -> None:
    entries = [pipeline.CachedEntry("alpha", 2021, "province", "Alpha", "甲")]
    (job,) = [j for j in pipeline.plan(entries) if j.template.per_jurisdiction]
    assert job.owner is None and job.context == ()


def test_the_pipeline_regenerates_the_pages_only_when_their_inputs_change(project: Path) -> None:
    paths = pipeline.Paths(project)
    messages: list[str] = []
    pipeline.write_generated_pages(paths, pipeline.file_digests(project), echo=messages.append)
    assert len(messages) == 1
    written = sorted(p.relative_to(paths.book).as_posix() for p in paths.book.rglob("*") if p.is_file())
    assert {"intro.md", "sources.md", "glossary.md", "downloads.md", "downloads/financing.xlsx"} <= set(written)
    stamps = {p: p.stat().st_mtime_ns for p in paths.book.rglob("*.md")}

    pipeline.write_generated_pages(paths, pipeline.file_digests(project), echo=messages.append)
    assert len(messages) == 1, "nothing changed: the generator must not run"

    with (project / "rules" / "guizhou-2021.yaml").open("a", encoding="utf-8") as f:
        f.write("\n# a comment\n")
    pipeline.write_generated_pages(paths, pipeline.file_digests(project), echo=messages.append)
    assert len(messages) == 2
    assert {p: p.stat().st_mtime_ns for p in paths.book.rglob("*.md")} == stamps

    (project / "rules" / "guizhou-2021.yaml").write_text("schema_version: 1\nnot: a rule file\n", encoding="utf-8")
    with pytest.raises(pipeline.BookBuildError, match="cannot generate the book's pages"):
        pipeline.write_generated_pages(paths, pipeline.file_digests(project), echo=messages.append)


def _toc_sources(toc: dict) -> list[str]:
    """The sections of the Sources page in a table of contents."""
    reference = next(p for p in toc["parts"] if p["caption"] == pipeline.REFERENCE)
    chapter = next(c for c in reference["chapters"] if c["file"] == "sources")
    return [section["file"] for section in chapter.get("sections", [])]


def test_the_table_of_contents_lists_the_source_pages_the_generator_writes(project: Path) -> None:
    """The pipeline's list of source pages (its table of contents) and the pages written agree, in the Sources
    page's order; a new source gets a page and an entry, a removed one loses both."""
    paths = pipeline.Paths(project)

    def build() -> tuple[list[str], list[str], list[str]]:
        files = pipeline.file_digests(project)
        pipeline.write_generated_pages(paths, files, echo=lambda _: None)
        listed = pipeline.source_pages(project, pipeline.catalogue_entries(paths, pipeline._combine(files)))
        written = sorted(p.relative_to(paths.book).with_suffix("").as_posix()
                         for p in (paths.book / "sources").glob("*.md"))
        index = re.findall(r"\]\(<(sources/[^>]+)\.md>\)", (paths.book / "sources.md").read_text(encoding="utf-8"))
        return listed, written, index

    listed, written, index = build()
    assert sorted(listed) == written == [anchors.source_page(s) for s in sources.source_ids()]
    assert index == listed == _toc_sources(pipeline.toc([], listed))
    first = catalogue.local_entries()[0]
    assert listed[0] == anchors.source_page(catalogue.rules(first.jurisdiction, first.year).source)

    shutil.copytree(project / "sources" / "civil-code", project / "sources" / "extra-statute")
    meta = project / "sources" / "extra-statute" / "meta.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("id: civil-code", "id: extra-statute"), encoding="utf-8")
    listed, written, index = build()
    assert "sources/extra-statute" in listed and sorted(listed) == written and index == listed

    shutil.rmtree(project / "sources" / "extra-statute")
    listed, written, index = build()
    assert "sources/extra-statute" not in listed and sorted(listed) == written and index == listed
    assert not (paths.book / "sources" / "extra-statute.md").exists()
    assert pipeline.toc([])["parts"][-1]["chapters"] == [{"file": f} for f in pipeline.REFERENCE_PAGES]


# --------------------------------------------------------------------------- rule-file reference


def _section(page: str, model: type) -> str:
    """The part of the reference page about one model."""
    from policylib.book import schema_page

    start = page.index(f"({schema_page.anchor(model.__name__)})=")
    end = page.find("\n(schema-", start + 1)
    return page[start: end if end > 0 else len(page)]


def _row(section: str, field: str) -> str:
    return next(line for line in section.splitlines() if line.startswith(f"| `{field}` |"))


def test_schema_page_lists_every_field_and_kind_of_start_rules_and_conditions() -> None:
    from typing import get_args

    from policylib.book.schema_page import schema_page
    from policylib.model import Condition, Start, StartRule

    page = schema_page()
    for model in (StartRule, Condition, Start):
        section = _section(page, model)
        for name in model.model_fields:
            assert _row(section, name), f"{model.__name__}.{name} is missing from the reference page"
    for model in (Condition, Start):
        row = _row(_section(page, model), "kind")
        for value in get_args(model.model_fields["kind"].annotation):
            assert f"`{value}`" in row, f"{model.__name__}.kind: {value} is not listed"
    assert "```yaml\n" in _section(page, StartRule), "the start rule has no example"


def test_schema_page_escapes_names_and_descriptions(monkeypatch: pytest.MonkeyPatch) -> None:
    from policylib.book import schema_page

    evil = "<script>alert(1)</script> | `x`"
    schema = {
        "title": "RuleSet",
        "description": evil,
        "properties": {evil: {"type": "string", "description": evil, "enum": [evil]}},
        "required": [evil],
    }
    monkeypatch.setattr(schema_page, "rule_file_schema", lambda: schema)
    page = schema_page.schema_page()
    assert "<script>" not in page
    assert r"\<script\>" in page
    [row] = [line for line in page.splitlines() if "alert" in line and line.startswith("| ")]
    assert row.count(" | ") == 4, f"a cell broke the table: {row}"
