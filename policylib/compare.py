"""Comparison tables across jurisdiction-years, for the book and for export.

Every table iterates over the catalogue, so a new rule file appears in every table without code
changes. Each figure row carries its citation (``source``, ``clause`` and ``anchor``, the HTML
anchor of the clause on its source's page in the book, :mod:`policylib.anchors`). What a notice does
not state stays missing (``<NA>``/``NaT``) and is labelled ``not stated`` in a status column; it is
never filled.

A table of jurisdiction-years takes ``keys`` (``(jurisdiction, year)`` pairs) to give those rows only,
reading only their rule files (a profile page asks for its own). The rows of a rule file are worked out once
per distinct content (less the names of its jurisdiction) and per version of the national standards and
categories, so every table grows linearly with the number of jurisdiction-years.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import chinese_calendar
import pandas as pd
from pydantic import BaseModel

from policylib import catalogue, datadict, daycount, engine, national, tablecheck, wording
from policylib.anchors import anchor, clause_link, clause_url
from policylib.check import cited_objects
from policylib.datadict import Version
from policylib.loader import RuleFileError
from policylib.model import PERSON_CONDITIONS, Amount, Cited, Condition, NationalStandard, RuleSet, Start, StartRule
from policylib.summary import HELP_GLOSS
from policylib.wording import person_words

__all__ = [
    "CHANGE_COLUMNS",
    "CIRCUMSTANCE_GLOSS",
    "FINANCING_FIGURES",
    "PAYER_GLOSS",
    "anchor",
    "assisted_matrix",
    "assisted_pivot",
    "calendar_events",
    "changes",
    "clause_link",
    "condition_words",
    "coverage_start_series",
    "day_flags",
    "export_all",
    "financing_table",
    "local_changes",
    "national_changes",
    "national_series",
    "rules_json",
    "start_rules_table",
    "start_words",
    "table_names",
    "unstated",
    "with_urls",
]

NOT_STATED = wording.NOT_STATED
NO_RULE = "no rule stated"
FALLBACK = "as for ordinary residents"
FINANCING_FIGURES = ("personal_contribution", "fiscal_subsidy", "late_payer_total", "critical_illness_funding")

CIRCUMSTANCE_GLOSS = {
    "regular": "ordinary resident (普通居民)",
    "newborn": "newborn (新生儿)",
    "employee_lapse": "lapse in employee insurance (职工医保中断缴费)",
    "veteran": "discharged from active service (退出现役)",
    "released_prisoner": "released from prison (刑满释放)",
    "migrant_worker": "migrant worker (外出务工人员)",
}
PAYER_GLOSS = {
    "medical_assistance_fund": "medical assistance fund (医疗救助基金)",
    "medical_assistance_or_finance": "medical assistance fund or public finance (医疗救助基金或财政资金)",
    "government_shared": "shared between levels of government (各级政府分担)",
    "county_finance": "county finance (县级财政)",
    "department_funds": "special funds of the departments concerned (相关部门专项资金)",
    "not_stated": NOT_STATED,
}
MULTIPLE_GLOSS = {
    "highest_only": "highest single help only, no stacking (就高不就低)",
    "not_stated": NOT_STATED,
}
EVENT_WORDS = {
    "born": "birth",
    "lapsed": "the lapse in employee insurance contributions",
    "discharged": "discharge from active service",
    "released": "release from prison",
    "paid": "payment",
    "recognised": "recognition as a member of the group (身份认定)",
}
DUE_GLOSS = {
    "standard": "personal contribution less assistance (个人缴费)",
    "personal_contribution": "full personal contribution, no assistance (个人缴费标准)",
    "late_payer_total": "personal contribution plus government subsidy (个人缴费和政府补助之和)",
    "not_stated": NOT_STATED,
}
CHANGE_COLUMNS = [
    "scope", "jurisdiction", "name_en", "from_year", "to_year", "field",
    "before", "after", "delta", "source", "clause", "anchor",
]
_SKIP_IN_CHANGES = {"cite", "note", "interpretation", "refers_to", "schema_version", "coverage_year", "source"}

# --------------------------------------------------------------------------- citations


def _cite(value: Cited | None, default_source: str) -> dict[str, str | None]:
    """``source``, ``clause`` and ``anchor`` of a value's first citation (clause NA without one)."""
    if value is None or not value.cite:
        return {"source": default_source, "clause": None, "anchor": None}
    first = value.cite[0]
    source = first.source or default_source
    return {"source": source, "clause": first.clause, "anchor": anchor(source, first.clause)}


def _status(value: Cited) -> str:
    """``stated``, or ``not stated`` with the document the notice refers to."""
    if value.stated:
        return "stated"
    return f"{NOT_STATED} (refers to {value.refers_to})" if value.refers_to else NOT_STATED


# --------------------------------------------------------------------------- helpers


Key = tuple[str, int]
_ROWS: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
_CONTENT: dict[int, tuple[RuleSet, str]] = {}
_MAX_CACHED = 100_000


def _local(keys: Iterable[Key] | None = None) -> list[RuleSet]:
    """The local rule sets in catalogue order: every one, or those of the jurisdiction-years in ``keys``
    (``(jurisdiction, year)`` pairs), each read straight from its own file."""
    if keys is None:
        models = [catalogue.load_file(e.path) for e in catalogue.local_entries()]
        return [m for m in models if isinstance(m, RuleSet)]
    found = [catalogue.rules(j, int(y)) for j, y in dict.fromkeys((str(j), int(y)) for j, y in keys)]
    return sorted(found, key=lambda r: (catalogue.LEVEL_ORDER[r.level], r.jurisdiction, r.coverage_year))


def _content(rules: RuleSet) -> str:
    """The content of a rule set less the names of its jurisdiction (computed once per loaded model)."""
    held = _CONTENT.get(id(rules))
    if held is None or held[0] is not rules:
        if len(_CONTENT) > _MAX_CACHED:
            _CONTENT.clear()
        held = _CONTENT[id(rules)] = (rules, tablecheck.content_key(rules))
    return held[1]


def _context() -> str:
    """What every table row may read besides its own rule file: the national standards and the categories."""
    return catalogue.shared_signature()


def _rows_of(table: str, rules: RuleSet, make: Callable[[RuleSet], list[dict[str, Any]]],
             context: str, **ident: Any) -> list[dict[str, Any]]:
    """``make(rules)``, worked out once per distinct rule content (two files that differ only in the names
    of their jurisdiction give the same rows), with the rule set's own jurisdiction, year and label."""
    key = (table, _content(rules), context)
    rows = _ROWS.get(key)
    if rows is None:
        if len(_ROWS) > _MAX_CACHED:
            _ROWS.clear()
        rows = _ROWS[key] = make(rules)
    own = {**_ident(rules), **ident}
    return [{**row, **own} for row in rows]


def _label(rules: RuleSet) -> str:
    return f"{rules.name_en} {rules.coverage_year}"


def _ident(rules: RuleSet) -> dict[str, Any]:
    return {"jurisdiction": rules.jurisdiction, "year": rules.coverage_year, "label": _label(rules)}


def _frame(rows: list[dict[str, Any]], columns: list[str], ints: tuple[str, ...] = (),
           dates: tuple[str, ...] = (), objects: tuple[str, ...] = ()) -> pd.DataFrame:
    """A DataFrame with nullable integers, datetimes, and object columns that keep None."""
    df = pd.DataFrame(rows, columns=columns)
    for col in ints:
        df[col] = pd.array(df[col].tolist(), dtype="Int64")
    for col in dates:
        df[col] = pd.to_datetime(pd.Series(df[col].tolist(), dtype=object))
    for col in objects:
        df[col] = pd.Series(df[col].tolist(), dtype=object, index=df.index)
    return df


