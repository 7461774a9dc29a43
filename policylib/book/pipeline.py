"""Build the book: execute the notebook templates with papermill, then the HTML with Jupyter Book.

Steps: when nothing a complete build read has changed since it ran (:func:`settled_key`), stop at
once; otherwise generate the introduction, sources, glossary, downloads and rule-file reference
pages when their inputs changed (:mod:`policylib.book.pages`); write ``_config.yml``, ``_toc.yml``,
the index of profiles and any missing placeholder page; execute each notebook whose inputs changed
(in parallel, one kernel per notebook); normalise the executed notebooks so that their bytes depend
only on their inputs; build the HTML with Sphinx's own incremental build in ``book/_build/.work``
and publish it to ``book/_build/html`` only when the build succeeded, without the pages of documents that
are gone (Sphinx keeps them in its output).

Inputs of a notebook: chapters depend on every rule file, cleaned source and library module; a
profile depends on the same less the rule files and sources of the other local jurisdictions (it
keeps its own jurisdiction's other years, the national standards, the categories, every source
its rule files cite and any file the catalogue cannot attribute), plus the list of jurisdictions
in catalogue order (which sets the colours). The input files are grouped by owner once
(:class:`Ownership`), so planning is linear in the number of jurisdiction-years. Every file is
written only when its bytes change.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import copy
import hashlib
import json
import logging
import multiprocessing.util
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from policylib import forkserver
from policylib.anchors import SOURCES_DIR
from policylib.book import sphinx_build
from policylib.book.config import ConfigError, config_path, load_config
from policylib.book.lock import build_lock
from policylib.book.stopping import signals_deferred, stop_trees, worker_signals
from policylib.paths import ENV_HOME, project_root

if TYPE_CHECKING:
    import nbformat

    from policylib.book.kernel import KeptKernel

FORMAT_VERSION = 1
KERNEL_NAME = "python3"
DEFAULT_DAY_COUNT = "civil-code"

GLANCE = "At a glance"
PROFILES = "Jurisdiction profiles"
COMPARISONS = "Comparisons"
TRAINING = "Training"
REFERENCE = "Reference"
PARTS = (GLANCE, PROFILES, COMPARISONS, TRAINING, REFERENCE)

INTRO_PAGE = "intro"
PROFILES_PAGE = "profiles"  # "Every profile": the profiles are its sections, so a sidebar holds one line for them
PROFILES_TITLE = "Every profile"
# written by policylib.book.pages, with one page per source document under sources/ (source_pages)
GENERATED_PAGES = ("intro", "sources", "glossary", "downloads", "schema")
SOURCES_PAGE = "sources"  # its sections are the source documents' pages, as the profiles are PROFILES_PAGE's
REFERENCE_PAGES: dict[str, str] = {
    "primer": "Primer",
    "methods": "Methods",
    "add-jurisdiction": "Adding a jurisdiction",
    "schema": "Rule file reference",
    "regression": "Regression checks",
    "changed": "What changed",
    "glossary": "Glossary",
    "sources": "Sources",
    "downloads": "Downloads",
}

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3",
}
TAG_PARAMETERS = "parameters"
TAG_INJECTED = "injected-parameters"
TAG_FILL = "fill-parameters"
TAG_REMOVE_CELL = "remove-cell"
TAG_HIDE_INPUT = "hide-input"
VISIBILITY_TAGS = frozenset({"remove-cell", "remove-input", "hide-cell", "hide-input", "hide-output"})

HASHES_FILE = ".hashes.json"
DIGEST_FILE = ".book-digest"


@dataclass(frozen=True)
class Template:
    """A notebook template and where its executed copies go.

    ``output`` is a path under ``book/``; for a per-jurisdiction template it is formatted with
    the catalogue entry (``{jurisdiction}``, ``{year}``).
    """

    name: str
    output: str
    part: str
    per_jurisdiction: bool = False


TEMPLATES: tuple[Template, ...] = (
    Template("overview", "chapters/overview.ipynb", GLANCE),
    Template("profile", "profiles/{jurisdiction}-{year}.ipynb", PROFILES, per_jurisdiction=True),
    Template("financing", "chapters/financing.ipynb", COMPARISONS),
    Template("assisted_groups", "chapters/assisted_groups.ipynb", COMPARISONS),
    Template("waiting_periods", "chapters/waiting_periods.ipynb", COMPARISONS),
    Template("deadlines", "chapters/deadlines.ipynb", COMPARISONS),
    Template("changes", "chapters/changes.ipynb", COMPARISONS),
    Template("training", "chapters/training.ipynb", TRAINING),
)
GENERATED_DIRS = ("profiles", "chapters")
# Pages written by policylib.book.pages that sit in a part after its notebooks: page -> (part, title).
PART_PAGES: dict[str, tuple[str, str]] = {"calculator": (TRAINING, "Calculator")}
EXTRA_DIR = "_extra"  # copied as is to the root of the HTML (the calculator's scripts)
FAVICON = "_static/favicon.svg"  # in book/


class EntryLike(Protocol):
    """What the pipeline needs from a catalogue entry."""

    jurisdiction: str
    year: int
    level: str
    name_en: str
    name_zh: str


class BookBuildError(Exception):
    """The build failed; the message says why, for a person to read."""


@dataclass(frozen=True)
class Paths:
    """Locations under a project root."""

    root: Path

    @property
    def book(self) -> Path:
        return self.root / "book"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def build(self) -> Path:
        return self.book / "_build"

    @property
    def html(self) -> Path:
        return self.build / "html"

    @property
    def staging(self) -> Path:
        return self.build / ".staging"

    @property
    def doctrees(self) -> Path:
        return self.build / ".doctrees"

    @property
    def work(self) -> Path:
        """Sphinx's own output directory, kept between builds so that it rewrites only changed pages."""
        return self.build / ".work"

    @property
    def incomplete(self) -> Path:
        """Present while Sphinx writes into :attr:`work`: a build that finds it starts afresh."""
        return self.build / ".incomplete"

    @property
    def previous(self) -> Path:
        return self.build / ".previous"

    @property
    def lock(self) -> Path:
        return self.build / ".lock"

    @property
    def hashes(self) -> Path:
        return self.book / HASHES_FILE

    def template(self, template: Template) -> Path:
        return self.notebooks / f"{template.name}.ipynb"


