"""Proof that a rule file's decision table has no overlaps and no gaps, by exhausting its domain.

Every person the start rules can tell apart is tried: each circumstance; each combination of the
categories the rules name (categories named by exactly the same rules are one class); with and
without a recognition date after each window a rule tests; every payment day of the table's domain
(:func:`policylib.table.domain`); and, for a circumstance with an event, every event day from well
before the domain up to the payment day, plus one long before it. Conditions are piecewise constant
in these days, so the days of the domain exhaust every region of the table.

The event days of one payment day are not tried one by one: they fall into a few intervals on which
every condition is constant (:func:`_regions`), and each interval is tried through its first day,
counted for all of its days. The findings are those of trying every day (``_check_table(rules,
exhaustive=True)``): the same rules, the same first person of each finding, the same counts.

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
from policylib.model import Condition, RuleSet

LONG_BEFORE_DAYS = 800  # an event this long before the domain lies beyond every period a notice counts
CONVENTION = "civil-code"  # how the check counts periods
_Profile = tuple[int | None, dict[str, int], int | None]  # recognised, facts, born


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
    born: dt.date | None = None  # where an age is tested and birth is not the circumstance's event

    def describe(self) -> str:
        who = f"a person of circumstance '{self.circumstance}'"
        if self.categories:
            who += f" in {', '.join(self.categories)}"
        if self.born:
            who += f" born on {self.born}"
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


def _event_window(rules: RuleSet, first: int) -> int:
    """The first event day tried one by one: far enough before the domain for every period a rule counts."""
    longest = max([(c.length or 0) * (31 if c.unit == "months" else 1)
                   for r in rules.coverage.start_rules for c in r.when if c.length] + [0])
    return first - longest - 2


def _grid(rules: RuleSet, circumstance: str, first: int, last: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(paid, event) days: every payment day; every event day up to it, and one long before."""
    paid_days = np.arange(first, last + 1, dtype=np.int64)
    if circumstance not in table.EVENT_FOR:
        return paid_days, None
    lo = _event_window(rules, first)
    event_days = np.arange(lo, last + 1, dtype=np.int64)
    paid, event = np.meshgrid(paid_days, event_days, indexing="ij")
    keep = event <= paid
    paid, event = paid[keep], event[keep]
    paid = np.concatenate([paid, paid_days])
    event = np.concatenate([event, np.full(len(paid_days), lo - LONG_BEFORE_DAYS, np.int64)])
    return paid, event


# Whether a condition of each kind reads the payment day (see policylib.table.condition).
_READS_PAID = {"paid_in_window": True, "paid_after_window": True, "paid_after_period": True,
               "recognised_after_window": False, "age_at_least": False, "age_below": False,
               "paid_within": True, "paid_after": True, "born_between": False, "event_in_coverage_year": False,
               "event_before_coverage_year": False, "student": False, "rural_hukou": False, "fact_is": False,
               "fact_at_least": False, "fact_at_most": False, "insured_last_year": False,
               "years_uninsured_at_least": False, "years_uninsured_below": False}


def _dates_read(cond: Condition) -> set[str]:
    """The dates a condition reads (a recognition date not given falls back to birth)."""
    if cond.kind == "recognised_after_window":
        return {"recognised", "born"}
    if cond.kind in ("age_at_least", "age_below"):
        return {"born"}
    if cond.kind in ("paid_within", "paid_after", "born_between", "event_in_coverage_year",
                     "event_before_coverage_year"):
        return {cond.event or "born"}
    return set()


def _reads_paid(cond: Condition) -> bool:
    """Whether a condition reads the payment day, itself or as the date it names."""
    return _READS_PAID[cond.kind] or (cond.event == "paid" and bool(_dates_read(cond)))


