"""Worked cases for staff: families whose questions are answered by the engine, with citations.

Cases are generated from each rule file's own dates and groups, never from a list of jurisdictions:

* an ordinary resident paying in the first collection window (``ordinary``);
* a resident paying after it, under a later-payment rule of the file (``late_payer``);
* a person in two assisted groups paying in the window (``two_groups``);
* an assisted person enrolling outside the window under a rule for their groups (``assisted_late``);
* a newborn (``newborn``), someone leaving employee insurance (``employee_lapse``), and the other
  circumstances the file has rules for (``other``: discharged soldiers, released prisoners, migrants);
* a person whom a not-stated rule of the file covers (``not_stated``): the answer is that the notice does
  not say, with what it leaves open and the document it refers to, never a figure filled in.

Each answer is put in plain words (:attr:`Answer.summary`), with the rule described without its id, the
day counting only where days are counted, and the common mistakes a trainee would make
(:func:`mistakes`), each derived from the engine (the answer under the ordinary rule, the cover a
payment would give without the waiting period, the help of two groups added up), never written by hand.

Dates are placed relative to the file's windows and coverage period (e.g. a child born 61 days after
the coverage period starts, 3 March in a calendar year, enrolled 20 or 99 days later). A case is kept
only when the engine matches it to a rule written for it, and at most one case is kept per rule, so
every case shows one rule of the notice at work.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from policylib import catalogue, daycount, engine
from policylib.compare import PAYER_GLOSS, condition_words, start_words
from policylib.model import RuleSet, StartRule, Window
from policylib.wording import cover_range, money

__all__ = [
    "KINDS",
    "KIND_TITLES",
    "PROFILE_KINDS",
    "Answer",
    "Case",
    "Mistake",
    "all_cases",
    "answer",
    "answers",
    "by_kind",
    "cases",
    "mistakes",
    "payer_words",
    "rule_words",
]

KINDS = ("ordinary", "late_payer", "newborn", "two_groups", "employee_lapse", "assisted_late", "other",
         "not_stated")
PROFILE_KINDS = ("ordinary", "late_payer", "newborn", "employee_lapse", "not_stated")
KIND_TITLES = {
    "ordinary": "An ordinary resident paying in the window (普通居民按期缴费)",
    "late_payer": "A late payer (集中征缴期后缴费)",
    "newborn": "A newborn (新生儿参保)",
    "two_groups": "A person in two assisted groups (多重身份资助)",
    "employee_lapse": "Someone leaving employee insurance (职工医保中断后参加居民医保)",
    "assisted_late": "An assisted person enrolling outside the window (资助对象动态参保)",
    "other": "Other circumstances: discharged soldiers, released prisoners, migrant workers",
    "not_stated": "Where the notice is silent (未明确规定)",
}
EVENT_WORDS = {
    "born": "born",
    "lapsed": "stopped paying employee medical insurance (职工医保)",
    "discharged": "was discharged from active service (退出现役)",
    "released": "was released from prison (刑满释放)",
}
WHO = {
    "newborn": "A baby",
    "employee_lapse": "A worker",
    "veteran": "A soldier",
    "released_prisoner": "A person",
    "migrant_worker": "A migrant worker working outside the area (外出务工人员)",
    "regular": "An ordinary resident (普通居民) with no assisted status",
}
# Event dates tried, in days after the coverage period starts, and payment delays after the event.
EVENT_OFFSETS = {"newborn": (61, -30), "default": (120, -30)}
PAYMENT_DELAYS = (20, 99)
LATE_DELAY = 30
MAX_PER_RULE = 1


@dataclass(frozen=True)
class Case:
    """One worked case: a person under one jurisdiction-year's rules, and the question asked."""

    jurisdiction: str
    year: int
    label: str
    kind: str
    number: int
    question: str
    person: engine.Person
    expected_rule: str | None = None
    groups: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.jurisdiction}-{self.year}-{self.kind}-{self.number}"


@dataclass(frozen=True)
class Mistake:
    """A wrong answer a trainee would likely give, and why the notice says otherwise."""

    wrong: str
    why: str


