"""What a person pays, who pays the rest, and from which day they are covered."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from policylib import daycount, table
from policylib.catalogue import categories
from policylib.model import Amount, AssistedGroup, Cited, RuleSet, StartRule
from policylib.sources import SourceError, load_meta
from policylib.table import CIRCUMSTANCES, EVENT_FOR, EVENTS
from policylib.wording import person_words

__all__ = ["CIRCUMSTANCES", "EVENTS", "EVENT_FOR", "InputError", "Person", "Quote", "assistance", "quote"]


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
    recognised: dt.date | None = None  # 身份认定: the day an assisted status was recognised (None: long held)
    student: bool | None = None  # in school or university (在校学生)
    rural_hukou: bool | None = None  # registered as a rural resident (农村户籍)
    parent_insured: bool | None = None  # a newborn's parent is insured here (父母一方已参保)
    years_uninsured: int | None = None  # consecutive years without resident insurance before this one (断保年数)
    years_back_paid: int | None = None  # of those, years paid back (补缴)
    disability_grade: int | None = None  # 残疾等级, 1 (most severe) to 4
    employee_months: int | None = None  # months of employee-insurance contributions last year (上年度职工医保缴费月数)

    def event_date(self, event: str) -> dt.date | None:
        return self.paid if event == "paid" else getattr(self, event)

    def dates(self) -> dict[str, dt.date | None]:
        return {name: getattr(self, name) for name in EVENTS}

    def facts(self) -> dict[str, int | bool | None]:
        return {name: getattr(self, name) for name in table.FACTS}


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
    resident_class: str | None
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


@lru_cache(maxsize=64)
def _cut_off(source_id: str) -> str | None:
    try:
        return load_meta(source_id).cut_off
    except SourceError:
        return None


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


@lru_cache(maxsize=8)
def _status_categories() -> frozenset[str]:
    return frozenset(c.id for c in categories().categories if c.kind == "status")


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


def group_value(group: AssistedGroup, contribution: int | None) -> int | None:
    """One group's help in yuan against a contribution; None where it cannot be known."""
    if group.help == "full":
        return contribution
    if group.help in ("fixed", "at_least"):
        return group.amount
    if group.help == "share" and contribution is not None and group.share is not None:
        exact = contribution * group.share
        # Amounts are whole yuan; a share that is not (75% of 250 = 187.5) is left unknown, not rounded.
        return round(exact) if abs(exact - round(exact)) < 1e-9 else None
    if group.help == "none":
        return 0
    return None


def _payer(group: AssistedGroup) -> str | None:
    name = group.payer.name_zh or ""
    kind = group.payer.kind
    if kind == "not_stated" and not name:
        return None
    return f"{kind} ({name})" if name else kind


ASSISTANCE_CACHE_SIZE = 4096
_Key = tuple[int, tuple[str, ...], tuple[str, ...], int, tuple[str, ...]]
_ASSISTANCE: dict[_Key, tuple[RuleSet, Assistance]] = {}


def deferred_categories(rules: RuleSet, cats: tuple[str, ...], recognised: dt.date | None) -> tuple[str, ...]:
    """The person's categories whose help starts only next year: recognised after the window the notice names."""
    windows = {w.id: w for w in rules.enrolment.windows}
    late = tuple(recognised is not None and recognised > windows[t.recognised_after_window].end
                 for t in rules.assistance_timing)
    return deferred_by_timing(rules, cats, late)


def deferred_by_timing(rules: RuleSet, cats: tuple[str, ...], late: tuple[bool, ...]) -> tuple[str, ...]:
    """The categories deferred to next year, given which assistance-timing rules the recognition date passes."""
    parents, _ = _category_tree()
    out = set()
    for timing, is_late in zip(rules.assistance_timing, late, strict=True):
        if is_late:
            out |= {c for c in cats if c in timing.categories or parents.get(c) in timing.categories}
    return tuple(sorted(out))


