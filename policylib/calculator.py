"""The book's calculator: the rule files exported as data for the page's own evaluator.

The page (``book/calculator.md``) runs ``book/_extra/calculator/evaluator.js``, a second implementation of the
engine's semantics (:mod:`policylib.table`, :mod:`policylib.engine`), on the data written here to
``book/_extra/calculator/data.js``: decision tables, amounts, resident classes, assisted groups,
windows and citations of every local rule file, plus what the page shows in words (conditions,
starts of cover, payers, categories). The data is a script that sets a global, so the page works from
``file://`` and fetches nothing. Links to the calculator carry a person in the query string
(:func:`link`).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from policylib import anchors, catalogue, compare, daycount, engine, table
from policylib.model import Citation, Cited, Condition, RuleSet, Start
from policylib.wording import FACT_WORDS, person_words

__all__ = ["DATA_FILE", "PAGE", "SCRIPTS", "data_script", "export", "export_rules", "link", "page", "query"]

PAGE = "calculator"
EXTRA_DIR = "_extra"  # copied to the root of the HTML (html_extra_path), not loaded by every page
ASSETS = "calculator"  # the calculator's files, under EXTRA_DIR in the book and at the root of the HTML
DATA_FILE = f"{ASSETS}/data.js"
SCRIPTS = (DATA_FILE, f"{ASSETS}/evaluator.js", f"{ASSETS}/ui.js")
STYLE_FILE = f"{ASSETS}/calculator.css"
GLOBAL = "POLICYLIB_CALCULATOR"
DATE_INPUTS = ("paid", "born", "lapsed", "discharged", "released", "recognised")
INPUT_WORDS = {
    "paid": "Payment date (缴费日期)",
    "born": "Date of birth (出生日期)",
    "lapsed": "Employee insurance stopped (职工医保中断日期)",
    "discharged": "Discharged from service (退出现役日期)",
    "released": "Released from prison (刑满释放日期)",
    "recognised": "Assisted status recognised (身份认定日期; leave empty if held before the window)",
    "student": "Student (在校学生)",
    "rural_hukou": "Rural household registration (农村户籍)",
    "parent_insured": "A parent insured here (父母一方已参保)",
    "years_uninsured": "Years without insurance (断保年数)",
    "years_back_paid": "Of those, years paid back (补缴年数)",
    "disability_grade": "Disability grade (残疾等级, 1–4)",
    "employee_months": "Months of employee insurance last year (上年度职工医保缴费月数)",
}


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _cites(cites: Sequence[Citation]) -> list[dict[str, str | None]]:
    return [{"source": c.source, "clause": c.clause, "quote": c.quote} for c in cites]


def _cited(value: Cited) -> dict[str, Any]:
    """What every cited value carries: status, citations, note and reference."""
    return {"stated": value.stated, "cite": _cites(value.cite), "note": value.note, "refers_to": value.refers_to}


def _condition(cond: Condition) -> dict[str, Any]:
    out = cond.model_dump(mode="json", exclude_none=True)
    if cond.kind in ("born_between",):
        out["lo"] = int((cond.from_month_day or "").replace("-", ""))
        out["hi"] = int((cond.to_month_day or "").replace("-", ""))
    return out


def _start(start: Start) -> dict[str, Any]:
    return start.model_dump(mode="json", exclude_none=True)


def _amount(value: Any) -> dict[str, Any]:
    return {**_cited(value), "amount": value.amount, "at_least": value.at_least}


def export_rules(rules: RuleSet) -> dict[str, Any]:
    """One rule file as the calculator's data (dates as ISO strings)."""
    fin = rules.financing
    period = rules.coverage.period
    first, _ = table.domain(rules)
    groups = []
    for g in rules.assisted_groups:
        groups.append({
            **_cited(g), "id": g.id, "name_zh": g.name_zh, "category": g.category, "help": g.help,
            "amount": g.amount, "share": g.share, "when": [_condition(c) for c in g.when],
            "when_words": [person_words(c) for c in g.when], "payer": engine._payer(g),
            "payer_words": compare.PAYER_GLOSS.get(g.payer.kind, g.payer.kind), "payer_zh": g.payer.name_zh,
            "interpretation": g.interpretation.reading if g.interpretation else None,
        })
    rules_out = []
    for r in rules.coverage.start_rules:
        words = [compare.condition_words(rules, c) for c in r.when]
        rules_out.append({
            **_cited(r), "id": r.id, "circumstance": r.circumstance, "when": [_condition(c) for c in r.when],
            "categories": list(r.categories), "due": r.due, "starts": _start(r.starts), "ends": _date(r.ends),
            "may_precede_period": r.may_precede_period, "overrides": list(r.overrides),
            "words": words, "start_words": compare.start_words(rules, r),
            "interpretation": r.interpretation.reading if r.interpretation else None,
        })
    cited = list(_all_cited(rules))
    sources = {rules.source} | {c.source for v in cited for c in v.cite if c.source}
    clause_urls = {f"{c.source or rules.source}\n{c.clause}": anchors.clause_url(
                   anchors.anchor(c.source or rules.source, c.clause), base="") for v in cited for c in v.cite}
    return {
        "key": f"{rules.jurisdiction}-{rules.coverage_year}",
        "jurisdiction": rules.jurisdiction, "year": rules.coverage_year, "name_en": rules.name_en,
        "name_zh": rules.name_zh, "source": rules.source,
        "documents": {s: engine._document(s) for s in sorted(sources)},
        "clause_urls": dict(sorted(clause_urls.items())),
        "cut_off": engine._cut_off(rules.source),
        "first_payment": first.isoformat(),
        "period": {**_cited(period), "start": _date(period.start), "end": _date(period.end)},
        "windows": [{**_cited(w), "id": w.id, "name_zh": w.name_zh, "start": _date(w.start), "end": _date(w.end)}
                    for w in rules.enrolment.windows],
        "refunds": [{**_cited(p), "id": p.id, "summary": p.summary, "applies_when": p.applies_when}
                    for p in rules.enrolment.refunds],
        "personal_contribution": _amount(fin.personal_contribution),
        "fiscal_subsidy": _amount(fin.fiscal_subsidy),
        "late_payer_total": _amount(fin.late_payer_total),
        "classes": [{**_cited(c), "id": c.id, "name_zh": c.name_zh, "when": [_condition(x) for x in c.when],
                     "when_words": [person_words(x) for x in c.when],
                     "personal_contribution": _amount(c.personal_contribution),
                     "fiscal_subsidy": _amount(c.fiscal_subsidy)} for c in fin.resident_classes],
        "groups": groups,
        "other_groups": _cited(rules.other_groups),
        "multiple_groups": _cited(rules.multiple_groups),
        "excluded": [{**_cited(g), "name_zh": g.name_zh, "category": g.category, "excludes": g.excludes}
                     for g in rules.excluded_groups],
        "timing": [{**_cited(t), "categories": list(t.categories), "window": t.recognised_after_window}
                   for t in rules.assistance_timing],
        "start_rules": rules_out,
        "inputs": table.needed_inputs(rules),
        "inputs_for": {c: inputs_for(rules, c) for c in table.CIRCUMSTANCES},
        "circumstances": sorted({r.circumstance for r in rules.coverage.start_rules} | {"regular"},
                                key=table.CIRCUMSTANCES.index),
        "categories": _named_categories(rules),
    }


