"""Checks across the parts of a file and across files: unique ids, the categories' tree, national files by
year, and files under rules/ that are not rule files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from policylib.loader import LineMap, Loc, Problem, field_name
from policylib.model import Categories, NationalStandard

RULE_SUFFIX = ".yaml"
# What the items of a list with ids are called in messages, by the list's field name.
ITEM_NAMES = {
    "assisted_groups": "group",
    "start_rules": "start rule",
    "windows": "window",
    "extensions": "extension",
    "refunds": "provision",
    "reporting": "provision",
    "milestones": "milestone",
    "targets": "target",
    "resident_classes": "resident class",
    "categories": "category",
}


def _lists_with_ids(model: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, list[BaseModel]]]:
    """Every list of models with an ``id`` in a model tree, with its location."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _lists_with_ids(value, (*loc, name))
        elif isinstance(value, list):
            models = [item for item in value if isinstance(item, BaseModel)]
            if models and all("id" in type(item).model_fields for item in models):
                yield (*loc, name), models
            for index, item in enumerate(models):
                yield from _lists_with_ids(item, (*loc, name, index))


def duplicate_ids(model: BaseModel, lines: LineMap, path: Path) -> list[Problem]:
    """An id given twice in one list (two windows called ``main``), at the second one."""
    problems = []
    for loc, items in _lists_with_ids(model):
        first: dict[str, int] = {}
        what = ITEM_NAMES.get(str(loc[-1]), "item")
        for index, item in enumerate(items):
            item_id = item.id  # type: ignore[attr-defined]
            if item_id in first:
                where = (*loc, index, "id")
                problems.append(Problem(path, lines.line(where), field_name(where),
                                        f"{what} id '{item_id}' used twice (first at "
                                        f"{field_name((*loc, first[item_id]))})"))
            else:
                first[item_id] = index
    return problems


def category_tree(model: Categories, lines: LineMap, path: Path) -> list[Problem]:
    """Each category once; each parent a category of the file, other than the category itself."""
    problems = duplicate_ids(model, lines, path)
    known = {c.id for c in model.categories}
    for index, category in enumerate(model.categories):
        loc = ("categories", index, "parent")
        if category.parent is None:
            continue
        if category.parent == category.id:
            problems.append(Problem(path, lines.line(loc), field_name(loc), "a category cannot be its own parent"))
        elif category.parent not in known:
            problems.append(Problem(path, lines.line(loc), field_name(loc),
                                    f"unknown parent '{category.parent}': not a category of this file"))
    return problems


def national_name(model: NationalStandard, lines: LineMap, path: Path) -> list[Problem]:
    """A national file is named after its standard year."""
    expected = f"national-{model.standard_year}"
    if path.stem == expected:
        return []
    return [Problem(path, lines.line(("standard_year",)), "standard_year",
                    f"standard year {model.standard_year} disagrees with the file name: "
                    f"the file should be {expected}.yaml")]


def national_years(found: list[tuple[Path, NationalStandard, LineMap]]) -> list[Problem]:
    """No two national files of one folder for one standard year, nor for one governed coverage year."""
    problems = []
    for field in ("standard_year", "governs_coverage_year"):
        seen: dict[tuple[Path, int], Path] = {}
        for path, model, lines in sorted(found, key=lambda item: item[0].name):
            year = (path.parent.absolute(), getattr(model, field))
            if year in seen:
                problems.append(Problem(path, lines.line((field,)), field,
                                        f"{field.replace('_', ' ')} {year[1]} is also given by {seen[year].name}: "
                                        "one national file per year"))
            else:
                seen[year] = path
    return problems


def stray_files(directory: Path) -> list[Problem]:
    """Files under rules/ that are not read as rule files: another suffix, or in a sub-folder."""
    problems = []
    if not directory.is_dir():
        return problems
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if any(part.startswith(".") for part in relative.parts) or path.is_dir():
            continue
        if len(relative.parts) > 1:
            problems.append(Problem(path, None, "", f"not read: rule files stand directly in {directory.name}/, "
                                    "not in a sub-folder"))
        elif path.suffix != RULE_SUFFIX:
            problems.append(Problem(path, None, "", f"not read: a rule file's name ends in {RULE_SUFFIX}"))
    return problems
