"""The book build: table of contents, reproducible notebooks, incremental runs and failure handling."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from policylib.book import __main__ as cli
from policylib.book import pipeline
from policylib.book.pipeline import BookBuildError, Paths, Template

REPO = Path(__file__).resolve().parent.parent
KERNEL_META = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
FINANCING = Template("financing", "chapters/financing.ipynb", pipeline.COMPARISONS)
PROFILE = next(t for t in pipeline.TEMPLATES if t.per_jurisdiction)
JOBS = 1  # the notebooks here are a few cells each: one worker, one kernel, runs them


@dataclass(frozen=True)
class FakeEntry:
    jurisdiction: str
    year: int
    level: str
    name_en: str
    name_zh: str


ENTRIES = [
    FakeEntry("national", 2021, "national", "National standard", "国家标准"),
    FakeEntry("alpha", 2021, "province", "Alpha", "甲省"),
    FakeEntry("beta", 2022, "city", "Beta", "乙市"),
]


def write_template(root: Path, name: str, *sources: str, title: str = "# Placeholder") -> Path:
    nb = new_notebook(metadata=KERNEL_META)
    nb.cells = [new_markdown_cell(title), *(new_code_cell(s) for s in sources)]
    for index, cell in enumerate(nb.cells):
        cell.id = f"{name}-{index}"
    path = root / "notebooks" / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def make_project(root: Path) -> Paths:
    (root / "rules").mkdir(parents=True)
    (root / "rules" / "notes.txt").write_text("not a rule file\n", encoding="utf-8")
    return Paths(root)


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_toc_and_config_come_from_the_catalogue(tmp_path: Path) -> None:
    paths = make_project(tmp_path)
    (paths.book).mkdir()
    (paths.book / "primer.md").write_text("# Primer written by hand\n", encoding="utf-8")
    pipeline.write_book_files(paths, pipeline.plan(ENTRIES))

    toc = yaml.safe_load((paths.book / "_toc.yml").read_text(encoding="utf-8"))
    assert toc["format"] == "jb-book"
    assert toc["root"] == "intro"
    parts = {part["caption"]: [c["file"] for c in part["chapters"]] for part in toc["parts"]}
    assert list(parts) == ["At a glance", "Jurisdiction profiles", "Comparisons", "Training", "Reference"]
    assert parts["At a glance"] == ["chapters/overview"]
    # The profiles are sections of one index page, so that the sidebar does not grow with them.
    assert parts["Jurisdiction profiles"] == [pipeline.PROFILES_PAGE]
    (index,) = [c for part in toc["parts"] for c in part["chapters"] if c["file"] == pipeline.PROFILES_PAGE]
    assert [s["file"] for s in index["sections"]] == ["profiles/alpha-2021", "profiles/beta-2022"]
    listed = (paths.book / f"{pipeline.PROFILES_PAGE}.md").read_text(encoding="utf-8")
    assert listed.index("(<profiles/alpha-2021.ipynb>)") < listed.index("(<profiles/beta-2022.ipynb>)")
    assert "[乙市 \\(Beta\\)\\, 2022](<profiles/beta-2022.ipynb>)" in listed  # names as literal text
    assert all("title" not in c for part in toc["parts"] for c in part["chapters"])
    assert parts["Comparisons"] == [
        "chapters/financing",
        "chapters/assisted_groups",
        "chapters/waiting_periods",
        "chapters/deadlines",
        "chapters/changes",
    ]
    assert parts["Training"] == ["chapters/training", *pipeline.PART_PAGES]
    assert parts["Reference"] == list(pipeline.REFERENCE_PAGES)

    for page in ["intro", *pipeline.REFERENCE_PAGES]:
        assert (paths.book / f"{page}.md").read_text(encoding="utf-8").startswith("# ")
    assert (paths.book / "primer.md").read_text(encoding="utf-8") == "# Primer written by hand\n"

    config = yaml.safe_load((paths.book / "_config.yml").read_text(encoding="utf-8"))
    written = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    assert config["title"] == written["title"] == pipeline.book_title(paths)
    assert config["execute"]["execute_notebooks"] == "off"
    assert config["only_build_toc_files"] is True
    assert config["html"]["use_repository_button"] is False


def test_the_config_is_the_hand_written_file_with_the_computed_extensions(tmp_path: Path) -> None:
    paths = make_project(tmp_path)
    written = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    written["title"] = "A title of this project"
    written["html"]["baseurl"] = "https://books.example/policylib/"
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(written, allow_unicode=True), encoding="utf-8")
    pipeline.write_book_files(paths, pipeline.plan(ENTRIES))

    config = yaml.safe_load((paths.book / "_config.yml").read_text(encoding="utf-8"))
    settings = config["sphinx"]["config"]
    assert config["title"] == "A title of this project"
    assert config["html"]["baseurl"] == "https://books.example/policylib/"
    assert settings["html_search_language"] == "zh"
    ours = ["policylib.book.sphinx_escape", "policylib.book.sphinx_search", "policylib.book.sphinx_downloads"]
    assert settings["extensions"][-3:] == ours
    assert "sphinx_thebe" not in settings["extensions"]
    assert settings["html_extra_path"] == [pipeline.EXTRA_DIR]
    assert "html_favicon" not in settings  # this project's book/ has no icon
    (paths.book / pipeline.FAVICON).parent.mkdir(parents=True, exist_ok=True)
    (paths.book / pipeline.FAVICON).write_text("<svg/>", encoding="utf-8")
    assert pipeline.book_config(paths)["sphinx"]["config"]["html_favicon"] == pipeline.FAVICON
    assert {k: v for k, v in config.items() if k != "sphinx"} == {k: v for k, v in written.items() if k != "sphinx"}

    written["sphinx"]["config"]["extensions"] = ["sphinx_thebe"]
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(written, allow_unicode=True), encoding="utf-8")
    with pytest.raises(BookBuildError, match="extensions is computed by the pipeline"):
        pipeline.book_config(paths)
    (tmp_path / "_config.yml").write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(BookBuildError, match="not a mapping"):
        pipeline.write_book_files(paths, pipeline.plan(ENTRIES))


def test_an_empty_html_section_takes_the_book_s_icon(tmp_path: Path) -> None:
    """``html:`` with nothing under it (null) is as no section, as for the published address (config.base_url)."""
    paths = make_project(tmp_path)
    written = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    written["html"] = None
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(written, allow_unicode=True), encoding="utf-8")
    (paths.book / pipeline.FAVICON).parent.mkdir(parents=True, exist_ok=True)
    (paths.book / pipeline.FAVICON).write_text("<svg/>", encoding="utf-8")
    assert pipeline.book_config(paths)["sphinx"]["config"]["html_favicon"] == pipeline.FAVICON


def test_every_shipped_template_exists_and_declares_its_parameters() -> None:
    for template in pipeline.TEMPLATES:
        nb = nbformat.read(REPO / "notebooks" / f"{template.name}.ipynb", as_version=4)
        nbformat.validate(nb)
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
        if template.per_jurisdiction:
            tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
            assert len(tagged) == 1
            for name in ("jurisdiction", "year", "day_count"):
                assert f"{name} =" in tagged[0].source


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """A project whose profile (the shipped template) and one chapter were executed once."""
    paths = make_project(tmp_path_factory.mktemp("executed"))
    paths.notebooks.mkdir(exist_ok=True)
    profile = write_template(
        paths.root, "profile", 'jurisdiction = "none"\nyear = 0\nday_count = "civil-code"',
        'print(jurisdiction, year, day_count)',
        "import matplotlib.pyplot as plt\nfrom policylib import charts\ncharts.setup()\n"
        "fig, ax = plt.subplots(figsize=(2, 1))\nax.set_title('待遇享受期 coverage')\nplt.show()",
        title="# {name_zh} ({name_en}), {year}",
    )
    nb = nbformat.read(profile, as_version=4)
    nb.cells[0].metadata["tags"] = ["fill-parameters"]
    nb.cells[1].metadata["tags"] = ["parameters"]
    nbformat.write(nb, profile)
    write_template(paths.root, "financing", 'print("financing")')
    pipeline.build(paths.root, html=False, entries=ENTRIES[:2], templates=[PROFILE, FINANCING], echo=lambda s: None,
                   jobs=JOBS)
    return paths


def test_executing_twice_gives_identical_bytes(executed: Paths) -> None:
    outputs = [executed.book / "profiles" / "alpha-2021.ipynb", executed.book / "chapters" / "financing.ipynb"]
    first = [p.read_bytes() for p in outputs]
    report = pipeline.build(
        executed.root, html=False, force=True, entries=ENTRIES[:2], templates=[PROFILE, FINANCING], echo=lambda s: None,
        jobs=JOBS,
    )
    assert sorted(report.executed) == ["chapters/financing.ipynb", "profiles/alpha-2021.ipynb"]
    assert [p.read_bytes() for p in outputs] == first

    text = outputs[0].read_text(encoding="utf-8")
    assert "papermill" not in text
    assert "iopub" not in text
    nb = nbformat.reads(text, as_version=4)
    assert nb.metadata.kernelspec == pipeline.KERNELSPEC
    assert nb.metadata.language_info == pipeline.LANGUAGE_INFO
    assert nb.cells[0].source == "# 甲省 (Alpha), 2021"
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert injected[0].id == pipeline.injected_cell_id("profiles/alpha-2021.ipynb")
    assert "remove-cell" in injected[0].metadata.tags
    assert 'jurisdiction = "alpha"' in injected[0].source
    code = [c for c in nb.cells if c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", [])]
    assert code and all("hide-input" in c.metadata.tags for c in code)
    outs = [o for c in code for o in c.outputs]
    assert any("image/png" in o.get("data", {}) for o in outs)
    assert not [o for o in outs if o.get("name") == "stderr"], "warnings (e.g. missing glyphs) in the output"


def test_a_rerun_without_changes_executes_nothing(executed: Paths) -> None:
    outputs = sorted(executed.book.glob("*/*.ipynb"))
    stamps = [p.stat().st_mtime_ns for p in outputs]
    kwargs = {"html": False, "entries": ENTRIES[:2], "templates": [PROFILE, FINANCING], "echo": lambda s: None,
              "jobs": JOBS}

    report = pipeline.build(executed.root, **kwargs)
    assert report.executed == []
    assert len(report.up_to_date) == 2

    # A changed input re-executes, but identical results are not rewritten.
    with (executed.root / "rules" / "notes.txt").open("a", encoding="utf-8") as f:
        f.write("# edited\n")
    report = pipeline.build(executed.root, **kwargs)
    assert len(report.executed) == 2
    assert report.rewritten == []
    assert [p.stat().st_mtime_ns for p in outputs] == stamps


def test_a_failing_cell_is_refused_naming_notebook_and_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    write_template(
        tmp_path,
        "profile",
        'jurisdiction = "x"\nyear = 2000\nday_count = "civil-code"',
        "total = 1\nshare = total / 0",
    )
    nb = nbformat.read(tmp_path / "notebooks" / "profile.ipynb", as_version=4)
    nb.cells[1].metadata["tags"] = ["parameters"]
    nbformat.write(nb, tmp_path / "notebooks" / "profile.ipynb")
    monkeypatch.setenv("POLICYLIB_HOME", str(tmp_path))
    monkeypatch.setattr(pipeline, "TEMPLATES", (PROFILE,))
    monkeypatch.setattr(pipeline, "load_entries", lambda: ENTRIES[:2])

    assert cli.main(["--no-html", "--jobs", "1"]) == 1
    err = capfd.readouterr().err
    assert "book/profiles/alpha-2021.ipynb" in err
    assert '"jurisdiction": "alpha"' in err and '"year": 2021' in err
    # The template's own cell: the parameters papermill injects after cell 2 do not shift the count.
    assert "notebooks/profile.ipynb cell 3 of 3 `total = 1`" in err
    assert "ZeroDivisionError" in err
    assert "Traceback" not in err
    assert not (tmp_path / "book" / "profiles" / "alpha-2021.ipynb").exists()
    assert "profiles/alpha-2021.ipynb" not in read(tmp_path / "book" / ".hashes.json")["notebooks"]


DEADLINES = Template("deadlines", "chapters/deadlines.ipynb", pipeline.COMPARISONS)
# A cell that fails unless the kernel runs in this environment, then prints "ok".
GOOD = f"import sys\nassert sys.prefix == {sys.prefix!r}, sys.prefix\nprint('ok')"


@pytest.fixture(scope="module")
def _two_chapters_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A project of two chapters (financing: ``GOOD``; deadlines) and the book's own pages, built once:
    (where it was built, a copy of it as built)."""
    base = tmp_path_factory.mktemp("two-chapters")
    root = base / "project"
    make_project(root)
    write_template(root, "financing", GOOD, title="# Financing")
    write_template(root, "deadlines", 'print("deadlines")', title="# Deadlines")
    report = pipeline.build(root, entries=[], templates=[FINANCING, DEADLINES], echo=lambda s: None, jobs=JOBS)
    assert report.html == "built"
    shutil.copytree(root, base / "as-built", symlinks=True)
    return root, base / "as-built"


