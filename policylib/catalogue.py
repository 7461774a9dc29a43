"""The catalogue of rule files: which jurisdiction-years exist, and loading them by name."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from policylib.loader import load
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
    """Load a rule file, cached until the file changes."""
    path = Path(path).resolve()
    return _load_cached(path, path.stat().st_mtime_ns)


def entries(directory: Path | None = None) -> list[Entry]:
    """All jurisdiction-years: national standards first by year, then local ones by level and name."""
    out = []
    for path in rule_paths(directory):
        model = load_file(path)
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
    """The entry for a jurisdiction-year, or a LookupError listing what is known."""
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
