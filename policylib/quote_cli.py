"""The `policylib quote` command: what one person pays, who pays the rest, and when cover starts."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from typing import NoReturn

from policylib import catalogue, daycount, table, wording
from policylib.cli import UsageError
from policylib.cli_args import OneLineParser, add_one_line_parser
from policylib.engine import CIRCUMSTANCES, EVENT_FOR, InputError, Person, Quote, quote
from policylib.model import RuleSet
from policylib.sources import SourceError, load_meta

DATE_ARGUMENTS = ("paid", "born", "lapsed", "discharged", "released", "recognised")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# English labels with the Chinese terms of the notices beside them.
LABELS = {
    "payable": "Payable (可否参保缴费)",
    "due": "Amount due (个人应缴)",
    "subsidy": "Assistance (资助参保)",
    "payer": "Assistance paid by (资助资金来源)",
    "contribution": "Personal contribution (个人缴费标准)",
    "fiscal": "Fiscal subsidy (财政补助)",
    "total": "Total premium (筹资总额)",
    "cover": "Cover (待遇享受期)",
    "waiting": "Waiting days (待遇等待期)",
    "rule": "Rule applied (适用规则)",
    "cites": "Also cited (依据)",
    "notes": "Notes (说明)",
}


def _fail(argument: str, message: str) -> NoReturn:
    raise UsageError(f"{argument}: {message}")


def parse_date(argument: str, value: str | None) -> dt.date | None:
    """An ISO date (YYYY-MM-DD) given for `argument`, or a usage error naming it."""
    if value is None:
        return None
    if not _ISO_DATE.match(value):
        _fail(argument, f"{value!r} is not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        _fail(argument, f"{value!r} is not a valid date ({exc})")


def load_rules(jurisdiction: str, year: str) -> RuleSet:
    """The local rule set named on the command line, read from its own file, or a usage error listing those
    known."""
    try:
        number = int(year)
    except ValueError:
        _fail("year", f"must be a number, got {year!r}")
    catalogue.require_loadable(jurisdiction, number)
    try:
        return catalogue.rules(jurisdiction, number)  # straight from its own file
    except LookupError:
        pass
    known = catalogue.local_entries()  # only to name the choices
    if not any(e.jurisdiction == jurisdiction for e in known):
        names = ", ".join(sorted({e.jurisdiction for e in known}))
        _fail("jurisdiction", f"unknown jurisdiction {jurisdiction!r}; choices: {names}")
    years = [e.year for e in known if e.jurisdiction == jurisdiction]
    if number not in years:
        _fail("year", f"no rules for {jurisdiction} {number}; choices: {', '.join(map(str, sorted(years)))}")
    return catalogue.rules(jurisdiction, number)


def build_person(args: argparse.Namespace) -> Person:
    """A Person from parsed arguments; every value is checked and errors name the argument."""
    known = sorted(c.id for c in catalogue.categories().categories)
    cats: list[str] = []
    for cat in args.category or []:
        if cat not in known:
            _fail("--category", f"unknown category {cat!r}; choices: {', '.join(known)}")
        if cat not in cats:
            cats.append(cat)
    if args.event not in CIRCUMSTANCES:
        _fail("--event", f"unknown event {args.event!r}; choices: {', '.join(CIRCUMSTANCES)}")
    if args.day_count not in daycount.CONVENTIONS:
        _fail("--day-count", f"unknown convention {args.day_count!r}; choices: {', '.join(daycount.CONVENTIONS)}")
    dates = {name: parse_date(f"--{name}", getattr(args, name)) for name in DATE_ARGUMENTS}
    if dates["paid"] is None:
        _fail("--paid", "the payment date is required")
    needed = EVENT_FOR.get(args.event)
    if needed and dates[needed] is None:
        _fail(f"--{needed}", f"the event {args.event!r} needs this date (--{needed} YYYY-MM-DD)")
    facts: dict[str, object] = {}
    for name in ("student", "rural_hukou", "parent_insured"):
        value = getattr(args, name)
        if value is not None:
            if value not in ("yes", "no"):
                _fail(f"--{name.replace('_', '-')}", f"answer yes or no, got {value!r}")
            facts[name] = value == "yes"
    for name in ("years_uninsured", "years_back_paid", "disability_grade", "employee_months"):
        value = getattr(args, name)
        if value is not None:
            if not value.isdigit() or int(value) > 150:
                _fail(f"--{name.replace('_', '-')}", f"a number of years from 0 to 150, got {value!r}")
            facts[name] = int(value)
    return Person(categories=tuple(cats), circumstance=args.event, **dates, **facts)  # type: ignore[arg-type]


def check_dates(rules: RuleSet, person: Person) -> None:
    """Refuse dates this notice cannot speak about, naming the argument.

    A payment lies between the day the first collection window opens and 31 December of the year
    after the last payment day the notice provides for (a payment just after the period is still
    answered, e.g. as too late); a newborn is born from 1 January of the year before the coverage
    year to the end of cover. No other date (a birth, a lapse, a discharge, a release, a recognition)
    lies after the last day the notice speaks about.
    """
    low, last = table.domain(rules)
    high = dt.date(last.year + 1, 12, 31)
    notice = f"{rules.jurisdiction} {rules.coverage_year}"
    if person.paid is not None and not low <= person.paid <= high:
        _fail("--paid", f"{person.paid} is outside this notice: {notice} speaks about payments from {low} "
                        f"(its first collection window opens) to {high}")
    for name in ("born", "lapsed", "discharged", "released", "recognised"):
        day = getattr(person, name, None)
        if day is not None and day > high:
            _fail(f"--{name}", f"{day} is outside this notice: {notice} speaks about days up to {high}")
    if person.circumstance == "newborn" and person.born is not None:
        earliest, end = dt.date(rules.coverage_year - 1, 1, 1), rules.coverage.period.end
        if person.born < earliest:
            _fail("--born", f"{person.born} is too early for a newborn of {notice} (born from {earliest}); "
                            "quote an older person without --event newborn")
        if person.born > end:
            _fail("--born", f"{person.born} is after the coverage period of {notice} ends ({end})")


def _yuan(value: int | None, upper: bool = False) -> str:
    return wording.money(value, upper_bound=upper)


def _payer(q: Quote) -> str:
    if q.subsidy_payer:
        return q.subsidy_payer
    return "nobody (no assistance)" if q.subsidy == 0 else "not stated in this notice"


def render_quote(rules: RuleSet, q: Quote) -> str:
    """A short readable explanation of a quote, with the Chinese terms of the notice."""
    cats = ", ".join(q.categories) or "none"
    try:
        meta = load_meta(rules.source)
        document = " ".join(x for x in (meta.document_number, meta.title) if x)
    except SourceError:
        document = rules.source
    lines = [
        f"{rules.name_en} ({rules.name_zh}), coverage year {q.year}: {q.circumstance} payment on {q.paid}; "
        f"assisted categories: {cats}",
        f"Notice: {document}",
    ]
    payable = {True: "yes", False: "no", None: "not stated in this notice"}[q.payable]
    lines.append(f"{LABELS['payable']}: {payable} — {q.payable_reason}")
    if q.payable:
        subsidy = _yuan(q.subsidy)
        if q.subsidy is not None and q.personal_due_is_upper_bound:
            subsidy = f"at least {q.subsidy} yuan"
        total = _yuan(q.total_premium)
        if q.total_premium is not None and q.total_premium_is_minimum:
            total = f"at least {total}"
        lines += [
            f"{LABELS['due']}: {_yuan(q.personal_due, q.personal_due_is_upper_bound)}",
            f"{LABELS['subsidy']}: {subsidy}",
            f"{LABELS['payer']}: {_payer(q)}",
            f"{LABELS['contribution']}: {_yuan(q.personal_contribution)}; "
            f"{LABELS['fiscal']}: {_yuan(q.fiscal_subsidy)}",
            f"{LABELS['total']}: {total}",
        ]
        if q.coverage_start is not None and q.coverage_end is not None and q.coverage_start > q.coverage_end:
            cover = wording.cover_range(q.coverage_start, q.coverage_end, q.covered_days)
        else:
            start = q.coverage_start or "not stated in this notice"
            end = q.coverage_end or "not stated in this notice"
            days = f" ({q.covered_days} days)" if q.covered_days is not None else ""
            cover = f"from {start} to {end}{days}"
        lines.append(f"{LABELS['cover']}: {cover}")
        waiting = "not stated in this notice" if q.waiting_days is None else str(q.waiting_days)
        lines.append(f"{LABELS['waiting']}: {waiting}")
    shown: set[tuple[str, str]] = set()
    if q.rule:
        lines.append(f"{LABELS['rule']}: {q.rule}")
        rule = next(r for r in rules.coverage.start_rules if r.id == q.rule)
        for cite in rule.cite:
            shown.add((cite.clause, cite.quote))
            lines.append(f"  {cite.clause}: 「{cite.quote}」")
    others = []
    for c in q.citations:
        if (c["clause"], c["excerpt"]) not in shown:
            shown.add((c["clause"], c["excerpt"]))
            others.append(f"  {c['clause']}: 「{c['excerpt']}」")
    if others:
        lines.append(f"{LABELS['cites']}:")
        lines += others
    if q.notes:
        lines.append(f"{LABELS['notes']}:")
        lines += [f"  - {note}" for note in q.notes]
    return "\n".join(lines)


def cmd_quote(args: argparse.Namespace) -> int:
    rules = load_rules(args.jurisdiction, args.year)
    person = build_person(args)
    check_dates(rules, person)
    try:
        q = quote(rules, person, args.day_count)
    except InputError as exc:
        argument = exc.argument if exc.argument.startswith("--") else f"--{exc.argument}"
        message = str(exc).removeprefix(f"{exc.argument}: ")
        _fail(argument, message)
    if args.json:
        print(json.dumps(q.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_quote(rules, q))
    return 0


class QuoteParser(OneLineParser):
    """The parser of `policylib quote`: one-line errors, exit 2; an option given twice is refused."""


def add_quote_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `policylib quote` on the CLI's subparsers."""
    p = add_one_line_parser(
        subparsers,
        "quote",
        QuoteParser,
        help="what a person pays, who pays the rest and from which day they are covered",
        description=__doc__,
    )
    p.add_argument("jurisdiction", help="e.g. guizhou (see `policylib list`)")
    p.add_argument("year", help="coverage year, e.g. 2021")
    p.add_argument("--category", action="append", metavar="ID",
                   help="assisted category (repeatable; see rules/categories.yaml)")
    p.add_argument("--event", default="regular", metavar="EVENT", help=f"one of: {', '.join(CIRCUMSTANCES)}")
    for name, what in (("paid", "payment"), ("born", "birth"), ("lapsed", "lapse of employee insurance"),
                       ("discharged", "discharge from active service"), ("released", "release from prison"),
                       ("recognised", "recognition (身份认定) as a member of the assisted groups; "
                                      "omit for a status held before the collection window")):
        p.add_argument(f"--{name}", metavar="DATE", help=f"date of {what} (YYYY-MM-DD)")
    for name, what in (("student", "in school or university (在校学生)"),
                       ("rural-hukou", "registered as a rural resident (农村户籍)"),
                       ("parent-insured", "a newborn's parent is insured here (父母一方已参保)")):
        p.add_argument(f"--{name}", metavar="yes|no", help=f"{what}, where the notice's rules ask")
    for name, what in (("years-uninsured", "consecutive years without resident insurance before this one (断保)"),
                       ("years-back-paid", "of those, years paid back (补缴)"),
                       ("disability-grade", "disability grade (残疾等级), 1 to 4"),
                       ("employee-months", "months of employee-insurance contributions last year (0 to 12)")):
        p.add_argument(f"--{name}", metavar="N", help=f"{what}, where the notice's rules ask")
    p.add_argument("--day-count", default=daycount.DEFAULT_CONVENTION, metavar="CONVENTION",
                   help=f"one of: {', '.join(daycount.CONVENTIONS)} (default {daycount.DEFAULT_CONVENTION})")
    p.add_argument("--json", action="store_true", help="the quote as JSON")
    p.set_defaults(func=cmd_quote)
    return p