def _amount(value: Amount) -> int | None:
    return value.amount if value.stated else None


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit if n != 1 else unit.rstrip('s')}"


# --------------------------------------------------------------------------- financing


def financing_table(keys: Iterable[Key] | None = None) -> pd.DataFrame:
    """One row per local jurisdiction-year: financing figures beside the governing national standard.

    Each figure has ``<figure>``, ``<figure>_status``, ``<figure>_clause`` and ``<figure>_anchor``; the row's
    ``clause``/``anchor`` cite the personal contribution. ``subsidy_meets_national`` compares the local
    subsidy (or its floor) with the national minimum: True/False, None when either is missing. ``keys``
    (``(jurisdiction, year)`` pairs) gives the rows of those jurisdiction-years only.
    """
    context = _context()
    rows = [row for rules in _local(keys)
            for row in _rows_of("financing", rules, _financing_row, context, name_zh=rules.name_zh)]
    columns = [
        "jurisdiction", "year", "label", "name_zh", "level", "source", "clause", "anchor",
        *[f"{n}{s}" for n in FINANCING_FIGURES for s in ("", "_at_least", "_status", "_clause", "_anchor")],
        "subsidy_split", "subsidy_split_status",
        "national_standard_year", "national_document", "national_document_seen", "national_subsidy_min",
        "national_personal_standard", "national_source", "national_clause", "national_anchor",
        "subsidy_meets_national", "subsidy_difference", "personal_difference",
    ]
    ints = (*FINANCING_FIGURES, "national_standard_year", "national_subsidy_min", "national_personal_standard",
            "subsidy_difference", "personal_difference")
    return _frame(rows, columns, ints=ints, objects=("subsidy_meets_national", "national_document_seen"))


def _financing_row(rules: RuleSet) -> list[dict[str, Any]]:
    fin = rules.financing
    row: dict[str, Any] = {**_ident(rules), "name_zh": rules.name_zh, "level": rules.level}
    row.update(_cite(fin.personal_contribution, rules.source))
    for name in FINANCING_FIGURES:
        value: Amount = getattr(fin, name)
        row[name] = _amount(value)
        row[f"{name}_at_least"] = value.at_least
        row[f"{name}_status"] = _status(value)
        cite = _cite(value, rules.source)
        row[f"{name}_clause"], row[f"{name}_anchor"] = cite["clause"], cite["anchor"]
    split = fin.subsidy_split
    row["subsidy_split"] = (", ".join(f"{s.level} {s.amount if s.amount is not None else s.ratio}"
                                      for s in split.shares) if split.stated else None)
    row["subsidy_split_status"] = _status(split)
    national = catalogue.national_for(rules.coverage_year)
    n_sub = _amount(national.financing.fiscal_subsidy) if national else None
    n_pers = _amount(national.financing.personal_contribution) if national else None
    n_cite = _cite(national.financing.fiscal_subsidy if national else None, national.source if national else "")
    row.update({
        "national_standard_year": national.standard_year if national else None,
        "national_document": national.document if national else None,
        "national_document_seen": national.document_seen if national else None,
        "national_subsidy_min": n_sub,
        "national_personal_standard": n_pers,
        "national_source": n_cite["source"] if national else None,
        "national_clause": n_cite["clause"],
        "national_anchor": n_cite["anchor"],
    })
    sub = row["fiscal_subsidy"]
    comparable = sub is not None and n_sub is not None
    row["subsidy_meets_national"] = (sub >= n_sub) if comparable else None
    row["subsidy_difference"] = sub - n_sub if comparable else None
    pers = row["personal_contribution"]
    row["personal_difference"] = pers - n_pers if pers is not None and n_pers is not None else None
    return [row]


def national_series() -> pd.DataFrame:
    """The national minimum standards by year, with the coverage year each governs."""
    rows = []
    for std in catalogue.national_standards():
        fin = std.financing
        cite = _cite(fin.fiscal_subsidy, std.source)
        pcite = _cite(fin.personal_contribution, std.source)
        rows.append({
            "standard_year": std.standard_year,
            "governs_coverage_year": std.governs_coverage_year,
            "subsidy_min": _amount(fin.fiscal_subsidy),
            "subsidy_at_least": fin.fiscal_subsidy.at_least,
            "personal_standard": _amount(fin.personal_contribution),
            "personal_at_least": fin.personal_contribution.at_least,
            "personal_note": fin.personal_contribution.note,
            "document": std.document,
            "document_seen": std.document_seen,
            **cite,
            "personal_clause": pcite["clause"],
            "personal_anchor": pcite["anchor"],
        })
    columns = ["standard_year", "governs_coverage_year", "subsidy_min", "subsidy_at_least", "personal_standard",
               "personal_at_least", "personal_note", "document", "document_seen", "source", "clause", "anchor",
               "personal_clause", "personal_anchor"]
    return _frame(rows, columns, ints=("subsidy_min", "personal_standard"))


# --------------------------------------------------------------------------- assisted groups


def _category_labels() -> dict[str, tuple[str, str, str]]:
    """Canonical category id -> (name_zh, gloss, label: the Chinese name), in file order."""
    return {c.id: (c.name_zh, c.gloss, c.name_zh) for c in catalogue.categories().categories}


ASSISTED_COLUMNS = [
    "category", "category_zh", "category_gloss", "category_label", "jurisdiction", "year", "label",
    "group_id", "name_zh", "help", "help_gloss", "status", "assistance", "personal_contribution",
    "personal_pays", "personal_pays_upper_bound", "personal_pays_stated", "payer_kind", "payer_gloss",
    "payer_name_zh", "payer_status", "multiple_groups", "multiple_groups_gloss", "multiple_groups_cap",
    "excluded", "reading", "note", "source", "clause", "anchor",
]


def assisted_matrix(keys: Iterable[Key] | None = None) -> pd.DataFrame:
    """Long table: each assisted or excluded group of every local jurisdiction-year, by canonical category."""
    labels = _category_labels()
    order = {cid: i for i, cid in enumerate(labels)}
    rows = []
    context = _context()
    for rules in _local(keys):
        rows += _rows_of("assisted_matrix", rules, _assisted_rows, context)
    for row in rows:
        zh, gloss, label = labels.get(row["category"], (None, None, row["category"]))
        row.update(category_zh=zh, category_gloss=gloss, category_label=label)
    rows.sort(key=lambda r: order.get(r["category"], len(order)))  # stable: catalogue order within a category
    return _frame(rows, ASSISTED_COLUMNS,
                  ints=("year", "assistance", "personal_contribution", "personal_pays", "personal_pays_stated"),
                  objects=("multiple_groups_cap",))


