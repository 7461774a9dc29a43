"""Proof that a rule file's decision table has no overlaps and no gaps, by exhausting its domain.

Every person the start rules can tell apart is tried: each circumstance; each combination of the
categories the rules name (categories named by exactly the same rules are one class); with and
without a recognition date after each window a rule tests; every payment day of the table's domain
(:func:`policylib.table.domain`); and, for a circumstance with an event, every event day from well
before the domain up to the payment day, plus one long before it. Conditions are piecewise constant
in these days, so the days of the domain exhaust every region of the table.

Found for each region: two rules of one tier that both apply (an overlap, unless one ``overrides``
the other) or no rule at all inside the domain (a gap, to be covered by an explicit not-stated rule).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import numpy as np

from policylib import table
from policylib.engine import _category_tree
from policylib.model import RuleSet

LONG_BEFORE_DAYS = 800  # an event this long before the domain lies beyond every period a notice counts


@dataclass
class Finding:
    kind: str  # "overlap" or "gap"
    rules: tuple[str, ...]
    circumstance: str
    categories: tuple[str, ...]
    recognised: dt.date | None
    paid: dt.date
    event: dt.date | None
    count: int
    facts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        who = f"a person of circumstance '{self.circumstance}'"
        if self.categories:
            who += f" in {', '.join(self.categories)}"
        if self.recognised:
            who += f" recognised on {self.recognised}"
        if self.facts:
            who += " (" + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.facts.items()) + ")"
        when = f"paying on {self.paid}"
        if self.event:
            when += f" ({table.EVENT_FOR[self.circumstance]} {self.event})"
        if self.kind == "overlap":
            return (f"rules {' and '.join(repr(r) for r in self.rules)} both apply to {who} {when} "
                    f"and {self.count - 1} more such persons; state which governs under 'overrides'")
        return (f"no rule applies to {who} {when} and {self.count - 1} more such persons; "
                "add a rule, or a not-stated rule saying the notice is silent there")


@dataclass
class TableReport:
    """What the exhaustive run found for one file."""

    rules: int = 0
    not_stated_rules: int = 0
    persons: int = 0
    findings: list[Finding] = field(default_factory=list)


def _category_classes(rules: RuleSet) -> list[tuple[str, ...]]:
    """One representative category set per combination of the rule-naming classes (with the empty set)."""
    signature: dict[str, frozenset[int]] = {}
    for i, rule in enumerate(rules.coverage.start_rules):
        for cat in rule.categories:
            signature[cat] = signature.get(cat, frozenset()) | {i}
    reps: dict[frozenset[int], str] = {}
    for cat in sorted(signature):
        reps.setdefault(signature[cat], cat)
    singles = sorted(reps.values())
    out: list[tuple[str, ...]] = [()]
    for k in range(1, len(singles) + 1):
        out += list(itertools.combinations(singles, k))
    return out


def _recognition_points(rules: RuleSet) -> list[int | None]:
    ends = {w.id: w.end for w in rules.enrolment.windows}
    used = {c.window for r in rules.coverage.start_rules for c in r.when if c.kind == "recognised_after_window"}
    return [None, *sorted(table.day(e) + 1 for w in used if (e := ends.get(w)) is not None)]


def _fact_points(rules: RuleSet) -> list[dict[str, int]]:
    """One value per region of each fact the start rules test (and of the facts a waiting period counts)."""
    conds = [c for r in rules.coverage.start_rules for c in r.when]
    axes: dict[str, set[int]] = {}
    for c in conds:
        if c.kind in ("student", "rural_hukou"):
            axes.setdefault(c.kind, set()).update({0, 1})
        elif c.kind == "fact_is" and c.fact:
            axes.setdefault(c.fact, set()).update({0, 1})
        elif c.kind in ("fact_at_least", "fact_at_most") and c.fact:
            n = c.number or 0
            axes.setdefault(c.fact, set()).update({max(0, n - 1), n, n + 1})
        elif c.kind == "insured_last_year":
            axes.setdefault("years_uninsured", {0}).update({1})
        elif c.kind in ("years_uninsured_at_least", "years_uninsured_below"):
            axes.setdefault("years_uninsured", {0}).update({max(0, (c.years or 0) - 1), c.years or 0})
    if any(r.starts.kind == "variable_wait" for r in rules.coverage.start_rules):
        axes.setdefault("years_uninsured", {0}).update({1})
    names = sorted(axes)
    return [dict(zip(names, values, strict=True))
            for values in itertools.product(*(sorted(axes[n]) for n in names))] or [{}]


def _birth_points(rules: RuleSet) -> list[int | None]:
    """Birth days on each side of every age a start rule tests (none where no rule tests an age)."""
    out: set[int] = set()
    for r in rules.coverage.start_rules:
        for c in r.when:
            if c.kind in ("age_at_least", "age_below") and c.as_of is not None:
                birthday = c.as_of.replace(year=c.as_of.year - (c.years or 0))
                out |= {table.day(birthday), table.day(birthday) + 1}
    return sorted(out) or [None]  # type: ignore[return-value]


def _grid(rules: RuleSet, circumstance: str, first: int, last: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(paid, event) days: every payment day; every event day up to it, and one long before."""
    paid_days = np.arange(first, last + 1, dtype=np.int64)
    if circumstance not in table.EVENT_FOR:
        return paid_days, None
    longest = max([(c.length or 0) * (31 if c.unit == "months" else 1)
                   for r in rules.coverage.start_rules for c in r.when if c.length] + [0])
    lo = first - longest - 2
    event_days = np.arange(lo, last + 1, dtype=np.int64)
    paid, event = np.meshgrid(paid_days, event_days, indexing="ij")
    keep = event <= paid
    paid, event = paid[keep], event[keep]
    paid = np.concatenate([paid, paid_days])
    event = np.concatenate([event, np.full(len(paid_days), lo - LONG_BEFORE_DAYS, np.int64)])
    return paid, event


