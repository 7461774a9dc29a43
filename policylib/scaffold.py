"""`policylib new`: skeleton files for a new jurisdiction-year.

Writes ``sources/<id>/`` (received.txt placeholder, meta.yaml, corrections.yaml),
``rules/<id>.yaml`` and ``tests/cases/<id>.yaml`` from the templates in
``policylib/data/new/``. Unknown values are marked ``TODO``: `policylib check` reports each one
by file, line and field until it is filled. The skeleton rule file loads (every value is
``status: not_stated``), so the other jurisdictions stay usable meanwhile.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from policylib.paths import project_root, rules_dir, sources_dir
from policylib.sources import RECEIVED_PLACEHOLDER

JURISDICTION = re.compile(r"^[a-z][a-z0-9]*$")
YEARS = range(2000, 2101)
LEVELS = ("province", "city", "county")


class ScaffoldError(ValueError):
    """The files cannot be laid out (bad name or year, or a file already exists)."""


@dataclass(frozen=True)
class NewJurisdiction:
    """What `policylib new` was asked for."""

    jurisdiction: str
    year: int
    name_zh: str | None = None
    name_en: str | None = None
    level: str | None = None

    @property
    def key(self) -> str:
        return f"{self.jurisdiction}-{self.year}"


def parse_year(text: str) -> int:
    """A coverage year between 2000 and 2100, or ScaffoldError."""
    if not re.fullmatch(r"\d{4}", text) or int(text) not in YEARS:
        raise ScaffoldError(f"year must be between {YEARS.start} and {YEARS.stop - 1}, got {text!r}")
    return int(text)


def check_jurisdiction(name: str) -> str:
    """A lowercase slug (letters and digits, starting with a letter), or ScaffoldError."""
    if not JURISDICTION.fullmatch(name) or name == "national":
        raise ScaffoldError(
            f"jurisdiction must be a lowercase slug of letters a-z and digits starting with a letter "
            f"(not 'national'), got {name!r}"
        )
    return name


def targets(key: str) -> dict[str, Path]:
    """Template name -> file it becomes, for a jurisdiction-year ``key``."""
    source = sources_dir() / key
    return {
        "received.txt.j2": source / "received.txt",
        "meta.yaml.j2": source / "meta.yaml",
        "corrections.yaml.j2": source / "corrections.yaml",
        "rules.yaml.j2": rules_dir() / f"{key}.yaml",
        "cases.yaml.j2": project_root() / "tests" / "cases" / f"{key}.yaml",
    }


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("policylib", "data/new"),
        autoescape=False,  # YAML and text, not HTML: values go through the `q` filter
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    env.filters["q"] = lambda value: json.dumps(str(value), ensure_ascii=False)  # a YAML double-quoted scalar
    return env


def lay_out(request: NewJurisdiction) -> list[Path]:
    """Write the skeleton files; refuse (ScaffoldError) before writing anything if one exists."""
    check_jurisdiction(request.jurisdiction)
    if request.year not in YEARS:
        raise ScaffoldError(f"year must be between {YEARS.start} and {YEARS.stop - 1}, got {request.year}")
    if request.level is not None and request.level not in LEVELS:
        raise ScaffoldError(f"level must be one of {', '.join(LEVELS)}, got {request.level!r}")
    files = targets(request.key)
    existing = [str(path) for path in files.values() if path.exists()]
    if existing:
        raise ScaffoldError(f"{request.key} exists already ({', '.join(existing)}); nothing written")
    env = _environment()
    context = {**vars(request), "key": request.key, "placeholder": RECEIVED_PLACEHOLDER}
    for template, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env.get_template(template).render(context), encoding="utf-8")
    return list(files.values())
