"""`policylib check`: schema, logic across fields, and provenance of every cited value."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from policylib.catalogue import CATEGORIES_FILE, rule_paths
from policylib.citation import cited_values, shown, verify
from policylib.citation import number_in as number_in  # re-exported for callers of the check
from policylib.crosscheck import category_tree, duplicate_ids, national_name, national_years, stray_files
from policylib.loader import LineMap, Problem, RuleFileError, field_name, load, model_for, read_document, validate
from policylib.model import Amount, AssistedGroup, Categories, Cited, NationalStandard, ResidentClass, RuleSet
from policylib.paths import rules_dir
from policylib.source_check import SOURCE_FILES, check_source, source_directories
from policylib.source_texts import SourceTexts, clean_problems
from policylib.tablecheck import check_table
from policylib.todo import todos_in, without_duplicates

Loc = tuple[str | int, ...]
EVENTS_BY_CIRCUMSTANCE = {
    "newborn": {"born"},
    "employee_lapse": {"lapsed"},
    "veteran": {"discharged"},
    "released_prisoner": {"released"},
    "regular": set(),
    "migrant_worker": set(),
}


@dataclass
class Report:
    """What a check found: problems, and counts of what was verified."""

    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    sources: int = 0
    values: int = 0
    stated: int = 0
    not_stated: int = 0
    citations: int = 0
    numbers: int = 0
    assumed: int = 0
    table_rules: int = 0
    table_not_stated: int = 0
    table_persons: int = 0
    per_file: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (
            f"{self.files} rule files: {self.values} values ({self.stated} stated and cited, "
            f"{self.not_stated} explicitly not stated); {self.citations} citations "
            f"(each in the clause it cites) and {self.numbers} numbers and dates verified against the cleaned "
            f"sources; 0 unverified; "
            f"{self.assumed} values in not-stated fields recorded as interpretations; decision tables: "
            f"{self.table_rules} start rules ({self.table_not_stated} explicitly not stated) tried on "
            f"{self.table_persons:,} persons, no overlap and no gap; "
            f"{self.sources} source directories (meta.yaml, corrections.yaml, clean.txt up to date) valid"
        )


def cited_objects(model: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, Cited]]:
    """Every Cited object in a model tree, with its location."""
    if isinstance(model, Cited):
        yield loc, model
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            if isinstance(item, BaseModel):
                sub = (*loc, name) if index is None else (*loc, name, index)
                yield from cited_objects(item, sub)


def own_values(model: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, object]]:
    """Numbers, dates and month-days held by a cited object itself (not by nested cited objects)."""
    for value_loc, value, _ in cited_values(model, loc):
        yield value_loc, value


def _labels(model: BaseModel) -> dict[Loc, str]:
    """The name of each group and resident class by location: the label of its values in a quote."""
    out: dict[Loc, str] = {}
    for loc, obj in cited_objects(model):
        if isinstance(obj, AssistedGroup | ResidentClass):
            out[loc] = obj.name_zh
    return out


def coverage_years(model: RuleSet | NationalStandard) -> frozenset[int]:
    """The years a rule file speaks about: its coverage year with the year before and the year after."""
    years = {model.coverage_year} if isinstance(model, RuleSet) else {model.standard_year, model.governs_coverage_year}
    return frozenset(y + d for y in years for d in (-1, 0, 1))


def _provenance(model: RuleSet | NationalStandard, lines: LineMap, path: Path, texts: SourceTexts,
                report: Report) -> None:
    counts = report.per_file.setdefault(path.name, {"values": 0, "citations": 0, "not_stated": 0})
    labels = _labels(model)
    years = coverage_years(model)
    for loc, obj in cited_objects(model):
        report.values += 1
        counts["values"] += 1
        if not obj.stated:
            report.not_stated += 1
            counts["not_stated"] += 1
        for index, citation in enumerate(obj.cite):
            source_id = citation.source or model.source
            cite_loc = (*loc, "cite", index)
            text = texts.text(source_id)
            if text is None:
                if texts.exists(source_id):  # a source without clean.txt: reported once, for the source
                    continue
                report.problems.append(
                    Problem(path, lines.line(cite_loc), field_name((*cite_loc, "source")), texts.why_missing(source_id))
                )
                continue
            if citation.quote not in text:
                report.problems.append(
                    Problem(path, lines.line((*cite_loc, "quote")), field_name((*cite_loc, "quote")),
                            f"quote not found verbatim in sources/{source_id}/clean.txt: {citation.quote!r}")
                )
                continue
            wrong_clause = texts.clause_problem(source_id, citation.clause, citation.quote)
            if wrong_clause is not None:
                report.problems.append(
                    Problem(path, lines.line((*cite_loc, "clause")), field_name((*cite_loc, "clause")), wrong_clause)
                )
                continue
            report.citations += 1
            counts["citations"] += 1
        if obj.stated:
            report.stated += 1
        quotes = [c.quote for c in obj.cite]
        label = labels.get(loc, labels.get(loc[:-1]) if isinstance(obj, Amount) else None)
        for value_loc, value, expect in cited_values(obj, loc, label):
            reason = verify(value, quotes, expect, years)
            if reason is None:
                report.numbers += 1
                continue
            if not obj.stated and obj.interpretation is not None:
                report.assumed += 1
                continue
            report.problems.append(
                Problem(path, lines.line(value_loc), field_name(value_loc),
                        f"{shown(value)} does not appear in its citation's quote" + (f" {reason}" if reason else "")
                        + ("" if obj.stated else " (a not-stated value needs an interpretation to carry it)"))
            )


def _logic(model: RuleSet, lines: LineMap, path: Path, known: set[str], report: Report) -> None:
    def problem(loc: Loc, message: str) -> None:
        report.problems.append(Problem(path, lines.line(loc), field_name(loc), message))

    if Path(path).stem != f"{model.jurisdiction}-{model.coverage_year}":
        problem(("jurisdiction",), f"file name should be {model.jurisdiction}-{model.coverage_year}.yaml")
    contribution = model.financing.personal_contribution.amount
    for i, group in enumerate(model.assisted_groups):
        if group.category not in known:
            problem(("assisted_groups", i, "category"), f"unknown category '{group.category}'")
        if contribution is not None and group.amount is not None and group.amount > contribution:
            problem(("assisted_groups", i, "amount"),
                    f"assistance {group.amount} is above the personal contribution {contribution}")
        if group.personal_pays is not None and contribution is not None and group.amount is not None \
                and group.amount + group.personal_pays != contribution:
            problem(("assisted_groups", i, "personal_pays"),
                    f"assistance {group.amount} + personal {group.personal_pays} != contribution {contribution}")
    report.problems.extend(duplicate_ids(model, lines, path))
    for i, group in enumerate(model.excluded_groups):
        if group.category not in known:
            problem(("excluded_groups", i, "category"), f"unknown category '{group.category}'")
    for i, dyn in enumerate(model.enrolment.dynamic_groups):
        for j, cat in enumerate(dyn.categories):
            if cat not in known:
                problem(("enrolment", "dynamic_groups", i, "categories", j), f"unknown category '{cat}'")
    windows = {w.id: w for w in model.enrolment.windows}
    period = model.coverage.period
    if period.start > period.end:
        problem(("coverage", "period"), f"coverage starts {period.start} after it ends {period.end}")
    if period.start.year != model.coverage_year:
        problem(("coverage", "period", "start"), f"coverage period does not start in {model.coverage_year}")
    for i, window in enumerate(model.enrolment.windows):
        if window.end is not None and window.end > period.end:
            problem(("enrolment", "windows", i, "end"), f"window ends {window.end}, after the coverage period")
    for i, rule in enumerate(model.coverage.start_rules):
        for j, cat in enumerate(rule.categories):
            if cat not in known:
                problem(("coverage", "start_rules", i, "categories", j), f"unknown category '{cat}'")
        allowed = EVENTS_BY_CIRCUMSTANCE[rule.circumstance] | {"paid"}
        for j, cond in enumerate(rule.when):
            if cond.window and cond.window not in windows:
                problem(("coverage", "start_rules", i, "when", j, "window"),
                        f"unknown window '{cond.window}'; windows: {', '.join(windows)}")
            elif cond.kind == "recognised_after_window" and windows[cond.window or ""].end is None:
                problem(("coverage", "start_rules", i, "when", j, "window"),
                        f"window '{cond.window}' has no stated end to be recognised after")
            if cond.event and cond.event not in allowed:
                problem(("coverage", "start_rules", i, "when", j, "event"),
                        f"event '{cond.event}' does not belong to circumstance '{rule.circumstance}'")
        if rule.due == "late_payer_total" and not model.financing.late_payer_total.stated:
            problem(("coverage", "start_rules", i, "due"), "due is late_payer_total but the file states none")
        tier = {r.id for r in model.coverage.start_rules if r.circumstance == rule.circumstance and r is not rule}
        for j, other in enumerate(rule.overrides):
            if other not in tier:
                problem(("coverage", "start_rules", i, "overrides", j),
                        f"'{other}' is not another rule of circumstance '{rule.circumstance}'")
    for i, group in enumerate(model.assistance_timing):
        if group.recognised_after_window not in windows:
            problem(("assistance_timing", i, "recognised_after_window"),
                    f"unknown window '{group.recognised_after_window}'; windows: {', '.join(windows)}")
        elif windows[group.recognised_after_window].end is None:
            problem(("assistance_timing", i, "recognised_after_window"),
                    f"window '{group.recognised_after_window}' has no stated end to be recognised after")
        for j, cat in enumerate(group.categories):
            if cat not in known:
                problem(("assistance_timing", i, "categories", j), f"unknown category '{cat}'")


def _decision_table(model: RuleSet, lines: LineMap, path: Path, report: Report) -> None:
    """Every person the start rules can tell apart gets exactly one rule (tablecheck)."""
    found = check_table(model)
    report.table_rules += found.rules
    report.table_not_stated += found.not_stated_rules
    report.table_persons += found.persons
    counts = report.per_file.setdefault(path.name, {})
    counts.update(table_rules=found.rules, table_not_stated=found.not_stated_rules, table_persons=found.persons)
    ids = [r.id for r in model.coverage.start_rules]
    for finding in found.findings:
        loc: Loc = ("coverage", "start_rules", ids.index(finding.rules[0])) if finding.rules else (
            "coverage", "start_rules")
        report.problems.append(Problem(path, lines.line(loc), field_name(loc),
                                       f"decision table {finding.kind}: {finding.describe()}"))


def _check_rule_file(path: Path, known: set[str], texts: SourceTexts, report: Report,
                     nationals: list[tuple[Path, NationalStandard, LineMap]]) -> None:
    """Schema, placeholders, then (once nothing is left to fill) provenance and logic of one file.

    A national file that loads is added to ``nationals``, to be compared with the others by year.
    """
    try:
        data, lines, text = read_document(path)
    except RuleFileError as exc:
        report.problems.extend(exc.problems)
        return
    todos = todos_in(path, text, lines)
    report.problems.extend(todos)
    try:
        model = validate(model_for(path, data), data, lines, path)
    except RuleFileError as exc:
        report.problems.extend(without_duplicates(exc.problems, todos))
        return
    if todos:
        return
    if isinstance(model, RuleSet | NationalStandard):
        _provenance(model, lines, path, texts, report)
    if isinstance(model, NationalStandard):
        report.problems.extend(national_name(model, lines, path))
        nationals.append((path, model, lines))
    if isinstance(model, RuleSet):
        before = len(report.problems)
        _logic(model, lines, path, known, report)
        if len(report.problems) == before:  # the table is tried only on a file whose references hold
            _decision_table(model, lines, path, report)


def _check_sources(directories: list[Path], cited: list[str], report: Report) -> None:
    """Each source directory's files and its clean.txt against what its received text and corrections give;
    the clean.txt of every other cited source as well."""
    for directory in directories:
        problems = check_source(directory)
        if not problems and SourceTexts.exists(directory.name):
            problems = clean_problems(directory.name)
        report.problems.extend(problems)
        report.sources += not problems
    for source_id in sorted(set(cited) - {d.name for d in directories}):
        if SourceTexts.exists(source_id):
            report.problems.extend(clean_problems(source_id))


def _check_categories(path: Path, report: Report) -> set[str]:
    """Problems of a categories file; the ids it defines (none if it cannot be read)."""
    try:
        cats, lines = load(path)
    except RuleFileError as exc:
        report.problems.extend(exc.problems)
        return set()
    if not isinstance(cats, Categories):
        return set()
    report.problems.extend(category_tree(cats, lines, path))
    return {c.id for c in cats.categories}


def check_paths(paths: list[Path] | None = None) -> Report:
    """Check the given rule or source files (by default every rule file and source); never raises.

    A path named ``meta.yaml`` or ``corrections.yaml`` selects its source directory; one named
    ``categories.yaml`` is checked as a categories file. The whole tree's check also reports files under
    rules/ that are not read as rule files.
    """
    directory = rules_dir()
    given = [Path(p) for p in paths or []]
    source_dirs = sorted({p.parent for p in given if p.name in SOURCE_FILES})
    rule_files = [p for p in given if p.name not in SOURCE_FILES]
    report = Report()
    if not given:
        rule_files, source_dirs = rule_paths(directory), source_directories()
        report.problems.extend(stray_files(directory))
    main_categories = directory / CATEGORIES_FILE
    known = _check_categories(main_categories, report) if rule_files else set()
    for path in rule_files:
        if path.name == CATEGORIES_FILE and path.absolute() != main_categories.absolute():
            _check_categories(path, report)
    texts = SourceTexts()
    nationals: list[tuple[Path, NationalStandard, LineMap]] = []
    for path in rule_files:
        if path.name == CATEGORIES_FILE:
            continue
        report.files += 1
        _check_rule_file(path, known, texts, report, nationals)
    report.problems.extend(national_years(nationals))
    _check_sources(source_dirs, texts.requested, report)
    return report
