"""What the downloads carry besides the tables: the version of the data and a data dictionary.

:func:`build_version` names the commit the files were made from (``git``, else the environment variable
``POLICYLIB_VERSION``, else ``unknown``) and the day they were made. :func:`dictionary` describes every
column of every exported table: name, meaning, unit and type. Columns are described by name, once for
all tables; a column with no description raises :class:`UndocumentedColumn`, so a new column cannot
reach the downloads undocumented.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path
from typing import NamedTuple

import pandas as pd

__all__ = ["ENV_VERSION", "Column", "UndocumentedColumn", "Version", "build_version", "describe", "dictionary"]

ENV_VERSION = "POLICYLIB_VERSION"
UNKNOWN = "unknown"


class Version(NamedTuple):
    """The commit the downloads were made from and the day they were made (ISO date, UTC)."""

    commit: str
    date: str

    def text(self) -> str:
        return f"commit {self.commit}, built {self.date}"


def build_version(root: Path, today: dt.date | None = None) -> Version:
    """The commit checked out at ``root`` (short hash; ``-modified`` when files differ from it), from
    ``git``; else ``$POLICYLIB_VERSION``; else ``unknown``. Never fails (a copy without ``.git`` is fine)."""
    date = (today or dt.datetime.now(dt.UTC).date()).isoformat()
    commit = _git_commit(root) or os.environ.get(ENV_VERSION, "").strip() or UNKNOWN
    return Version(commit, date)


def _git_commit(root: Path) -> str | None:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20,
                                  check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    if git("rev-parse", "--show-toplevel") is None:
        return None
    commit = git("rev-parse", "--short=12", "HEAD")
    if not commit:
        return None
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "rules", "sources", "policylib")
    return f"{commit}-modified" if changed else commit


class Column(NamedTuple):
    """One row of the data dictionary."""

    meaning: str
    unit: str = ""


class UndocumentedColumn(KeyError):
    """A table column the data dictionary does not describe."""


YUAN = "yuan per person per year"
DAYS = "days"
_IDENT = {
    "jurisdiction": Column("jurisdiction id (national for the national standard)"),
    "year": Column("coverage year (the year of cover the notice's contributions buy)", "year"),
    "label": Column("jurisdiction and coverage year, as shown in the book"),
    "name_zh": Column("name in Chinese, as written in the notice"),
    "name_en": Column("jurisdiction name in English"),
    "level": Column("administrative level of the jurisdiction (province, city, county)"),
    "source": Column("source document id (a folder under sources/; its text has its own page in the book, "
                     "listed on the Sources page)"),
    "clause": Column("clause of the source cited for the row, e.g. 四（二）3"),
    "anchor": Column("anchor of the cited clause on its source's page in the book"),
    "url": Column("full address of the cited clause on its source's page in the book"),
    "status": Column("stated, or not stated (with the document the notice refers to)"),
    "note": Column("note of the encoding, in plain words"),
    "reading": Column("the reading encoded where the clause is ambiguous"),
}
_COLUMNS: dict[str, Column] = {
    **_IDENT,
    # financing
    "personal_contribution": Column("personal contribution of an ordinary resident (个人缴费标准)", YUAN),
    "fiscal_subsidy": Column("government subsidy per insured resident (财政补助)", YUAN),
    "late_payer_total": Column("what a late payer pays: personal contribution plus subsidy, where the notice says so",
                               YUAN),
    "critical_illness_funding": Column("critical-illness insurance funding (大病保险筹资)", YUAN),
    "subsidy_split": Column("how the subsidy divides between levels of government (yuan or percent per level)"),
    "national_standard_year": Column("year of the national standard that governs this coverage year", "year"),
    "national_document": Column("document number of the national standard"),
    "national_document_seen": Column("whether the national document itself was read (not only a reprint)"),
    "national_source": Column("source document id of the national standard (a folder under sources/)"),
    "national_subsidy_min": Column("national minimum subsidy", YUAN),
    "national_personal_standard": Column("national personal contribution standard", YUAN),
    "subsidy_meets_national": Column("whether the local subsidy (or its floor) reaches the national minimum; "
                                     "empty when either is missing"),
    "subsidy_difference": Column("local subsidy less the national minimum", YUAN),
    "personal_difference": Column("local personal contribution less the national standard", YUAN),
    # national series
    "standard_year": Column("year of the national standard", "year"),
    "governs_coverage_year": Column("coverage year the standard governs", "year"),
    "subsidy_min": Column("national minimum subsidy", YUAN),
    "subsidy_at_least": Column("true when the national subsidy is a floor (不低于), not an exact amount"),
    "personal_standard": Column("national personal contribution standard", YUAN),
    "personal_note": Column("note on the national personal standard"),
    "document": Column("document number of the national standard"),
    "document_seen": Column("whether the document itself was read (not only a reprint)"),
    # assisted groups
    "category": Column("canonical assisted-group category id (rules/categories.yaml)"),
    "category_zh": Column("canonical category name in Chinese"),
    "category_gloss": Column("canonical category in English"),
    "category_label": Column("canonical category as labelled in the book"),
    "group_id": Column("id of the group in the rule file"),
    "help": Column("kind of help: full, fixed amount, share, at least an amount, none, or not stated"),
    "assistance": Column("contribution paid for a member of the group (资助), capped at the personal contribution",
                         YUAN),
    "personal_pays": Column("what a member of the group pays after assistance", YUAN),
    "personal_pays_upper_bound": Column("true when what the person pays is a maximum (help of 'at least' an amount)"),
    "personal_pays_stated": Column("what the notice says a member of the group pays, where it says so", YUAN),
    "payer_kind": Column("who pays the assistance (id)"),
    "payer_gloss": Column("who pays the assistance, in English"),
    "payer_status": Column("stated, or not stated (with the document the notice refers to)"),
    "payer_name_zh": Column("who pays the assistance, as written in the notice"),
    "multiple_groups": Column("rule for a person in several groups (id)"),
    "multiple_groups_cap": Column("whether help is capped at the personal contribution"),
    "excluded": Column("true for a group the notice excludes from assistance"),
    # start of cover
    "circumstance": Column("the person's circumstance (id): ordinary resident, newborn, lapse in employee "
                           "insurance, veteran, released prisoner, migrant worker"),
    "rule_id": Column("id of the start rule in the rule file"),
    "rule_stated": Column("whether the notice states the rule"),
    "rule_status": Column("stated, or not stated"),
    "categories": Column("assisted-group categories the rule is limited to (ids)"),
    "condition": Column("when the rule applies, in words"),
    "due": Column("what is due under the rule (id)"),
    "due_words": Column("what is due under the rule, in words"),
    "due_amount": Column("amount due under the rule before assistance", YUAN),
    "starts": Column("when cover starts under the rule (id)"),
    "starts_words": Column("when cover starts under the rule, in words"),
    "worked_categories": Column("categories of the worked example (ids)"),
    "worked_payment": Column("payment date of the worked example", "date"),
    "worked_event_date": Column("date of the event (birth, lapse, discharge, release) of the worked example", "date"),
    "worked_cover_start": Column("start of cover in the worked example", "date"),
    "waiting_days": Column("days from payment to the start of cover in the worked example", DAYS),
    # coverage start series
    "payment_date": Column("date an ordinary resident pays", "date"),
    "days_from_start": Column("payment date less the first day of the coverage period", DAYS),
    "coverage_start": Column("first day of cover for that payment; empty where not stated or none", "date"),
    "cover_days_from_start": Column("start of cover less the first day of the coverage period", DAYS),
    "personal_due": Column("personal amount due for that payment", YUAN),
    "personal_due_is_upper_bound": Column("true when what the person owes is a maximum"),
    "payable": Column("whether the payment buys cover: true, false, or empty where the notice is silent"),
    "rule": Column("id of the start rule that applies"),
    # waiting compliance
    "years_uninsured": Column("years without insurance before enrolling", "years"),
    "years_back_paid": Column("years of contributions paid back", "years"),
    "paid": Column("payment date: the day after the collection window closes", "date"),
    "local_waiting_days": Column("wait for cover under the local rule", DAYS),
    "national_waiting_days": Column("wait for cover under the national rule (国办发〔2024〕38号)", DAYS),
    "verdict": Column("local wait against the national rule: meets, exceeds, falls short, or not stated"),
    # calendar
    "event_id": Column("id of the window, extension or milestone in the rule file"),
    "kind": Column("coverage period, payment window, extension or milestone"),
    "gloss": Column("the event in English"),
    "start": Column("first day", "date"),
    "end": Column("last day", "date"),
    "start_offset": Column("first day less 1 January of the coverage year", DAYS),
    "end_offset": Column("last day less 1 January of the coverage year", DAYS),
    "end_weekday": Column("weekday of the last day"),
    "end_is_weekend": Column("whether the last day is a Saturday or Sunday"),
    "end_is_rest_day": Column("whether the last day is an official rest day in China (chinese-calendar)"),
    "end_is_holiday": Column("the statutory holiday the last day falls in, if any"),
    # changes
    "scope": Column("national or local change"),
    "from_year": Column("earlier coverage or standard year", "year"),
    "to_year": Column("later coverage or standard year", "year"),
    "field": Column("the figure or field that changed, or that the notice does not state (path in the rule file)"),
    "before": Column("value in the earlier year (yuan for amounts)"),
    "after": Column("value in the later year (yuan for amounts)"),
    "delta": Column("after less before, for amounts", YUAN),
    # unstated
    "not_stated": Column("true when the notice does not state the value"),
    "what": Column("the figure or field in plain words"),
    "interpreted": Column("true when the value is a reading of an ambiguous clause"),
    "refers_to": Column("the document the notice refers to for what it does not state"),
    "alternatives": Column("other readings of the clause, separated by |"),
    "why": Column("why the encoded reading was chosen"),
    "version": Column("commit the file was made from and the day it was made"),
}
_SUFFIXES = (
    ("_status", "{}: stated, or not stated (with the document the notice refers to)", ""),
    ("_clause", "{}: clause of the source cited", ""),
    ("_anchor", "{}: anchor of the cited clause on its source's page in the book", ""),
    ("_url", "{}: full address of the cited clause on its source's page in the book", ""),
    ("_at_least", "{}: true when the figure is a floor (不低于), not an exact amount", ""),
    ("_gloss", "{} in plain English", ""),
)
_PIVOT_LABEL = re.compile(r".+ \d{4}$")  # assisted_pivot: one column per jurisdiction-year label


def describe(table: str, name: str) -> Column:
    """The meaning and unit of column ``name`` of ``table``; raises :class:`UndocumentedColumn`."""
    if name in _COLUMNS:
        return _COLUMNS[name]
    for suffix, meaning, unit in _SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and (base in _COLUMNS or base in ("national", "personal")):
            return Column(meaning.format(base.replace("_", " ")), unit)
    if table == "assisted_pivot" and _PIVOT_LABEL.fullmatch(name):
        return Column(f"what a member of the category pays in {name} after assistance (lowest where several "
                      "groups map to the category)", YUAN)
    raise UndocumentedColumn(f"{table}.{name} has no entry in the data dictionary (policylib/datadict.py)")


def _type(series: pd.Series) -> str:
    kind = str(series.dtype)
    if kind in ("Int64", "int64"):
        return "integer"
    if kind == "bool":
        return "true/false"
    if kind.startswith("datetime"):
        return "date (YYYY-MM-DD)"
    values = series.dropna()
    if len(values) and all(isinstance(v, bool) for v in values):
        return "true/false"
    if len(values) and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    return "text"


def dictionary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per column of every table: ``file``, ``column``, ``meaning``, ``unit``, ``type``."""
    rows = []
    for name, df in tables.items():
        for column in df.columns:
            described = describe(name, str(column))
            rows.append({"file": f"{name}.csv / {name}.xlsx", "column": str(column), "meaning": described.meaning,
                         "unit": described.unit, "type": _type(df[column])})
    return pd.DataFrame(rows, columns=["file", "column", "meaning", "unit", "type"])