IDENTITY_FIELDS = frozenset({"jurisdiction", "name_zh", "name_en", "parent_zh"})
_CHECKED: dict[str, TableReport] = {}


def content_key(rules: RuleSet) -> str:
    """The rule set's content less the names of its jurisdiction: two files that differ only in who they
    are about hold the same table."""
    return rules.model_dump_json(exclude=set(IDENTITY_FIELDS))


def check_table(rules: RuleSet) -> TableReport:
    """Try every person the table can tell apart; report overlaps and gaps (each distinct table once)."""
    key = content_key(rules) + repr(_category_tree())
    if key not in _CHECKED:
        _CHECKED[key] = _check_table(rules)
    found = _CHECKED[key]
    return TableReport(found.rules, found.not_stated_rules, found.persons, list(found.findings))


def _check_table(rules: RuleSet) -> TableReport:
    report = TableReport(
        rules=len(rules.coverage.start_rules),
        not_stated_rules=sum(not r.stated for r in rules.coverage.start_rules),
    )
    first_day, last_day = table.domain(rules)
    first, last = table.day(first_day), table.day(last_day)
    period_end = table.day(rules.coverage.period.end)
    start_rules = rules.coverage.start_rules
    parents = _category_tree()[0]
    labels = _category_classes(rules)
    combos = [frozenset(c) | {p for x in c if (p := parents.get(x))} for c in labels]
    profiles = list(itertools.product(_recognition_points(rules), _fact_points(rules), _birth_points(rules)))
    reported: set[tuple[str, ...]] = set()
    regular_gap = np.zeros(last - first + 1, bool)  # payment days no ordinary residents' rule covers
    for circumstance in table.CIRCUMSTANCES:
        paid, event = _grid(rules, circumstance, first, last)
        for recognised, facts, born in profiles:
            n = len(paid) * len(combos)
            cols = table.Columns(
                np.tile(paid, len(combos)),
                {e: np.zeros(n, np.int64) for e in table.EVENTS},
                {e: np.ones(n, bool) for e in table.EVENTS},
                np.full(n, table.CIRCUMSTANCES.index(circumstance), np.int64),
                np.repeat(np.arange(len(combos)), len(paid)),
                combos,
                {f: np.full(n, v, np.int64) for f, v in facts.items()},
                {f: np.zeros(n, bool) for f in facts},
            )
            if born is not None:
                cols.dates["born"], cols.missing["born"] = np.full(n, born, np.int64), np.zeros(n, bool)
            if event is not None:
                name = table.EVENT_FOR[circumstance]
                cols.dates[name] = np.tile(event, len(combos))
                cols.missing[name] = np.zeros(n, bool)
            if recognised is not None:
                cols.dates["recognised"] = np.full(n, recognised, np.int64)
                cols.missing["recognised"] = np.zeros(n, bool)
            report.persons += n
            todo = np.ones(n, bool)
            who = _Who(circumstance, labels, recognised, facts)
            for tier in table.tiers(rules, circumstance):
                if not tier:
                    continue
                found = table.tier_matrix(rules, tier, cols, "civil-code")
                matrix, unstated = found.matrix, found.open
                counts = matrix.sum(axis=0)
                clash = todo & (counts > 1)
                if clash.any():
                    i = int(np.argmax(clash))
                    both = tuple(start_rules[tier[k]].id for k in np.flatnonzero(matrix[:, i]))
                    if both not in reported:  # the same two rules may meet again through another circumstance
                        reported.add(both)
                        report.findings.append(who.finding("overlap", both, cols, i, int(clash.sum())))
                todo &= (counts == 0) & ~unstated  # a window bound the notice leaves open is said so, not a gap
            gap = todo & (cols.paid <= period_end)
            if circumstance == "regular":
                regular_gap[cols.paid[gap] - first] = True
            else:  # a gap of the ordinary residents' rules is reported once, for them
                gap &= ~regular_gap[cols.paid - first]
            if gap.any():
                i = int(np.argmax(gap))
                report.findings.append(who.finding("gap", (), cols, i, int(gap.sum())))
    return report


@dataclass
class _Who:
    circumstance: str
    labels: list[tuple[str, ...]]
    recognised: int | None
    facts: dict[str, int]

    def finding(self, kind: str, rules: tuple[str, ...], cols: table.Columns, i: int, count: int) -> Finding:
        name = table.EVENT_FOR.get(self.circumstance)
        return Finding(
            kind, rules, self.circumstance, self.labels[int(cols.combo[i])],
            table.date_of(self.recognised) if self.recognised is not None else None,
            table.date_of(cols.paid[i]),
            table.date_of(cols.dates[name][i]) if name else None,
            count,
            self.facts,
        )