def _assisted_rows(rules: RuleSet) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    contribution = _amount(rules.financing.personal_contribution)
    multi = rules.multiple_groups
    common = {
        **_ident(rules),
        "personal_contribution": contribution,
        "multiple_groups": multi.rule,
        "multiple_groups_gloss": MULTIPLE_GLOSS[multi.rule] if multi.stated else _status(multi),
        "multiple_groups_cap": multi.cap_at_personal_contribution,
    }
    for group in rules.assisted_groups:
        value = engine.group_value(group, contribution) if group.stated else None
        if value is not None and contribution is not None:
            value = min(value, contribution)
        pays = contribution - value if value is not None and contribution is not None else None
        rows.append({
            **common,
            "category": group.category, "group_id": group.id, "name_zh": group.name_zh,
            "help": group.help, "help_gloss": HELP_GLOSS.get(group.help, group.help), "status": _status(group),
            "assistance": value, "personal_pays": pays,
            "personal_pays_upper_bound": pays is not None and group.help == "at_least",
            "personal_pays_stated": group.personal_pays,
            "payer_kind": group.payer.kind, "payer_gloss": PAYER_GLOSS.get(group.payer.kind, group.payer.kind),
            "payer_name_zh": group.payer.name_zh, "payer_status": _status(group.payer), "excluded": False,
            "reading": group.interpretation.reading if group.interpretation else None, "note": group.note,
            **_cite(group, rules.source),
        })
    for group in rules.excluded_groups:
        rows.append({
            **common,
            "category": group.category, "group_id": None, "name_zh": group.name_zh,
            "help": "excluded", "help_gloss": "excluded from assistance (不再享受资助)", "status": _status(group),
            "assistance": 0 if group.stated else None,
            "personal_pays": contribution if group.stated else None,
            "personal_pays_upper_bound": False, "personal_pays_stated": None,
            "payer_kind": None, "payer_gloss": None, "payer_name_zh": None, "payer_status": None,
            "excluded": True, "reading": group.interpretation.reading if group.interpretation else None,
            "note": group.note, **_cite(group, rules.source),
        })
    return rows


def assisted_pivot(value: str = "personal_pays", keys: Iterable[Key] | None = None) -> pd.DataFrame:
    """Category (rows: its Chinese name, or its id if rules/categories.yaml does not know it) x jurisdiction-year
    (columns) of one assisted_matrix column, for a heat map.

    Where one jurisdiction maps several groups to a category, the engine gives the highest help, so the
    cell shows the lowest ``personal_pays`` (or the highest value of any other numeric column).
    """
    long = assisted_matrix(keys)
    if value not in long.columns:
        raise KeyError(f"unknown column {value!r}; choices: {', '.join(long.columns)}")
    columns = [_label(rules) for rules in _local(keys)]
    rows = list(dict.fromkeys(long["category_label"]))
    if pd.api.types.is_numeric_dtype(long[value]):
        agg: str = "min" if value == "personal_pays" else "max"
    else:
        agg = "first"
    table = long.groupby(["category_label", "label"], sort=False)[value].agg(agg).unstack("label")
    table = table.reindex(index=rows, columns=columns)
    table.index.name, table.columns.name = "category", "jurisdiction-year"
    return table


# --------------------------------------------------------------------------- start of cover


def _window_words(rules: RuleSet, window_id: str | None) -> tuple[str, str]:
    window = next((w for w in rules.enrolment.windows if w.id == window_id), None)
    if window is None:
        return str(window_id), ""
    start = window.start.isoformat() if window.start else "…"
    end = window.end.isoformat() if window.end else f"… ({NOT_STATED})"
    return window.name_zh, f"{start} to {end}"


def condition_words(rules: RuleSet, cond: Condition) -> str:
    """One condition of a start rule in English."""
    event = EVENT_WORDS.get(cond.event or "", cond.event or "")
    bound = "inclusive" if cond.include_bound else "exclusive"
    if cond.kind == "paid_in_window":
        name, span = _window_words(rules, cond.window)
        return f"paid in {name}, {span}"
    if cond.kind == "paid_after_window":
        window = next((w for w in rules.enrolment.windows if w.id == cond.window), None)
        end = f" (after {window.end.isoformat()})" if window and window.end else ""
        return f"paid after {_window_words(rules, cond.window)[0]}{end}"
    if cond.kind == "paid_within":
        return f"paid within {_plural(cond.length or 0, cond.unit)} of {event} ({bound})"
    if cond.kind == "paid_after":
        return f"paid after {_plural(cond.length or 0, cond.unit)} from {event} ({bound})"
    if cond.kind == "born_between":
        return f"born between {cond.from_month_day} and {cond.to_month_day} (month-day)"
    if cond.kind == "event_in_coverage_year":
        return f"{event} in the coverage year ({rules.coverage_year})"
    if cond.kind == "event_before_coverage_year":
        return f"{event} before the coverage year ({rules.coverage_year - 1} or earlier)"
    if cond.kind == "paid_after_period":
        return f"paid after the coverage period (after {rules.coverage.period.end.isoformat()})"
    if cond.kind in PERSON_CONDITIONS:
        return person_words(cond)
    if cond.kind == "recognised_after_window":
        window = next((w for w in rules.enrolment.windows if w.id == cond.window), None)
        end = f" (after {window.end.isoformat()})" if window and window.end else ""
        return f"recognised as a member of the group after {_window_words(rules, cond.window)[0]}{end}"
    return cond.kind


def start_words(rules: RuleSet, rule: StartRule) -> str:
    """From which day a start rule gives cover, in English."""
    start: Start = rule.starts
    kinds = {
        "coverage_start": f"start of the coverage period ({rules.coverage.period.start.isoformat()})",
        "event_day": f"day of {EVENT_WORDS.get(start.event or '', start.event or '')}",
        "payment_day": "day of payment",
        "day_after_payment": "day after payment",
        "payment_month_start": "first day of the month of payment",
    }
    if start.kind == "after_payment_period":
        words = f"day after a period of {_plural(start.length or 0, start.unit)} from payment"
    elif start.kind == "variable_wait":
        words = (f"day after a wait of {_plural(start.length or 0, start.unit)} from payment, "
                 f"{_plural(start.per_extra_year or 0, start.unit)} more for each year without insurance "
                 "after the first"
                 + (", less the years paid back" if start.repairable else "")
                 + (f"; at least {_plural(start.floor_length or 0, start.unit)} from {start.floor_after_years} years"
                    if start.floor_after_years else ""))
    elif start.kind == "not_stated":
        words = f"{NOT_STATED} (refers to {rule.refers_to})" if rule.refers_to else NOT_STATED
    else:
        words = kinds[start.kind]
    if rule.may_precede_period:
        words += "; may start before the coverage period"
    if rule.ends:
        words += f"; cover ends {rule.ends.isoformat()}"
    return words


def _due_words(rules: RuleSet, due: str) -> tuple[str, int | None]:
    fin = rules.financing
    amount = {
        "standard": _amount(fin.personal_contribution),
        "personal_contribution": _amount(fin.personal_contribution),
        "late_payer_total": _amount(fin.late_payer_total),
    }.get(due)
    words = DUE_GLOSS.get(due, due)
    if due != "not_stated":
        words += f", {amount} yuan" if amount is not None else f", amount {NOT_STATED}"
        if due == "standard" and amount is not None:
            words += " before assistance"
    return words, amount