@dataclass(frozen=True)
class Ownership:
    """Which local jurisdiction each rule file and notice belongs to: what a profile of another leaves out.

    ``rule_files`` maps a rule file (relative to the project root) to its jurisdiction, ``notices``
    a notice (source id) to the jurisdictions whose rule files are based on it, and ``needed`` a
    jurisdiction to the sources its profile reads however owned (those its own rule files and the
    national standards cite). Built once per plan and shared by every profile.
    """

    rule_files: dict[str, str]
    notices: dict[str, frozenset[str]]
    needed: dict[str, frozenset[str]]
    owned: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        owned: dict[str, set[str]] = {}
        for rel, owner in self.rule_files.items():
            owned.setdefault(owner, set()).add(f"rule:{rel}")
        for source, owners in self.notices.items():
            if len(owners) == 1:
                owned.setdefault(next(iter(owners)), set()).add(f"notice:{source}")
        for owner, sources in self.needed.items():
            owned.setdefault(owner, set()).update(f"notice:{s}" for s in sources if s in self.notices)
        object.__setattr__(self, "owned", {owner: frozenset(groups) for owner, groups in owned.items()})

    def group(self, rel: str) -> str:
        """The group of an input file: ``rule:PATH``, ``notice:ID``, or ``""`` for a shared file."""
        if rel in self.rule_files:
            return f"rule:{rel}"
        parts = rel.split("/", 2)
        if len(parts) == 3 and parts[0] == "sources" and parts[1] in self.notices:
            return f"notice:{parts[1]}"
        return ""

    def groups_of(self, jurisdiction: str) -> frozenset[str]:
        """The owned groups a profile of ``jurisdiction`` depends on (besides every shared file)."""
        return self.owned.get(jurisdiction, frozenset())


@dataclass(frozen=True)
class Job:
    """One notebook to produce: a template, its parameters and its output path under book/.

    ``owner`` is the jurisdiction of a profile that depends only on its own jurisdiction's files and
    the shared ones (``ownership`` says which are whose); without it, the notebook depends on every
    input file. ``context`` is further data its digest covers.
    """

    template: Template
    output: str
    parameters: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None
    ownership: Ownership | None = field(default=None, repr=False, compare=False)
    context: tuple[str, ...] = ()

    @property
    def docname(self) -> str:
        return self.output.removesuffix(".ipynb")

    def matches(self, name: str) -> bool:
        """Whether ``--only NAME`` selects this job (template name, output stem or path)."""
        name = name.removeprefix("book/")
        return name in {self.template.name, self.output, self.docname, Path(self.docname).name}


@dataclass
class BuildReport:
    """What a build did."""

    executed: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    html: str = "skipped"


# ---------------------------------------------------------------------------- planning


def load_entries() -> list[EntryLike]:
    """The catalogue's entries (the parameter grid)."""
    from policylib import catalogue

    return list(catalogue.entries())


def _jurisdictions(entries: Sequence[EntryLike]) -> tuple[str, ...]:
    """Distinct jurisdictions in catalogue order (what ``charts.colour_for`` assigns colours by)."""
    return tuple(dict.fromkeys(e.jurisdiction for e in entries))


def ownership(entries: Sequence[EntryLike]) -> Ownership | None:
    """Who owns which rule file and notice; None unless every entry names its rule file (entries from
    :func:`catalogue_entries` do), in which case every profile depends on every input.

    A profile leaves out the rule files of the other local jurisdictions and their notices, unless a
    rule file it depends on (its own jurisdiction's, any year, and the national standards) cites
    them. Shared sources (the Civil Code, the national reprints) are no one's and always kept.
    """
    if not entries or any(getattr(e, "rule_file", None) is None for e in entries):
        return None
    local = [e for e in entries if e.level != "national"]
    national = {s for e in entries if e.level == "national" for s in getattr(e, "sources", ())}
    notices: dict[str, set[str]] = {}
    needed: dict[str, set[str]] = {}
    for e in local:
        source = getattr(e, "source", None)
        if source is not None:
            notices.setdefault(source, set()).add(e.jurisdiction)
        needed.setdefault(e.jurisdiction, set(national)).update(getattr(e, "sources", ()))
    return Ownership(
        rule_files={str(e.rule_file): e.jurisdiction for e in local},
        notices={s: frozenset(owners) for s, owners in notices.items()},
        needed={j: frozenset(s) for j, s in needed.items()},
    )


def plan(entries: Iterable[EntryLike], templates: Sequence[Template] = TEMPLATES) -> list[Job]:
    """Every notebook of the book, in table-of-contents order."""
    entries = list(entries)
    local = [e for e in entries if e.level != "national"]
    jurisdictions = _jurisdictions(entries)
    owners = ownership(entries)
    jobs: list[Job] = []
    for template in templates:
        if not template.per_jurisdiction:
            jobs.append(Job(template, template.output))
            continue
        for entry in local:
            parameters = {"jurisdiction": entry.jurisdiction, "year": entry.year, "day_count": DEFAULT_DAY_COUNT}
            fields = {**parameters, "level": entry.level, "name_en": entry.name_en, "name_zh": entry.name_zh}
            output = template.output.format(jurisdiction=entry.jurisdiction, year=entry.year)
            if owners is None:
                jobs.append(Job(template, output, parameters, fields))
            else:
                jobs.append(Job(template, output, parameters, fields, entry.jurisdiction, owners, jurisdictions))
    seen: set[str] = set()
    duplicates = sorted({job.output for job in jobs if job.output in seen or seen.add(job.output)})
    if duplicates:
        raise BookBuildError(f"two notebooks would be written to the same path: {', '.join(duplicates)}")
    return jobs


def source_pages(root: Path, entries: Sequence[EntryLike]) -> list[str]:
    """The source documents' pages (``sources/<slug>``) that :mod:`policylib.book.pages` writes, in its order:
    the sources under ``root`` with the local entries' notices first."""
    from policylib.anchors import source_page
    from policylib.book.pages import source_order
    from policylib.sources import source_ids

    notices = [getattr(e, "source", None) for e in entries if e.level != "national"]
    return [source_page(s) for s in source_order(source_ids(root / "sources"), notices)]


def toc(jobs: Sequence[Job], sources: Sequence[str] = ()) -> dict[str, Any]:
    """The Jupyter Book table of contents: intro, then one part per kind of page; ``sources`` are the source
    documents' pages (:func:`source_pages`), sections of the Sources page."""
    parts = []
    for caption in PARTS:
        if caption == REFERENCE:
            parts.append({"caption": caption, "chapters": [
                {"file": f, "sections": [{"file": s} for s in sources]} if f == SOURCES_PAGE and sources
                else {"file": f} for f in REFERENCE_PAGES]})
            continue
        files = [job.docname for job in jobs if job.template.part == caption]
        files += [page for page, (part, _) in PART_PAGES.items() if part == caption and files]
        if caption == PROFILES and files:
            parts.append({"caption": caption, "chapters": [
                {"file": PROFILES_PAGE, "sections": [{"file": f} for f in files]}]})
        elif files:
            parts.append({"caption": caption, "chapters": [{"file": f} for f in files]})
    return {"format": "jb-book", "root": INTRO_PAGE, "parts": parts}


def _sphinx_extensions() -> list[str]:
    """Jupyter Book's default Sphinx extensions without ``sphinx_thebe``."""
    from jupyter_book.config import get_default_sphinx_config

    extensions = [e for e in get_default_sphinx_config()["extensions"] if e != "sphinx_thebe"]
    # Titles shown as text by the theme and search; Chinese queries cut into the index's words.
    # The downloads also at downloads/ for the links beside the chapters' tables.
    return [*extensions, "policylib.book.sphinx_escape", "policylib.book.sphinx_search",
            "policylib.book.sphinx_downloads"]