@pytest.fixture
def two_chapters(_two_chapters_built: tuple[Path, Path]) -> Paths:
    """The built two-chapter project (notebooks, hashes and ``book/_build``) as built, for one test to change.

    It is put back where it was built: Sphinx reads every page again for a project that moved."""
    root, as_built = _two_chapters_built
    shutil.rmtree(root)
    shutil.copytree(as_built, root, symlinks=True)
    return Paths(root)


def test_a_failed_build_keeps_the_last_good_html(two_chapters: Paths) -> None:
    paths, tmp_path = two_chapters, two_chapters.root
    kwargs = {"entries": [], "templates": [FINANCING, DEADLINES], "echo": lambda s: None, "jobs": JOBS}
    page = paths.html / "chapters" / "financing.html"
    assert page.is_file()
    before = {p: p.read_bytes() for p in paths.html.rglob("*.html")}

    # A template that raises: the build fails before the HTML and leaves it alone.
    write_template(tmp_path, "financing", "raise RuntimeError('broken template')", title="# Financing")
    broken = r"notebooks/financing\.ipynb cell 2 of 2 `raise .*RuntimeError: broken template"
    with pytest.raises(BookBuildError, match=broken):
        pipeline.build(tmp_path, **kwargs)
    assert {p: p.read_bytes() for p in paths.html.rglob("*.html")} == before

    # A Sphinx warning: the staging build fails, the published HTML stays.
    write_template(tmp_path, "financing", GOOD, title="# Financing")
    with (paths.book / "primer.md").open("a", encoding="utf-8") as f:
        f.write("\nSee {ref}`no-such-label`.\n")
    with pytest.raises(BookBuildError, match=r"(?s)HTML build failed.*no-such-label"):
        pipeline.build(tmp_path, **kwargs)
    assert {p: p.read_bytes() for p in paths.html.rglob("*.html")} == before
    assert not paths.staging.exists()

    (paths.book / "primer.md").write_text("# Primer\n\nNow fixed.\n", encoding="utf-8")
    report = pipeline.build(tmp_path, **kwargs)
    assert report.html == "built"
    assert "Now fixed." in (paths.html / "primer.html").read_text(encoding="utf-8")