def inputs_for(rules: RuleSet, circumstance: str) -> list[str]:
    """The dates and facts the file's rules test for a person of a circumstance (besides the payment and the
    circumstance's own event): :func:`policylib.table.needed_inputs` less the events of other circumstances'
    rules."""
    tried = {i for tier in table.tiers(rules, circumstance) for i in tier}
    others = {c.event for i, r in enumerate(rules.coverage.start_rules) if i not in tried for c in r.when}
    own = {c.event for i, r in enumerate(rules.coverage.start_rules) if i in tried for c in r.when}
    own |= {"born"} if any(c.kind in ("age_at_least", "age_below") for c in table.person_conditions(rules)) else set()
    skip = (others - own) | {table.EVENT_FOR.get(circumstance)}
    order = (*table.EVENTS, *table.FACTS)
    return sorted((n for n in table.needed_inputs(rules) if n not in skip), key=lambda n: (order.index(n), n)
                  if n in order else (len(order), n))


def _all_cited(rules: RuleSet) -> Iterable[Cited]:
    from policylib.check import cited_objects

    for _, value in cited_objects(rules):
        yield value


def _named_categories(rules: RuleSet) -> list[str]:
    """The categories the notice names (groups, exclusions, timing, rules), in the catalogue's order."""
    named = {g.category for g in rules.assisted_groups} | {g.category for g in rules.excluded_groups}
    named |= {c for t in rules.assistance_timing for c in t.categories}
    named |= {c for r in rules.coverage.start_rules for c in r.categories}
    return [c.id for c in catalogue.categories().categories if c.id in named]