@dataclass(frozen=True)
class Answer:
    """The engine's answer to a case, in words, with the rule applied and the citations.

    ``rule`` is the rule's id (for tests and links, never shown); ``rule_words`` describes it in plain
    words. ``explanation`` holds the engine's notes except the day-counting convention, which is in
    ``day_counting`` only when the answer counts days (a waiting period, a limit of N days or months).
    ``consult`` says, where the notice leaves the answer open, what it leaves open and which document
    it refers to."""

    case: Case
    quote: engine.Quote
    pays: str
    rest: str
    cover: str
    waiting: str
    rule: str | None
    rule_words: str | None
    explanation: tuple[str, ...]
    citations: tuple[dict[str, str], ...] = field(default_factory=tuple)
    summary: str = ""
    day_counting: str | None = None
    consult: str | None = None
    mistakes: tuple[Mistake, ...] = ()


# --------------------------------------------------------------------------- dates


def _words(day: dt.date) -> str:
    months = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")
    return f"{day.day} {months[day.month - 1]} {day.year}"


def _midpoint(window: Window) -> dt.date:
    if window.start is None or window.end is None:  # one bound not stated: two weeks inside the other
        known = window.end or window.start
        assert known is not None
        return known - dt.timedelta(days=14) if window.start is None else known + dt.timedelta(days=14)
    return window.start + dt.timedelta(days=(window.end - window.start).days // 2)


def _main_window(rules: RuleSet) -> Window:
    """The window of the first ordinary in-window rule, else the first window of the file."""
    windows = {w.id: w for w in rules.enrolment.windows}
    for rule in rules.coverage.start_rules:
        if rule.circumstance == "regular" and not rule.categories:
            for cond in rule.when:
                if cond.kind == "paid_in_window" and cond.window in windows:
                    return windows[cond.window]
    return rules.enrolment.windows[0]


def _payment_days(rules: RuleSet, rule: StartRule) -> list[dt.date]:
    """Payment dates that the rule's window conditions suggest, in order."""
    windows = {w.id: w for w in rules.enrolment.windows}
    main = _main_window(rules)
    days: list[dt.date] = []
    for cond in rule.when:
        window = windows.get(cond.window or "")
        if window is None:
            continue
        if cond.kind == "paid_in_window":
            if window.id == main.id or window.start is None or window.end is None:
                days.append(_midpoint(window))
            else:
                days.append(min(window.start + dt.timedelta(days=LATE_DELAY), window.end))
        elif cond.kind == "paid_after_window" and window.end is not None:
            days.append(window.end + dt.timedelta(days=LATE_DELAY))
    if not days:
        days.append(_midpoint(main))
    return [d for d in dict.fromkeys(days) if d <= rules.coverage.period.end]


def _matches(rules: RuleSet, person: engine.Person, rule: StartRule, convention: daycount.Convention) -> bool:
    try:
        found = engine.matching_rule(rules, person, convention)
    except engine.InputError:
        return False
    return found is not None and found.id == rule.id


# --------------------------------------------------------------------------- case builders


def _kind(rules: RuleSet, rule: StartRule) -> str:
    if not rule.stated:
        return "not_stated"
    if rule.circumstance == "regular":
        if rule.categories:
            return "assisted_late"
        main = _main_window(rules)
        in_main = any(c.kind == "paid_in_window" and c.window == main.id for c in rule.when)
        return "ordinary" if in_main or not rule.when else "late_payer"
    if rule.circumstance in ("newborn", "employee_lapse"):
        return rule.circumstance
    return "other"


def _stated_kind(rules: RuleSet, rule: StartRule) -> str:
    """The kind a rule would have if it were stated (the wording of its question)."""
    return _kind(rules, rule.model_copy(update={"status": "stated"}))


def _question(rules: RuleSet, rule: StartRule, kind: str, person: engine.Person) -> str:
    paid = person.paid
    assert paid is not None
    windows = {w.id: w for w in rules.enrolment.windows}
    main = _main_window(rules)
    place = f"{rules.name_en} ({rules.name_zh}), coverage year {rules.coverage_year}"
    event = engine.EVENT_FOR.get(rule.circumstance)
    if event:
        day = person.event_date(event)
        assert day is not None
        who = WHO.get(rule.circumstance, "A person")
        if rule.circumstance == "newborn":
            return (f"In {place}: a baby born on {_words(day)} is enrolled on {_words(paid)}. "
                    "What does the family pay, and from which day is the child covered?")
        return (f"In {place}: {who[0].lower() + who[1:]} {EVENT_WORDS[event]} on "
                f"{_words(day)} and enrols in resident insurance on {_words(paid)}. What do they pay, "
                "and from which day are they covered?")
    if kind == "assisted_late":
        cats = ", ".join(_category_words(c) for c in person.categories)
        return (f"In {place}: a person in an assisted group ({cats}) enrols on {_words(paid)}, after the "
                f"{main.name_zh} closed on {_words(main.end)}. What do they pay, who pays the rest, and from "
                "which day are they covered?")
    in_window = next((windows[c.window] for c in rule.when if c.kind == "paid_in_window"
                      and c.window in windows), None)
    who = WHO.get(rule.circumstance, "A person")
    if kind == "late_payer":
        return (f"In {place}: {who[0].lower() + who[1:]} missed the {main.name_zh} (which closed on "
                f"{_words(main.end)}) and pays on {_words(paid)}. What do they pay, and from which day are "
                "they covered?")
    during = f", during the {in_window.name_zh}" if in_window is not None else ""
    return (f"In {place}: {who[0].lower() + who[1:]} pays on {_words(paid)}{during}. What do they pay, and "
            "from which day are they covered?")


def _category_words(category: str) -> str:
    labels = {c.id: c for c in catalogue.categories().categories}
    c = labels.get(category)
    return f"{c.name_zh}, {c.gloss}" if c else category


def _rule_cases(rules: RuleSet, convention: daycount.Convention) -> Iterator[tuple[str, StartRule, engine.Person]]:
    """For each start rule, the first person of a small grid the engine matches to it."""
    period = rules.coverage.period
    for rule in rules.coverage.start_rules:
        kind = _kind(rules, rule)
        event = engine.EVENT_FOR.get(rule.circumstance)
        cats = tuple(rule.categories[:1])
        candidates: list[engine.Person] = []
        if event:
            offsets = EVENT_OFFSETS.get(rule.circumstance, EVENT_OFFSETS["default"])
            for offset, delay in itertools.product(offsets, PAYMENT_DELAYS):
                day = period.start + dt.timedelta(days=offset)
                paid = day + dt.timedelta(days=delay)
                if paid <= period.end:
                    candidates.append(engine.reference_facts(rules, engine.Person(
                        categories=cats, circumstance=rule.circumstance, paid=paid, **{event: day})))
        else:
            for paid in _payment_days(rules, rule):
                candidates.append(engine.reference_facts(rules, engine.Person(
                    categories=cats, circumstance=rule.circumstance, paid=paid)))
        person = next((p for p in candidates if _matches(rules, p, rule, convention)), None)
        if person is not None:
            yield kind, rule, person


def _two_groups(rules: RuleSet) -> tuple[str, str] | None:
    """The first two stated assisted groups (file order) whose help differs, as categories."""
    stated = [g for g in rules.assisted_groups if g.stated and g.help not in ("not_stated", "none")]
    values: dict[str, int | None] = {}
    for group in stated:
        try:
            values[group.category] = engine.assistance(rules, (group.category,)).amount
        except engine.InputError:
            values[group.category] = None
    for a, b in itertools.combinations(stated, 2):
        va, vb = values.get(a.category), values.get(b.category)
        if a.category != b.category and va is not None and vb is not None and va != vb:
            return a.category, b.category
    return None


def cases(rules: RuleSet, kinds: Sequence[str] = KINDS,
          convention: daycount.Convention = daycount.DEFAULT_CONVENTION) -> list[Case]:
    """The worked cases of one jurisdiction-year, in ``kinds`` order, then in rule-file order."""
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown case kinds {', '.join(unknown)}; choices: {', '.join(KINDS)}")
    label = f"{rules.name_en} {rules.coverage_year}"
    found: dict[str, list[Case]] = {k: [] for k in KINDS}
    for kind, rule, person in _rule_cases(rules, convention):
        bucket = found[kind]
        question = _question(rules, rule, _stated_kind(rules, rule) if kind == "not_stated" else kind, person)
        bucket.append(Case(rules.jurisdiction, rules.coverage_year, label, kind, len(bucket) + 1, question,
                           person, expected_rule=rule.id))
    pair = _two_groups(rules)
    if pair is not None:
        main = _main_window(rules)
        person = engine.reference_facts(rules, engine.Person(categories=pair, paid=_midpoint(main)))
        a, b = (_category_words(c) for c in pair)
        question = (f"In {rules.name_en} ({rules.name_zh}), coverage year {rules.coverage_year}: a person is "
                    f"both {a} and {b}, and pays on {_words(_midpoint(main))}, during the {main.name_zh}. "
                    "What do they pay, who pays the rest, and does the help of the two groups add up?")
        found["two_groups"].append(Case(rules.jurisdiction, rules.coverage_year, label, "two_groups", 1, question,
                                        person, groups=pair))
    return [case for kind in kinds for case in found[kind]]


def all_cases(kinds: Sequence[str] = KINDS,
              convention: daycount.Convention = daycount.DEFAULT_CONVENTION) -> list[Case]:
    """Worked cases of every local jurisdiction-year (catalogue order), grouped by kind in ``kinds`` order."""
    per_entry = [cases(catalogue.rules(e.jurisdiction, e.year), kinds, convention) for e in catalogue.local_entries()]
    return [case for kind in kinds for entry_cases in per_entry for case in entry_cases if case.kind == kind]


def by_kind(found: Iterable[Case]) -> dict[str, list[Case]]:
    """Cases grouped by kind, every kind present (possibly empty), in :data:`KINDS` order."""
    out: dict[str, list[Case]] = {k: [] for k in KINDS}
    for case in found:
        out[case.kind].append(case)
    return out


# --------------------------------------------------------------------------- answers


def _dedupe(citations: Iterable[dict[str, str]]) -> tuple[dict[str, str], ...]:
    seen: dict[tuple[str, str, str], dict[str, str]] = {}
    for c in citations:
        seen.setdefault((c["source"], c["clause"], c["excerpt"]), c)
    return tuple(seen.values())


def _money(amount: int | None, upper_bound: bool = False) -> str:
    """The one money wording (wording.money), with a missing sum said of this notice."""
    return "not stated in this notice" if amount is None else money(amount, upper_bound=upper_bound)


def payer_words(payer: str | None) -> str:
    """The engine's payer (``kind (中文名)``) in English with the Chinese name."""
    if not payer:
        return "a payer not stated in this notice"
    kind, _, name = payer.partition(" (")
    gloss = PAYER_GLOSS.get(kind, kind)
    if gloss == "not stated":
        gloss = "a payer not stated in this notice"
    return f"{gloss}: {name.removesuffix(')')}" if name else gloss


DAY_COUNTED_CONDITIONS = ("paid_within", "paid_after")
DAY_COUNTED_STARTS = ("after_payment_period", "variable_wait")


def _counts_days(rule: StartRule | None, q: engine.Quote) -> bool:
    """Whether the answer counts days: a waiting period, or a limit of N days or months after an event."""
    if q.waiting_days:
        return True
    if rule is None:
        return False
    return rule.starts.kind in DAY_COUNTED_STARTS or any(c.kind in DAY_COUNTED_CONDITIONS for c in rule.when)


def _plain(rules: RuleSet, text: str) -> str:
    """Words of :mod:`policylib.compare` without the windows' ids."""
    for window in rules.enrolment.windows:
        text = text.replace(f" ({window.id})", "")
    return text


def rule_words(rules: RuleSet, rule: StartRule) -> str:
    """A start rule in plain words: for whom, on which conditions, and from which day cover starts."""
    conditions = [_plain(rules, condition_words(rules, c)) for c in rule.when]
    if rule.categories:
        names = {c.id: c.name_zh for c in catalogue.categories().categories}
        conditions.insert(0, f"only for {'、'.join(names.get(c, c) for c in rule.categories)}")
    words = ' and '.join(conditions) or 'any payment'
    if not rule.stated:
        return f"{words}: the notice does not say what is due or when cover starts"
    if rule.starts.kind == "not_stated":
        refers = f" (the notice refers to {rule.refers_to})" if rule.refers_to else ""
        return f"{words}; the day cover starts is not stated{refers}"
    return f"{words}; cover from {_plain(rules, start_words(rules, rule))}"


def _without_ids(rules: RuleSet, text: str) -> str:
    """Text of a rule file or of the engine with the ids it names (rules, categories) put in words."""
    def rule_name(match: re.Match[str]) -> str:
        rule = by_id.get(match.group(1))
        if rule is None:
            return match.group(0)
        conditions = [_plain(rules, condition_words(rules, c)) for c in rule.when]
        return f"the rule that applies when {' and '.join(conditions)}" if conditions else "the notice's general rule"

    by_id = {r.id: r for r in rules.coverage.start_rules}
    names = {c.id: c.name_zh for c in catalogue.categories().categories}
    text = re.sub(r"(?:rule )?'([a-z][a-z0-9_]*)'", lambda m: rule_name(m) if m.group(1) in by_id
                  else names.get(m.group(1), m.group(0)), text)
    return re.sub(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b",
                  lambda m: rule_name(m) if m.group(1) in by_id else names.get(m.group(1), m.group(0)), text)


def _explanation(rules: RuleSet, notes: Iterable[str]) -> tuple[tuple[str, ...], str | None]:
    """The engine's notes without the day-counting note (returned apart) and with ids put in words."""
    kept: list[str] = []
    counting = None
    for note in dict.fromkeys(notes):
        if note.startswith("Day counting:"):
            counting = note.removeprefix("Day counting:").strip()
            continue
        if note.startswith("Reading of rule '"):
            note = "Reading encoded:" + note.partition("':")[2]
        kept.append(_without_ids(rules, note))
    return tuple(kept), counting


def _consult(rules: RuleSet, rule: StartRule | None, q: engine.Quote) -> str | None:
    """What the notice leaves open for this answer and the document it refers to, from the rule file."""
    if rule is None or (rule.stated and q.coverage_start is not None and q.personal_due is not None):
        return None
    parts: list[str] = []
    if rule.note:
        parts.append(_without_ids(rules, rule.note))
    if rule.refers_to:
        parts.append(f"The notice refers to {rule.refers_to}: consult it for this case.")
    elif not rule.stated:
        parts.append("The notice names no other document for this case: its answer is not stated.")
    return " ".join(parts) or None


def _date_words(day: dt.date | None) -> str:
    return _words(day) if day is not None else "a day not stated in this notice"


def _summary(rule: StartRule | None, q: engine.Quote) -> str:
    """The answer in one or two plain sentences."""
    if q.rule is None:
        return f"No rule of this notice applies: {q.payable_reason}."
    if rule is not None and not rule.stated:
        return ("The notice does not say what this person pays or from which day they are covered: "
                "the answer is not stated in this notice.")
    if q.coverage_start is None:
        cover = "The day their cover starts is not stated in this notice."
    else:
        cover = f"They are covered from {_words(q.coverage_start)}"
        if q.waiting_days:
            cover += f", after a waiting period (待遇等待期) of {q.waiting_days} days"
        cover += "."
    due = _money(q.personal_due, q.personal_due_is_upper_bound)
    if q.subsidy and q.personal_due is not None and q.personal_contribution is not None:
        due += f": the personal contribution of {q.personal_contribution} yuan less {q.subsidy} yuan of assistance"
    return f"They pay {due}. {cover}"


def _ordinary(rules: RuleSet, convention: daycount.Convention) -> engine.Quote:
    """The answer for an ordinary resident paying in the main window (the answer trainees default to)."""
    person = engine.reference_facts(rules, engine.Person(paid=_midpoint(_main_window(rules))))
    return engine.quote(rules, person, convention)


def _cover_words(q: engine.Quote) -> str:
    return f"cover from {_words(q.coverage_start)}" if q.coverage_start is not None else "cover not stated"


def mistakes(rules: RuleSet, case: Case, q: engine.Quote, rule: StartRule | None,
             convention: daycount.Convention = daycount.DEFAULT_CONVENTION) -> tuple[Mistake, ...]:
    """The wrong answers a trainee would likely give to this case, each derived from the engine's figures."""
    found: list[Mistake] = []
    main = _main_window(rules)
    if case.kind not in ("ordinary", "two_groups") and rule is not None:
        usual = _ordinary(rules, convention)
        if not rule.stated and usual.personal_due is not None:
            found.append(Mistake(
                f"{usual.personal_due} yuan, {_cover_words(usual)}",
                f"That is the answer for an ordinary resident paying in the {main.name_zh}. This notice has no "
                "rule for this person: filling the gap with the ordinary rule invents policy. Say it is not "
                "stated and name the document to consult."))
        elif rule.stated and (usual.personal_due, usual.coverage_start) != (q.personal_due, q.coverage_start):
            found.append(Mistake(
                f"{_money(usual.personal_due)}, {_cover_words(usual)}",
                f"That is the answer for an ordinary resident paying in the {main.name_zh}. This person falls under "
                f"another rule of the notice, which gives {_money(q.personal_due)}, {_cover_words(q)}."))
    if rule is not None and rule.stated and rule.due == "late_payer_total" and q.personal_contribution is not None \
            and q.personal_due is not None and q.personal_due != q.personal_contribution:
        found.append(Mistake(
            f"{q.personal_contribution} yuan (the personal contribution alone)",
            "After the collection window the person pays the personal contribution and the government subsidy "
            f"together: {q.personal_due} yuan."))
    if q.waiting_days and q.coverage_start is not None and q.paid is not None:
        found.append(Mistake(
            f"covered from the day of payment, {_words(q.paid)}",
            f"Paying late buys cover only after a waiting period (待遇等待期) of {q.waiting_days} days: cover "
            f"starts on {_words(q.coverage_start)}."))
    if q.subsidy and q.personal_due and q.personal_contribution is not None:
        found.append(Mistake(
            "the assisted person pays nothing",
            f"The assistance ({q.subsidy} yuan) covers only part of the personal contribution "
            f"({q.personal_contribution} yuan), not the whole of it: the person still pays {_money(q.personal_due)}."))
    if len(case.groups) >= 2 and q.personal_contribution is not None and q.personal_due is not None:
        singles = [engine.assistance(rules, (c,)).amount for c in case.groups]
        if all(a is not None for a in singles):
            added = max(0, q.personal_contribution - sum(a for a in singles if a is not None))
            if added != q.personal_due:
                found.append(Mistake(
                    f"{added} yuan (the help of both groups added up)",
                    "A person in several assisted groups gets the highest help only (就高不就低), not the sum: "
                    f"the person pays {_money(q.personal_due, q.personal_due_is_upper_bound)}."))
    return tuple(found)


def answer(case: Case, convention: daycount.Convention = daycount.DEFAULT_CONVENTION) -> Answer:
    """Quote the case's person with the engine and put the answer in words."""
    rules = catalogue.rules(case.jurisdiction, case.year)
    q = engine.quote(rules, case.person, convention)
    rule = next((r for r in rules.coverage.start_rules if r.id == q.rule), None)
    if q.rule is None:
        pays = f"No rule applies: {q.payable_reason}."
    else:
        pays = _money(q.personal_due, q.personal_due_is_upper_bound)
        if q.personal_due is not None and q.personal_contribution is not None and q.subsidy:
            pays += f" (personal contribution {q.personal_contribution} yuan less {q.subsidy} yuan of assistance)"
    if q.subsidy:
        rest = f"assistance of {_money(q.subsidy)} paid by {payer_words(q.subsidy_payer)}"
    elif q.subsidy == 0:
        rest = "no assistance"
    else:
        rest = "assistance not stated in this notice"
    if q.fiscal_subsidy is not None and q.rule is not None and rule is not None and rule.due != "late_payer_total":
        at_least = "at least " if rules.financing.fiscal_subsidy.at_least else ""
        rest += f"; the government adds a fiscal subsidy of {at_least}{q.fiscal_subsidy} yuan"
    if q.coverage_start is not None:
        cover = cover_range(q.coverage_start, q.coverage_end, q.covered_days)
        if q.coverage_end is None or q.coverage_start <= q.coverage_end:
            cover = f"from {cover}"
    else:
        cover = "start of cover not stated in this notice" if q.rule is not None else "no cover under this notice"
    if q.waiting_days is None:
        waiting = "not stated" if q.rule is not None else "—"
    else:
        waiting = f"{q.waiting_days} days" if q.waiting_days else "none"
    explanation, counting = _explanation(rules, q.notes)
    consult = _consult(rules, rule, q)
    if consult and rule is not None and rule.note:  # said once, under what to consult
        explanation = tuple(e for e in explanation if _without_ids(rules, rule.note) not in e)
    return Answer(
        case=case, quote=q, pays=pays, rest=rest, cover=cover, waiting=waiting, rule=q.rule,
        rule_words=rule_words(rules, rule) if rule is not None else None,
        explanation=explanation, citations=_dedupe(q.citations),
        summary=_summary(rule, q),
        day_counting=counting if _counts_days(rule, q) else None,
        consult=consult,
        mistakes=mistakes(rules, case, q, rule, convention),
    )


def answers(found: Iterable[Case], convention: daycount.Convention = daycount.DEFAULT_CONVENTION) -> list[Answer]:
    """The answers of several cases, in order."""
    return [answer(case, convention) for case in found]
