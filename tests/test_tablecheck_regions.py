"""The check on regions (policylib/tablecheck.py) finds what trying every person of the grid finds.

Compared on the seed rule files and on mutants of them made with a fixed random seed: window bounds,
coverage periods and counted periods moved, rules dropped, conditions added that read the event day,
the payment day or both. Each mutant's domain is kept short so that the full enumeration stays fast.
Every overlap and gap the regions find is then put to the engine as that one person.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from policylib import catalogue, engine, table, tablecheck
from policylib.model import RuleSet

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(p for p in (ROOT / "rules").glob("*-*.yaml") if not p.name.startswith("national"))
FICTIONAL = sorted((ROOT / "tests" / "fictional").glob("*/rules.yaml"))
ADDED_KINDS = ("paid_within", "paid_after", "born_between", "event_in_coverage_year", "event_before_coverage_year",
               "age_below", "age_at_least", "recognised_after_window")
MUTANTS_PER_FILE = len(ADDED_KINDS)  # each added kind once per file
SHORT_DOMAIN_DAYS = 150  # the longest domain a mutant keeps (the full enumeration grows with its square)


def _load(path: Path) -> RuleSet:
    model = catalogue.load_file(path)
    assert isinstance(model, RuleSet)
    return model


def _shift(day: dt.date | None, rng: random.Random, most: int) -> dt.date | None:
    return None if day is None else day + dt.timedelta(days=rng.randint(-most, most))


def _condition(rng: random.Random, data: dict[str, Any], rule: dict[str, Any], kind: str) -> dict[str, Any]:
    """A condition of the kind on the rule's own event, another event, the payment day or a window."""
    own = table.EVENT_FOR.get(rule["circumstance"], "born")
    event = rng.choice([own, own, own, "born", "lapsed", "paid"])
    period = data["coverage"]["period"]
    windows = [w["id"] for w in data["enrolment"]["windows"] if w["end"] is not None]
    if kind == "recognised_after_window" and not windows:
        kind = "paid_within"
    if kind in ("paid_within", "paid_after"):
        unit = rng.choice(["days", "months"])
        length = rng.randint(1, 120) if unit == "days" else rng.randint(1, 4)
        return {"kind": kind, "event": event, "length": length, "unit": unit, "include_bound": rng.random() < 0.5}
    if kind == "born_between":
        months = sorted(rng.sample(range(1, 13), 2))
        return {"kind": kind, "event": event, "from_month_day": f"{months[0]:02d}-{rng.randint(1, 28):02d}",
                "to_month_day": f"{months[1]:02d}-{rng.choice([28, 29, 30, 31] if months[1] != 2 else [28, 29])}"}
    if kind.startswith("event_"):
        return {"kind": kind, "event": event}
    if kind.startswith("age_"):
        as_of = period["start"] + dt.timedelta(days=rng.randint(-60, 120))
        return {"kind": kind, "years": rng.randint(0, 1), "as_of": as_of}
    return {"kind": kind, "window": rng.choice(windows)}


def _mutant(rules: RuleSet, rng: random.Random, kind: str) -> RuleSet | None:
    """The rule file with a few random changes, among them a condition of the kind added, and a short
    domain; None where the model refuses them."""
    data = rules.model_dump()
    windows = data["enrolment"]["windows"]
    period = data["coverage"]["period"]
    start_rules = data["coverage"]["start_rules"]
    changes = ["condition", *(rng.choice(["window", "period", "length", "length", "bound", "bound", "override",
                                          "override", "drop", "condition"]) for _ in range(rng.randint(1, 3)))]
    for change in rng.sample(changes, len(changes)):
        if change == "window" and windows:
            window = rng.choice(windows)
            end = rng.choice(["start", "end"])
            window[end] = _shift(window[end], rng, 45)
        elif change == "period":
            end = rng.choice(["start", "end"])
            period[end] = _shift(period[end], rng, 45)
        elif change in ("length", "bound"):
            counted = [c for r in start_rules for c in r["when"] if c["kind"] in ("paid_within", "paid_after")]
            if counted:
                cond = rng.choice(counted)
                if change == "bound":
                    cond["include_bound"] = not cond["include_bound"]
                else:
                    cond["unit"] = rng.choice(["days", "months"])
                    cond["length"] = rng.randint(1, 120) if cond["unit"] == "days" else rng.randint(1, 4)
        elif change == "override" and (ruling := [r for r in start_rules if r["overrides"]]):
            rule = rng.choice(ruling)
            rule["overrides"].pop(rng.randrange(len(rule["overrides"])))
        elif change == "drop" and len(start_rules) > 1:
            gone = start_rules.pop(rng.randrange(len(start_rules)))
            for rule in start_rules:
                rule["overrides"] = [o for o in rule["overrides"] if o != gone["id"]]
        elif change == "condition" and start_rules:
            with_event = [r for r in start_rules if r["circumstance"] in table.EVENT_FOR]
            rule = rng.choice(with_event if with_event and rng.random() < 0.8 else start_rules)
            rule["when"].append(_condition(rng, data, rule, kind))
            kind = rng.choice(ADDED_KINDS)
    # a short domain: the first window opens at most SHORT_DOMAIN_DAYS before the period ends
    earliest = period["end"] - dt.timedelta(days=SHORT_DOMAIN_DAYS)
    for window in windows:
        if window["start"] is None or window["start"] < earliest:
            window["start"] = earliest + dt.timedelta(days=rng.randint(0, 30))
        if window["end"] is not None and window["end"] < window["start"]:
            window["end"] = window["start"] + dt.timedelta(days=rng.randint(0, 60))
    try:
        return RuleSet.model_validate(data)
    except ValueError:
        return None