def _inodes(html: Path) -> dict[str, int]:
    """The inode of each page (not the theme's static files, copied with their own times)."""
    return {p.relative_to(html).as_posix(): p.stat().st_ino for p in html.rglob("*.html") if "_static" not in p.parts}


def test_an_incremental_build_rewrites_only_the_changed_pages(two_chapters: Paths) -> None:
    """Sphinx's output is kept between builds: one changed notebook rewrites its page, the others
    are published as they were (the same files); a build stopped halfway is followed by a clean one."""
    paths, tmp_path = two_chapters, two_chapters.root
    kwargs = {"entries": [], "templates": [FINANCING, DEADLINES], "echo": lambda s: None, "jobs": JOBS}
    before = _inodes(paths.html)
    assert {"chapters/financing.html", "chapters/deadlines.html", "primer.html"} <= set(before)

    write_template(tmp_path, "financing", 'print("second")', title="# Financing")
    assert pipeline.build(tmp_path, **kwargs).html == "built"
    after = _inodes(paths.html)
    rewritten = {page for page in before if after.get(page) != before[page]}
    # Sphinx writes its index and search pages every time, and the root page, whose toctree lists the page.
    assert "chapters/financing.html" in rewritten
    assert rewritten <= {"chapters/financing.html", "intro.html", "genindex.html", "search.html"}
    assert len(before) - len(rewritten) >= 5  # the other chapter and the reference pages stay as published
    assert "second" in (paths.html / "chapters" / "financing.html").read_text(encoding="utf-8")

    # Sphinx stopped while writing (the marker left behind, a page half written): the next build
    # starts from nothing and writes every page again.
    paths.incomplete.touch()
    (paths.work / "chapters" / "deadlines.html").write_text("half written", encoding="utf-8")
    write_template(tmp_path, "financing", 'print("third")', title="# Financing")
    assert pipeline.build(tmp_path, **kwargs).html == "built"
    again = _inodes(paths.html)
    assert not {page for page in after if again.get(page) == after[page]}
    assert "deadlines" in (paths.html / "chapters" / "deadlines.html").read_text(encoding="utf-8")
    assert not paths.incomplete.exists()