def _worked_person(rules: RuleSet, rule: StartRule) -> engine.Person | None:
    """A person whose payment the engine matches to this rule (first of a small fixed grid)."""
    windows = {w.id: w for w in rules.enrolment.windows}
    period = rules.coverage.period
    paid_days: list[dt.date] = []
    for cond in rule.when:
        window = windows.get(cond.window or "")
        if window is None:
            continue
        if cond.kind == "paid_in_window":
            paid_days += [d for d in (window.start or window.end, window.end) if d is not None]
        elif window.end is not None:
            paid_days.append(window.end + dt.timedelta(days=1))
    paid_days += [period.start, period.start + dt.timedelta(days=181)]
    if any(c.kind == "paid_after_period" for c in rule.when):
        paid_days.append(period.end + dt.timedelta(days=1))
    late = [end + dt.timedelta(days=1) for c in rule.when
            if c.kind == "recognised_after_window" and c.window in windows and (end := windows[c.window].end)]
    event = engine.EVENT_FOR.get(rule.circumstance)
    offsets: list[int | None] = [0, 30, 100, 200, 400] if event else [None]
    cats = tuple(rule.categories[:1])
    for paid in dict.fromkeys(paid_days):
        for offset in offsets:
            dates = {event: paid - dt.timedelta(days=offset)} if event and offset is not None else {}
            person = engine.reference_facts(rules, engine.Person(
                categories=cats, circumstance=rule.circumstance, paid=paid, recognised=late[0] if late else None,
                **dates))
            try:
                match = engine.matching_rule(rules, person, daycount.DEFAULT_CONVENTION)
            except engine.InputError:
                continue
            if match is not None and match.id == rule.id:
                return person
    return None


START_COLUMNS = [
    "jurisdiction", "year", "label", "circumstance", "circumstance_gloss", "rule_id", "rule_stated",
    "rule_status", "categories", "condition", "due", "due_words", "due_amount", "starts", "starts_words",
    "worked_categories",
    "worked_payment", "worked_event_date", "worked_cover_start", "waiting_days", "reading", "note",
    "source", "clause", "anchor",
]


def start_rules_table(keys: Iterable[Key] | None = None) -> pd.DataFrame:
    """One row per start rule per local jurisdiction-year (the decision table, not-stated regions included),
    plus a row for each circumstance with no rule of its own, which follows the ordinary residents' rules."""
    rows = []
    context = _context()
    for rules in _local(keys):
        rows += _rows_of("start_rules", rules, _start_rules_rows, context)
    return _frame(rows, START_COLUMNS, ints=("due_amount", "waiting_days"),
                  dates=("worked_payment", "worked_event_date", "worked_cover_start"))


def _start_rules_rows(rules: RuleSet) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    covered = set()
    for rule in rules.coverage.start_rules:
        covered.add(rule.circumstance)
        parts = [f"only for {', '.join(_category_names(rule.categories))}"] if rule.categories else []
        parts += [condition_words(rules, c) for c in rule.when]
        due_words, due_amount = _due_words(rules, rule.due)
        person = _worked_person(rules, rule)
        quote = engine.quote(rules, person) if person else None
        event = engine.EVENT_FOR.get(rule.circumstance)
        rows.append({
            **_ident(rules), "circumstance": rule.circumstance,
            "circumstance_gloss": CIRCUMSTANCE_GLOSS.get(rule.circumstance, rule.circumstance),
            "rule_id": rule.id, "rule_stated": True, "rule_status": rule.status,
            "categories": ", ".join(rule.categories) or None,
            "condition": " and ".join(parts) or "any payment", "due": rule.due, "due_words": due_words,
            "due_amount": due_amount, "starts": rule.starts.kind, "starts_words": start_words(rules, rule),
            "worked_categories": (", ".join(person.categories) or None) if person else None,
            "worked_payment": person.paid if person else None,
            "worked_event_date": person.event_date(event) if person and event else None,
            "worked_cover_start": quote.coverage_start if quote else None,
            "waiting_days": quote.waiting_days if quote else None,
            "reading": rule.interpretation.reading if rule.interpretation else None, "note": rule.note,
            **_cite(rule, rules.source),
        })
    for circumstance in engine.CIRCUMSTANCES:
        if circumstance in covered:
            continue
        rows.append({
            **_ident(rules), "circumstance": circumstance,
            "circumstance_gloss": CIRCUMSTANCE_GLOSS.get(circumstance, circumstance), "rule_id": None,
            "rule_stated": False, "rule_status": None, "condition": f"no rule of its own: {FALLBACK}",
            "due": "not_stated", "due_words": FALLBACK, "starts": "not_stated", "starts_words": FALLBACK,
            "source": rules.source,
        })
    return rows


def coverage_start_series(step_days: int = 7, keys: Iterable[Key] | None = None) -> pd.DataFrame:
    """Start of cover for an ordinary resident paying on each date, from 120 days before the period to its end."""
    if step_days < 1:
        raise ValueError(f"step_days must be at least 1, got {step_days}")
    rows = []
    context = _context()
    for rules in _local(keys):
        rows += _rows_of(f"coverage_start_series/{step_days}", rules,
                         lambda r: _coverage_start_rows(r, step_days), context)
    columns = ["jurisdiction", "year", "label", "payment_date", "days_from_start", "coverage_start",
               "cover_days_from_start", "personal_due", "personal_due_is_upper_bound", "payable", "rule",
               "source", "clause", "anchor"]
    return _frame(rows, columns, ints=("cover_days_from_start", "personal_due"),
                  dates=("payment_date", "coverage_start"), objects=("payable",))


# --------------------------------------------------------------------------- calendar


# Persons who enrol the day after the collection window closes: (circumstance, years without insurance,
# years paid back), otherwise the book's reference person (engine.reference_facts). The national rule
# (国办发〔2024〕38号) sets their waiting period from 2025.
WAITING_PROFILES = (("regular", 0, 0), ("regular", 1, 0), ("regular", 2, 0), ("regular", 4, 0), ("regular", 4, 3),
                    ("newborn", 0, 0))
WAITING_COLUMNS = [
    "jurisdiction", "year", "label", "circumstance", "years_uninsured", "years_back_paid", "paid",
    "local_waiting_days", "national_waiting_days", "verdict", "rule_id", "national_document", "note",
]


