"""Readable summaries of a rule set, with Chinese terms beside their English glosses."""

from __future__ import annotations

from policylib import wording
from policylib.catalogue import categories
from policylib.model import Amount, Cited, RuleSet
from policylib.wording import person_words

HELP_GLOSS = {
    "full": "full (全额资助)",
    "fixed": "fixed amount (定额资助)",
    "at_least": "at least (不低于)",
    "share": "share",
    "none": "none",
    "not_stated": "not stated in this notice",
}


def money(value: Amount) -> str:
    """An amount as text: '280 yuan', 'at least 550 yuan' or 'not stated'."""
    if not value.stated or value.amount is None:
        where = f"; refers to {value.refers_to}" if value.refers_to else ""
        return f"{wording.NOT_STATED}{where}"
    return wording.money(value.amount, at_least=value.at_least)


def first_clause(value: Cited) -> str:
    return f"[{value.cite[0].clause}]" if value.cite else ""


def render(rules: RuleSet) -> str:
    """A plain-text summary of one jurisdiction-year."""
    glosses = {c.id: c.gloss for c in categories().categories}
    f = rules.financing
    lines = [
        f"{rules.name_en} ({rules.name_zh}), coverage year {rules.coverage_year} — {rules.level}",
        f"source: {rules.source}",
        "",
        "Financing (筹资标准)",
        f"  personal contribution (个人缴费): {money(f.personal_contribution)} {first_clause(f.personal_contribution)}",
        f"  fiscal subsidy (财政补助): {money(f.fiscal_subsidy)} {first_clause(f.fiscal_subsidy)}",
    ]
    if f.total_standard is not None:
        total = f.total_standard
        lines.append(f"  total financing standard (筹资标准): {money(total)} {first_clause(total)}")
    for cls in f.resident_classes:
        who = " and ".join(person_words(c) for c in cls.when) or "everyone else"
        lines.append(f"  class {cls.name_zh} ({who}): personal {money(cls.personal_contribution)}, "
                     f"subsidy {money(cls.fiscal_subsidy)} {first_clause(cls)}")
    if f.subsidy_split.stated:
        parts = ", ".join(f"{s.level} {s.amount}" for s in f.subsidy_split.shares)
        lines.append(f"  split by level: {parts} {first_clause(f.subsidy_split)}")
    lines += [
        f"  critical-illness insurance (大病保险): {money(f.critical_illness_funding)}",
        f"  late payer total: {money(f.late_payer_total)}",
        "",
        "Assisted groups (资助参保)",
    ]
    for g in rules.assisted_groups:
        amount = f" {g.amount} yuan" if g.amount is not None else ""
        if g.share is not None:
            amount = f" {g.share:.0%} of the person's own contribution"
        if g.when:
            amount += f" (for those {' and '.join(person_words(c) for c in g.when)})"
        lines.append(
            f"  {g.name_zh} — {glosses.get(g.category, g.category)}: {HELP_GLOSS[g.help]}{amount}; "
            f"paid by {g.payer.name_zh or g.payer.kind} {first_clause(g)}"
        )
    lines.append(f"  several groups: {rules.multiple_groups.rule.replace('_', ' ')}")
    for g in rules.excluded_groups:
        what = "from enrolment" if g.excludes == "enrolment" else "from assistance"
        lines.append(f"  excluded {what}: {g.name_zh} — {glosses.get(g.category, g.category)} {first_clause(g)}")
    for t in rules.assistance_timing:
        lines.append(f"  recognised after {t.recognised_after_window}: help from next year for "
                     f"{', '.join(t.categories)} {first_clause(t)}")
    lines += ["", "Enrolment (参保缴费)"]
    for w in rules.enrolment.windows:
        lines.append(f"  {w.name_zh} ({w.id}): {w.start or '…'} to {w.end or '… (end not stated)'} {first_clause(w)}")
    for e in rules.enrolment.extensions:
        lines.append(f"  extension for {e.name_zh}: to {e.end} {first_clause(e)}")
    late = rules.enrolment.late_payment
    lines.append(f"  late payment: {late.note if late.note else 'stated'} {first_clause(late)}")
    period = rules.coverage.period
    lines += ["", "Coverage (待遇享受)", f"  period: {period.start} to {period.end}"]
    for rule in rules.coverage.start_rules:
        start = rule.starts.kind.replace("_", " ")
        if rule.starts.length:
            start += f" {rule.starts.length} {rule.starts.unit}"
        lines.append(f"  {rule.circumstance}/{rule.id}: pays {rule.due.replace('_', ' ')}; cover from {start} "
                     f"{first_clause(rule)}")
    if rules.administration.milestones:
        lines += ["", "Milestones"]
        for m in rules.administration.milestones:
            when = f"{m.start} to {m.date}" if m.start else str(m.date or "no date stated")
            lines.append(f"  {when}: {m.name_zh} — {m.gloss}")
    return "\n".join(lines)
