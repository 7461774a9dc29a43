"""The catalogue of rule files: which jurisdiction-years exist, and loading them by name.

A rule file that cannot be loaded makes the catalogue fail (the book is never built without it), unless a
command has called :func:`skip_broken_files`: it is then left out, so that the others still answer, and
:func:`skipped` tells which were left out and why, for the command to warn about.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
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


@cache
def _load_cached(path: Path, mtime_ns: int) -> RuleSet | NationalStandard | Categories:
    model, _ = load(path)
    return model  # type: ignore[return-value]


def load_file(path: Path) -> RuleSet | NationalStandard | Categories:
    """Load a rule file, cached until the file changes; a file that cannot be read raises RuleFileError."""
    path = Path(path)
    try:
        resolved = path.resolve()
        mtime = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise RuleFileError([Problem(path, None, "", f"cannot read file: {exc.strerror}")]) from None
    return _load_cached(resolved, mtime)


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
    path = (directory or rules_dir()) / f"{jurisdiction}-{year}.yaml"
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
        try:
            model = load_file(path)
        except RuleFileError as exc:
            if not _SKIP_BROKEN[0]:
                raise
            _SKIPPED[path] = exc
            continue
        if isinstance(model, NationalStandard):
            year = model.standard_year
        elif isinstance(model, RuleSet):
            year = model.coverage_year
        else:
            continue
        out.append(Entry(model.jurisdiction, year, model.level, model.name_en, model.name_zh, path))
    return sorted(out, key=lambda e: (LEVEL_ORDER[e.level], e.jurisdiction, e.year))


def local_entries(directory: Path | None = None) -> list[Entry]:
    return [e for e in entries(directory) if e.is_local]


def find(jurisdiction: str, year: int, directory: Path | None = None) -> Entry:
    """The entry for a jurisdiction-year, or a LookupError listing what is known (a RuleFileError when its
    file exists but is broken)."""
    require_loadable(jurisdiction, year, directory)
    known = entries(directory)
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
    """National minimum standards, by standard year."""
    models = [load_file(e.path) for e in entries(directory) if not e.is_local]
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