def _coverage_start_rows(rules: RuleSet, step_days: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    period = rules.coverage.period
    day = period.start - dt.timedelta(days=120)
    while day <= period.end:
        q = engine.quote(rules, engine.reference_facts(rules, engine.Person(paid=day)))
        cite = q.citations[0] if q.citations else None
        source = cite["source"] if cite else rules.source
        rows.append({
            **_ident(rules), "payment_date": day, "days_from_start": (day - period.start).days,
            "coverage_start": q.coverage_start,
            "cover_days_from_start": (q.coverage_start - period.start).days if q.coverage_start else None,
            "personal_due": q.personal_due, "personal_due_is_upper_bound": q.personal_due_is_upper_bound,
            "payable": q.payable, "rule": q.rule, "source": source,
            "clause": cite["clause"] if cite else None,
            "anchor": anchor(source, cite["clause"]) if cite else None,
        })
        day += dt.timedelta(days=step_days)
    return rows


def waiting_compliance(keys: Iterable[Key] | None = None) -> pd.DataFrame:
    """For each local jurisdiction-year under the national waiting-period rule: the wait of a person who
    enrols the day after the collection window closes, locally and under the national rule, and whether
    the local rule meets, exceeds or falls short of it (or says nothing)."""
    rows = []
    context = _context()
    for rules in _local(keys):
        rows += _rows_of("waiting_compliance", rules, _waiting_rows, context)
    return _frame(rows, WAITING_COLUMNS, ints=("local_waiting_days", "national_waiting_days"), dates=("paid",))


def _waiting_rows(rules: RuleSet) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    found = national.waiting_rule(rules.coverage_year)
    window = rules.enrolment.windows[0]
    if found is None or window.end is None:
        return rows
    _, rule = found
    paid = window.end + dt.timedelta(days=1)
    for circumstance, years, back in WAITING_PROFILES:
        born = paid if circumstance == "newborn" else None
        person = engine.reference_facts(rules, engine.Person(
            circumstance=circumstance, paid=paid, born=born, years_uninsured=years, years_back_paid=back))
        note = None
        try:
            q = engine.quote(rules, person)
        except engine.InputError as exc:
            q, note = None, str(exc)
        want = national.waiting_days(rule, circumstance, paid, years, back)
        have = q.waiting_days if q is not None and q.payable else None
        if q is None or q.payable is None:
            verdict = NOT_STATED
        elif q.payable is False:
            verdict = "no late enrolment"
        elif have is None:
            verdict = f"{NOT_STATED} (start of cover)"
        else:
            verdict = "meets" if have == want else "exceeds" if have > want else "falls short"
        rows.append({
            **_ident(rules), "circumstance": circumstance, "years_uninsured": years, "years_back_paid": back,
            "paid": paid, "local_waiting_days": have, "national_waiting_days": want, "verdict": verdict,
            "rule_id": q.rule if q is not None else None, "national_document": rule.document, "note": note,
        })
    return rows


def day_flags(day: dt.date | None) -> dict[str, Any]:
    """Weekday, weekend, rest-day and holiday flags of a date; None where unknown."""
    flags: dict[str, Any] = {"weekday": None, "is_weekend": None, "is_rest_day": None, "holiday": None}
    if day is None:
        return flags
    flags["weekday"] = day.strftime("%A")
    flags["is_weekend"] = day.weekday() >= 5
    try:
        rest, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return flags  # no holiday data for this year
    flags["is_rest_day"] = bool(rest)
    flags["holiday"] = str(name) if rest and name else None
    return flags


CALENDAR_COLUMNS = [
    "jurisdiction", "year", "label", "event_id", "kind", "name_zh", "gloss", "start", "end",
    "start_offset", "end_offset", "end_weekday", "end_is_weekend", "end_is_rest_day", "end_is_holiday",
    "status", "note", "source", "clause", "anchor",
]


def _calendar_items(rules: RuleSet) -> Iterator[tuple[str, str, str, str, dt.date | None, dt.date | None, Cited]]:
    period = rules.coverage.period
    yield "coverage_period", "coverage", "待遇享受期", "coverage period", period.start, period.end, period
    for w in rules.enrolment.windows:
        yield w.id, "window", w.name_zh, f"payment window ({w.id.replace('_', ' ')})", w.start, w.end, w
    for e in rules.enrolment.extensions:
        gloss = f"extension for {CIRCUMSTANCE_GLOSS.get(e.circumstance, e.circumstance)}"
        yield e.id, "extension", e.name_zh, gloss, None, e.end, e
    for m in rules.administration.milestones:
        yield m.id, m.kind, m.name_zh, m.gloss, m.start, m.date, m


def calendar_events(keys: Iterable[Key] | None = None) -> pd.DataFrame:
    """Coverage period, windows, extensions and milestones of every local jurisdiction-year.

    Offsets are days from 1 January of the coverage year. ``end_is_weekend`` is the plain weekday;
    ``end_is_rest_day`` and ``end_is_holiday`` (the statutory holiday's name) come from
    ``chinese_calendar`` and are None for years it does not cover.
    """
    rows = []
    context = _context()
    for rules in _local(keys):
        rows += _rows_of("calendar_events", rules, _calendar_rows, context)
    return _frame(rows, CALENDAR_COLUMNS, ints=("start_offset", "end_offset"), dates=("start", "end"),
                  objects=("end_is_weekend", "end_is_rest_day", "end_is_holiday"))


# --------------------------------------------------------------------------- at a glance

CLASS_COLUMNS = [
    "jurisdiction", "year", "label", "class_order", "class_zh", "who", "personal_contribution",
    "personal_status", "fiscal_subsidy", "fiscal_subsidy_at_least", "source", "clause", "anchor",
]


def _calendar_rows(rules: RuleSet) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    jan1 = dt.date(rules.coverage_year, 1, 1)
    for event_id, kind, name_zh, gloss, start, end, cited in _calendar_items(rules):
        if not cited.stated:  # dates kept in the file as an assumption are not shown as stated
            start = end = None
        flags = day_flags(end)
        rows.append({
            **_ident(rules), "event_id": event_id, "kind": kind, "name_zh": name_zh, "gloss": gloss,
            "start": start, "end": end,
            "start_offset": (start - jan1).days if start else None,
            "end_offset": (end - jan1).days if end else None,
            "end_weekday": flags["weekday"], "end_is_weekend": flags["is_weekend"],
            "end_is_rest_day": flags["is_rest_day"], "end_is_holiday": flags["holiday"],
            "status": _status(cited), "note": cited.note, **_cite(cited, rules.source),
        })
    return rows


def class_prices(keys: Iterable[Key] | None = None) -> pd.DataFrame:
    """One row per resident class (居民类别) of every local jurisdiction-year, in the notice's order; a notice
    without classes gives one row for all residents (``class_zh`` None)."""
    rows = []
    context = _context()
    for rules in _local(keys):
        rows += _rows_of("class_prices", rules, _class_rows, context)
    return _frame(rows, CLASS_COLUMNS, ints=("personal_contribution", "fiscal_subsidy"))


OVERVIEW_COLUMNS = [
    "jurisdiction", "year", "label", "source",
    "highest_contribution", "highest_class_zh", "highest_status", "highest_clause", "classes",
    "national_standard_year", "national_personal_standard", "national_source", "national_clause",
    "above_national",
    "dibao_pays_low", "dibao_pays_high", "dibao_pays_upper_bound", "dibao_share_low", "dibao_share_high",
    "dibao_groups", "dibao_status", "dibao_clause",
    "late_paid", "late_payable", "late_waiting_days", "late_cover_start", "late_clause",
    "national_rule_in_force", "national_waiting_days", "national_waiting_document", "national_waiting_from",
    "window_zh", "window_end", "window_status", "window_clause", "later_windows",
]


def _class_rows(rules: RuleSet) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    fin = rules.financing
    if not fin.resident_classes:
        rows.append({**_ident(rules), "class_order": 0, "class_zh": None, "who": "all residents",
                     "personal_contribution": _amount(fin.personal_contribution),
                     "personal_status": _status(fin.personal_contribution),
                     "fiscal_subsidy": _amount(fin.fiscal_subsidy),
                     "fiscal_subsidy_at_least": fin.fiscal_subsidy.at_least,
                     **_cite(fin.personal_contribution, rules.source)})
        return rows
    for i, cls in enumerate(fin.resident_classes):
        who = " and ".join(condition_words(rules, w) for w in cls.when) or "everyone else"
        rows.append({**_ident(rules), "class_order": i, "class_zh": cls.name_zh, "who": who,
                     "personal_contribution": _amount(cls.personal_contribution),
                     "personal_status": _status(cls.personal_contribution),
                     "fiscal_subsidy": _amount(cls.fiscal_subsidy),
                     "fiscal_subsidy_at_least": cls.fiscal_subsidy.at_least,
                     **_cite(cls.personal_contribution, rules.source)})
    return rows


def _dibao_ids() -> set[str]:
    """The canonical 低保 category and every category under it."""
    cats = catalogue.categories().categories
    ids = {"dibao"}
    while True:
        more = {c.id for c in cats if c.parent in ids} - ids
        if not more:
            return ids
        ids |= more


def _highest(rules: RuleSet) -> dict[str, Any]:
    fin = rules.financing
    classes = [{"class_zh": c.name_zh, "amount": _amount(c.personal_contribution),
                **_cite(c.personal_contribution, rules.source)} for c in fin.resident_classes]
    if not classes:
        amount = _amount(fin.personal_contribution)
        return {"highest_contribution": amount, "highest_class_zh": None,
                "highest_status": _status(fin.personal_contribution),
                "highest_clause": _cite(fin.personal_contribution, rules.source)["clause"], "classes": None}
    priced = [c for c in classes if c["amount"] is not None]
    top = max(priced, key=lambda c: c["amount"]) if priced else None
    return {"highest_contribution": top["amount"] if top else None,
            "highest_class_zh": top["class_zh"] if top else None,
            "highest_status": "stated" if top else NOT_STATED,
            "highest_clause": top["clause"] if top else None,
            "classes": [{k: c[k] for k in ("class_zh", "amount", "clause")} for c in classes]}


def _dibao(rules: RuleSet, ids: set[str]) -> dict[str, Any]:
    """What the notice's 低保 groups still pay: lowest and highest in yuan and as a share of the contribution
    (of each resident class's contribution where the notice prices classes)."""
    groups = [g for g in rules.assisted_groups if g.category in ids]
    out: dict[str, Any] = {"dibao_groups": len(groups), "dibao_pays_low": None, "dibao_pays_high": None,
                           "dibao_pays_upper_bound": False, "dibao_share_low": None, "dibao_share_high": None,
                           "dibao_status": NOT_STATED, "dibao_clause": None}
    if not groups:
        out["dibao_status"] = f"{NOT_STATED} (no 低保 group named)"
        return out
    out["dibao_clause"] = _cite(groups[0], rules.source)["clause"]
    fin = rules.financing
    prices = [_amount(c.personal_contribution) for c in fin.resident_classes] or [_amount(fin.personal_contribution)]
    pays: list[tuple[int, float]] = []
    for group in (g for g in groups if g.stated):
        for price in (p for p in prices if p):
            value = engine.group_value(group, price)
            if value is not None:
                pays.append((price - min(value, price), (price - min(value, price)) / price))
                out["dibao_pays_upper_bound"] |= group.help == "at_least"
    if not pays:
        out["dibao_status"] = _status(next((g for g in groups if not g.stated), groups[0]))
        if out["dibao_status"] == "stated":
            out["dibao_status"] = f"{NOT_STATED} (the contribution it is taken from)"
        return out
    out.update(dibao_pays_low=min(p for p, _ in pays), dibao_pays_high=max(p for p, _ in pays),
               dibao_share_low=round(min(s for _, s in pays), 3), dibao_share_high=round(max(s for _, s in pays), 3),
               dibao_status="stated")
    return out


def _late(rules: RuleSet) -> dict[str, Any]:
    window = rules.enrolment.windows[0]
    out: dict[str, Any] = {"late_paid": None, "late_payable": None, "late_waiting_days": None,
                           "late_cover_start": None, "late_clause": None, "national_rule_in_force": False,
                           "national_waiting_days": None, "national_waiting_document": None,
                           "national_waiting_from": None}
    found = national.waiting_rule(10_000)
    if found is not None:
        out["national_waiting_document"] = found[1].document
        out["national_waiting_from"] = found[1].from_coverage_year
    if window.end is None or not window.stated:
        return out
    paid = window.end + dt.timedelta(days=1)
    person = engine.reference_facts(rules, engine.Person(circumstance="regular", paid=paid))
    q = engine.quote(rules, person)
    out.update(late_paid=paid, late_payable=q.payable,
               late_waiting_days=q.waiting_days if q.payable else None,
               late_cover_start=q.coverage_start if q.payable else None,
               late_clause=q.citations[0]["clause"] if q.citations else None)
    in_force = national.waiting_rule(rules.coverage_year)
    if in_force is not None:
        out.update(national_rule_in_force=True, national_waiting_document=in_force[1].document,
                   national_waiting_from=in_force[1].from_coverage_year,
                   national_waiting_days=national.waiting_days(in_force[1], "regular", paid,
                                                               person.years_uninsured or 0,
                                                               person.years_back_paid or 0))
    return out


def _windows(rules: RuleSet) -> dict[str, Any]:
    first, *later = rules.enrolment.windows
    items = [{"name_zh": w.name_zh, "end": w.end.isoformat() if w.end and w.stated else None,
              "status": _status(w), "clause": _cite(w, rules.source)["clause"]} for w in later]
    extensions = [{"name_zh": e.name_zh, "end": e.end.isoformat() if e.end and e.stated else None,
                   "status": _status(e), "clause": _cite(e, rules.source)["clause"]}
                  for e in rules.enrolment.extensions]
    seen = {(w["end"], w["clause"]) for w in items}  # an extension that is also a later window: once
    items += [e for e in extensions if (e["end"], e["clause"]) not in seen]
    return {"window_zh": first.name_zh, "window_end": first.end if first.stated else None,
            "window_status": _status(first), "window_clause": _cite(first, rules.source)["clause"],
            "later_windows": items}


def overview(keys: Iterable[Key] | None = None) -> pd.DataFrame:
    """"At a glance": one row per local jurisdiction-year with the readers' first answers.

    The highest personal contribution (per resident class where the notice prices classes) against the
    national personal standard that governs the year; what a 低保 recipient (minimum-living-allowance
    recipient, every 低保 group of the notice) still pays, in yuan and as a share of the contribution; the
    wait of a resident insured last year who pays the day after the first collection window closes,
    beside the national rule (国办发〔2024〕38号) where it governs the year; when the first window closes,
    and later windows and extensions. Each answer carries its clause; what a notice leaves open is None
    with its status.
    """
    context = _context()
    rows = [row for rules in _local(keys) for row in _rows_of("overview", rules, _overview_row, context)]
    return _frame(rows, OVERVIEW_COLUMNS,
                  ints=("highest_contribution", "national_standard_year", "national_personal_standard",
                        "above_national", "dibao_pays_low", "dibao_pays_high", "late_waiting_days",
                        "national_waiting_days", "national_waiting_from"),
                  dates=("late_paid", "late_cover_start", "window_end"),
                  objects=("late_payable", "classes", "later_windows"))


def _overview_row(rules: RuleSet) -> list[dict[str, Any]]:
    fin = _financing_row(rules)[0]
    row: dict[str, Any] = {**_ident(rules), "source": rules.source, **_highest(rules)}
    n_pers = fin["national_personal_standard"]
    row.update(national_standard_year=fin["national_standard_year"],
               national_personal_standard=n_pers, national_source=fin["national_source"],
               national_clause=fin["national_clause"],
               above_national=(row["highest_contribution"] - n_pers
                               if row["highest_contribution"] is not None and n_pers is not None else None))
    row.update(_dibao(rules, _dibao_ids()))
    row.update(_late(rules))
    row.update(_windows(rules))
    return [row]


# --------------------------------------------------------------------------- changes


def national_changes() -> pd.DataFrame:
    """Year-on-year deltas of the national subsidy minimum and personal standard."""
    standards = catalogue.national_standards()
    rows = []
    for before, after in itertools.pairwise(standards):
        for name in ("fiscal_subsidy", "personal_contribution"):
            old: Amount = getattr(before.financing, name)
            new: Amount = getattr(after.financing, name)
            a, b = _amount(old), _amount(new)
            rows.append({
                "scope": "national", "jurisdiction": after.jurisdiction, "name_en": after.name_en,
                "from_year": before.standard_year, "to_year": after.standard_year, "field": name,
                "before": a, "after": b, "delta": b - a if a is not None and b is not None else None,
                **_cite(new, after.source),
            })
    return _frame(rows, CHANGE_COLUMNS, ints=("delta",), objects=("before", "after"))


def _item_key(item: BaseModel, index: int) -> str:
    for name in ("id", "category", "document", "level"):
        value = getattr(item, name, None)
        if isinstance(value, str):
            return value
    return str(index)


def _flatten(model: BaseModel, prefix: str, cited: Cited | None,
             out: dict[str, tuple[object, Cited | None]]) -> None:
    """Field path -> (value, nearest cited object), list items keyed by id where they have one."""
    if isinstance(model, Cited):
        cited = model
    for name in type(model).model_fields:
        if name in _SKIP_IN_CHANGES:
            continue
        value = getattr(model, name)
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, BaseModel):
            _flatten(value, path, cited, out)
        elif isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            for index, item in enumerate(value):
                _flatten(item, f"{path}[{_item_key(item, index)}]", cited, out)
        elif isinstance(value, list):
            out[path] = (", ".join(str(v) for v in value) or None, cited)
        else:
            out[path] = (value, cited)


