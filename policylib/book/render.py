"""HTML and text rendering for the book's notebooks: escaped tables with clause links, cards, badges.

The markup comes from Jinja2 macros with autoescaping (``policylib/data/templates/render.html``): every
value taken from a rule file, a source or a comparison table is escaped before it is put into markup,
so a quote containing ``<script>`` is shown as text, never run. Markup built here is :class:`Html` (a
``markupsafe.Markup``); any plain ``str`` handed to a helper, or joined to ``Html``, is escaped. What a notice does not
state is shown with a "not stated" badge and what the notice refers to, never filled in.

Links to clauses go to their source's page in the book (:func:`policylib.anchors.clause_link`), one click from
any figure. Output is deterministic: no ids, no timestamps, rows in the order given.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from markupsafe import Markup

from policylib import wording
from policylib.anchors import clause_link
from policylib.book.markup import template_env
from policylib.book.mime import DATA_MIME
from policylib.compare import CIRCUMSTANCE_GLOSS, FALLBACK, NO_RULE, NOT_STATED, condition_words

__all__ = [
    "Column",
    "Html",
    "badge",
    "card",
    "clause",
    "data_bundle",
    "data_output",
    "date_text",
    "details",
    "esc",
    "figure",
    "is_missing",
    "join",
    "link",
    "long_date",
    "money",
    "page_style",
    "status_cell",
    "table",
]

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

STYLE = """
.pl-table { border-collapse: collapse; font-size: 0.88em; margin: 0.4em 0 1em 0; }
.pl-table th, .pl-table td { border: 1px solid #d0d7de; padding: 3px 6px; vertical-align: top; text-align: left; }
.pl-table th { background: #f6f8fa; }
.pl-table caption { caption-side: top; text-align: left; }
.pl-badge { display: inline-block; padding: 0 6px; border-radius: 8px; background: #eeeeee; color: #57606a;
  border: 1px dashed #8c959f; font-size: 0.85em; white-space: nowrap; }
.pl-flag { display: inline-block; padding: 0 6px; border-radius: 8px; background: #fff1e5; color: #9a3412;
  border: 1px solid #fb923c; font-size: 0.85em; white-space: nowrap; }
.pl-card { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.6em 1em; margin: 0.5em 0 1em 0;
  background: #fbfcfd; }
.pl-card .pl-title { font-weight: 700; margin: 0; }
.pl-card dl { margin: 0.3em 0 0 0; }
.pl-card dt { font-weight: 600; margin-top: 0.3em; }
.pl-card dd { margin-left: 1.5em; }
"""


class Html(Markup):
    """Markup that is already safe to insert (built by this module's templates from escaped parts)."""

    __slots__ = ()


@functools.cache
def _macros() -> Any:
    return template_env().get_template("render.html").module


def _macro(name: str, *args: object, **kwargs: object) -> Html:
    """Call a macro of ``render.html``; its arguments are escaped unless they are already markup."""
    return Html(getattr(_macros(), name)(*args, **kwargs))


def page_style() -> Html:
    """The ``<style>`` block for the classes used here; display it once at the top of a page."""
    return _macro("style", STYLE)


def is_missing(value: object) -> bool:
    """Whether a value is absent: None, pandas NA/NaT or a float NaN."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def esc(value: object) -> Html:
    """A value as escaped text (``Html`` passes through unchanged; missing values become empty)."""
    if isinstance(value, Html):
        return value
    if is_missing(value):
        return Html("")
    if isinstance(value, pd.Timestamp):
        value = value.date()
    if isinstance(value, dt.date):
        value = value.isoformat()
    return Html(Markup.escape(str(value)))


def join(parts: Iterable[object], sep: str = " ") -> Html:
    """Join escaped parts (``Html`` kept as is) with an escaped separator; empty parts are dropped."""
    pieces = [esc(p) for p in parts]
    return Html(esc(sep).join(p for p in pieces if p))


def link(text: object, href: str, title: str | None = None) -> Html:
    """An ``<a>`` element; the text and the address are escaped."""
    return _macro("link", esc(text), href, title)


def badge(text: str = NOT_STATED, detail: object = None) -> Html:
    """A grey "not stated" badge, followed by what it refers to when given."""
    shown = None if is_missing(detail) or not str(detail).strip() else esc(detail)
    return _macro("badge", esc(text), shown)


def flag(text: object) -> Html:
    """An orange flag (e.g. a deadline falling on a rest day)."""
    return _macro("flag", esc(text))


def status_cell(status: object) -> Html:
    """A comparison table's status (``stated``, ``not stated (refers to …)``, ``no rule stated``) as markup."""
    if is_missing(status):
        return badge()
    text = str(status)
    for word in (NO_RULE, NOT_STATED, FALLBACK):
        if text.startswith(word):
            rest = text[len(word):].strip()
            if rest.startswith("(") and rest.endswith(")"):
                rest = rest[1:-1]
            return badge(word, rest or None)
    return esc(text)


def clause(source: object, clause_path: object) -> Html:
    """A link to a clause on its source's page, shown as ``§clause``; a badge when there is no clause."""
    if is_missing(source) or is_missing(clause_path):
        return badge("no clause")
    return link(f"§{clause_path}", clause_link(str(source), str(clause_path)), title=f"{source} {clause_path}")


def money(amount: object, *, at_least: bool = False, upper_bound: bool = False) -> str:
    """A sum in yuan as text: ``280 yuan``, ``at least 550 yuan``, ``at most 160 yuan``."""
    return wording.money(None if is_missing(amount) else int(amount),  # type: ignore[call-overload]
                         at_least=at_least, upper_bound=upper_bound)


def figure(amount: object, source: object = None, clause_path: object = None, *, status: object = None,
           at_least: bool = False, upper_bound: bool = False) -> Html:
    """An amount with its clause link, or a "not stated" badge (with what the notice refers to)."""
    if is_missing(amount):
        if status is not None and not is_missing(status) and str(status) != "stated":
            return status_cell(status)
        return badge()
    text = esc(money(amount, at_least=at_least, upper_bound=upper_bound))
    if is_missing(clause_path):
        return text
    return join([text, clause(source, clause_path)])


def _as_date(value: object) -> dt.date | None:
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def date_text(value: object, weekday: bool = False) -> str:
    """A date as ISO text (``2021-03-31``, with ``(Wed)`` when asked); empty when missing."""
    day = _as_date(value)
    if day is None:
        return ""
    return f"{day.isoformat()} ({WEEKDAYS[day.weekday()]})" if weekday else day.isoformat()


def long_date(value: object) -> str:
    """A date in words, independent of the locale: ``3 March 2021``."""
    day = _as_date(value)
    if day is None:
        return NOT_STATED
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def circumstance(value: object) -> str:
    """A circumstance id with its English gloss and Chinese term."""
    return CIRCUMSTANCE_GLOSS.get(str(value), str(value))


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    """A table column: its header and how a row (a mapping) becomes a cell."""

    header: str
    cell: Callable[[Mapping[str, Any]], object]


def _rows(data: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(data, pd.DataFrame):
        return [dict(zip(data.columns, values, strict=True)) for values in data.itertuples(index=False, name=None)]
    return list(data)


def _cell(value: object) -> Html:
    if isinstance(value, Html):
        return value
    if is_missing(value):
        return badge()
    if isinstance(value, bool):
        return esc("yes" if value else "no")
    return esc(value)


def table(data: pd.DataFrame | Iterable[Mapping[str, Any]], columns: Sequence[Column], *,
          caption: str | None = None, empty: str = "No rows.", css: str | None = None) -> Html:
    """An HTML table; each cell is escaped unless a column returns ``Html``; missing cells get a badge.

    ``css`` adds classes: ``pl-matrix`` gives a big table sorting and filtering (``_static/pl-tables.js``)."""
    rows = _rows(data)
    if not rows:
        return _macro("paragraph", esc(empty), em=True)
    cells = [[_cell(c.cell(row)) for c in columns] for row in rows]
    return _macro("table", [esc(c.header) for c in columns], cells, esc(caption) if caption else None, css)


def card(title: object, items: Sequence[tuple[str, object]]) -> Html:
    """A summary card: a title and label/value pairs (values escaped unless ``Html``)."""
    return _macro("card", esc(title), [(esc(label), _cell(value)) for label, value in items])


def bullets(items: Iterable[object]) -> Html:
    """An unordered list of escaped items (``Html`` items kept)."""
    return _macro("bullets", [_cell(i) for i in items])


def paragraph(*parts: object) -> Html:
    """A paragraph of escaped parts."""
    return _macro("paragraph", join(parts))


def _lead(text: str) -> Html:
    """A paragraph in bold that introduces what follows."""
    return _macro("paragraph", "", strong=text)


def details(summary: object, body: Html) -> Html:
    """A collapsed ``<details>`` block."""
    return _macro("details", esc(summary), body)


def _plain(value: object) -> object:
    """A cell as JSON-ready data: missing -> None, dates ISO, numpy scalars to Python; text kept as text."""
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp | dt.date):
        return date_text(value)
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _header_words(name: str) -> str:
    """A column name as a header: a bare identifier (``coverage_year``) in words, any other name as written."""
    return name.replace("_", " ") if re.fullmatch(r"[a-z][a-z0-9_]*", name) else name


def data_bundle(frame: pd.DataFrame, name: str, caption: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The MIME bundle and metadata of :func:`data_output`: the frame as pandas' ``orient="table"`` JSON
    (compared by nbval and ``policylib diff``) and as a closed "data behind this chart" table."""
    shown = frame.reset_index(drop=True).copy()
    shown.columns = [str(c) for c in shown.columns]
    for col in shown.columns:
        kind = shown[col].dtype.kind
        if kind == "M" or (kind == "O" and any(isinstance(v, dt.date) for v in shown[col].tolist())):
            shown[col] = pd.Series([_plain(v) for v in shown[col].tolist()], dtype=object)
    import json

    resource = json.loads(shown.to_json(orient="table", index=False, date_format="iso"))
    headers = [Column(_header_words(str(c)), functools.partial(lambda r, key: r[key], key=str(c)))
               for c in shown.columns]
    body = table(shown, headers, empty="No rows.")
    html = details(f"Data behind this chart ({caption})", body)
    return {DATA_MIME: resource, "text/html": str(html)}, {"policylib": {"table": name}}


def data_output(frame: pd.DataFrame, name: str, caption: str) -> None:
    """Display the data behind a chart or a long table as data (for nbval and ``policylib diff``) and as a
    closed ``<details>`` table for readers, instead of a printed dump."""
    from IPython.display import display

    data, metadata = data_bundle(frame, name, caption)
    display(data, raw=True, metadata=metadata)


# --------------------------------------------------------------------------- page sections
#
# Each function below renders one section of a profile or chapter page from the comparison tables, so
# the notebooks only call and display. Functions taking ``jurisdiction``/``year`` filter the tables to
# that jurisdiction-year.


def _only(df: pd.DataFrame, jurisdiction: str | None, year: int | None) -> pd.DataFrame:
    if jurisdiction is None:
        return df
    return df[(df["jurisdiction"] == jurisdiction) & (df["year"] == year)].reset_index(drop=True)


def _get(row: Mapping[str, Any], key: str) -> Any:
    value = row.get(key)
    return None if is_missing(value) else value


def _stated_figure(row: Mapping[str, Any], name: str, at_least: bool = False) -> Html:
    return figure(row.get(name), row.get("source"), row.get(f"{name}_clause"), status=row.get(f"{name}_status"),
                  at_least=at_least)


def cited(value: Any, default_source: str) -> Html:
    """Clause links of a rule-file value (all its citations), or a badge when it has none."""
    cites = getattr(value, "cite", None) or []
    if not cites:
        return badge("no clause")
    return join((clause(c.source or default_source, c.clause) for c in dict.fromkeys(cites)), " ")


def _cited_status(value: Any) -> Html:
    if getattr(value, "stated", True):
        return Html("")
    refers = getattr(value, "refers_to", None)
    return badge(NOT_STATED, f"refers to {refers}" if refers else None)


def compliance_words(row: Mapping[str, Any]) -> str:
    """Whether a local fiscal subsidy meets the national minimum that governs its coverage year, in words."""
    meets = _get(row, "subsidy_meets_national")
    sub, minimum = _get(row, "fiscal_subsidy"), _get(row, "national_subsidy_min")
    if _get(row, "national_standard_year") is None:
        return f"{NOT_STATED}: the project has no national standard governing {row.get('year')}"
    if meets is None:
        return f"cannot be checked: the {'local subsidy' if sub is None else 'national minimum'} is {NOT_STATED}"
    floor = "at least " if _get(row, "fiscal_subsidy_at_least") else ""
    diff = int(sub) - int(minimum)
    if meets:
        return (f"meets the national minimum: {floor}{int(sub)} yuan against {int(minimum)} yuan"
                + (f" (+{diff} yuan)" if diff else ""))
    return f"below the national minimum: {floor}{int(sub)} yuan against {int(minimum)} yuan ({diff} yuan)"


def personal_words(row: Mapping[str, Any]) -> str:
    """The local personal contribution against the national personal standard, in words."""
    pers, standard = _get(row, "personal_contribution"), _get(row, "national_personal_standard")
    if pers is None or standard is None:
        return f"cannot be compared: {'the local contribution' if pers is None else 'the national standard'} is " \
               f"{NOT_STATED}"
    diff = int(pers) - int(standard)
    if diff == 0:
        return f"equal to the national standard ({int(standard)} yuan)"
    return f"{abs(diff)} yuan {'above' if diff > 0 else 'below'} the national standard ({int(standard)} yuan)"


def _national_cell(row: Mapping[str, Any], amount: str, clause_col: str) -> Html:
    if _get(row, "national_standard_year") is None:
        return badge(NOT_STATED, "no national standard in the project for this year")
    return figure(row.get(amount), row.get("national_source"), row.get(clause_col),
                  at_least=amount == "national_subsidy_min")


def _national_document(row: Mapping[str, Any]) -> Html:
    if _get(row, "national_standard_year") is None:
        return badge()
    seen = _get(row, "national_document_seen")
    text = f"{row.get('national_document')} (standard year {int(row['national_standard_year'])})"
    return join([text, None if seen else "known from secondary reprints only"], "; ")


def summary_card(rules: Any) -> Html:
    """The profile's summary card: level, source document, key figures, window and coverage period."""
    from policylib.sources import SourceError, load_meta

    try:
        meta = load_meta(rules.source)
    except SourceError:
        meta = None
    fin = rules.financing
    if meta is None:
        document: object = badge(NOT_STATED, f"source {rules.source} has no metadata")
        issued: object = badge()
    else:
        number = meta.document_number or badge(NOT_STATED, meta.document_number_note)
        document = join([number, meta.title, f"({meta.title_en.strip()})"], " ")
        issued = meta.issued.isoformat() if meta.issued else badge(NOT_STATED, meta.issued_note)
    level = f"{rules.level}" + (f", in {rules.parent_zh}" if rules.parent_zh else "")
    windows = join([
        join([f"{w.name_zh}: {date_text(w.start) or '…'} to {date_text(w.end)}", cited(w, rules.source)], " ")
        if w.stated else join([f"{w.name_zh}:", _cited_status(w), w.note], " ")
        for w in rules.enrolment.windows
    ], "; ")
    period = rules.coverage.period
    if period.stated:
        coverage = join([f"{date_text(period.start)} to {date_text(period.end)}", cited(period, rules.source)], " ")
    else:
        coverage = join([_cited_status(period), period.note,
                         f"Recorded as an assumption: {date_text(period.start)} to {date_text(period.end)}.",
                         cited(period, rules.source) if period.cite else None], " ")
    return card(f"{rules.name_en} ({rules.name_zh}), coverage year {rules.coverage_year}", [
        ("Level", level),
        ("Source document", document),
        ("Date issued", issued),
        ("Personal contribution (个人缴费)", _amount_cell(fin.personal_contribution, rules.source)),
        ("Fiscal subsidy (财政补助)", _amount_cell(fin.fiscal_subsidy, rules.source)),
        ("Collection window (征缴期)", windows),
        ("Coverage period (待遇享受期)", coverage),
    ])


def _amount_cell(value: Any, source: str, with_note: bool = True) -> Html:
    if not value.stated:
        refers = f"refers to {value.refers_to}" if value.refers_to else None
        return join([badge(NOT_STATED, refers), value.note if with_note else None], " ")
    return join([money(value.amount, at_least=value.at_least), cited(value, source)], " ")


FINANCING_LABELS = {
    "personal_contribution": "Personal contribution (个人缴费)",
    "fiscal_subsidy": "Fiscal subsidy (财政补助)",
    "late_payer_total": "Late payer total (个人缴费和政府补助之和)",
    "critical_illness_funding": "Critical-illness insurance funding (大病保险)",
}


def financing_section(rules: Any, financing: pd.DataFrame) -> Html:
    """Financing figures of one jurisdiction-year with clause links, the governing national minimum and the
    compliance check (``financing`` is :func:`policylib.compare.financing_table`)."""
    rows = _rows(_only(financing, rules.jurisdiction, rules.coverage_year))
    if not rows:
        return paragraph(f"No financing row for {rules.name_en} {rules.coverage_year}.")
    row = rows[0]
    fin = rules.financing
    items = [
        {"figure": label, "value": _amount_cell(getattr(fin, name), rules.source, with_note=False),
         "note": getattr(fin, name).note}
        for name, label in FINANCING_LABELS.items()
    ]
    if fin.total_standard is not None:
        items.insert(0, {"figure": "Total financing standard (筹资标准)",
                         "value": _amount_cell(fin.total_standard, rules.source, with_note=False),
                         "note": fin.total_standard.note})
    split = fin.subsidy_split
    items.insert(2, {"figure": "Split of the subsidy between levels (分担)",
                     "value": join([row.get("subsidy_split"), cited(split, rules.source)], " ") if split.stated
                     else join([_cited_status(split) or badge()], " "), "note": split.note})
    local = table(items, [Column("Figure", lambda r: r["figure"]), Column("Amount and clause", lambda r: r["value"]),
                          Column("Note", lambda r: _get(r, "note") or "")])
    national = table([row], [
        Column("Governing national document", _national_document),
        Column("National subsidy minimum", lambda r: _national_cell(r, "national_subsidy_min", "national_clause")),
        Column("National personal standard",
               lambda r: _national_cell(r, "national_personal_standard", "national_clause")),
        Column("Subsidy check", lambda r: compliance_words(r)),
        Column("Personal contribution", lambda r: personal_words(r)),
    ])
    newline = Html("\n")
    classes = Html("")
    if fin.resident_classes:
        classes = newline + _lead("Resident classes (居民类别), tried in this order") + newline + table(
            fin.resident_classes, [
                Column("Class", lambda c: f"{c.name_zh}"),
                Column("Who", lambda c: " and ".join(condition_words(rules, w) for w in c.when) or "everyone else"),
                Column("Personal contribution", lambda c: _amount_cell(c.personal_contribution, rules.source, False)),
                Column("Fiscal subsidy", lambda c: _amount_cell(c.fiscal_subsidy, rules.source, False)),
                Column("Clause", lambda c: cited(c, rules.source)),
            ])
    return local + classes + newline + _lead("Against the national minimum (国家最低标准)") + newline + national


def compliance_table(financing: pd.DataFrame) -> Html:
    """Every local jurisdiction-year's subsidy and contribution beside the governing national minimum."""
    return table(financing, [
        Column("Jurisdiction-year", lambda r: r["label"]),
        Column("Personal contribution", lambda r: _stated_figure(r, "personal_contribution")),
        Column("National personal standard",
               lambda r: _national_cell(r, "national_personal_standard", "national_clause")),
        Column("Fiscal subsidy",
               lambda r: _stated_figure(r, "fiscal_subsidy", bool(_get(r, "fiscal_subsidy_at_least")))),
        Column("National subsidy minimum", lambda r: _national_cell(r, "national_subsidy_min", "national_clause")),
        Column("Governing national document", _national_document),
        Column("Subsidy check", lambda r: compliance_words(r)),
        Column("Personal contribution check", lambda r: personal_words(r)),
    ])


def national_table(national: pd.DataFrame) -> Html:
    """The national minimum series (:func:`policylib.compare.national_series`) with clause links."""
    return table(national, [
        Column("Standard year", lambda r: r["standard_year"]),
        Column("Governs coverage year", lambda r: r["governs_coverage_year"]),
        Column("Fiscal subsidy minimum", lambda r: figure(r["subsidy_min"], r["source"], r["clause"],
                                                         at_least=bool(r["subsidy_at_least"]))),
        Column("Personal standard", lambda r: figure(r["personal_standard"], r["source"], r["personal_clause"],
                                                     at_least=bool(r["personal_at_least"]))),
        Column("Document", lambda r: join([r["document"], None if r["document_seen"] else
                                           "(known from secondary reprints only)"], " ")),
        Column("Note", lambda r: r["personal_note"] or ""),
    ])


def _note_cell(r: Mapping[str, Any]) -> Html:
    reading = _get(r, "reading")
    return join([f"Reading: {reading}" if reading else None, _get(r, "note")], " ")


class NotesOnce:
    """Notes written once per table: a cell shows ``note 2``; the notes follow the table, numbered. Notes are
    kept escaped (``esc``), so rule-file text stays text."""

    def __init__(self) -> None:
        self.texts: dict[str, int] = {}

    def cell(self, text: object) -> Html:
        key = str(esc(text.strip() if isinstance(text, str) and not isinstance(text, Html) else text))
        if not key:
            return Html("")
        number = self.texts.setdefault(key, len(self.texts) + 1)
        return esc(f"note {number}")

    def footer(self) -> Html:
        return _macro("notes", "Notes", [Html(k) for k in self.texts])


def _help_cell(r: Mapping[str, Any]) -> Html:
    if r["excluded"]:
        return esc(r["help_gloss"])
    if str(r["status"]) != "stated":
        return status_cell(r["status"])
    amount = _get(r, "assistance")
    if r["help"] == "at_least" and amount is not None:
        return esc(f"at least {int(amount)} yuan (不低于)")
    words = str(r["help_gloss"])
    return esc(f"{words}: {money(amount)}" if amount is not None else words)


def _pays_cell(r: Mapping[str, Any]) -> Html:
    pays = _get(r, "personal_pays")
    if pays is None:
        return status_cell(r["status"]) if str(r["status"]) != "stated" else badge()
    return esc(money(pays, upper_bound=bool(r["personal_pays_upper_bound"])))


def _payer_cell(r: Mapping[str, Any]) -> Html:
    if r["excluded"]:
        return esc("—")
    status = r.get("payer_status")
    if not is_missing(status) and str(status) != "stated":
        return status_cell(status)
    gloss, name = _get(r, "payer_gloss") or "", _get(r, "payer_name_zh")
    return join([gloss, f"({name})" if name and str(name) not in gloss else None], " ")


def _category_cell(r: Mapping[str, Any]) -> Html:
    return join([_get(r, "category_zh") or r["category"],
                 _macro("small", r["category_gloss"]) if _get(r, "category_gloss") else None], "")


def assisted_table(matrix: pd.DataFrame, jurisdiction: str | None = None, year: int | None = None) -> Html:
    """Assisted and excluded groups (:func:`policylib.compare.assisted_matrix`): as named, canonical category,
    help, what the person pays, who pays and the clause; all jurisdiction-years unless one is given."""
    rows = _only(matrix, jurisdiction, year)
    columns = [Column("Canonical category", _category_cell)] if jurisdiction is None else []
    if jurisdiction is None:
        columns.append(Column("Jurisdiction-year", lambda r: r["label"]))
    columns += [Column("As named (原文)", lambda r: r["name_zh"])]
    if jurisdiction is not None:
        columns.append(Column("Canonical category", _category_cell))
    columns += [
        Column("Help (资助)", _help_cell),
        Column("Person pays", _pays_cell),
        Column("Payer", _payer_cell),
    ]
    notes = NotesOnce()
    columns += [
        Column("Note", lambda r: notes.cell(_note_cell(r))),
        Column("Clause", lambda r: clause(r["source"], r["clause"])),
    ]
    out = table(rows, columns, empty="No assisted groups are named.") + notes.footer()
    if jurisdiction is None and not rows.empty:
        several = rows.drop_duplicates(["jurisdiction", "year"])
        out += _lead("A person in several groups (多重身份)") + table(several, [
            Column("Jurisdiction-year", lambda r: r["label"]),
            Column("Rule", lambda r: status_cell(r["multiple_groups_gloss"])),
        ])
    return Html(out)


def several_groups(rules: Any) -> Html:
    """The several-groups rule (就高不就低 or not stated) and the excluded groups, with clause links."""
    multi = rules.multiple_groups
    if multi.stated:
        words = "highest single help only, no stacking (就高不就低)"
        cap = {True: "help capped at the personal contribution", False: "no cap at the personal contribution",
               None: "whether the help is capped at the personal contribution is not stated"}
        rule = join([f"{words}; {cap[multi.cap_at_personal_contribution]}.", cited(multi, rules.source),
                     multi.note], " ")
    else:
        rule = join([badge(NOT_STATED, multi.refers_to), multi.note], " ")
    from policylib import catalogue

    glosses = {c.id: c.gloss for c in catalogue.categories().categories}
    excluded = [join([f"{g.name_zh} ({glosses.get(g.category, g.category)})", cited(g, rules.source),
                      _cited_status(g)], " ") for g in rules.excluded_groups]
    out = _macro("paragraph", rule, strong="A person in several groups (多重身份):")
    excluded_head = "Excluded from assistance (不再享受资助):"
    if excluded:
        out += _macro("paragraph", "", strong=excluded_head)
        out += bullets(excluded)
    else:
        out += _macro("paragraph", "none named in this notice.", strong=excluded_head)
    other = rules.other_groups
    other_words = (join([badge(NOT_STATED, f"refers to {other.refers_to}" if other.refers_to else None),
                         other.note, cited(other, rules.source) if other.cite else None], " ")
                   if not other.stated else join([other.note, cited(other, rules.source)], " "))
    out += _macro("paragraph", other_words, strong="Other groups in difficulty (其他困难群体):")
    return Html(out)


def _rest_day_cell(r: Mapping[str, Any]) -> Html:
    if _get(r, "end") is None:
        return Html("")
    holiday = _get(r, "end_is_holiday")
    rest = r.get("end_is_rest_day")
    weekend = r.get("end_is_weekend")
    if holiday:
        return flag(f"statutory holiday: {holiday}")
    if rest is True:
        return flag("weekend (rest day)")
    if rest is None:
        return join([flag("weekend") if weekend else "working day", "(no holiday data for this year)"], " ")
    if weekend:
        return esc("weekend, but an adjusted working day (调休上班)")
    return esc("working day")


def _end_cell(r: Mapping[str, Any]) -> Html:
    if _get(r, "end") is None:
        status = r.get("status")
        return status_cell(status) if not is_missing(status) and str(status) != "stated" else badge()
    return esc(date_text(r["end"], weekday=True))


def _offset_cell(r: Mapping[str, Any]) -> str:
    if _get(r, "end_offset") is None:
        return ""
    start = _get(r, "start_offset")
    return (f"{int(start)} to " if start is not None else "") + f"{int(r['end_offset'])}"


def calendar_table(events: pd.DataFrame, jurisdiction: str | None = None, year: int | None = None) -> Html:
    """Windows, extensions and milestones (:func:`policylib.compare.calendar_events`) with rest-day flags."""
    rows = _only(events, jurisdiction, year)
    columns = [] if jurisdiction is not None else [Column("Jurisdiction-year", lambda r: r["label"])]
    columns += [
        Column("Event", lambda r: join([r["name_zh"], _macro("small", r["gloss"])], "")),
        Column("Kind", lambda r: r["kind"]),
        Column("From", lambda r: date_text(r["start"], weekday=True)),
        Column("To", _end_cell),
        Column("Days from 1 Jan of the coverage year", _offset_cell),
        Column("Last day falls on", _rest_day_cell),
        Column("Note", lambda r: notes.cell(_get(r, "note"))),
        Column("Clause", lambda r: clause(r["source"], r["clause"])),
    ]
    notes = NotesOnce()
    return Html(table(rows, columns, empty="No dates are stated.") + notes.footer())


def start_rules_html(rules_table: pd.DataFrame, jurisdiction: str | None = None, year: int | None = None) -> Html:
    """Start-of-cover rules per circumstance (:func:`policylib.compare.start_rules_table`), with worked
    dates and "as for ordinary residents" rows for circumstances with no rule of their own."""
    rows = _only(rules_table, jurisdiction, year)

    def worked(r: Mapping[str, Any]) -> Html:
        if not r["rule_stated"]:
            return Html("")
        if _get(r, "worked_payment") is None:
            return badge("no example found")
        parts = []
        if _get(r, "worked_event_date") is not None:
            parts.append(f"event {date_text(r['worked_event_date'])},")
        parts.append(f"paid {date_text(r['worked_payment'])} →")
        start = _get(r, "worked_cover_start")
        parts.append(f"covered from {date_text(start)}" if start is not None else badge())
        return join(parts, " ")

    columns = [] if jurisdiction is not None else [Column("Jurisdiction-year", lambda r: r["label"])]
    columns += [
        Column("Circumstance", lambda r: circumstance(r["circumstance"])),
        Column("When", lambda r: (r["condition"] or "always") if r["rule_stated"] else badge(FALLBACK)),
        Column("Pays", lambda r: r["due_words"] if r["due"] != "not_stated" else badge()),
        Column("Cover starts", lambda r: status_cell(r["starts_words"]) if r["starts"] == "not_stated"
               else r["starts_words"]),
        Column("Waiting days", lambda r: ("" if not r["rule_stated"] else badge())
               if _get(r, "waiting_days") is None else int(r["waiting_days"])),
        Column("Worked example", worked),
        Column("Note", lambda r: notes.cell(_note_cell(r))),
        Column("Clause", lambda r: clause(r["source"], r["clause"]) if r["rule_stated"] else ""),
    ]
    notes = NotesOnce()
    return Html(table(rows, columns) + notes.footer())


def waiting_compliance_html(compliance: pd.DataFrame) -> Html:
    """Local waiting periods against the national rule (国办发〔2024〕38号), one row per person profile."""
    def who(r: Mapping[str, Any]) -> str:
        if r["circumstance"] == "newborn":
            return "newborn (新生儿), enrolled on the day of birth"
        back = f", {int(r['years_back_paid'])} paid back (补缴)" if r["years_back_paid"] else ""
        years = int(r["years_uninsured"])
        return f"resident, {years} year{'s' if years != 1 else ''} without insurance (断保){back}"

    def days(value: object) -> Html:
        return badge() if is_missing(value) else esc(f"{int(value)} days")  # type: ignore[call-overload]

    columns = [
        Column("Jurisdiction-year", lambda r: r["label"]),
        Column("Person, enrolling the day after the window", lambda r: f"{who(r)}; {date_text(r['paid'])}"),
        Column("Wait: local / national", lambda r: join([days(r["local_waiting_days"]), "/",
                                                          days(r["national_waiting_days"])], " ")),
        Column("Local rule", lambda r: status_cell(r["verdict"])),
    ]
    return table(compliance, columns, empty="No local jurisdiction-year falls under the national rule yet.")


def _reading_cell(r: Mapping[str, Any]) -> Html:
    if not r["interpreted"]:
        return Html("")
    parts: list[object] = [_get(r, "reading")]
    if _get(r, "alternatives"):
        parts.append(_macro("small", f"other readings: {r['alternatives']}"))
    if _get(r, "why"):
        parts.append(_macro("small", f"why: {r['why']}"))
    return join(parts, "")


def unstated_table(unstated: pd.DataFrame, jurisdiction: str | None = None, year: int | None = None) -> Html:
    """What the notices leave unstated or ambiguous (:func:`policylib.compare.unstated`)."""
    rows = _only(unstated, jurisdiction, year)
    columns = [] if jurisdiction is not None else [Column("Jurisdiction-year", lambda r: r["label"])]
    columns += [
        Column("What", lambda r: _get(r, "what") or r["field"]),
        Column("Open point", lambda r: status_cell(r["status"]) if r["not_stated"] else esc("ambiguous (解读)")),
        Column("What the notice leaves open", lambda r: _get(r, "note") or ""),
        Column("Reading encoded", _reading_cell),
        Column("Clause", lambda r: clause(r["source"], r["clause"]) if _get(r, "clause") else badge("no clause")),
    ]
    return table(rows, columns, empty="Nothing is left unstated or read as ambiguous.")


def local_changes_html(local: pd.DataFrame, entries: Iterable[Any]) -> Html:
    """Local changes between consecutive years, after saying which jurisdictions have a single year."""
    notes = single_year_notes(entries)
    if local.empty:
        return Html(notes + paragraph("No jurisdiction has two years yet, so no local rule can have moved."))
    return Html(notes + changes_table(local))


def changes_table(changes: pd.DataFrame) -> Html:
    """Field changes between years (:func:`policylib.compare.changes` or one of its parts)."""
    return table(changes, [
        Column("Scope", lambda r: r["scope"]),
        Column("Jurisdiction", lambda r: r["name_en"]),
        Column("From → to", lambda r: f"{int(r['from_year'])} → {int(r['to_year'])}"),
        Column("Field", lambda r: _macro("code", r["field"])),
        Column("Before", lambda r: r["before"]),
        Column("After", lambda r: r["after"]),
        Column("Change", lambda r: "" if _get(r, "delta") is None else f"{int(r['delta']):+d}"),
        Column("Clause", lambda r: clause(r["source"], r["clause"])),
    ], empty="No changes.")


def years_by_jurisdiction(entries: Iterable[Any]) -> dict[str, tuple[str, list[int]]]:
    """Local catalogue entries grouped: jurisdiction -> (English name, sorted years)."""
    out: dict[str, tuple[str, list[int]]] = {}
    for e in entries:
        out.setdefault(e.jurisdiction, (e.name_en, []))[1].append(int(e.year))
    return {j: (name, sorted(years)) for j, (name, years) in out.items()}


def single_year_notes(entries: Iterable[Any]) -> Html:
    """A plain statement of which jurisdictions have a single year, so nothing can have moved yet."""
    grouped = years_by_jurisdiction(entries)
    single = [f"{name} has a single year ({years[0]}): nothing can move yet."
              for name, years in grouped.values() if len(years) == 1]
    several = [f"{name}: {', '.join(str(y) for y in years)}." for name, years in grouped.values() if len(years) > 1]
    out = Html("")
    if several:
        out += paragraph("Jurisdictions with several years:") + bullets(several)
    if single:
        out += paragraph("Jurisdictions with a single year:") + bullets(single)
    return out or paragraph("No local rule files.")


# --------------------------------------------------------------------------- worked cases


def _citation_items(citations: Iterable[Mapping[str, str]]) -> list[Html]:
    return [join([clause(c["source"], c["clause"]), c.get("document"), f"“{c['excerpt']}”"],
                 " ") for c in citations]


def calculator_link(case: Any, text: str = "Try it in the calculator (计算器)") -> Html:
    """A link to the book's calculator with the case's person filled in (from a page one level down)."""
    from policylib.calculator import link as calculator_href

    return _macro("link", esc(text), calculator_href(case.person, case.jurisdiction, case.year),
                  None, css="pl-calc-link")


TRAINING_STYLE = """
.pl-question { margin: 0.6em 0 1.4em 0; }
.pl-question > p { margin-bottom: 0.3em; }
details.pl-reveal > summary { cursor: pointer; color: #0a58ca; font-weight: 600; }
details.pl-reveal[open] > summary { margin-bottom: 0.3em; }
.pl-answer { border-left: 3px solid #8c959f; padding: 0.2em 0 0.2em 0.8em; overflow-wrap: anywhere; }
.pl-answer .pl-summary { font-weight: 600; }
.pl-answer dd { margin-left: 1em; }
.pl-print-controls { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.4em 0.8em; background: #f6f8fa; }
.pl-print-controls p { margin: 0.3em 0; }
.pl-print { margin-left: 0.5em; }
body:has(#pl-sheet:checked) details.pl-reveal { display: none; }
@media print {
  details.pl-reveal::details-content { content-visibility: visible; display: block; }
  details.pl-reveal > summary, .pl-print-controls, .pl-calc-link { display: none !important; }
  .bd-header, .bd-header-article, .header-article, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer,
  .bd-footer-article, .prev-next-area, .bd-footer-content, nav, footer, .headerlink, #jb-print-toc,
  .tag_hide-input > details.hide { display: none !important; }
  .bd-article-container { max-width: none !important; }
  .pl-question { break-inside: avoid; }
  body:has(#pl-sheet:checked) details.pl-reveal { display: none !important; }
}
"""
# Browsers without ::details-content print closed <details> empty: open them for printing, close them after.
TRAINING_SCRIPT = """
(function () {
  var opened = [];
  window.addEventListener('beforeprint', function () {
    var sheet = document.getElementById('pl-sheet');
    if (sheet && sheet.checked) { return; }
    document.querySelectorAll('details.pl-reveal:not([open])').forEach(function (d) { d.open = true; opened.push(d); });
  });
  window.addEventListener('afterprint', function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
}());
"""


def _quoted_clauses(citations: Sequence[Mapping[str, str]]) -> list[tuple[str, object]]:
    """The clauses an answer rests on, quoted and linked, under the name of their document (said once)."""
    if not citations:
        return [("Clauses quoted", badge("no clause"))]
    documents: dict[str, list[Html]] = {}
    for c in citations:
        documents.setdefault(c.get("document") or c["source"], []).append(
            join([clause(c["source"], c["clause"]), f"“{c['excerpt']}”"], " "))
    return [(f"Clauses quoted from {document}", bullets(lines)) for document, lines in documents.items()]


def training_controls() -> Html:
    """The training page's print controls: a question-sheet toggle that hides every answer, a print button,
    and the print stylesheet (answers shown, navigation hidden)."""
    return _macro("print_controls", TRAINING_STYLE, TRAINING_SCRIPT)


def case_question(case: Any, number: str) -> Html:
    """A worked case's question, numbered, with a link to the calculator filled in with its person."""
    return _macro("paragraph", esc(case.question) + Html(" ") + calculator_link(case), strong=number)


def case_answer(answer: Any) -> Html:
    """The engine's answer to a worked case in plain words: what is paid, cover, the rule and its clauses,
    what the notice leaves open, the day counting only where days are counted, and the common mistakes."""
    q = answer.quote
    items: list[tuple[str, object]] = [
        ("The person pays", answer.pays),
        ("The rest", answer.rest),
        ("Cover", answer.cover),
    ]
    if q.waiting_days:
        items.append(("Waiting period (待遇等待期)", answer.waiting))
    items.append(("Rule of the notice", answer.rule_words or badge(NO_RULE)))
    items += _quoted_clauses(answer.citations)
    if answer.consult:
        items.append(("Where the notice is silent (未明确)", answer.consult))
    if answer.day_counting:
        items.append(("Day counting", answer.day_counting))
    if answer.explanation:
        items.append(("Notes", bullets(answer.explanation)))
    if answer.mistakes:
        items.append(("Common mistakes", bullets(_macro("mistake", m.wrong, m.why) for m in answer.mistakes)))
    return _macro("answer_body", answer.summary, items)


def case_numbers(cases: Sequence[Any], prefix: str = "") -> list[str]:
    """Case numbers ``{prefix}1``, ``{prefix}2``, … in the order given."""
    return [f"{prefix}{i}" for i in range(1, len(cases) + 1)]


def exercises_html(answers: Sequence[Any], prefix: str = "") -> Html:
    """Worked cases as exercises: each question with its own control that reveals only its answer."""
    if not answers:
        return _macro("paragraph", "No rule file has a rule for this case yet.", em=True)
    numbers = case_numbers([a.case for a in answers], prefix)
    return Html("\n").join(
        _macro("exercise", "q-" + n.replace(".", "-"), n, esc(a.case.question), calculator_link(a.case),
               case_answer(a))
        for a, n in zip(answers, numbers, strict=True))


def cases_table(answers: Sequence[Any]) -> Html:
    """Worked cases as one table (for a profile): question, what is paid, cover, waiting days, rule, clauses."""
    from policylib.training import KIND_TITLES

    rows = [{"a": a} for a in answers]
    return table(rows, [
        Column("Case", lambda r: KIND_TITLES.get(r["a"].case.kind, r["a"].case.kind)),
        Column("Question", lambda r: join([r["a"].case.question, calculator_link(r["a"].case, "calculator")], " ")),
        Column("Pays", lambda r: r["a"].pays),
        Column("Cover", lambda r: r["a"].cover),
        Column("Waiting", lambda r: r["a"].waiting),
        Column("Rule of the notice", lambda r: r["a"].rule_words or badge(NO_RULE)),
        Column("Clauses", lambda r: join(dict.fromkeys(clause(c["source"], c["clause"]) for c in r["a"].citations),
                                         " ")),
    ], empty="The rule file has no rule for these cases.")


DOWNLOADS = "../downloads"  # from a chapter page; see policylib.book.sphinx_downloads


def download_link(table_name: str) -> Html:
    """Links to a table's CSV and XLSX in the downloads, and to the data dictionary, for beside the table."""
    from policylib.compare import table_names

    if table_name not in table_names():
        raise KeyError(f"no exported table named {table_name!r}")
    return _macro("download_link", table_name, f"{DOWNLOADS}/{table_name}", "../downloads.html#data-dictionary")


# --------------------------------------------------------------------------- at a glance


def _percent(share: object) -> str:
    return f"{round(float(share) * 100)}%"  # type: ignore[arg-type]


def _profile_link(r: Mapping[str, Any]) -> Html:
    return link(r["label"], f"../profiles/{r['jurisdiction']}-{int(r['year'])}.html")


def _with_clause(text: object, source: object, clause_path: object) -> Html:
    return join([text, clause(source, clause_path) if not is_missing(clause_path) else None], " ")


def _highest_cell(r: Mapping[str, Any]) -> Html:
    if _get(r, "highest_contribution") is None:
        return status_cell(r["highest_status"])
    top = money(r["highest_contribution"])
    classes = _get(r, "classes")
    if not classes:
        return _with_clause(top, r["source"], r["highest_clause"])
    head = _with_clause(f"{top} ({r['highest_class_zh']})", r["source"], r["highest_clause"])
    per_class = [_with_clause(f"{c['class_zh']}: {money(c['amount'])}", r["source"], c["clause"]) for c in classes]
    return join([head, _macro("small", "by resident class (居民类别): "), join(per_class, "; ")], "")


def _above_cell(r: Mapping[str, Any]) -> Html:
    standard = _get(r, "national_personal_standard")
    if standard is None:
        return badge(NOT_STATED, "no national standard in the project for this year")
    base = f"{money(standard)}, standard {int(r['national_standard_year'])}"
    diff = _get(r, "above_national")
    if diff is None:
        return join([badge(), f"against {base}"], " ")
    words = "equal to" if diff == 0 else f"{abs(int(diff))} yuan {'above' if diff > 0 else 'below'}"
    return _with_clause(f"{words} the national minimum ({base})", r["national_source"], r["national_clause"])


def _dibao_cell(r: Mapping[str, Any]) -> Html:
    low, high = _get(r, "dibao_pays_low"), _get(r, "dibao_pays_high")
    if low is None:
        return join([status_cell(r["dibao_status"]),
                     clause(r["source"], r["dibao_clause"]) if _get(r, "dibao_clause") else None], " ")
    bound = bool(r["dibao_pays_upper_bound"])
    if low == high:
        amount = money(low, upper_bound=bound)
        share = None if _get(r, "dibao_share_low") is None else _percent(r["dibao_share_low"])
    else:
        amount = f"{'at most ' if bound else ''}{int(low)} to {int(high)} yuan"
        share = None if _get(r, "dibao_share_low") is None else \
            f"{_percent(r['dibao_share_low'])} to {_percent(r['dibao_share_high'])}"
    words = amount + (f" ({'at most ' if bound else ''}{share} of the contribution)" if share else "")
    groups = int(r["dibao_groups"])
    more = f"; {groups} 低保 groups, see the assisted groups chapter" if groups > 1 else ""
    return _with_clause(words + more, r["source"], r["dibao_clause"])


def _late_cell(r: Mapping[str, Any]) -> Html:
    if _get(r, "late_paid") is None:
        return badge(NOT_STATED, "the first collection window has no stated end")
    paid = f"paid {date_text(r['late_paid'])}"
    payable = _get(r, "late_payable")
    if payable is None:
        local: Html = join([badge(), f"({paid})"], " ")
    elif payable is False:
        local = esc(f"cannot enrol late ({paid})")
    elif _get(r, "late_waiting_days") is None:
        local = join([badge(NOT_STATED, "start of cover"), f"({paid})"], " ")
    else:
        local = esc(f"{int(r['late_waiting_days'])} days ({paid}, covered from {date_text(r['late_cover_start'])})")
    local = _with_clause(local, r["source"], r["late_clause"])
    document = _get(r, "national_waiting_document") or "the national rule"
    if r["national_rule_in_force"]:
        national_words = f"national rule ({document}): {int(r['national_waiting_days'])} days"
    elif _get(r, "national_waiting_from") is not None:
        national_words = f"national rule ({document}): from coverage year {int(r['national_waiting_from'])}"
    else:
        national_words = "no national waiting rule in the project"
    return join([local, _macro("small", national_words)], "")


def _window_cell(r: Mapping[str, Any]) -> Html:
    if _get(r, "window_end") is None:
        first = join([f"{r['window_zh']}:", status_cell(r["window_status"])], " ")
    else:
        first = _with_clause(f"{date_text(r['window_end'], weekday=True)}, {r['window_zh']}", r["source"],
                             r["window_clause"])
    later = [_with_clause(f"{w['name_zh']} until {w['end']}" if w["end"] else
                          join([f"{w['name_zh']}:", status_cell(w["status"])], " "), r["source"], w["clause"])
             for w in (_get(r, "later_windows") or [])]
    if not later:
        return join([first, _macro("small", "no later window or extension")], "")
    return join([first, _macro("small", "then: "), join(later, "; ")], "")


OVERVIEW_HEADERS = {
    "label": "Jurisdiction-year",
    "highest": "Highest personal contribution (个人缴费)",
    "national": "Against the national minimum (国家最低标准)",
    "dibao": "A 低保对象 (minimum-living-allowance recipient) pays",
    "late": "A late payer waits (待遇等待期)",
    "window": "Collection window closes (征缴期)",
}


def overview_table(overview: pd.DataFrame, only: Sequence[str] | None = None) -> Html:
    """The "at a glance" table (:func:`policylib.compare.overview`), one row per jurisdiction-year, each figure
    with its clause link; ``only`` picks the answer columns shown (keys of :data:`OVERVIEW_HEADERS`)."""
    cells: dict[str, Callable[[Mapping[str, Any]], object]] = {
        "label": _profile_link, "highest": _highest_cell, "national": _above_cell, "dibao": _dibao_cell,
        "late": _late_cell, "window": _window_cell,
    }
    keys = ["label", *(only or [k for k in cells if k != "label"])]
    return table(overview, [Column(OVERVIEW_HEADERS[k], cells[k]) for k in keys], css="pl-glance",
                 empty="No local rule files.")


def class_prices_table(prices: pd.DataFrame) -> Html:
    """Personal contribution and fiscal subsidy per resident class (:func:`policylib.compare.class_prices`);
    a notice without classes is one row for all residents."""
    def subsidy(r: Mapping[str, Any]) -> Html:
        if _get(r, "fiscal_subsidy") is None:
            return badge()
        return esc(money(r["fiscal_subsidy"], at_least=bool(r["fiscal_subsidy_at_least"])))

    def contribution(r: Mapping[str, Any]) -> Html:
        if _get(r, "personal_contribution") is None:
            return status_cell(r["personal_status"])
        return _with_clause(money(r["personal_contribution"]), r["source"], r["clause"])

    return table(prices, [
        Column("Jurisdiction-year", lambda r: r["label"]),
        Column("Resident class (居民类别)", lambda r: _get(r, "class_zh") or "all residents (no classes)"),
        Column("Who", lambda r: r["who"] if _get(r, "class_zh") else ""),
        Column("Personal contribution (个人缴费)", contribution),
        Column("Fiscal subsidy (财政补助)", subsidy),
    ], empty="No local rule files.")