def _mutants() -> list[tuple[str, RuleSet]]:
    rng = random.Random(20261203)
    out = []
    # of the fictional files, the one whose persons have few profiles (the other's facts multiply them)
    for path in [*SEEDS, *(p for p in FICTIONAL if p.parent.name.startswith("xugou"))]:
        rules = _load(path)
        made = 0
        while made < MUTANTS_PER_FILE:
            mutant = _mutant(rules, rng, ADDED_KINDS[made % len(ADDED_KINDS)])
            if mutant is not None:
                made += 1
                out.append((f"{path.parent.name}/{path.stem}#{made}", mutant))
    return out


@pytest.fixture(scope="module")
def compared() -> list[tuple[str, RuleSet, tablecheck.TableReport, tablecheck.TableReport]]:
    """Each seed and mutant with what the regions find and what the full grid finds."""
    files = [(path.stem, _load(path)) for path in SEEDS] + _mutants()
    return [(name, rules, tablecheck._check_table(rules), tablecheck._check_table(rules, exhaustive=True))
            for name, rules in files]


def _key(report: tablecheck.TableReport) -> list[tuple[str, tuple[str, ...], str]]:
    return [(f.kind, f.rules, f.circumstance) for f in report.findings]


def test_regions_find_what_every_person_finds(compared: list) -> None:
    """The same findings, in the same order, with the same first person and the same count of persons."""
    for name, _, fast, full in compared:
        assert _key(fast) == _key(full), name
        assert fast.findings == full.findings, name
        assert fast.persons == full.persons, name


def test_the_mutants_reach_overlaps_gaps_and_every_event_kind(compared: list) -> None:
    """The comparison is not vacuous: mutants have overlaps and gaps, and conditions of every kind that
    reads the event day (alone or with the payment day) in rules of circumstances with an event."""
    kinds = [f.kind for _, _, _, full in compared for f in full.findings]
    assert kinds.count("overlap") >= 10 and kinds.count("gap") >= 10
    assert sum(f.circumstance in table.EVENT_FOR for _, _, _, full in compared for f in full.findings) >= 10
    read = {c.kind for _, rules, _, _ in compared for r in rules.coverage.start_rules if r.circumstance in
            table.EVENT_FOR for c in r.when if table.EVENT_FOR[r.circumstance] in tablecheck._dates_read(c)}
    assert read >= {"paid_within", "paid_after", "born_between", "event_in_coverage_year",
                    "event_before_coverage_year", "age_below", "age_at_least", "recognised_after_window"}
    months = [c for _, rules, _, _ in compared for r in rules.coverage.start_rules for c in r.when
              if c.kind in ("paid_within", "paid_after") and c.unit == "months"]
    assert months


def _person(finding: tablecheck.Finding) -> engine.Person:
    facts = {k: bool(v) if k in table.BOOL_FACTS else v for k, v in finding.facts.items()}
    event = table.EVENT_FOR.get(finding.circumstance)
    dates = {"born": finding.born, **({event: finding.event} if event else {})}
    return engine.Person(categories=finding.categories, circumstance=finding.circumstance, paid=finding.paid,
                         recognised=finding.recognised, **dates, **facts)