def _relative(value: object, year: int) -> object:
    """Dates compared relative to the coverage year, so a window shifted by one year is no change."""
    if isinstance(value, dt.date):
        return (value.year - year, value.month, value.day)
    return value


def _shown(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _pairs(keys: Iterable[Key] | None) -> list[tuple[RuleSet, RuleSet]]:
    """Consecutive years of each local jurisdiction: every pair, or those ending in one of ``keys`` (each
    compared with the year before it of the same jurisdiction)."""
    if keys is None:
        by_jurisdiction: dict[str, list[RuleSet]] = {}
        for rules in _local():
            by_jurisdiction.setdefault(rules.jurisdiction, []).append(rules)
        pairs = []
        for series in by_jurisdiction.values():
            series.sort(key=lambda r: r.coverage_year)
            pairs += list(itertools.pairwise(series))
        return pairs
    out = []
    for after in _local(keys):
        for year in reversed(catalogue.years_of(after.jurisdiction, before=after.coverage_year)):
            try:
                out.append((catalogue.rules(after.jurisdiction, year), after))
            except RuleFileError:
                if not catalogue.skipping_broken():
                    raise
                continue  # left out of the catalogue: the year before it is the one compared with
            break
    return out


def local_changes(keys: Iterable[Key] | None = None) -> pd.DataFrame:
    """Fields that changed between consecutive years of each local jurisdiction; with ``keys``, the changes
    into those jurisdiction-years only."""
    rows = []
    for before, after in _pairs(keys):
        old: dict[str, tuple[object, Cited | None]] = {}
        new: dict[str, tuple[object, Cited | None]] = {}
        _flatten(before, "", None, old)
        _flatten(after, "", None, new)
        for path in dict.fromkeys([*old, *new]):
            a, a_cited = old.get(path, (None, None))
            b, b_cited = new.get(path, (None, None))
            if _relative(a, before.coverage_year) == _relative(b, after.coverage_year):
                continue
            numeric = all(isinstance(v, int) and not isinstance(v, bool) for v in (a, b))
            cite = _cite(b_cited, after.source) if path in new else _cite(a_cited, before.source)
            rows.append({
                "scope": "local", "jurisdiction": after.jurisdiction, "name_en": after.name_en,
                "from_year": before.coverage_year, "to_year": after.coverage_year, "field": path,
                "before": _shown(a), "after": _shown(b),
                "delta": b - a if numeric else None,  # type: ignore[operator]
                **cite,
            })
    return _frame(rows, CHANGE_COLUMNS, ints=("delta",), objects=("before", "after"))


def changes(keys: Iterable[Key] | None = None) -> pd.DataFrame:
    """National year-on-year deltas followed by local field changes (same columns; ``scope`` tells them apart);
    with ``keys``, every national delta and the local changes into those jurisdiction-years."""
    parts = [df for df in (national_changes(), local_changes(keys)) if not df.empty]
    if not parts:
        return national_changes()
    out = pd.concat(parts, ignore_index=True)
    out["delta"] = out["delta"].astype("Int64")
    return out


# --------------------------------------------------------------------------- unstated


def _category_names(ids: list[str]) -> list[str]:
    """Canonical categories by their Chinese names (the id where the catalogue lacks one)."""
    labels = _category_labels()
    return [labels[c][0] if c in labels else c for c in ids]


PART_WORDS = {
    "total_standard": "total financing standard (筹资标准)",
    "personal_contribution": "personal contribution (个人缴费)",
    "fiscal_subsidy": "fiscal subsidy (财政补助)",
    "subsidy_split": "split of the subsidy between levels of government (分担)",
    "late_payer_total": "late payer total (个人缴费和政府补助之和)",
    "critical_illness_funding": "critical-illness insurance funding (大病保险)",
    "other_groups": "other groups in difficulty (其他困难群体)",
    "multiple_groups": "a person in several groups (多重身份)",
    "period": "coverage period (待遇享受期)",
    "late_payment": "paying after the collection window (逾期缴费)",
    "assistance_timing": "when assisted people are recognised (资助认定时间)",
    "payer": "who pays",
    "cost_sharing": "sharing of the cost",
    "due": "amount due",
    "starts": "start of cover",
    "date": "date",
}
SECTIONS = {"financing", "coverage", "enrolment", "administration", "start_rules", "milestones", "assisted_groups",
            "excluded_groups", "windows", "extensions", "resident_classes"}


def plain_location(rules: RuleSet, loc: tuple[str | int, ...]) -> str:
    """A location in a rule file in plain words, for readers: ``start of cover for newborns (新生儿) …: amount
    due`` rather than ``coverage.start_rules[newborn_after_90_days].due``."""
    words: list[str] = []
    current: Any = rules
    for part in loc:
        if isinstance(part, int):
            current = current[part]
            if isinstance(current, StartRule):
                conds = [condition_words(rules, c) for c in current.when]
                who = CIRCUMSTANCE_GLOSS.get(current.circumstance, current.circumstance)
                words.append("start-of-cover rule for " + ", ".join([who, *conds]))
            elif getattr(current, "name_zh", None):
                gloss = getattr(current, "gloss", None)
                words.append(f"{current.name_zh} ({gloss})" if gloss else str(current.name_zh))
            elif not words or words[-1] != PART_WORDS.get(str(loc[0]), ""):
                words.append(f"item {part + 1}")
            continue
        current = getattr(current, part)
        if part in SECTIONS:
            continue
        words.append(PART_WORDS.get(part, part.replace("_", " ")))
    text = ": ".join(w for w in words if w)
    return text[:1].upper() + text[1:]


def _readable(model: BaseModel, loc: tuple[str | int, ...]) -> str:
    """A location as a path with list items named by id where they have one."""
    out, current = "", model
    for part in loc:
        if isinstance(part, int):
            item = current[part]  # type: ignore[index]
            out += f"[{_item_key(item, part) if isinstance(item, BaseModel) else part}]"
            current = item
        else:
            out += f".{part}" if out else part
            current = getattr(current, part)
    return out


UNSTATED_COLUMNS = [
    "jurisdiction", "year", "label", "field", "what", "not_stated", "interpreted", "status", "note", "refers_to",
    "reading", "alternatives", "why", "source", "clause", "anchor",
]


def unstated(keys: Iterable[Key] | None = None) -> pd.DataFrame:
    """Every not-stated value and every interpretation across the local rule files."""
    rows = []
    context = _context()
    for rules in _local(keys):
        rows += _rows_of("unstated", rules, _unstated_rows, context)
    return _frame(rows, UNSTATED_COLUMNS)


def _unstated_rows(rules: RuleSet) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for loc, obj in cited_objects(rules):
        if obj.stated and obj.interpretation is None:
            continue
        reading = obj.interpretation
        rows.append({
            **_ident(rules), "field": _readable(rules, loc), "what": plain_location(rules, loc),
            "not_stated": not obj.stated,
            "interpreted": reading is not None, "status": _status(obj), "note": obj.note,
            "refers_to": obj.refers_to, "reading": reading.reading if reading else None,
            "alternatives": " | ".join(reading.alternatives) if reading else None,
            "why": reading.why if reading else None, **_cite(obj, rules.source),
        })
    rows += _unstated_fields(rules)
    return rows


def _unstated_fields(rules: RuleSet) -> list[dict[str, Any]]:
    """Not-stated parts of stated values: a start rule's amount or start of cover, a milestone's date."""
    rows = []
    blank = {"interpreted": False, "reading": None, "alternatives": None, "why": None}
    for i, rule in enumerate(rules.coverage.start_rules):
        for name, kind in (("due", rule.due), ("starts", rule.starts.kind)):
            if kind == "not_stated":
                rows.append({
                    **_ident(rules), **blank, "field": f"coverage.start_rules[{rule.id}].{name}",
                    "what": plain_location(rules, ("coverage", "start_rules", i, name)),
                    "not_stated": True, "status": NOT_STATED if not rule.refers_to else
                    f"{NOT_STATED} (refers to {rule.refers_to})", "note": rule.note, "refers_to": rule.refers_to,
                    **_cite(rule, rules.source),
                })
    for i, milestone in enumerate(rules.administration.milestones):
        if milestone.date is None:
            rows.append({
                **_ident(rules), **blank, "field": f"administration.milestones[{milestone.id}].date",
                "what": plain_location(rules, ("administration", "milestones", i, "date")),
                "not_stated": True, "status": NOT_STATED, "note": milestone.note, "refers_to": None,
                **_cite(milestone, rules.source),
            })
    return rows


# --------------------------------------------------------------------------- export


def _tables() -> dict[str, Callable[[], pd.DataFrame]]:
    return {
        "financing": financing_table,
        "national_series": national_series,
        "assisted_matrix": assisted_matrix,
        "assisted_pivot": lambda: assisted_pivot().reset_index(),
        "start_rules": start_rules_table,
        "coverage_start_series": coverage_start_series,
        "waiting_compliance": waiting_compliance,
        "calendar_events": calendar_events,
        "changes": changes,
        "unstated": unstated,
    }


def table_names() -> tuple[str, ...]:
    """Names of the exported tables (``<name>.csv`` and ``<name>.xlsx`` in the downloads)."""
    return tuple(_tables())


def rules_json(version: Version | None = None) -> str:
    """All rule files (and the categories) as one JSON document, keys in file order; with ``version``
    (commit and date) first when given."""
    data: dict[str, Any] = {}
    if version is not None:
        data["version"] = version._asdict()
    data |= {"categories": catalogue.categories().model_dump(mode="json"), "rules": {}}
    for path in catalogue.rule_paths():
        model = catalogue.load_file(path)
        if isinstance(model, RuleSet | NationalStandard):
            data["rules"][path.stem] = model.model_dump(mode="json")
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def with_urls(df: pd.DataFrame, base_url: str) -> pd.DataFrame:
    """The table with a ``url`` column after ``anchor`` (``<x>_url`` after ``<x>_anchor``): the clause's
    address on its source's page (:func:`policylib.anchors.clause_url`), absolute when ``base_url`` (the book's
    published address) is given."""
    out = df.copy()
    for column in [c for c in df.columns if c == "anchor" or str(c).endswith("_anchor")]:
        url = str(column).removesuffix("anchor") + "url"
        values = [clause_url(a, base_url) if isinstance(a, str) and a else None for a in df[column]]
        out.insert(out.columns.get_loc(column) + 1, url, pd.Series(values, dtype=object, index=df.index))
    return out


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell that a spreadsheet would take for a formula (``=HYPERLINK(…)``,
    ``+1``, ``@SUM``) prefixed with an apostrophe, so that it opens as text; numbers are left alone."""
    def cell(value: Any) -> Any:
        return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value

    out = df.copy()
    for column in df.columns:
        if pd.api.types.is_object_dtype(df[column]) or pd.api.types.is_string_dtype(df[column]):
            out[column] = df[column].map(cell)
    return out


def write_xlsx(df: pd.DataFrame, path: Path, sheet: str, about: list[tuple[str, str]] = ()) -> None:
    """The table as an XLSX sheet in which every text cell is stored as text, never as a formula; with
    ``about`` (name, value pairs: version, date, …) on a second sheet named ``about``."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name=sheet, index=False)
        if about:
            pd.DataFrame(list(about), columns=["about", "value"]).to_excel(writer, sheet_name="about", index=False)
        for name in writer.sheets:
            for row in writer.sheets[name].iter_rows():
                for xl_cell in row:
                    if xl_cell.data_type == "f":  # openpyxl reads a string starting with "=" as a formula
                        xl_cell.data_type = "s"


DICTIONARY = "data_dictionary"


def export_all(directory: str | Path, *, version: Version | None = None, base_url: str = "") -> list[Path]:
    """Write every table as CSV (UTF-8 with BOM) and XLSX, the data dictionary (CSV and XLSX) and
    ``rules.json``; return the paths written.

    Integers stay integers (nullable ``Int64``, never ``280.0``) and every bound keeps its flag column.
    Each XLSX has an ``about`` sheet and the JSON a ``version`` field (commit and date; see
    :func:`policylib.datadict.build_version`); the CSV files hold the table only, so that they open cleanly,
    and the dictionary lists the version. Clause addresses start with ``base_url`` (see :func:`with_urls`).
    Text is kept as text in a spreadsheet: see :func:`csv_safe` and :func:`write_xlsx`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    version = version or Version(datadict.UNKNOWN, datadict.UNKNOWN)
    about = [("version", version.commit), ("built", version.date)]
    written: list[Path] = []
    tables = {name: with_urls(make(), base_url) for name, make in _tables().items()}
    described = datadict.dictionary(tables)
    version_rows = pd.DataFrame([{"file": "(all files)", "column": "(version)", "meaning": version.text(),
                                  "unit": "", "type": ""}])
    for name, df in [*tables.items(), (DICTIONARY, pd.concat([version_rows, described], ignore_index=True))]:
        csv_path = directory / f"{name}.csv"
        text = csv_safe(df).to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")
        csv_path.write_bytes(text.encode("utf-8-sig"))
        xlsx_path = directory / f"{name}.xlsx"
        write_xlsx(df, xlsx_path, name[:31], [("table", name), *about])
        written += [csv_path, xlsx_path]
    json_path = directory / "rules.json"
    json_path.write_bytes(rules_json(version).encode("utf-8"))
    written.append(json_path)
    return written