def prices(rules: RuleSet, class_index: int = -1) -> tuple[Amount, Amount]:
    """(personal contribution, fiscal subsidy) for a resident class (-1: the file's single price)."""
    if class_index >= 0:
        cls = rules.financing.resident_classes[class_index]
        return cls.personal_contribution, cls.fiscal_subsidy
    return rules.financing.personal_contribution, rules.financing.fiscal_subsidy


def assistance(rules: RuleSet, cats: tuple[str, ...], deferred: tuple[str, ...] = (),
               class_index: int = -1, ineligible: tuple[str, ...] = ()) -> Assistance:
    """The help a person with these categories gets: the highest single help, capped at the contribution
    (the person's own: their resident class's, where the notice prices by class).

    ``deferred`` are categories recognised too late for help this year (:func:`deferred_categories`);
    ``ineligible`` the groups whose conditions on the person (``when``) do not hold.
    """
    key = (id(rules), cats, deferred, class_index, ineligible)
    hit = _ASSISTANCE.get(key)
    if hit is None or hit[0] is not rules:
        if len(_ASSISTANCE) >= ASSISTANCE_CACHE_SIZE:
            _ASSISTANCE.clear()  # rule sets reloaded (e.g. another project root) are not kept alive
        hit = (rules, _assistance(rules, cats, deferred, class_index, ineligible))
        _ASSISTANCE[key] = hit
    return hit[1]


def _assistance(rules: RuleSet, cats: tuple[str, ...], deferred: tuple[str, ...], class_index: int,
                ineligible: tuple[str, ...]) -> Assistance:
    contribution = prices(rules, class_index)[0].amount
    notes: list[str] = []
    cited: list[Cited] = []
    excluded = {g.category: g for g in rules.excluded_groups}
    candidates: list[tuple[AssistedGroup, int | None]] = []
    other = rules.other_groups
    other_unstated = False  # a category whose help the notice leaves to another document
    parents, _ = _category_tree()
    for cat in cats:
        if cat in deferred:
            timing = next(t for t in rules.assistance_timing
                          if cat in t.categories or parents.get(cat) in t.categories)
            notes.append(f"'{cat}' was recognised after the {timing.recognised_after_window} window: "
                         "its help applies from next year, not this year.")
            cited.append(timing)
            continue
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
            if group.id in ineligible:
                notes.append(f"{group.name_zh}: its help is for those who "
                             f"are {' and '.join(person_words(c) for c in group.when)}; this person is not.")
                continue
            candidates.append((group, group_value(group, contribution)))
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
            if g.help == "share" and g.stated and contribution is not None and g.share is not None:
                note = (f"{g.share:.0%} of {contribution} yuan is {contribution * g.share:g} yuan; amounts here are "
                        "whole yuan and the notice states no rounding, so the help is left unknown")
            else:
                note = g.note or "assistance not stated in this notice"
            notes.append(f"{g.name_zh}: {note}")
            cited.append(g)
        payers = {_payer(g) for g, _ in candidates}  # one payer for every group the person is in, or unknown
        return Assistance(None, False, tuple(g for g, _ in candidates), payers.pop() if len(payers) == 1 else None,
                          tuple(notes), tuple(cited))
    best_group, best = max(candidates, key=lambda gv: (gv[1] or 0))
    if len(candidates) > 1:
        if rules.multiple_groups.stated:
            notes.append("Several assisted groups: the highest help only (就高不就低), no stacking.")
            cited.append(rules.multiple_groups)
        elif len({v if contribution is None else min(v or 0, contribution) for _, v in candidates}) > 1:
            notes.append(f"Several assisted groups with different help: the notice states no rule for them "
                         f"(the highest single help would be {best} yuan), so the help is not stated.")
            cited.append(rules.multiple_groups)
            return Assistance(None, False, tuple(g for g, _ in candidates), None, tuple(notes), tuple(cited))
        else:
            notes.append("Several assisted groups giving the same help: the notice states no rule for them, "
                         "and any rule gives that help once.")
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
    payer: str | None = _payer(best_group)
    capped = [(g, v if contribution is None or v is None else min(v, contribution)) for g, v in candidates]
    tied = {p for g, v in capped if v == best and (p := _payer(g))}
    if len(tied) > 1:
        notes.append(f"Several groups give the same help ({best} yuan) through different payers "
                     f"({'; '.join(sorted(tied))}); the notice does not say which one pays.")
        payer = None
    elif upper_bound and any(_payer(g) != payer for g in floors):
        notes.append("A group whose help is only a floor (不低于) may give more through another payer, so the "
                     "payer is not stated.")
        payer = None
    return Assistance(best, upper_bound, (best_group,), payer, tuple(notes), tuple(cited))