COMPUTED_SPHINX_KEYS = ("extensions", "html_extra_path")  # merged into the hand-written configuration


def book_config(paths: Paths | None = None) -> dict[str, Any]:
    """The Jupyter Book configuration: the project's hand-written ``_config.yml`` (see
    :mod:`policylib.book.config`) with the computed Sphinx settings merged in.

    Computed: ``sphinx.config.extensions`` (Jupyter Book's defaults less ``sphinx_thebe``, plus
    :mod:`policylib.book.sphinx_escape`) and ``sphinx.config.html_extra_path`` (:data:`EXTRA_DIR`).
    """
    root = paths.root if paths is not None else project_root()
    try:
        config = copy.deepcopy(load_config(root))
    except ConfigError as exc:
        raise BookBuildError(str(exc)) from None
    sphinx = config.setdefault("sphinx", {})
    sphinx.setdefault("recursive_update", True)
    settings = sphinx.setdefault("config", {})
    clash = [key for key in COMPUTED_SPHINX_KEYS if key in settings]
    if clash:
        raise BookBuildError(f"{config_path(root)}: {', '.join(clash)} is computed by the pipeline; remove it")
    # No sphinx_thebe: the book has no live code, and it declares THEBE_JS_URL twice per page.
    settings["extensions"] = _sphinx_extensions()
    # Files copied as they are, for the pages that load them (book/_static is loaded by every page).
    settings["html_extra_path"] = [EXTRA_DIR]
    # The tab's icon, where the book has one and the configuration names none: without it, browsers ask for
    # /favicon.ico and are told "not found".
    html = config.get("html") or {}  # ``html:`` with nothing under it is null
    if not (isinstance(html, dict) and html.get("favicon")) and (root / "book" / FAVICON).is_file():
        settings.setdefault("html_favicon", FAVICON)
    return config


def book_title(paths: Paths) -> str:
    """The book's title, from the hand-written ``_config.yml``."""
    try:
        return str(load_config(paths.root).get("title") or "")
    except ConfigError as exc:
        raise BookBuildError(str(exc)) from None


def profiles_page(jobs: Sequence[Job]) -> str:
    """The "Every profile" page: a link to each profile, in table-of-contents order, names as text."""
    from policylib.book.markup import md_text

    lines = ["% Generated by policylib.book.pipeline; edit the pipeline, not this file.", "",
             f"# {PROFILES_TITLE}", "",
             "One page per jurisdiction and coverage year, with every rule of its notice.", ""]
    for job in jobs:
        if job.template.part == PROFILES:
            f = job.fields
            label = f"{f.get('name_zh', '')} ({f.get('name_en', '')}), {f.get('year', '')}"
            lines.append(f"- [{md_text(label)}](<{job.output}>)")
    return "\n".join(lines) + "\n"