def test_what_the_regions_find_holds_for_that_person(compared: list) -> None:
    """Each overlap: its rules are the first tier's winners for that person. Each gap: no rule of any tier
    applies to that person, and no window bound left open decides them."""
    checked = 0
    for name, rules, fast, _ in compared:
        for finding in fast.findings:
            cols = engine._columns(_person(finding))
            winners: tuple[str, ...] = ()
            for tier in table.tiers(rules, finding.circumstance):
                if not tier:
                    continue
                found = table.tier_matrix(rules, tier, cols, tablecheck.CONVENTION)
                winners = tuple(rules.coverage.start_rules[tier[k]].id for k in np.flatnonzero(found.matrix[:, 0]))
                if winners or found.open[0]:
                    break
            if finding.kind == "overlap":
                assert winners == finding.rules, (name, finding)
            else:
                chosen = table.select(rules, cols, tablecheck.CONVENTION)
                assert not winners and chosen.rule[0] == -1 and not chosen.open[0], (name, finding)
            checked += 1
    assert checked >= 20


def test_a_coarser_region_is_caught(compared: list, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regions that ignore what reads the event day differ from the full grid on some mutant: the
    comparison above would catch regions drawn too coarse."""
    monkeypatch.setattr(tablecheck, "_dates_read", lambda cond: set())
    wrong = [name for name, rules, _, full in compared
             if dataclasses.astuple(tablecheck._check_table(rules)) != dataclasses.astuple(full)]
    assert wrong


def test_a_decade_long_domain_is_cut_into_few_regions() -> None:
    """A window opening mistyped a decade early: every payment day, but a handful of event regions each."""
    rules = _load(ROOT / "rules" / "guizhou-2021.yaml")
    data = rules.model_dump()
    data["enrolment"]["windows"][0]["start"] = dt.date(2010, 11, 16)
    rules = RuleSet.model_validate(data)
    first, last = (table.day(d) for d in table.domain(rules))
    profiles = [(None, {}, None)]
    for circumstance in table.EVENT_FOR:
        found = tablecheck._regions(rules, circumstance, first, last, profiles)
        assert found is not None
        paid, _, weight = found
        lo = tablecheck._event_window(rules, first)
        grid = sum(p - lo + 2 for p in range(first, last + 1))  # event days lo..p, and one long before
        assert int(weight.sum()) == grid > 8_000_000
        assert len(paid) < 12 * (last - first + 1)


def test_every_condition_is_constant_on_each_region(compared: list) -> None:
    """Each person of the full grid gets, from every condition of every rule, what the first person of
    its region gets; and the regions' weights count the grid's persons."""
    tried = 0
    for name, rules, _, _ in compared[::4]:
        first, last = (table.day(d) for d in table.domain(rules))
        conds = [c for r in rules.coverage.start_rules for c in r.when]
        profiles = list(itertools.product(tablecheck._recognition_points(rules), tablecheck._fact_points(rules),
                                          tablecheck._birth_points(rules)))
        for circumstance in table.EVENT_FOR:
            found = tablecheck._regions(rules, circumstance, first, last, profiles)
            assert found is not None
            paid, event, weight = found
            grid_paid, grid_event = tablecheck._grid(rules, circumstance, first, last)
            assert grid_event is not None
            # the region of each person: the last region of its payment day that starts at or before its
            # event; the persons whose event is long before have one region per payment day, at the end
            days = last - first + 1
            lo = int(event[:-days].min())
            keys = paid[:-days] * 10**6 + (event[:-days] - lo)
            assert (np.diff(keys) > 0).all()  # in the grid's order
            region = np.searchsorted(keys, grid_paid * 10**6 + (grid_event - lo), "right") - 1
            long_before = grid_event < lo
            region[long_before] = len(keys) + grid_paid[long_before] - first
            assert (paid[region] == grid_paid).all() and (event[region] <= grid_event).all()
            assert (np.bincount(region, minlength=len(paid)) == weight).all(), name
            for profile in profiles[:: max(1, len(profiles) - 1)]:
                full = tablecheck._columns(circumstance, grid_paid, grid_event, [frozenset()], profile)
                regions = tablecheck._columns(circumstance, paid, event, [frozenset()], profile)
                for cond in conds:
                    have = table.condition(rules, cond, regions, tablecheck.CONVENTION, {})
                    want = table.condition(rules, cond, full, tablecheck.CONVENTION, {})
                    for a, b in ((have.holds, want.holds), (have.absent, want.absent), (have.open, want.open)):
                        assert (a is None) == (b is None)
                        if a is not None:
                            assert (a[region] == b).all(), (name, circumstance, cond)
                tried += 1
    assert tried >= 30