def _combo(person: Person) -> frozenset[str]:
    parents, _ = _category_tree()
    return frozenset(person.categories) | {p for c in person.categories if (p := parents.get(c))}


def _columns(person: Person) -> table.Columns:
    assert person.paid is not None
    return table.one(person.circumstance, _combo(person), person.paid, person.dates(), person.facts())


def _needs(person: Person, inputs: frozenset[str]) -> InputError:
    """The error for a person who lacks dates or facts the notice's rules test for them."""
    names = sorted(inputs) or ["born"]
    flags = ", ".join(f"--{name.replace('_', '-')}" for name in names)
    return InputError(f"--{names[0].replace('_', '-')}", f"a {person.circumstance} quote under this notice's rules "
                      f"needs what the person has not given ({flags})")


def decide(rules: RuleSet, person: Person, convention: daycount.Convention,
           cols: table.Columns | None = None) -> tuple[StartRule | None, bool]:
    """The start rule the decision table gives this person (see :mod:`policylib.table`), or None; and
    whether the notice leaves a window bound open that decides it (then the answer is not stated).
    ``cols`` is the person as columns, where the caller has it already."""
    if person.paid is None:
        raise InputError("--paid", "the payment date is required")
    found = table.select(rules, cols or _columns(person), convention)
    if found.needs[0]:
        raise _needs(person, found.inputs)
    index = int(found.rule[0])
    return (rules.coverage.start_rules[index] if index >= 0 else None), bool(found.open[0])


def matching_rule(rules: RuleSet, person: Person, convention: daycount.Convention) -> StartRule | None:
    """The start rule the decision table gives this person, or None."""
    return decide(rules, person, convention)[0]


def ineligible_of(rules: RuleSet, person: Person, cols: table.Columns | None = None) -> tuple[str, ...]:
    """The person's groups whose help depends on conditions on the person that do not hold."""
    if not any(g.when for g in rules.assisted_groups):
        return ()
    masks, needs, inputs = table.ineligible_groups(rules, cols or _columns(person))
    if needs[0]:
        raise _needs(person, inputs)
    return tuple(g.id for g, mask in zip(rules.assisted_groups, masks, strict=True) if mask[0])


def class_of(rules: RuleSet, person: Person, cols: table.Columns | None = None) -> int:
    """The person's resident class (index into financing.resident_classes; -1 where the file has none)."""
    if not rules.financing.resident_classes:
        return -1
    index, needs, inputs = table.resident_class(rules, cols or _columns(person))
    if needs[0]:
        raise _needs(person, inputs)
    return int(index[0])


@lru_cache(maxsize=8)
def _category_names() -> dict[str, str]:
    return {c.id: c.name_zh for c in categories().categories}


def unaddressed_status(rules: RuleSet, cats: tuple[str, ...]) -> list[str]:
    """The person's status categories (e.g. insured under employee insurance) the notice says nothing of."""
    named = {g.category for g in rules.excluded_groups} | {g.category for g in rules.assisted_groups}
    return [c for c in cats if c in _status_categories() and c not in named]


def excluded_from_enrolment(rules: RuleSet, cats: tuple[str, ...]) -> list:
    """The excluded groups (excludes: enrolment) a person's categories fall in."""
    parents, _ = _category_tree()
    return [g for g in rules.excluded_groups if g.excludes == "enrolment"
            and any(g.category in (c, parents.get(c)) for c in cats)]