def export(all_rules: Iterable[RuleSet]) -> dict[str, Any]:
    """The calculator's data: every rule file given, the categories, and the words the page shows."""
    return {
        "rules": [export_rules(r) for r in all_rules],
        "categories": [{"id": c.id, "name_zh": c.name_zh, "gloss": c.gloss, "parent": c.parent, "kind": c.kind}
                       for c in catalogue.categories().categories],
        "circumstances": {c: compare.CIRCUMSTANCE_GLOSS[c] for c in table.CIRCUMSTANCES},
        "event_for": dict(table.EVENT_FOR),
        "input_words": INPUT_WORDS,
        "day_count_words": {c: daycount.describe(c) for c in daycount.CONVENTIONS},
        "fact_words": {k: list(v) if isinstance(v, tuple) else v for k, v in FACT_WORDS.items()},
    }


def data_script(data: dict[str, Any]) -> str:
    """The data as a script setting a global; safe inside an HTML page (no ``</script>``, no line separators)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return f"window.{GLOBAL} = {text};\n"


def query(person: engine.Person, jurisdiction: str, year: int) -> str:
    """A person as the calculator's query string (what the form reads on load)."""
    pairs: list[tuple[str, str]] = [("rules", f"{jurisdiction}-{year}"), ("event", person.circumstance)]
    pairs += [("category", c) for c in person.categories]
    for name in DATE_INPUTS:
        value = getattr(person, name)
        if value is not None:
            pairs.append((name, value.isoformat()))
    for name in table.FACTS:
        value = getattr(person, name)
        if value is not None:
            pairs.append((name, ("yes" if value else "no") if name in table.BOOL_FACTS else str(int(value))))
    return urllib.parse.urlencode(pairs)


def link(person: engine.Person, jurisdiction: str, year: int, base: str = "../") -> str:
    """The address of the calculator filled in with a person, from a page ``base`` below the book root."""
    return f"{base}{PAGE}.html?{query(person, jurisdiction, year)}"


def page() -> str:
    """The calculator page (MyST): the form's container, its style and its scripts."""
    scripts = "\n".join(f'<script src="{name}"></script>' for name in SCRIPTS)
    return f"""# Calculator (参保缴费计算器)

Choose a jurisdiction-year, enter the person's circumstance, dates and facts, and read what they pay, who pays
the rest and from which day they are covered. The page works offline: it evaluates the rule files in your
browser, from data the book's build exports from the same files the engine reads (tests hold the two
answers equal). The form asks only what the chosen notice's rules depend on. Where a notice is silent the
answer says *not stated*, and what the notice refers to. The address of the page carries the inputs, so a
link reproduces the person.

```{{raw}} html
<link rel="stylesheet" href="{STYLE_FILE}">
<div id="pl-calc" class="pl-calc"><noscript>The calculator needs JavaScript.</noscript></div>
{scripts}
```
"""


def write(book: Path) -> list[Path]:
    """Write the calculator's page and data under ``book``; return the files written or kept."""
    from policylib.book.pipeline import write_if_changed

    rules = [catalogue.rules(e.jurisdiction, e.year) for e in catalogue.local_entries()]
    data = book / EXTRA_DIR / DATA_FILE
    md = book / f"{PAGE}.md"
    write_if_changed(data, data_script(export(rules)))
    write_if_changed(md, page())
    return [md, data]
