"""What a person pays, who pays the rest, and from which day they are covered."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from policylib import daycount
from policylib.catalogue import categories
from policylib.model import AssistedGroup, Cited, Condition, RuleSet, StartRule
from policylib.sources import SourceError, load_meta

CIRCUMSTANCES = ("regular", "newborn", "employee_lapse", "veteran", "released_prisoner", "migrant_worker")
EVENT_FOR = {"newborn": "born", "employee_lapse": "lapsed", "veteran": "discharged", "released_prisoner": "released"}
EVENTS = ("born", "lapsed", "discharged", "released")


class InputError(ValueError):
    """A person that cannot be quoted: names the argument, what is wrong and the choices."""

    def __init__(self, argument: str, message: str):
        self.argument = argument
        super().__init__(f"{argument}: {message}")


@dataclass(frozen=True)
class Person:
    """A person asking to enrol: categories, circumstance and the dates that matter."""

    categories: tuple[str, ...] = ()
    circumstance: str = "regular"
    paid: dt.date | None = None
    born: dt.date | None = None
    lapsed: dt.date | None = None
    discharged: dt.date | None = None
    released: dt.date | None = None

    def event_date(self, event: str) -> dt.date | None:
        return self.paid if event == "paid" else getattr(self, event)


@dataclass(frozen=True)
class Assistance:
    """The help a set of categories gets in one jurisdiction-year."""

    amount: int | None
    upper_bound: bool
    groups: tuple[AssistedGroup, ...]
    payer: str | None
    notes: tuple[str, ...]
    cited: tuple[Cited, ...]


@dataclass
class Quote:
    """The answer for one person; dates are None where the notice does not state them."""

    jurisdiction: str
    year: int
    circumstance: str
    categories: list[str]
    paid: dt.date | None
    payable: bool | None
    payable_reason: str
    rule: str | None
    personal_contribution: int | None
    personal_due: int | None
    personal_due_is_upper_bound: bool
    subsidy: int | None
    subsidy_payer: str | None
    fiscal_subsidy: int | None
    total_premium: int | None
    total_premium_is_minimum: bool
    coverage_start: dt.date | None
    coverage_end: dt.date | None
    covered_days: int | None
    waiting_days: int | None
    day_count: str
    citations: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: dates as ISO strings."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, dt.date):
                out[key] = value.isoformat()
        return out


@lru_cache(maxsize=64)
def _document(source_id: str) -> str:
    try:
        meta = load_meta(source_id)
    except SourceError:
        return source_id
    return meta.document_number or meta.title


def citations_of(rules: RuleSet, value: Cited) -> list[dict[str, str]]:
    """The citations of a value as {document, clause, excerpt, source}."""
    return [
        {
            "document": _document(c.source or rules.source),
            "clause": c.clause,
            "excerpt": c.quote,
            "source": c.source or rules.source,
        }
        for c in value.cite
    ]


@lru_cache(maxsize=8)
def _category_tree() -> tuple[dict[str, str | None], dict[str, tuple[str, ...]]]:
    parents = {c.id: c.parent for c in categories().categories}
    children: dict[str, list[str]] = {}
    for cid, parent in parents.items():
        if parent:
            children.setdefault(parent, []).append(cid)
    return parents, {k: tuple(v) for k, v in children.items()}


def resolve_groups(rules: RuleSet, category: str) -> list[AssistedGroup]:
    """The assisted groups a canonical category falls in, falling back to its parent category."""
    parents, children = _category_tree()
    if category not in parents:
        raise InputError("category", f"unknown category '{category}'; choices: {', '.join(sorted(parents))}")
    direct = [g for g in rules.assisted_groups if g.category == category]
    if direct:
        return direct
    local_subs = [c for c in children.get(category, ()) if any(g.category == c for g in rules.assisted_groups)]
    if local_subs:
        raise InputError(
            "category",
            f"{rules.name_en} {rules.coverage_year} splits '{category}' into sub-categories; "
            f"choose one of: {', '.join(local_subs)}",
        )
    parent = parents[category]
    if parent:
        return [g for g in rules.assisted_groups if g.category == parent]
    return []


def _group_value(group: AssistedGroup, contribution: int | None) -> int | None:
    if group.help == "full":
        return contribution
    if group.help in ("fixed", "at_least"):
        return group.amount
    if group.help == "share" and contribution is not None and group.share is not None:
        return round(contribution * group.share)
    if group.help == "none":
        return 0
    return None


def _payer(group: AssistedGroup) -> str:
    name = group.payer.name_zh or ""
    kind = group.payer.kind
    return f"{kind} ({name})" if name else kind


ASSISTANCE_CACHE_SIZE = 4096
_ASSISTANCE: dict[tuple[int, tuple[str, ...]], tuple[RuleSet, Assistance]] = {}


def assistance(rules: RuleSet, cats: tuple[str, ...]) -> Assistance:
    """The help a person with these categories gets: the highest single help, capped at the contribution."""
    key = (id(rules), cats)
    hit = _ASSISTANCE.get(key)
    if hit is None or hit[0] is not rules:
        if len(_ASSISTANCE) >= ASSISTANCE_CACHE_SIZE:
            _ASSISTANCE.clear()  # rule sets reloaded (e.g. another project root) are not kept alive
        hit = (rules, _assistance(rules, cats))
        _ASSISTANCE[key] = hit
    return hit[1]


def _assistance(rules: RuleSet, cats: tuple[str, ...]) -> Assistance:
    contribution = rules.financing.personal_contribution.amount
    notes: list[str] = []
    cited: list[Cited] = []
    excluded = {g.category: g for g in rules.excluded_groups}
    candidates: list[tuple[AssistedGroup, int | None]] = []
    other = rules.other_groups
    other_unstated = False  # a category whose help the notice leaves to another document
    for cat in cats:
        if cat in excluded:
            notes.append(f"'{cat}' ({excluded[cat].name_zh}) is excluded from assistance by this notice.")
            cited.append(excluded[cat])
            continue
        groups = resolve_groups(rules, cat)
        if not groups and not other.stated and other.refers_to:
            notes.append(f"Assistance for '{cat}' is not stated in this notice; it is set by {other.refers_to}.")
            cited.append(other)
            other_unstated = True
            continue
        if not groups:
            notes.append(f"No assistance is stated for '{cat}' in this notice.")
            if not rules.other_groups.stated or rules.other_groups.note:
                cited.append(rules.other_groups)
            continue
        for group in groups:
            candidates.append((group, _group_value(group, contribution)))
    if not candidates:
        return Assistance(None if other_unstated else 0, False, (), None, tuple(notes), tuple(cited))
    order = {g.id: i for i, g in enumerate(rules.assisted_groups)}
    candidates.sort(key=lambda gv: order[gv[0].id])
    unknown = [g for g, v in candidates if v is None]
    settled = contribution is not None and any(v is not None and v >= contribution for _, v in candidates)
    if (unknown or other_unstated) and settled:
        notes.append("Another group's help is not stated, but a full help already covers the whole contribution.")
        candidates = [(g, v) for g, v in candidates if v is not None]
        unknown, other_unstated = [], False
    if unknown or other_unstated:
        for g in unknown:
            note = g.note or "assistance not stated in this notice"
            notes.append(f"{g.name_zh}: {note}")
            cited.append(g)
        return Assistance(None, False, tuple(g for g, _ in candidates), _payer(unknown[0]) if unknown else None,
                          tuple(notes), tuple(cited))
    best_group, best = max(candidates, key=lambda gv: (gv[1] or 0))
    if len(candidates) > 1:
        if rules.multiple_groups.stated:
            notes.append("Several assisted groups: the highest help only (就高不就低), no stacking.")
            cited.append(rules.multiple_groups)
        else:
            notes.append("Several assisted groups: the notice states no rule; the highest single help is taken.")
    if contribution is not None and best is not None and best > contribution:
        notes.append(f"Help capped at the personal contribution ({contribution} yuan).")
        best = contribution
    # A floor (不低于) in any group may be set higher locally, so the help is a minimum unless already full.
    floors = [g for g, _ in candidates if g.help == "at_least"]
    upper_bound = bool(floors) and (contribution is None or best is None or best < contribution)
    if best_group.help == "at_least":
        notes.append(f"{best_group.name_zh}: help of at least {best_group.amount} yuan (不低于): "
                     "the amount due is an upper bound.")
    elif upper_bound:
        for g in floors:
            notes.append(f"{g.name_zh}: help of at least {g.amount} yuan (不低于) may exceed {best} yuan: "
                         "the amount due is an upper bound.")
            cited.append(g)
    if best_group.interpretation:
        notes.append(f"Reading of {best_group.name_zh}: {best_group.interpretation.reading}")
    cited.append(best_group)
    return Assistance(best, upper_bound, (best_group,), _payer(best_group), tuple(notes), tuple(cited))


def _matches(rules: RuleSet, cond: Condition, person: Person, convention: daycount.Convention) -> bool:
    paid = person.paid
    assert paid is not None
    windows = {w.id: w for w in rules.enrolment.windows}
    if cond.kind == "paid_in_window":
        window = windows[cond.window or ""]
        return (window.start is None or window.start <= paid) and paid <= window.end
    if cond.kind == "paid_after_window":
        return paid > windows[cond.window or ""].end
    event = cond.event or "born"  # born_between tests the birth date
    event_day = person.event_date(event)
    if event_day is None:
        raise InputError(f"--{event}", f"a {person.circumstance} quote needs the {event} date")
    if cond.kind == "paid_within":
        return daycount.within(event_day, paid, cond.length or 0, cond.unit, convention, cond.include_bound)
    if cond.kind == "paid_after":
        last = daycount.last_day(event_day, cond.length or 0, cond.unit, convention)
        return paid > last if not cond.include_bound else paid >= last
    if cond.kind == "born_between":
        md = (event_day.month, event_day.day)
        lo = tuple(int(x) for x in (cond.from_month_day or "").split("-"))
        hi = tuple(int(x) for x in (cond.to_month_day or "").split("-"))
        return lo <= md <= hi
    if cond.kind == "event_in_coverage_year":
        return event_day.year == rules.coverage_year
    if cond.kind == "event_before_coverage_year":
        return event_day.year == rules.coverage_year - 1
    raise ValueError(f"unknown condition kind {cond.kind}")


def rules_in_order(rules: RuleSet, circumstance: str) -> list[tuple[int, StartRule]]:
    """The start rules tried for a circumstance, in order: its own rules in file order, then, for a
    special circumstance, the ordinary residents' rules (a person whose circumstance the notice does
    not address on that date enrols as an ordinary resident)."""
    own = [(i, r) for i, r in enumerate(rules.coverage.start_rules) if r.circumstance == circumstance]
    if circumstance != "regular":
        own += [(i, r) for i, r in enumerate(rules.coverage.start_rules) if r.circumstance == "regular"]
    return own


def matching_rule(rules: RuleSet, person: Person, convention: daycount.Convention) -> StartRule | None:
    """The first start rule whose circumstance, categories and conditions all hold."""
    parents, _ = _category_tree()
    cats = set(person.categories) | {parents.get(c) for c in person.categories if parents.get(c)}
    for _, rule in rules_in_order(rules, person.circumstance):
        if rule.categories and not cats & set(rule.categories):
            continue
        if all(_matches(rules, cond, person, convention) for cond in rule.when):
            return rule
    return None


def start_date(rules: RuleSet, rule: StartRule, person: Person, convention: daycount.Convention) -> dt.date | None:
    """The first day of cover a start rule gives, before clamping to the coverage period."""
    paid = person.paid
    assert paid is not None
    start = rule.starts
    if start.kind == "coverage_start":
        return rules.coverage.period.start
    if start.kind == "event_day":
        return person.event_date(start.event or "")
    if start.kind == "payment_day":
        return paid
    if start.kind == "day_after_payment":
        return daycount.next_day(paid)
    if start.kind == "after_payment_period":
        last = daycount.last_day(paid, start.length or 0, start.unit, convention)
        return last if start.include_bound else daycount.next_day(last)
    if start.kind == "payment_month_start":
        return paid.replace(day=1)
    return None


def _check_person(rules: RuleSet, person: Person) -> None:
    if person.circumstance not in CIRCUMSTANCES:
        raise InputError("event", f"unknown event '{person.circumstance}'; choices: {', '.join(CIRCUMSTANCES)}")
    if person.paid is None:
        raise InputError("--paid", "the payment date is required")
    event = EVENT_FOR.get(person.circumstance)
    if event:
        day = person.event_date(event)
        if day is None:
            raise InputError(f"--{event}", f"a {person.circumstance} quote needs the {event} date")
        if day > person.paid:
            raise InputError("--paid", f"payment {person.paid} is before the {event} date {day}")
    if person.born and person.born > person.paid:
        raise InputError("--paid", f"payment {person.paid} is before the birth {person.born}")


def quote(rules: RuleSet, person: Person, convention: daycount.Convention = daycount.DEFAULT_CONVENTION) -> Quote:
    """Quote one person under one jurisdiction-year's rules."""
    if convention not in daycount.CONVENTIONS:
        choices = ", ".join(daycount.CONVENTIONS)
        raise InputError("--day-count", f"unknown convention '{convention}'; choices: {choices}")
    _check_person(rules, person)
    paid = person.paid
    assert paid is not None
    fin = rules.financing
    contribution = fin.personal_contribution.amount
    fiscal = fin.fiscal_subsidy.amount
    cites: list[dict[str, str]] = []
    notes: list[str] = [f"Day counting: {daycount.describe(convention)}"]
    help_ = assistance(rules, tuple(sorted(set(person.categories))))
    period = rules.coverage.period
    if not period.stated:
        notes.append(f"Coverage period: {period.note}")
    rule = matching_rule(rules, person, convention) if paid <= period.end else None
    q = Quote(
        jurisdiction=rules.jurisdiction, year=rules.coverage_year, circumstance=person.circumstance,
        categories=list(person.categories), paid=paid, payable=None, payable_reason="", rule=None,
        personal_contribution=contribution, personal_due=None, personal_due_is_upper_bound=False,
        subsidy=None, subsidy_payer=None, fiscal_subsidy=fiscal, total_premium=None, total_premium_is_minimum=False,
        coverage_start=None, coverage_end=None, covered_days=None, waiting_days=None,
        day_count=convention, citations=cites, notes=notes,
    )
    if rule is None:
        if paid > period.end:
            q.payable = False
            q.payable_reason = f"payment on {paid} is after the coverage period ended ({period.end})"
        else:
            q.payable = None
            q.payable_reason = (f"the notice states no rule for a {person.circumstance} payment on {paid} "
                                f"(not stated in this notice)")
        notes.append(q.payable_reason)
        return q
    q.rule = rule.id
    if rule.circumstance != person.circumstance:
        notes.append(f"No {person.circumstance} rule of this notice applies on {paid}: "
                     f"the ordinary residents' rule '{rule.id}' applies.")
    q.payable = True
    q.payable_reason = f"rule '{rule.id}' applies"
    cites += citations_of(rules, rule)
    if rule.interpretation:
        notes.append(f"Reading of rule '{rule.id}': {rule.interpretation.reading}")
    if rule.note:
        notes.append(rule.note)
    # What is due and who pays.
    if rule.due == "standard":
        cites += citations_of(rules, fin.personal_contribution)
        q.subsidy, q.subsidy_payer = help_.amount, help_.payer
        notes.extend(help_.notes)
        for value in help_.cited:
            cites += citations_of(rules, value)
        if contribution is not None and help_.amount is not None:
            q.personal_due = contribution - min(help_.amount, contribution)
            q.personal_due_is_upper_bound = help_.upper_bound
        if contribution is not None and fiscal is not None:
            q.total_premium = contribution + fiscal
            q.total_premium_is_minimum = fin.fiscal_subsidy.at_least
            if fin.fiscal_subsidy.at_least:
                notes.append(f"Fiscal subsidy of at least {fiscal} yuan (不低于): the total premium is a minimum.")
            cites += citations_of(rules, fin.fiscal_subsidy)
    elif rule.due == "personal_contribution":
        cites += citations_of(rules, fin.personal_contribution)
        q.personal_due, q.subsidy = contribution, 0
        if person.categories:
            notes.append("This rule charges the full personal contribution; no assistance is applied.")
        if contribution is not None and fiscal is not None:
            q.total_premium = contribution + fiscal
            q.total_premium_is_minimum = fin.fiscal_subsidy.at_least
    elif rule.due == "late_payer_total":
        cites += citations_of(rules, fin.late_payer_total)
        q.personal_due, q.subsidy, q.total_premium = fin.late_payer_total.amount, 0, fin.late_payer_total.amount
        notes.append("Late payment: the person pays the personal contribution and the government subsidy together.")
        if person.categories:
            notes.append("Assistance does not apply to this late payment under this rule.")
    else:
        notes.append("The amount due under this rule is not stated in this notice.")
    # From which day cover starts.
    start = start_date(rules, rule, person, convention)
    end = rule.ends or period.end
    q.coverage_end = end
    if start is None:
        notes.append("The start of cover is not stated in this notice.")
        return q
    if start < period.start and not rule.may_precede_period:
        notes.append(f"Cover cannot start before the coverage period ({period.start}).")
        start = period.start
    q.coverage_start = start
    q.covered_days = max(0, (end - start).days + 1)
    if q.covered_days == 0:
        notes.append(f"Cover would start on {start}, after the coverage period ends ({end}): no cover this year.")
    q.waiting_days = max(0, (start - paid).days - 1) if rule.starts.kind == "after_payment_period" else 0
    cites += citations_of(rules, period)
    return q