@dataclass(frozen=True)
class Dues:
    """What a rule charges a person with a given help and resident class; None where not stated."""

    personal_due: int | None = None
    personal_due_is_upper_bound: bool = False
    subsidy: int | None = None
    subsidy_payer: str | None = None
    total_premium: int | None = None
    total_premium_is_minimum: bool = False


def dues(rules: RuleSet, rule: StartRule, help_: Assistance, class_index: int = -1) -> Dues:
    """The amounts a start rule gives: the one place where what is due is worked out."""
    contribution_value, fiscal_value = prices(rules, class_index)
    contribution, fiscal = contribution_value.amount, fiscal_value.amount
    total = contribution + fiscal if contribution is not None and fiscal is not None else None
    if rule.due == "standard":
        known = contribution is not None and help_.amount is not None
        due = contribution - min(help_.amount, contribution) if known else None  # type: ignore[operator, type-var]
        return Dues(due, due is not None and help_.upper_bound, help_.amount, help_.payer, total,
                    total is not None and fiscal_value.at_least)
    if rule.due == "personal_contribution":
        return Dues(contribution, False, 0, None, total, total is not None and fiscal_value.at_least)
    if rule.due == "late_payer_total":
        late = rules.financing.late_payer_total.amount
        return Dues(late, False, 0, None, late, False)
    if rule.due == "waived":  # 免缴: nothing for the person; who bears it is not stated here
        return Dues(0, False, None, None, total, total is not None and fiscal_value.at_least)
    return Dues()


REFERENCE_AGE = 40


def reference_facts(rules: RuleSet, person: Person) -> Person:
    """The person with the book's reference facts filled in, only where the notice's rules ask and the person
    says nothing: an adult of 40 on the first day of cover, not a student, with rural household registration,
    insured last year (so nothing to pay back), with no months in employee insurance last year, and, for a
    newborn, a parent insured. The comparisons and worked cases describe such a person; a quote never fills
    them itself."""
    needed = set(table.needed_inputs(rules))
    start = rules.coverage.period.start
    defaults: dict[str, object] = {"student": False, "rural_hukou": True, "parent_insured": True,
                                   "years_uninsured": 0, "years_back_paid": 0, "employee_months": 0}
    if person.circumstance != "newborn":
        defaults["born"] = start.replace(year=start.year - REFERENCE_AGE)
    fill = {k: v for k, v in defaults.items() if k in needed and getattr(person, k) is None}
    if "years_uninsured" in fill or any(r.starts.kind == "variable_wait" for r in rules.coverage.start_rules):
        fill.update({k: defaults[k] for k in ("years_uninsured", "years_back_paid") if getattr(person, k) is None})
    return replace(person, **fill) if fill else person  # type: ignore[arg-type]


def closes(rules: RuleSet) -> bool:
    """Whether a payment after the coverage period is refused: the notice states the period, or takes
    payments for the year up to its end (a window reaching it). Otherwise such a payment is not stated."""
    period = rules.coverage.period
    return period.stated or any(w.end is not None and w.end >= period.end for w in rules.enrolment.windows)


def refunded(rules: RuleSet, person: Person) -> bool:
    """Whether a refund provision of the notice reaches this person (recognised after paying)."""
    late = person.recognised is not None and person.paid is not None and person.recognised > person.paid
    return late and any(p.applies_when == "recognised_after_payment" for p in rules.enrolment.refunds)


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
    for name, low, high, unit in (("years_uninsured", 0, 150, "years"), ("years_back_paid", 0, 150, "years"),
                                  ("disability_grade", 1, 4, "grade"), ("employee_months", 0, 12, "months")):
        value = getattr(person, name)
        if value is not None and not low <= value <= high:
            raise InputError(f"--{name.replace('_', '-')}", f"must be {unit} from {low} to {high}, got {value}")
    if (person.years_back_paid or 0) > (person.years_uninsured or 0):
        raise InputError("--years-back-paid", "cannot exceed the years without insurance")