def _yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless the file already holds exactly that; say whether it wrote."""
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def write_book_files(
    paths: Paths, jobs: Sequence[Job], *, generated: Iterable[str] = (), sources: Sequence[str] = ()
) -> None:
    """Write ``_config.yml`` and ``_toc.yml`` (with the source documents' pages ``sources``), and a placeholder
    for each missing page.

    Pages named in ``generated`` and the source documents' pages are left to :func:`write_generated_pages`
    (no placeholder).
    """
    header = "# Generated by policylib.book.pipeline; edit the pipeline, not this file.\n"
    config_header = ("# Generated by policylib.book.pipeline from the hand-written ../_config.yml and the computed\n"
                     "# Sphinx extensions; edit ../_config.yml, not this file.\n")
    write_if_changed(paths.book / "_config.yml", config_header + _yaml(book_config(paths)))
    write_if_changed(paths.book / "_toc.yml", header + _yaml(toc(jobs, sources)))
    if any(job.template.part == PROFILES for job in jobs):
        write_if_changed(paths.book / f"{PROFILES_PAGE}.md", profiles_page(jobs))
    written = {INTRO_PAGE: book_title(paths), **REFERENCE_PAGES}
    pages = {name: title for name, title in written.items() if name not in generated}
    pages |= {name: title for name, (_, title) in PART_PAGES.items()}
    (paths.book / EXTRA_DIR).mkdir(parents=True, exist_ok=True)  # html_extra_path must exist
    for name, title in pages.items():
        page = paths.book / f"{name}.md"
        if not page.exists():
            write_if_changed(page, f"# {title}\n")


# ---------------------------------------------------------------------------- hashing


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _combine(digests: dict[str, str]) -> str:
    """One digest of (relative path -> content digest) pairs."""
    h = hashlib.sha256()
    for rel in sorted(digests):
        h.update(rel.encode("utf-8") + b"\0")
        h.update(digests[rel].encode("ascii") + b"\n")
    return h.hexdigest()


def _digest_files(root: Path, files: Iterable[Path]) -> str:
    return _combine({p.relative_to(root).as_posix(): _sha256(p.read_bytes()) for p in files})


SOURCE_FILES = ("clean.txt", "meta.yaml", "corrections.yaml")
# The build's own code: notebooks do not import it (policylib/book/render.py and the like they do).
BUILD_MODULES = frozenset({"__init__.py", "__main__.py", "pipeline.py", "pages.py", "changed_page.py",
                           "sphinx_build.py", "sphinx_escape.py", "lock.py", "stopping.py", "config.py",
                           "sphinx_search.py", "sphinx_downloads.py", "dask_run.py"})


def input_files(root: Path) -> list[Path]:
    """Files the notebooks depend on: rules, sources (cleaned text, metadata, corrections) and the
    library, including the notebooks' helpers in ``policylib/book`` and the HTML templates they fill, but
    not the build code."""
    files = [p for p in (root / "rules").rglob("*") if p.is_file()]
    files += [p for name in SOURCE_FILES for p in (root / "sources").glob(f"*/{name}") if p.is_file()]
    package = root / "policylib"
    for path in package.rglob("*.py"):
        parts = path.relative_to(package).parts
        if not (len(parts) == 2 and parts[0] == "book" and parts[1] in BUILD_MODULES):
            files.append(path)
    files += [p for p in (package / "data" / "templates").rglob("*") if p.is_file()]
    return [p for p in files if "__pycache__" not in p.parts]


def file_digests(root: Path) -> dict[str, str]:
    """Relative path -> content digest of every input file."""
    return {p.relative_to(root).as_posix(): _sha256(p.read_bytes()) for p in input_files(root)}


class InputDigests:
    """The digests of a build's input files grouped once by owner (:class:`Ownership`), so that each
    job's inputs digest costs what its own groups cost, not a pass over every file."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files
        self._all: str | None = None
        self._grouped: dict[int, tuple[Ownership, dict[str, str]]] = {}

    def everything(self) -> str:
        if self._all is None:
            self._all = _combine(self.files)
        return self._all

    def _groups(self, owners: Ownership) -> dict[str, str]:
        known = self._grouped.get(id(owners))
        if known is None or known[0] is not owners:
            members: dict[str, dict[str, str]] = {}
            for rel, digest in self.files.items():
                members.setdefault(owners.group(rel), {})[rel] = digest
            known = (owners, {group: _combine(files) for group, files in members.items()})
            self._grouped[id(owners)] = known
        return known[1]

    def of(self, job: Job) -> str:
        """Digest of the input files ``job`` depends on."""
        if job.owner is None or job.ownership is None:
            return self.everything()
        groups = self._groups(job.ownership)
        wanted = (*job.ownership.groups_of(job.owner), "")
        return _combine({group: groups[group] for group in wanted if group in groups})


def job_inputs(job: Job, digests: dict[str, str]) -> str:
    """Digest of the input files a job depends on (every one, or its owner's and the shared ones)."""
    return InputDigests(digests).of(job)


def job_digest(paths: Paths, job: Job, inputs: str, templates: dict[Path, str] | None = None) -> str:
    """Digest of everything an executed notebook depends on (``inputs``: see :func:`job_inputs`);
    ``templates`` caches the templates' digests across jobs."""
    template = paths.template(job.template)
    templates = {} if templates is None else templates
    if template not in templates:
        templates[template] = _sha256(template.read_bytes())
    record = {
        "format": FORMAT_VERSION,
        "template": templates[template],
        "inputs": inputs,
        "parameters": job.parameters,
        "fields": job.fields,
        "output": job.output,
    }
    if job.context:
        record["context"] = list(job.context)
    return _sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8"))


def planned_digests(root: Path) -> dict[str, str]:
    """Notebook (``book/<output>``) -> the digest a build of the project at ``root`` would record for it now
    (template, parameters and input files), the digest that decides whether it is executed again.

    ``root`` must be the selected project (:data:`policylib.paths.ENV_HOME`). Nothing is written: the
    catalogue's cache in the hash file is neither read nor updated.
    """
    paths = Paths(root)
    inputs = InputDigests(file_digests(root))
    entries = [_cached_entry(_entry_record(entry, root)) for entry in load_entries()]
    templates: dict[Path, str] = {}
    return {f"book/{job.output}": job_digest(paths, job, inputs.of(job), templates) for job in plan(entries)}


def inputs_digest(root: Path) -> str:
    """Digest of all the files the notebooks depend on."""
    return _combine(file_digests(root))


def _read_hashes(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == FORMAT_VERSION else {}


def _load_hashes(path: Path) -> dict[str, dict[str, str]]:
    notebooks = _read_hashes(path).get("notebooks")
    return dict(notebooks) if isinstance(notebooks, dict) else {}


def _update_hashes(path: Path, **sections: Any) -> None:
    """Replace sections of ``book/.hashes.json`` (``notebooks``, ``catalogue``, ``pages``), keeping the others."""
    data = {k: v for k, v in _read_hashes(path).items() if k in ("notebooks", "catalogue", "pages")}
    data.update({k: v for k, v in sections.items() if v is not None})
    data["format"] = FORMAT_VERSION
    if isinstance(data.get("notebooks"), dict):
        data["notebooks"] = dict(sorted(data["notebooks"].items()))
    write_if_changed(path, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def _save_hashes(path: Path, notebooks: dict[str, dict[str, str]], catalogue: dict[str, Any] | None = None) -> None:
    _update_hashes(path, notebooks=notebooks, catalogue=catalogue)


@dataclass(frozen=True)
class CachedEntry:
    """A catalogue entry as remembered in ``book/.hashes.json``, with what its notebooks depend on.

    ``rule_file`` is the rule file's path relative to the project root, ``source`` its notice and
    ``sources`` every source id its citations use.
    """

    jurisdiction: str
    year: int
    level: str
    name_en: str
    name_zh: str
    rule_file: str | None = None
    source: str | None = None
    sources: tuple[str, ...] = ()


_ENTRY_FIELDS = ("jurisdiction", "year", "level", "name_en", "name_zh")


def _entry_record(entry: Any, root: Path) -> dict[str, Any]:
    """What the hash file remembers of a loaded catalogue entry."""
    from policylib import catalogue
    from policylib.check import cited_objects
    from policylib.model import NationalStandard, RuleSet

    record = {k: getattr(entry, k) for k in _ENTRY_FIELDS}
    path = getattr(entry, "path", None)
    if path is None:
        return record
    path = Path(path).resolve()
    try:
        record["rule_file"] = path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return record
    model = catalogue.load_file(path)
    if isinstance(model, RuleSet | NationalStandard):
        cited = {c.source for _, obj in cited_objects(model) for c in obj.cite if c.source}
        record["source"] = model.source
        record["sources"] = sorted({model.source, *cited})
    return record


def _cached_entry(record: dict[str, Any]) -> CachedEntry:
    extra = {}
    if isinstance(record.get("rule_file"), str):
        extra = {
            "rule_file": record["rule_file"],
            "source": record.get("source"),
            "sources": tuple(record.get("sources", ())),
        }
    return CachedEntry(**{k: record[k] for k in _ENTRY_FIELDS}, **extra)


def catalogue_entries(paths: Paths, shared: str) -> list[EntryLike]:
    """The catalogue's entries, reused from the last build when no input file changed."""
    cached = _read_hashes(paths.hashes).get("catalogue")
    if isinstance(cached, dict) and cached.get("inputs") == shared and isinstance(cached.get("entries"), list):
        try:
            return [_cached_entry(e) for e in cached["entries"]]
        except (KeyError, TypeError):
            pass
    try:
        records = [_entry_record(e, paths.root) for e in load_entries()]
    except Exception as exc:
        raise BookBuildError(f"cannot read the catalogue: {type(exc).__name__}: {exc}") from None
    _update_hashes(paths.hashes, catalogue={"inputs": shared, "entries": records})
    return [_cached_entry(r) for r in records]


# ---------------------------------------------------------------------------- generated pages


def generate_pages(paths: Paths) -> bool:
    """Whether the project has a catalogue to generate the pages from (a categories file)."""
    return (paths.root / "rules" / "categories.yaml").is_file()


def _pages_inputs(paths: Paths, digests: dict[str, str]) -> str:
    """Digest of what the generated pages depend on: the inputs, the book code and the title."""
    book_code = {
        f"policylib/book/{name}": _sha256((Path(__file__).parent / name).read_bytes())
        for name in ("pages.py", "pipeline.py", "schema_page.py", "config.py")
    }
    config = _sha256(config_path(paths.root).read_bytes())  # the title and the published address
    return _sha256(f"{FORMAT_VERSION}\n{config}\n{_combine({**digests, **book_code})}".encode())


# The page generator (``python -m policylib.book.pages``) runs in a child of this fork server.
PAGES_SERVER = forkserver.Kept(("policylib.book.pages",))


@dataclass
class PagesRun:
    """A running page generator."""

    child: forkserver.Child
    inputs: str
    started: float


def start_generated_pages(paths: Paths, files: dict[str, str], *, force: bool = False) -> PagesRun | None:
    """Start regenerating the generated pages (:data:`GENERATED_PAGES`) if their inputs changed.

    The generator runs in its own process, alongside the notebooks; returns None when the pages
    are up to date.
    """
    inputs = _pages_inputs(paths, files)
    known = _read_hashes(paths.hashes).get("pages")
    if not force and isinstance(known, dict) and known.get("inputs") == inputs:
        outputs = known.get("outputs", {})
        if isinstance(outputs, dict) and outputs and all(
            (paths.book / rel).is_file() and _sha256((paths.book / rel).read_bytes()) == digest
            for rel, digest in outputs.items()
        ):
            return None
    child = PAGES_SERVER.server().start(
        "policylib.book.pages:main",
        ["policylib.book.pages", str(paths.book), book_title(paths)],
        cwd=paths.root,
        env={**os.environ, ENV_HOME: str(paths.root)},
        nice=5,  # the notebooks are the critical path
    )
    return PagesRun(child, inputs, time.perf_counter())


def finish_generated_pages(paths: Paths, run: PagesRun | None, echo: Callable[[str], None] = print) -> None:
    """Wait for the page generator; record its outputs, or raise BookBuildError saying why it failed."""
    if run is None:
        return
    returncode, out, err = run.child.wait()
    if returncode != 0:
        lines = [line for line in err.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit {returncode}"
        raise BookBuildError(f"cannot generate the book's pages: {reason}")
    written = json.loads(out)
    outputs = {rel: _sha256((paths.book / rel).read_bytes()) for rel in written}
    _update_hashes(paths.hashes, pages={"inputs": run.inputs, "outputs": outputs})
    echo(f"generated pages in {time.perf_counter() - run.started:.1f}s")


def write_generated_pages(
    paths: Paths, files: dict[str, str], *, force: bool = False, echo: Callable[[str], None] = print
) -> None:
    """Regenerate the generated pages now if their inputs changed (files are rewritten only when changed)."""
    finish_generated_pages(paths, start_generated_pages(paths, files, force=force), echo)


# ---------------------------------------------------------------------------- execution


@dataclass(frozen=True)
class Task:
    template: str
    template_label: str
    output: str
    label: str
    parameters: dict[str, Any]
    fields: dict[str, Any]
    cwd: str


@dataclass(frozen=True)
class _Outcome:
    output: str
    seconds: float
    text: str | None = None
    error: str | None = None
    kernels: int = 0  # kernels the executing process had started by then (0: a kernel of its own)


_FIELD = re.compile(r"\{(\w+)\}")


def fill_markdown(nb: nbformat.NotebookNode, fields: dict[str, Any]) -> None:
    """Replace ``{field}`` in markdown cells tagged ``fill-parameters`` (e.g. the page's H1) by the field's
    value as literal markdown text (:func:`policylib.book.markup.md_text`): a name is shown, never parsed."""
    from policylib.book.markup import md_text

    for cell in nb.cells:
        if cell.cell_type == "markdown" and TAG_FILL in cell.metadata.get("tags", []):
            cell.source = _FIELD.sub(lambda m: md_text(fields[m.group(1)]) if m.group(1) in fields else m.group(0),
                                     cell.source)


def injected_cell_id(output: str) -> str:
    """A fixed id for the injected-parameters cell, derived from the output path."""
    return "parameters-" + _sha256(output.encode("utf-8"))[:12]


def normalise(nb: nbformat.NotebookNode, output: str) -> nbformat.NotebookNode:
    """Drop run-specific metadata, fix ids and kernel metadata, and tag cells for the book."""
    nb.metadata.pop("papermill", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = json.loads(json.dumps(LANGUAGE_INFO))
    nb.nbformat, nb.nbformat_minor = 4, 5
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        tags = list(dict.fromkeys(cell.metadata.get("tags", [])))
        if TAG_INJECTED in tags:
            cell.id = injected_cell_id(output)
        if TAG_INJECTED in tags or TAG_PARAMETERS in tags:
            tags.append(TAG_REMOVE_CELL)
        elif cell.cell_type == "code" and not VISIBILITY_TAGS.intersection(tags):
            tags.append(TAG_HIDE_INPUT)
        tags = list(dict.fromkeys(tags))
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
        for out in cell.get("outputs", []):
            out.pop("transient", None)
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook the same way every time."""
    import nbformat

    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()
    return ""


def injected_at(template: nbformat.NotebookNode, parameters: dict[str, Any]) -> int | None:
    """Where papermill inserts the injected-parameters cell: after the cell tagged ``parameters``, else first.

    None when nothing is injected (no parameters).
    """
    if not parameters:
        return None
    for index, cell in enumerate(template.cells):
        if TAG_PARAMETERS in cell.metadata.get("tags", []):
            return index + 1
    return 0


def template_cell(template: nbformat.NotebookNode, parameters: dict[str, Any], index: int | None) -> str:
    """Name the executed notebook's cell ``index`` as the template's cell, counted from 1 as a reader counts.

    The cell papermill injects has no place in the template: it is named by the cell it follows.
    """
    if index is None:
        return "a cell"
    injected = injected_at(template, parameters)
    if injected is not None and index == injected:
        return f"the parameters injected after cell {injected}" if injected else "the parameters injected first"
    if injected is not None and index > injected:
        index -= 1
    return f"cell {index + 1} of {len(template.cells)}"


def _describe_failure(task: Task, where: str, source: str, error: str) -> str:
    params = json.dumps(task.parameters, ensure_ascii=False, sort_keys=True)
    line = _first_line(source)
    first = error.strip().splitlines()[0] if error.strip() else "error"
    return f"{task.label}: {task.template_label} {where} `{line}` raised {first} (parameters {params})"


def find_error(nb: nbformat.NotebookNode) -> tuple[int, str, str] | None:
    """The first cell with an error output: (index, source, "Name: value")."""
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return index, cell.source, f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
    return None


def worker_environment(root: str) -> None:
    """What a process that executes notebooks needs, wherever it runs: the project root, inline
    figures and a fixed hash seed for its kernels, this environment's kernels, papermill's logs quiet."""
    os.environ[ENV_HOME] = root
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    os.environ["PYTHONHASHSEED"] = "0"
    jupyter = str(Path(sys.prefix) / "share" / "jupyter")
    known = os.environ.get("JUPYTER_PATH", "")
    if jupyter not in known.split(os.pathsep):  # set once however many notebooks the process runs
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (jupyter, known) if p)
    logging.getLogger("papermill").setLevel(logging.ERROR)
    logging.getLogger("traitlets").setLevel(logging.ERROR)


def silence_output() -> None:
    """Send this process's standard output and error, and so its kernels', to the null device."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def imports_of(notebooks: Iterable[Path]) -> str:
    """The import statements of the notebooks' code cells (those at a cell's top level), each guarded, as
    code that imports what the notebooks will; a cell that is not plain Python is skipped."""
    import nbformat

    found: dict[str, None] = {}
    for path in notebooks:
        try:
            cells = nbformat.read(path, as_version=4).cells
        except Exception:  # not a notebook (nbformat raises what its JSON makes it raise)
            continue  # the build itself reports a template it cannot read
        for cell in cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and (node.level or node.module == "__future__"):
                    continue  # relative to a package a notebook is not in; a compiler directive, not an import
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    found[ast.unparse(node)] = None
    return "".join(f"try:\n    {statement}\nexcept Exception:\n    pass\n" for statement in found)


# The kernel a pool worker keeps for the notebooks it executes (None in any other process).
_KEPT: KeptKernel | None = None


def _worker_init(root: str, warm: str | None = None) -> None:
    """Per-process set-up of a pool worker: :func:`worker_environment`, kernel noise kept off the
    terminal, signals left to the build (which ends its workers and their kernels itself), and a
    kernel kept for all its notebooks (:mod:`policylib.book.kernel`), stopped when the worker exits.
    With ``warm`` (code: :func:`imports_of` the notebooks), the kernel is started now and runs it."""
    global _KEPT
    worker_signals()
    worker_environment(root)
    silence_output()
    from policylib.book.kernel import KeptKernel

    _KEPT = KeptKernel(KERNEL_NAME)
    multiprocessing.util.Finalize(_KEPT, _KEPT.close, exitpriority=10)
    if warm is not None:
        _KEPT.warm(root, warm)


def _nothing() -> None:
    """A task that does nothing: submitted to start a pool's workers."""


def open_pool(workers: int, root: Path, *, warm: str | None = None) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` notebook workers. With ``warm`` (code: :func:`imports_of` the notebooks), started
    now: each starts its kernel and runs it while the build is still planning. End it with :func:`stop_pool`."""
    pool = cf.ProcessPoolExecutor(max_workers=workers, initializer=_worker_init, initargs=(str(root), warm))
    if warm is not None:
        pool.submit(_nothing)  # the first task starts every worker (a forked pool starts them all at once)
    return pool


def execute(task: Task, kept: KeptKernel | None = None) -> _Outcome:
    """Execute one notebook; return its normalised text or a one-line failure description.

    On ``kept`` (default: the pool worker's kernel, if this process is one), reset before the notebook
    and replaced after a failure; otherwise on a kernel of its own.
    """
    start = time.perf_counter()
    kept = kept if kept is not None else _KEPT
    try:
        import nbformat
        import papermill
        from papermill.exceptions import PapermillExecutionError

        nb = nbformat.read(task.template, as_version=4)
        template = copy.deepcopy(nb)
        fill_markdown(nb, task.fields)
        engine: dict[str, Any] = {}
        if kept is not None:
            from policylib.book.kernel import ENGINE

            kept.prepare(task.cwd)
            engine = {"engine_name": ENGINE, "kept": kept}
        try:
            executed = papermill.execute_notebook(
                nb,
                None,
                parameters=task.parameters or None,
                kernel_name=KERNEL_NAME,
                language="python",
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                cwd=task.cwd,
                **engine,
            )
        except PapermillExecutionError as exc:
            where = template_cell(template, task.parameters, exc.cell_index)
            message = _describe_failure(task, where, exc.source, f"{exc.ename}: {exc.evalue}")
            return _failed(task, start, message, kept)
        found = find_error(executed)
        if found is not None:
            index, source, error = found
            message = _describe_failure(task, template_cell(template, task.parameters, index), source, error)
            return _failed(task, start, message, kept)
        text = dumps(normalise(executed, task.output))
        return _Outcome(task.output, time.perf_counter() - start, text=text, kernels=_started(kept))
    except Exception as exc:
        params = json.dumps(task.parameters, ensure_ascii=False, sort_keys=True)
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        message = f"{task.label} (template {task.template_label}, parameters {params}): {type(exc).__name__}"
        return _failed(task, start, f"{message}: {detail}" if detail else message, kept)


def _started(kept: KeptKernel | None) -> int:
    return kept.started if kept is not None else 0


def _failed(task: Task, start: float, message: str, kept: KeptKernel | None) -> _Outcome:
    """A failure outcome; a kept kernel is stopped, so that the next notebook starts clean."""
    started = _started(kept)
    if kept is not None:
        kept.close()
    return _Outcome(task.output, time.perf_counter() - start, error=message, kernels=started)


def _remove_stale(paths: Paths, jobs: Sequence[Job], hashes: dict[str, dict[str, str]]) -> list[str]:
    planned = {job.output for job in jobs}
    removed = []
    for directory in GENERATED_DIRS:
        for path in sorted((paths.book / directory).glob("*.ipynb")):
            rel = path.relative_to(paths.book).as_posix()
            if rel not in planned:
                path.unlink()
                removed.append(rel)
    for rel in list(hashes):
        if rel not in planned:
            del hashes[rel]
    return removed


def run_tasks(
    tasks: Sequence[Task],
    workers: int,
    root: Path,
    *,
    dask: str | None = None,
    pool: cf.ProcessPoolExecutor | None = None,
) -> Iterator[_Outcome]:
    """Execute tasks in a process pool (``pool``, from :func:`open_pool`, or a new one of ``workers``
    processes), yielding outcomes as they finish; the pool is ended afterwards.

    If the caller stops early (an exception, a signal, the generator closed), the workers and their
    kernels are ended at once rather than left to finish their notebooks. With ``dask`` (a
    scheduler's address, or ``"local"`` for a local cluster of ``workers`` processes) the tasks run
    on Dask distributed instead (:mod:`policylib.book.dask_run`).
    """
    if dask is not None:
        from policylib.book.dask_run import run_on_dask

        yield from run_on_dask(tasks, workers, root, dask)
        return
    if pool is None:
        pool = open_pool(workers, root)
    try:
        futures = [pool.submit(execute, task) for task in tasks]
        for future in cf.as_completed(futures):
            try:
                yield future.result()
            except cf.process.BrokenProcessPool:
                raise BookBuildError("a notebook worker process died; run again with --jobs 1") from None
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown()


def stop_pool(pool: cf.ProcessPoolExecutor) -> None:
    """End a pool's worker processes and everything they started (kernels), and drop its queued tasks."""
    workers = [p.pid for p in (getattr(pool, "_processes", None) or {}).values() if p.pid]
    stop_trees(workers)
    pool.shutdown(wait=False, cancel_futures=True)


def execute_notebooks(
    paths: Paths,
    jobs: Sequence[Job],
    *,
    selected: Sequence[Job] | None = None,
    workers: int | None = None,
    force: bool = False,
    files: dict[str, str] | None = None,
    echo: Callable[[str], None] = print,
    report: BuildReport | None = None,
    dask: str | None = None,
    pool: cf.ProcessPoolExecutor | None = None,
) -> BuildReport:
    """Execute the selected jobs whose inputs changed; raise BookBuildError if any notebook fails.

    ``files`` maps each input file to its content digest (:func:`file_digests`); ``dask``, ``pool``:
    see :func:`run_tasks` (a pool given is ended once its notebooks ran, or at once if none has to).
    """
    report = report or BuildReport()
    selected = list(jobs if selected is None else selected)
    hashes = _load_hashes(paths.hashes)
    if len(selected) == len(jobs):
        report.removed = _remove_stale(paths, jobs, hashes)
    for job in selected:
        if not paths.template(job.template).is_file():
            raise BookBuildError(f"template missing: {paths.template(job.template).relative_to(paths.root)}")
    files = file_digests(paths.root) if files is None else files
    inputs = InputDigests(files)
    templates: dict[Path, str] = {}
    digests = {job.output: job_digest(paths, job, inputs.of(job), templates) for job in selected}
    todo = []
    for job in selected:
        out = paths.book / job.output
        known = hashes.get(job.output, {})
        fresh = (
            not force
            and out.is_file()
            and known.get("inputs") == digests[job.output]
            and known.get("output") == _sha256(out.read_bytes())
        )
        if fresh:
            report.up_to_date.append(job.output)
        else:
            todo.append(job)
    failures: list[str] = []
    tasks: list[Task] = []
    if todo:
        tasks = [
            Task(
                template=str(paths.template(job.template)),
                template_label=paths.template(job.template).relative_to(paths.root).as_posix(),
                output=job.output,
                label=f"book/{job.output}",
                parameters=job.parameters,
                fields=job.fields,
                cwd=str((paths.book / job.output).parent),
            )
            for job in todo
        ]
        for task in tasks:
            Path(task.cwd).mkdir(parents=True, exist_ok=True)
    pool_size = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    if pool is not None and not tasks:
        stop_pool(pool)  # started in case a notebook had to be executed: none has
    running = run_tasks(tasks, pool_size, paths.root, dask=dask, pool=pool) if tasks else None
    try:
        for done, outcome in enumerate(running or (), start=1):
            progress = f"[{done}/{len(todo)}] book/{outcome.output}"
            if outcome.error is not None or outcome.text is None:
                failures.append(outcome.error or f"book/{outcome.output}: no output")
                hashes.pop(outcome.output, None)
                echo(f"{progress} FAILED {outcome.seconds:.1f}s")
                continue
            changed = write_if_changed(paths.book / outcome.output, outcome.text)
            hashes[outcome.output] = {
                "inputs": digests[outcome.output],
                "output": _sha256(outcome.text.encode("utf-8")),
            }
            report.executed.append(outcome.output)
            if changed:
                report.rewritten.append(outcome.output)
            echo(f"{progress} {outcome.seconds:.1f}s{'' if changed else ' (unchanged)'}")
    finally:
        if running is not None:
            running.close()  # ends the workers now if this loop was cut short
        _save_hashes(paths.hashes, hashes)
    if failures:
        raise BookBuildError("notebook execution failed:\n" + "\n".join(f"  {f}" for f in sorted(failures)))
    return report


# ---------------------------------------------------------------------------- html


def book_digest(paths: Paths) -> str:
    """Digest of the book's sources (everything under book/ but the build output and hash file)."""
    import jupyter_book

    files = [
        p
        for p in paths.book.rglob("*")
        if p.is_file()
        and p.relative_to(paths.book).parts[0] != "_build"
        and p.name != HASHES_FILE
        and ".ipynb_checkpoints" not in p.parts
    ]
    return _sha256(f"{jupyter_book.__version__}\n{_digest_files(paths.book, files)}".encode())


def build_html(paths: Paths, *, force: bool = False, echo: Callable[[str], None] = print) -> str:
    """Build the HTML and publish it only if the build succeeded.

    Sphinx writes into :attr:`Paths.work` with its doctrees in :attr:`Paths.doctrees`, both kept
    between builds, so it re-reads and re-writes only the pages whose sources changed. A build that
    failed, or was stopped while Sphinx ran (:attr:`Paths.incomplete` left behind), is followed by
    one from scratch. The result is published by :func:`_stage` and two renames.
    """
    digest = book_digest(paths)
    marker = paths.html / DIGEST_FILE
    published = (paths.html / "index.html").is_file() and marker.is_file()
    if not force and published and marker.read_text(encoding="utf-8").strip() == digest:
        echo("book/_build/html is up to date")
        return "up to date"
    for leftover in (paths.staging, *((paths.work, paths.doctrees) if force or paths.incomplete.exists() else ())):
        shutil.rmtree(leftover, ignore_errors=True)
    paths.build.mkdir(parents=True, exist_ok=True)
    paths.incomplete.touch()
    start = time.perf_counter()
    try:
        returncode, stdout, stderr = sphinx_build.start(paths.book, paths.work, paths.doctrees, cwd=paths.root).wait()
    except BaseException:
        stop_servers()
        raise
    if returncode != 0:
        # Warnings raised while reading a page are not repeated for a cached doctree: start afresh.
        for partial in (paths.work, paths.doctrees):
            shutil.rmtree(partial, ignore_errors=True)
        paths.incomplete.unlink()
        details = "\n".join(line for line in (stderr + stdout).splitlines() if line.strip()).strip()
        raise BookBuildError(
            "HTML build failed; book/_build/html was left as it was.\n" + (details or f"exit {returncode}")
        )
    paths.incomplete.unlink()
    _remove_gone_pages(paths)
    copied = _stage(paths)
    (paths.staging / DIGEST_FILE).write_text(digest + "\n", encoding="utf-8")
    _publish(paths)
    echo(f"book/_build/html built in {time.perf_counter() - start:.1f}s ({copied} files written)")
    return "built"


def stop_servers() -> None:
    """End this process's fork servers (Sphinx, the page generator) and what they run (a stopped or failed
    build, or the end of the process)."""
    for kept in (sphinx_build.SERVER, PAGES_SERVER):
        server = kept.forget()
        if server is not None:
            stop_trees(server.pids())
            server.close()


def _remove_gone_pages(paths: Paths) -> list[str]:
    """Delete from Sphinx's output the pages (and their ``_sources`` copies) of generated documents that are
    gone from book/: profiles, chapters and source documents' pages. Sphinx leaves them; return them."""
    removed = []
    for directory in (*GENERATED_DIRS, SOURCES_DIR):
        for page in sorted((paths.work / directory).glob("*.html")):
            if any((paths.book / directory / f"{page.stem}{suffix}").is_file() for suffix in (".md", ".ipynb")):
                continue
            page.unlink()
            removed.append(page.relative_to(paths.work).as_posix())
            for text in (paths.work / "_sources" / directory).glob(f"{page.stem}.*"):
                text.unlink()
    return removed


def _stage(paths: Paths) -> int:
    """Make the staging directory from Sphinx's output; return how many files were copied.

    A file as published (same size and modification time: Sphinx left it alone) is hard-linked from
    the published HTML, any other is copied, so that Sphinx's next build, which writes its output in
    place, never touches a published file.
    """
    copied = 0
    for folder, _, names in os.walk(paths.work):
        rel = Path(folder).relative_to(paths.work)
        (paths.staging / rel).mkdir(parents=True, exist_ok=True)
        for name in names:
            source, old, target = Path(folder) / name, paths.html / rel / name, paths.staging / rel / name
            stat = source.stat()
            try:
                known = old.stat()
            except OSError:
                known = None
            if known is not None and (known.st_size, known.st_mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                os.link(old, target)
            else:
                shutil.copy2(source, target)
                copied += 1
    return copied


def _publish(paths: Paths) -> None:
    """Swap the staging directory in for the published HTML (the two renames are not cut apart by a signal)."""
    old = paths.previous
    if old.exists():
        shutil.rmtree(old)
    with signals_deferred():
        if paths.html.exists():
            os.rename(paths.html, old)
        os.rename(paths.staging, paths.html)
    shutil.rmtree(old, ignore_errors=True)


def recover(paths: Paths) -> None:
    """Undo what a build that was killed outright left behind (to be called holding the build lock).

    A staging directory is removed; published HTML moved aside but not replaced is put back.
    """
    if paths.staging.exists():
        shutil.rmtree(paths.staging)
    if paths.previous.exists():
        if paths.html.exists():
            shutil.rmtree(paths.previous)
        else:
            os.rename(paths.previous, paths.html)


# ---------------------------------------------------------------------------- nothing changed

SETTLED_FILE = ".settled"  # in book/_build: what the last complete build read and produced
_PACKAGE = Path(__file__).resolve().parents[1]  # the policylib the build and its kernels run


def _tree(top: Path, base: Path, *, skip: Callable[[Path], bool] = lambda p: False) -> dict[str, str]:
    found = {}
    for folder, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if d not in ("__pycache__", ".ipynb_checkpoints") and not skip(Path(folder) / d)]
        for name in names:
            path = Path(folder) / name
            if not skip(path) and not name.endswith(".pyc"):
                found[path.relative_to(base).as_posix()] = _sha256(path.read_bytes())
    return found


def settled_key(paths: Paths) -> str:
    """Digest of everything a complete build reads or writes outside ``book/_build``: the project's input
    files, the notebook templates, the hand-written configuration, the book's sources and hash file,
    the running policylib package and the Jupyter Book version. Cheap: no notebook, Sphinx or catalogue."""
    from importlib.metadata import version

    digests = {f"project/{rel}": d for rel, d in file_digests(paths.root).items()}
    digests |= {f"package/{rel}": d for rel, d in _tree(_PACKAGE, _PACKAGE).items()}
    digests |= {f"templates/{p.name}": _sha256(p.read_bytes()) for p in paths.notebooks.glob("*.ipynb")}
    digests |= {f"book/{rel}": d for rel, d in _tree(paths.book, paths.book, skip=lambda p: p == paths.build).items()}
    digests["config"] = _sha256(config_path(paths.root).read_bytes())
    head = f"{FORMAT_VERSION}\n{version('jupyter-book')}\n{sys.executable}\n"
    return _sha256((head + _combine(digests)).encode("utf-8"))


def _settled(paths: Paths) -> list[str] | None:
    """The notebooks of the last complete build if nothing it read has changed since and its HTML is
    published; None otherwise."""
    marker = paths.build / SETTLED_FILE
    if not marker.is_file() or paths.incomplete.exists() or not (paths.html / DIGEST_FILE).is_file():
        return None
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
        if record.get("key") == settled_key(paths):
            return [str(n) for n in record["notebooks"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def _settle(paths: Paths, report: BuildReport) -> None:
    notebooks = sorted({*report.executed, *report.up_to_date})
    record = {"key": settled_key(paths), "notebooks": notebooks}
    write_if_changed(paths.build / SETTLED_FILE, json.dumps(record) + "\n")


# ---------------------------------------------------------------------------- entry point


def build(
    root: Path | None = None,
    *,
    jobs: int | None = None,
    force: bool = False,
    only: Sequence[str] = (),
    html: bool = True,
    entries: Sequence[EntryLike] | None = None,
    templates: Sequence[Template] | None = None,
    wait: bool = True,
    echo: Callable[[str], None] = print,
    dask: str | None = None,
) -> BuildReport:
    """Run the whole build; raise BookBuildError with a readable message when it fails.

    ``dask``: execute the notebooks on Dask distributed (see :func:`run_tasks`).

    One build of a book runs at a time: another one waits for it, or raises :class:`BuildLocked`
    when ``wait`` is false. A build that stops (an error, SIGTERM, Ctrl-C) ends every process it
    started and leaves the published HTML as it was.
    """
    paths = Paths(Path(root) if root is not None else project_root())
    complete = html and not force and not only and entries is None and templates is None
    with build_lock(paths.lock, wait=wait, echo=echo):
        recover(paths)
        settled = _settled(paths) if complete else None
        if settled is not None:
            echo(f"{len(settled)} notebooks up to date")
            echo("book/_build/html is up to date")
            return BuildReport(up_to_date=settled, html="up to date")
        (paths.build / SETTLED_FILE).unlink(missing_ok=True)
        report = _build(paths, jobs=jobs, force=force, only=only, html=html, entries=entries,
                        templates=TEMPLATES if templates is None else templates, echo=echo, dask=dask)
        if html and not only and entries is None and templates is None:
            _settle(paths, report)
        return report


def _build(
    paths: Paths,
    *,
    jobs: int | None,
    force: bool,
    only: Sequence[str],
    html: bool,
    entries: Sequence[EntryLike] | None,
    templates: Sequence[Template],
    echo: Callable[[str], None],
    dask: str | None = None,
) -> BuildReport:
    files = file_digests(paths.root)
    generated = GENERATED_PAGES if generate_pages(paths) else ()
    # The notebook workers start their kernels, and the page generator its work, while the build plans.
    pool = None
    pages_run = None
    try:
        if dask is None and not only:
            warm = imports_of(paths.template(template) for template in templates)
            pool = open_pool(jobs or os.cpu_count() or 1, paths.root, warm=warm)
        pages_run = start_generated_pages(paths, files, force=force) if generated else None
        if html:
            sphinx_build.SERVER.server()  # imports Sphinx and its extensions while the notebooks execute
        entries = catalogue_entries(paths, _combine(files)) if entries is None else entries
        all_jobs = plan(entries, templates)
        selected = all_jobs
        if only:
            selected = [job for job in all_jobs if any(job.matches(name) for name in only)]
            if not selected:
                raise BookBuildError(f"--only {' '.join(only)} matches no notebook")
        sources = source_pages(paths.root, entries) if generated else []
        write_book_files(paths, all_jobs, generated=generated, sources=sources)
        report = execute_notebooks(
            paths, all_jobs, selected=selected, workers=jobs, force=force, files=files, echo=echo, dask=dask,
            pool=pool,
        )
        finish_generated_pages(paths, pages_run, echo)
        if generated:
            from policylib.book import changed_page

            changed_page.write(paths.root)  # compares the executed notebooks with the previous release
    except BaseException:
        stop_servers()
        raise
    finally:
        if pool is not None:
            stop_pool(pool)  # ended already unless the build stopped before its notebooks ran
    if not report.executed and report.up_to_date:
        echo(f"{len(report.up_to_date)} notebooks up to date")
    for rel in report.removed:
        echo(f"removed stale book/{rel}")
    if html:
        report.html = build_html(paths, force=force, echo=echo)
    return report
