"""The catalogue of rule files: which jurisdiction-years exist, and loading them by name.

A rule file that cannot be loaded makes the catalogue fail (the book is never built without it), unless a
command has called :func:`skip_broken_files`: it is then left out, so that the others still answer, and
:func:`skipped` tells which were left out and why, for the command to warn about.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path

from policylib.loader import Problem, RuleFileError, load
from policylib.model import Categories, NationalStandard, RuleSet
from policylib.paths import rules_dir

CATEGORIES_FILE = "categories.yaml"
LEVEL_ORDER = {"national": 0, "province": 1, "city": 2, "county": 3}


@dataclass(frozen=True)
class Entry:
    """One jurisdiction-year known to the project."""

    jurisdiction: str
    year: int
    level: str
    name_en: str
    name_zh: str
    path: Path

    @property
    def key(self) -> str:
        return f"{self.jurisdiction}-{self.year}"

    @property
    def is_local(self) -> bool:
        return self.level != "national"


def rule_paths(directory: Path | None = None) -> list[Path]:
    """Every rule file (not the categories file), sorted by name."""
    directory = directory or rules_dir()
    return sorted(p for p in directory.glob("*.yaml") if p.name != CATEGORIES_FILE)


Model = RuleSet | NationalStandard | Categories
_MODELS: dict[str, tuple[tuple[int, int, int, int], Model, Entry | None]] = {}


def _loaded(path: Path) -> tuple[Model, Entry | None]:
    """A rule file's model and catalogue entry, parsed and validated once and reused until the file's name,
    identity, modification time or size changes."""
    name = os.path.abspath(path)
    try:
        info = os.stat(name)
    except OSError as exc:
        raise RuleFileError([Problem(Path(path), None, "", f"cannot read file: {exc.strerror}")]) from None
    signature = (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)
    cached = _MODELS.get(name)
    if cached is not None and cached[0] == signature:
        return cached[1], cached[2]
    model, _ = load(Path(path).resolve())
    entry = _entry(model, Path(name))  # type: ignore[arg-type]
    _MODELS[name] = (signature, model, entry)  # type: ignore[assignment]
    return model, entry  # type: ignore[return-value]


def load_file(path: Path) -> Model:
    """Load a rule file, parsed and validated once and reused until the file changes; a file that cannot be
    read raises RuleFileError."""
    return _loaded(path)[0]


_SKIPPED: dict[Path, RuleFileError] = {}
_SKIP_BROKEN = [False]


def skip_broken_files(skip: bool = True) -> None:
    """Leave broken rule files out of :func:`entries` (recorded in :func:`skipped`) instead of failing."""
    _SKIP_BROKEN[0] = skip


def skipped() -> dict[Path, RuleFileError]:
    """Rule files left out of the catalogue because they cannot be loaded, with their problems."""
    return dict(_SKIPPED)


def skipped_warnings() -> list[str]:
    """One line per rule file left out of the catalogue: the file and its first problem."""
    lines = []
    for path, error in sorted(_SKIPPED.items()):
        first = error.problems[0] if error.problems else path
        more = f" (and {len(error.problems) - 1} more)" if len(error.problems) > 1 else ""
        lines.append(f"warning: skipped a broken rule file: {first}{more}; run `policylib check {path}`")
    return lines


def require_loadable(jurisdiction: str, year: int, directory: Path | None = None) -> None:
    """Raise a one-problem RuleFileError if the file named after a jurisdiction-year exists but cannot be
    loaded: its first problem, and how many more ``policylib check`` will show."""
    path = path_for(jurisdiction, year, directory)
    if not (path.exists() or path.is_symlink()):
        return
    try:
        load_file(path)
    except RuleFileError as exc:
        first = exc.problems[0] if exc.problems else Problem(path, None, "", "cannot be loaded")
        more = len(exc.problems) - 1
        note = f" (and {more} more problem(s))" if more else ""
        raise RuleFileError([Problem(first.path, first.line, first.field,
                                     f"{first.message}{note}; the rule file cannot be used until "
                                     "`policylib check` passes")]) from None


def entries(directory: Path | None = None) -> list[Entry]:
    """All jurisdiction-years: national standards first by year, then local ones by level and name.

    A file that cannot be loaded raises RuleFileError, or after :func:`skip_broken_files` is left out and
    recorded in :func:`skipped`.
    """
    out = []
    for path in rule_paths(directory):
        loaded = _loaded_or_skipped(path)
        if loaded is not None and loaded[1] is not None:
            out.append(loaded[1])
    return sorted(out, key=lambda e: (LEVEL_ORDER[e.level], e.jurisdiction, e.year))


def _loaded_or_skipped(path: Path) -> tuple[Model, Entry | None] | None:
    """:func:`_loaded`, or None for a broken file while broken files are skipped (it is then recorded)."""
    try:
        return _loaded(path)
    except RuleFileError as exc:
        if not _SKIP_BROKEN[0]:
            raise
        _SKIPPED[path] = exc
        return None


def _entry(model: RuleSet | NationalStandard | Categories, path: Path) -> Entry | None:
    if isinstance(model, NationalStandard):
        year = model.standard_year
    elif isinstance(model, RuleSet):
        year = model.coverage_year
    else:
        return None
    return Entry(model.jurisdiction, year, model.level, model.name_en, model.name_zh, path)


def path_for(jurisdiction: str, year: int, directory: Path | None = None) -> Path:
    """Where the rule file of a jurisdiction-year is (``rules/<jurisdiction>-<year>.yaml``)."""
    return (directory or rules_dir()) / f"{jurisdiction}-{year}.yaml"


def _direct(jurisdiction: str, year: int, directory: Path | None) -> Entry | None:
    """The entry read straight from the file named after the jurisdiction-year, when it holds it."""
    path = path_for(jurisdiction, year, directory)
    if not path.is_file():
        return None
    try:
        entry = _entry(load_file(path), path)
    except RuleFileError:
        return None
    return entry if entry is not None and (entry.jurisdiction, entry.year) == (jurisdiction, year) else None


def local_entries(directory: Path | None = None) -> list[Entry]:
    return [e for e in entries(directory) if e.is_local]


def find(jurisdiction: str, year: int, directory: Path | None = None) -> Entry:
    """The entry for a jurisdiction-year, or a LookupError listing what is known (a RuleFileError when its
    file exists but is broken)."""
    require_loadable(jurisdiction, year, directory)
    direct = _direct(jurisdiction, year, directory)
    if direct is not None:
        return direct
    known = entries(directory)  # a file named otherwise, or none: the whole catalogue tells
    for entry in known:
        if entry.jurisdiction == jurisdiction and entry.year == year:
            return entry
    names = ", ".join(f"{e.jurisdiction} {e.year}" for e in known)
    raise LookupError(f"no rules for {jurisdiction} {year}; known: {names}")


def rules(jurisdiction: str, year: int, directory: Path | None = None) -> RuleSet:
    """The local rule set for a jurisdiction-year."""
    model = load_file(find(jurisdiction, year, directory).path)
    if not isinstance(model, RuleSet):
        raise LookupError(f"{jurisdiction} {year} is a national standard, not a local rule set")
    return model


def national_standards(directory: Path | None = None) -> list[NationalStandard]:
    """National minimum standards (the files ``national-<year>.yaml``), by standard year."""
    models = []
    for path in sorted((directory or rules_dir()).glob("national-*.yaml")):
        loaded = _loaded_or_skipped(path)
        if loaded is not None:
            models.append(loaded[0])
    return sorted((m for m in models if isinstance(m, NationalStandard)), key=lambda m: m.standard_year)


def national_for(coverage_year: int, directory: Path | None = None) -> NationalStandard | None:
    """The national standard that governs a local coverage year, if the project has it."""
    for standard in national_standards(directory):
        if standard.governs_coverage_year == coverage_year:
            return standard
    return None


def categories(directory: Path | None = None) -> Categories:
    path = (directory or rules_dir()) / CATEGORIES_FILE
    model = load_file(path)
    if not isinstance(model, Categories):
        raise LookupError(f"{path} is not a categories file")
    return model


def shared_signature(directory: Path | None = None) -> str:
    """What tells apart versions of the files every local jurisdiction-year is read with (the categories and
    the national standards): their names, modification times and sizes."""
    directory = directory or rules_dir()
    parts = []
    for path in [directory / CATEGORIES_FILE, *sorted(directory.glob("national-*.yaml"))]:
        try:
            info = path.stat()
        except OSError:
            continue
        parts.append(f"{path.name}:{info.st_mtime_ns}:{info.st_size}")
    return f"{directory}|" + ";".join(parts)


def skipping_broken() -> bool:
    """Whether broken rule files are left out of the catalogue (see :func:`skip_broken_files`)."""
    return _SKIP_BROKEN[0]


def years_of(jurisdiction: str, before: int | None = None, directory: Path | None = None) -> list[int]:
    """The years with a rule file named after the jurisdiction (``<jurisdiction>-<year>.yaml``), earliest
    first; with ``before``, only earlier years. Files are not read."""
    directory = directory or rules_dir()
    pattern = re.compile(rf"{re.escape(jurisdiction)}-(\d{{4}})\.yaml")
    years = sorted(int(m.group(1)) for p in directory.glob(f"{glob.escape(jurisdiction)}-*.yaml")
                   if (m := pattern.fullmatch(p.name)))
    return [y for y in years if before is None or y < before]