def quote(rules: RuleSet, person: Person, convention: daycount.Convention = daycount.DEFAULT_CONVENTION) -> Quote:
    """Quote one person under one jurisdiction-year's rules."""
    if convention not in daycount.CONVENTIONS:
        choices = ", ".join(daycount.CONVENTIONS)
        raise InputError("--day-count", f"unknown convention '{convention}'; choices: {choices}")
    _check_person(rules, person)
    paid = person.paid
    assert paid is not None
    fin = rules.financing
    cols = _columns(person)  # the person as a population of one, for every question put to the table
    class_index = class_of(rules, person, cols)
    contribution_value, fiscal_value = prices(rules, class_index)
    contribution, fiscal = contribution_value.amount, fiscal_value.amount
    cites: list[dict[str, str]] = []
    notes: list[str] = [f"Day counting: {daycount.describe(convention)}"]
    if cut := _cut_off(rules.source):
        notes.append(f"The source text is partial: {cut}. What it does not reach is not stated.")
    cats = tuple(sorted(set(person.categories)))
    if person.recognised is not None and person.recognised > paid:
        # The quote is of the person as recognised; how the help reaches one who paid first is the notice's.
        notes.append(f"Recognised as a member of the assisted groups on {person.recognised}, after paying: the "
                     "answer is the person's position once recognised.")
        for provision in rules.enrolment.refunds:
            if provision.applies_when == "recognised_after_payment":
                notes.append(f"Refund: {provision.summary}")
                cites += citations_of(rules, provision)
    # A status is recognised no earlier than the person is born (the day is given where it matters).
    recognised = person.recognised if person.recognised is not None else person.born
    help_ = assistance(rules, cats, deferred_categories(rules, cats, recognised), class_index,
                       ineligible_of(rules, person, cols))
    resident_class = fin.resident_classes[class_index] if class_index >= 0 else None
    if resident_class is not None:
        notes.append(f"Resident class: {resident_class.name_zh} ({resident_class.id}), priced at its own "
                     "personal contribution and fiscal subsidy.")
        cites += citations_of(rules, resident_class)
    period = rules.coverage.period
    if not period.stated:
        notes.append(f"Coverage period: {period.note}")
    q = Quote(
        jurisdiction=rules.jurisdiction, year=rules.coverage_year, circumstance=person.circumstance,
        categories=list(person.categories), paid=paid, payable=None, payable_reason="", rule=None,
        resident_class=resident_class.id if resident_class else None, personal_contribution=contribution,
        personal_due=None, personal_due_is_upper_bound=False,
        subsidy=None, subsidy_payer=None, fiscal_subsidy=fiscal, total_premium=None, total_premium_is_minimum=False,
        coverage_start=None, coverage_end=None, covered_days=None, waiting_days=None,
        day_count=convention, citations=cites, notes=notes,
    )
    unaddressed = unaddressed_status(rules, cats)
    if unaddressed:
        q.resident_class = None
        q.payable_reason = (f"not stated in this notice: whether {unaddressed[0]} "
                            f"({_category_names()[unaddressed[0]]}) enrol in resident insurance")
        notes.append(q.payable_reason)
        return q
    excluded = excluded_from_enrolment(rules, cats)
    if excluded:
        q.resident_class = None
        q.payable = False
        q.payable_reason = (f"{excluded[0].name_zh} ('{excluded[0].category}') do not enrol in resident "
                            "insurance under this notice")
        notes.append(q.payable_reason)
        cites += citations_of(rules, excluded[0])
        return q
    rule, open_bound = decide(rules, person, convention, cols)
    first, _ = table.domain(rules)
    if rule is None:
        unstated = [w for w in rules.enrolment.windows if not w.stated and (w.start is None or w.end is None)]
        if open_bound and unstated:
            q.payable_reason = (f"not stated in this notice: whether a payment on {paid} falls in "
                                + "; ".join(f"{w.name_zh} ({w.note})" for w in unstated))
            for w in unstated:
                cites += citations_of(rules, w)
        elif paid > period.end and closes(rules):
            q.payable = False
            q.payable_reason = f"payment on {paid} is after the coverage period ended ({period.end})"
        elif paid > period.end:
            q.payable_reason = (f"not stated in this notice: it neither states the end of the coverage period "
                                f"(read as {period.end}) nor takes payments up to it, so a payment on {paid} is "
                                "not provided for")
        elif paid < first:
            q.payable_reason = (f"payment on {paid} is before the first collection window opens ({first}): "
                                "outside what this notice speaks about")
        else:
            q.payable_reason = (f"the notice states no rule for a {person.circumstance} payment on {paid} "
                                f"(not stated in this notice)")
        notes.append(q.payable_reason)
        return q
    if not rule.stated:
        q.rule = rule.id
        q.payable_reason = f"not stated in this notice: {rule.note}"
        if rule.refers_to:
            q.payable_reason += f" The notice refers to {rule.refers_to}."
        notes.append(q.payable_reason)
        cites += citations_of(rules, rule)
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
    money = dues(rules, rule, help_, class_index)
    q.personal_due, q.personal_due_is_upper_bound = money.personal_due, money.personal_due_is_upper_bound
    if refunded(rules, person) and q.personal_due:
        q.personal_due_is_upper_bound = True
        notes.append("Part of what was paid before recognition is refunded (see the refund above); the net amount "
                     "is not stated, so the amount due is an upper bound.")
    q.subsidy, q.subsidy_payer = money.subsidy, money.subsidy_payer
    q.total_premium, q.total_premium_is_minimum = money.total_premium, money.total_premium_is_minimum
    if rule.due in ("standard", "personal_contribution", "waived"):
        cites += citations_of(rules, contribution_value)
        if q.total_premium is not None:
            if fiscal_value.at_least:
                notes.append(f"Fiscal subsidy of at least {fiscal} yuan (不低于): the total premium is a minimum.")
            cites += citations_of(rules, fiscal_value)
    if rule.due == "standard":
        notes.extend(help_.notes)
        for value in help_.cited:
            cites += citations_of(rules, value)
    elif rule.due == "personal_contribution":
        if person.categories:
            notes.append("This rule charges the full personal contribution; no assistance is applied.")
    elif rule.due == "waived":
        notes.append("The person's contribution is waived (免缴) under this rule; who bears it is not stated.")
    elif rule.due == "late_payer_total":
        cites += citations_of(rules, fin.late_payer_total)
        notes.append("Late payment: the person pays the personal contribution and the government subsidy together.")
        if person.categories:
            notes.append("Assistance does not apply to this late payment under this rule.")
    else:
        notes.append("The amount due under this rule is not stated in this notice.")
    # From which day cover starts.
    index = np.array([next(i for i, r in enumerate(rules.coverage.start_rules) if r is rule)], np.int64)
    needs, inputs = table.start_needs(rules, index, cols)
    if needs[0]:
        raise _needs(person, inputs)
    cover = table.cover(rules, index, cols, convention)
    end = table.date_of(cover.end[0])
    q.coverage_end = end
    if not cover.known[0]:
        notes.append("The start of cover is not stated in this notice.")
        return q
    start = table.date_of(cover.start[0])
    if cover.before_period[0]:
        notes.append(f"Cover cannot start before the coverage period ({period.start}).")
    if cover.before_birth[0]:
        notes.append(f"Cover cannot start before the person is born ({person.born}).")
    q.coverage_start = start
    q.covered_days = int(cover.covered[0])
    if q.covered_days == 0:
        notes.append(f"Cover would start on {start}, after the coverage period ends ({end}): no cover this year.")
    q.waiting_days = int(cover.waiting[0])
    cites += citations_of(rules, period)
    return q