def _regions(rules: RuleSet, circumstance: str, first: int, last: int, profiles: list[_Profile],
             ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray] | None:
    """The persons of :func:`_grid` in regions on which every condition is constant: (paid, event, weight),
    each region given by its first person in the grid's order and weighted by its number of persons.

    Every payment day is kept. A condition reads the payment day, or the event day, or both; the only
    conditions that read both are periods counted from the event (``paid_within``, ``paid_after``), and
    the last day of such a period never decreases as the event moves later, so for one payment day each
    of them changes at most twice along the event days (where the period's last day reaches the payment
    day, and where it passes it). A condition that reads the event day alone is tried on every event day
    of the grid, for each profile, and changes where it is seen to change. None where a condition is of a
    kind these regions do not know (the full grid is then used).
    """
    paid_days = np.arange(first, last + 1, dtype=np.int64)
    if circumstance not in table.EVENT_FOR:
        return paid_days, None, np.ones(len(paid_days), np.int64)
    name = table.EVENT_FOR[circumstance]
    conds = [c for r in rules.coverage.start_rules for c in r.when]
    if any(c.kind not in _READS_PAID for c in conds):
        return None
    joint = [c for c in conds if name in _dates_read(c) and _reads_paid(c)]
    if any(c.kind not in ("paid_within", "paid_after") for c in joint):
        return None
    lo = _event_window(rules, first)
    event_days = np.arange(lo, last + 1, dtype=np.int64)
    cuts: list[np.ndarray] = [np.full(len(paid_days), lo, np.int64)]
    for length, unit in sorted({(c.length or 0, c.unit) for c in joint}):
        ends = table.last_day(event_days, length, unit, CONVENTION)
        if (np.diff(ends) < 0).any():
            return None
        # p <= last(e) from the first event whose period reaches p; p < last(e) from the first that passes it
        cuts += [lo + np.searchsorted(ends, paid_days, "left"), lo + np.searchsorted(ends, paid_days, "right")]
    alone = [c for c in conds if c not in joint and not _reads_paid(c)]
    changes = np.zeros(len(event_days), bool)
    for profile in profiles:
        cols = _columns(circumstance, np.full(len(event_days), last, np.int64), event_days, [frozenset()],
                        profile)
        cache: dict[tuple[object, ...], np.ndarray] = {}
        for cond in alone:
            out = table.condition(rules, cond, cols, CONVENTION, cache)
            for values in (out.holds, out.absent, out.open):
                if values is not None:
                    changes[1:] |= values[1:] != values[:-1]
    cuts += [np.full(len(paid_days), e, np.int64) for e in event_days[changes]]
    starts = np.stack(cuts, axis=1)
    starts = np.where(starts <= paid_days[:, None], starts, lo)  # a cut after the payment day is no cut
    starts.sort(axis=1)
    new = np.ones(starts.shape, bool)
    new[:, 1:] = starts[:, 1:] != starts[:, :-1]
    paid = np.broadcast_to(paid_days[:, None], starts.shape)[new]
    event = starts[new]
    following = np.append(event[1:], 0)
    same = np.append(paid[1:] == paid[:-1], False)
    weight = np.where(same, following, paid + 1) - event
    paid = np.concatenate([paid, paid_days])
    event = np.concatenate([event, np.full(len(paid_days), lo - LONG_BEFORE_DAYS, np.int64)])
    return paid, event, np.concatenate([weight, np.ones(len(paid_days), np.int64)])


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


def _columns(circumstance: str, paid: np.ndarray, event: np.ndarray | None, combos: list[frozenset[str]],
             profile: _Profile) -> table.Columns:
    """The persons of one circumstance and profile: each (paid, event) row for each category combination."""
    recognised, facts, born = profile
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
    return cols


def _check_table(rules: RuleSet, exhaustive: bool = False) -> TableReport:
    """The table's overlaps and gaps, found on its regions; ``exhaustive`` tries every person of the grid
    instead (the same findings, persons and counts, much more slowly)."""
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
        found_regions = None if exhaustive else _regions(rules, circumstance, first, last, profiles)
        if found_regions is None:
            paid, event = _grid(rules, circumstance, first, last)
            weight = np.ones(len(paid), np.int64)
        else:
            paid, event, weight = found_regions
        weights = np.tile(weight, len(combos))
        for profile in profiles:
            cols = _columns(circumstance, paid, event, combos, profile)
            report.persons += int(weights.sum())
            todo = np.ones(len(cols), bool)
            who = _Who(circumstance, labels, *profile)
            for tier in table.tiers(rules, circumstance):
                if not tier:
                    continue
                found = table.tier_matrix(rules, tier, cols, CONVENTION)
                matrix, unstated = found.matrix, found.open
                counts = matrix.sum(axis=0)
                clash = todo & (counts > 1)
                if clash.any():
                    i = int(np.argmax(clash))
                    both = tuple(start_rules[tier[k]].id for k in np.flatnonzero(matrix[:, i]))
                    if both not in reported:  # the same two rules may meet again through another circumstance
                        reported.add(both)
                        report.findings.append(who.finding("overlap", both, cols, i, int(weights[clash].sum())))
                todo &= (counts == 0) & ~unstated  # a window bound the notice leaves open is said so, not a gap
            gap = todo & (cols.paid <= period_end)
            if circumstance == "regular":
                regular_gap[cols.paid[gap] - first] = True
            else:  # a gap of the ordinary residents' rules is reported once, for them
                gap &= ~regular_gap[cols.paid - first]
            if gap.any():
                i = int(np.argmax(gap))
                report.findings.append(who.finding("gap", (), cols, i, int(weights[gap].sum())))
    return report


@dataclass
class _Who:
    circumstance: str
    labels: list[tuple[str, ...]]
    recognised: int | None
    facts: dict[str, int]
    born: int | None

    def finding(self, kind: str, rules: tuple[str, ...], cols: table.Columns, i: int, count: int) -> Finding:
        name = table.EVENT_FOR.get(self.circumstance)
        return Finding(
            kind, rules, self.circumstance, self.labels[int(cols.combo[i])],
            table.date_of(self.recognised) if self.recognised is not None else None,
            table.date_of(cols.paid[i]),
            table.date_of(cols.dates[name][i]) if name else None,
            count,
            self.facts,
            table.date_of(self.born) if self.born is not None and name != "born" else None,
        )