def test_charts_render_chinese_without_warnings_and_reproducibly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from policylib import charts

    monkeypatch.setattr(charts, "_catalogue_jurisdictions", lambda: ["alpha", "beta"])
    charts.JURISDICTION_COLOURS.reload()
    charts.setup()
    assert matplotlib.rcParams["font.sans-serif"][0] == charts.FONT_FAMILY
    images = []
    for name in ("a.png", "b.png"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.bar(["个人缴费", "财政补助"], [-380, 610], color=charts.colour_for("beta"))
            ax.set_title("贵州省 2021 居民医保")
            charts.savefig(fig, tmp_path / name)
            plt.close(fig)
        images.append((tmp_path / name).read_bytes())
    assert images[0] == images[1]
    assert b"Software" not in images[0]

    assert dict(charts.JURISDICTION_COLOURS) == {"alpha": charts.PALETTE[0], "beta": charts.PALETTE[1]}
    assert charts.colour_for("no-such-place") == charts.colour_for("no-such-place")
    assert charts.colour_for("no-such-place") in charts.PALETTE
    charts.JURISDICTION_COLOURS.reload()


def test_an_html_template_is_an_input_of_the_notebooks() -> None:
    """Changing a template the notebooks fill (a chart's figure markup) makes their outputs stale."""
    files = {p.relative_to(REPO).as_posix() for p in pipeline.input_files(REPO)}
    templates = {p.relative_to(REPO).as_posix() for p in (REPO / "policylib" / "data" / "templates").glob("*.html")}
    assert templates and templates <= files


def test_the_pages_of_documents_that_are_gone_leave_the_published_html(two_chapters: Paths) -> None:
    """A notebook dropped from the book loses its published page (Sphinx leaves the old one in its output)."""
    paths = two_chapters
    assert (paths.html / "chapters" / "deadlines.html").is_file()

    pipeline.build(paths.root, entries=[], templates=[FINANCING], echo=lambda s: None, jobs=JOBS)
    assert not (paths.book / "chapters" / "deadlines.ipynb").exists()
    assert not (paths.html / "chapters" / "deadlines.html").exists()
    assert not list((paths.html / "_sources" / "chapters").glob("deadlines.*"))
    assert (paths.html / "chapters" / "financing.html").is_file()


def test_a_source_page_that_is_gone_is_removed_from_sphinx_output(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    (paths.book / "sources").mkdir(parents=True)
    (paths.book / "sources" / "kept-2021.md").write_text("# Kept\n", encoding="utf-8")
    for rel in ("sources/kept-2021.html", "sources/gone-2020.html", "_sources/sources/kept-2021.md",
                "_sources/sources/gone-2020.md", "search.html", "sources.html"):
        (paths.work / rel).parent.mkdir(parents=True, exist_ok=True)
        (paths.work / rel).write_text("x", encoding="utf-8")
    assert pipeline._remove_gone_pages(paths) == ["sources/gone-2020.html"]
    left = sorted(p.relative_to(paths.work).as_posix() for p in paths.work.rglob("*") if p.is_file())
    assert left == ["_sources/sources/kept-2021.md", "search.html", "sources.html", "sources/kept-2021.html"]
