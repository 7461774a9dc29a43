"""Typed model of a rule file: every value carries its citation, or says it is not stated."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

# Sane bounds for every number and date a rule file may hold: far beyond anything a notice sets, yet small
# enough that no day count, sum or date arithmetic on them can overflow.
MAX_YUAN = 10_000
MAX_DAYS = 3660
MAX_MONTHS = 120
FIRST_DAY = dt.date(1950, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
SOURCE_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Yuan = Annotated[int, Field(ge=0, le=MAX_YUAN)]
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY)]
Length = Annotated[int, Field(ge=1, le=MAX_DAYS)]


def _source_id(value: str) -> str:
    if not re.fullmatch(SOURCE_ID, value):
        raise ValueError("a source is named by its folder under sources/ (lowercase letters, digits and "
                         "hyphens), not by a path")
    return value


# The pattern is shown in the schema; the validator gives the message (pydantic's would only quote the pattern).
SourceId = Annotated[str, Field(max_length=64, json_schema_extra={"pattern": SOURCE_ID}), AfterValidator(_source_id)]


def _month_day(value: str) -> str:
    try:
        dt.date(2000, int(value[:2]), int(value[3:]))
    except ValueError:
        raise ValueError(f"{value} is not a day of the year (MM-DD)") from None
    return value


MonthDay = Annotated[str, Field(pattern=r"^\d\d-\d\d$"), AfterValidator(_month_day)]


def _length_in_bounds(length: int | None, unit: str, what: str) -> None:
    """Refuse a wait longer than ten years in its unit."""
    limit = MAX_DAYS if unit == "days" else MAX_MONTHS
    if length is not None and length > limit:
        raise ValueError(f"{what} {length} {unit} is more than ten years (at most {limit} {unit})")
Status = Literal["stated", "not_stated"]
GovLevel = Literal["central", "province", "city", "county", "township"]
Event = Literal["born", "lapsed", "discharged", "released", "paid"]
ConditionKind = Literal[
    "paid_in_window",
    "paid_after_window",
    "paid_within",
    "paid_after",
    "paid_after_period",
    "born_between",
    "event_in_coverage_year",
    "event_before_coverage_year",
    "recognised_after_window",
    "age_at_least",
    "age_below",
    "student",
    "rural_hukou",
    "years_uninsured_at_least",
    "years_uninsured_below",
    "insured_last_year",
    "fact_is",
    "fact_at_least",
    "fact_at_most",
]
# Facts about a person that conditions test: yes/no facts, then counts.
Fact = Literal["student", "rural_hukou", "parent_insured", "years_uninsured", "years_back_paid",
               "disability_grade", "employee_months"]
# Conditions on the person rather than on dates of the contribution drive.
PERSON_CONDITIONS = frozenset({
    "age_at_least", "age_below", "student", "rural_hukou", "years_uninsured_at_least", "years_uninsured_below",
    "insured_last_year", "fact_is", "fact_at_least", "fact_at_most",
})
Circumstance = Literal[
    "regular", "newborn", "employee_lapse", "veteran", "released_prisoner", "migrant_worker"
]
HelpKind = Literal["full", "fixed", "at_least", "share", "none", "not_stated"]
PayerKind = Literal[
    "medical_assistance_fund",
    "medical_assistance_or_finance",
    "government_shared",
    "county_finance",
    "department_funds",
    "not_stated",
]
DueKind = Literal["standard", "personal_contribution", "late_payer_total", "waived", "not_stated"]
StartKind = Literal[
    "coverage_start",
    "event_day",
    "payment_day",
    "day_after_payment",
    "after_payment_period",
    "payment_month_start",
    "variable_wait",
    "not_stated",
]


def _on_the_person(conditions: list[Condition], what: str) -> None:
    """Refuse conditions on dates of the drive where only conditions on the person make sense."""
    bad = [c.kind for c in conditions if c.kind not in PERSON_CONDITIONS]
    if bad:
        raise ValueError(f"{what} conditions on the person, not {', '.join(bad)}")


class Strict(BaseModel):
    """Base: unknown keys are errors, so a typo in a rule file never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Citation(Strict):
    """Where a value comes from: a source, the clause path and a short verbatim quote."""

    source: SourceId | None = Field(None, description="source id; defaults to the rule file's source")
    clause: str = Field(min_length=1, description="clause path in the notice, e.g. 四（二）3")
    quote: str = Field(min_length=2, max_length=400, description="verbatim text of the cleaned source")


class Interpretation(Strict):
    """An ambiguous clause: the reading encoded, the other readings, and why this one."""

    reading: str
    alternatives: list[str] = Field(min_length=1)
    why: str


class Cited(Strict):
    """A value backed by one or more citations, or explicitly not stated in the notice."""

    status: Status = "stated"
    cite: list[Citation] = Field(default_factory=list)
    note: str | None = None
    refers_to: str | None = Field(None, description="for not-stated values: the document the notice points to")
    interpretation: Interpretation | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_citation_is_a_list(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("cite"), dict):
            data = {**data, "cite": [data["cite"]]}
        return data

    @model_validator(mode="after")
    def _stated_needs_citation(self) -> Cited:
        if self.status == "stated" and not self.cite:
            raise ValueError("a stated value needs at least one citation under 'cite'")
        if self.status == "not_stated" and not self.note:
            raise ValueError("a not-stated value needs a 'note' saying what the notice leaves open")
        return self

    @property
    def stated(self) -> bool:
        return self.status == "stated"


class Amount(Cited):
    """A sum in yuan per person per year; `at_least` marks 不低于 (a floor, not an exact figure)."""

    amount: Yuan | None = None
    at_least: bool = False

    @model_validator(mode="after")
    def _amount_matches_status(self) -> Amount:
        if self.stated and self.amount is None:
            raise ValueError("a stated amount needs 'amount'")
        if not self.stated and self.amount is not None:
            raise ValueError("a not-stated amount must not carry 'amount'")
        return self


class LevelShare(Strict):
    level: GovLevel
    amount: Yuan | None = None
    ratio: int | None = Field(None, ge=1, le=100)


class SubsidySplit(Cited):
    """How the fiscal subsidy divides between levels of government."""

    shares: list[LevelShare] = Field(default_factory=list)


class ResidentClass(Cited):
    """A class of residents with its own prices (e.g. 老年居民, 学生儿童, 大学生), defined by conditions on the
    person. Classes are tried in the notice's order; the last one, with no condition, is everyone else."""

    id: Slug
    name_zh: str
    when: list[Condition] = Field(default_factory=list)
    personal_contribution: Amount
    fiscal_subsidy: Amount

    @model_validator(mode="after")
    def _person_conditions(self) -> ResidentClass:
        _on_the_person(self.when, "a resident class is defined by")
        return self


class Financing(Strict):
    personal_contribution: Amount
    fiscal_subsidy: Amount
    subsidy_split: SubsidySplit
    critical_illness_funding: Amount
    late_payer_total: Amount
    total_standard: Amount | None = Field(None, description="the total financing standard per person (筹资标准)")
    resident_classes: list[ResidentClass] = Field(default_factory=list)

    @model_validator(mode="after")
    def _classes_cover_everyone(self) -> Financing:
        if self.resident_classes:
            rest = [c.id for c in self.resident_classes if not c.when]
            if rest != [self.resident_classes[-1].id]:
                raise ValueError("resident classes end with exactly one class without conditions (everyone else)")
        return self


class CostSharing(Cited):
    """Who bears a portion of an assistance amount, possibly by county type."""

    portion: Yuan | None = Field(None, description="yuan of the assistance this rule covers")
    county_type: str | None = Field(None, description="county class the rule applies to, as named")
    shares: list[LevelShare] = Field(default_factory=list)
    borne_entirely_by: GovLevel | None = None


class Payer(Cited):
    kind: PayerKind
    name_zh: str | None = None


class AssistedGroup(Cited):
    """One assisted group as the notice names it, mapped to a canonical category."""

    id: Slug
    name_zh: str
    category: Slug
    help: HelpKind
    amount: Yuan | None = Field(None, description="assistance in yuan (fixed / at least)")
    personal_pays: Yuan | None = Field(None, description="personal share where the notice states it")
    share: float | None = Field(None, gt=0, le=1)
    when: list[Condition] = Field(
        default_factory=list,
        description="conditions on the person for this help (e.g. 农村独生子女家庭中未满18周岁的子女: "
        "under 18 and rural)",
    )
    payer: Payer
    cost_sharing: list[CostSharing] = Field(default_factory=list)

    @model_validator(mode="after")
    def _conditions_on_the_person(self) -> AssistedGroup:
        _on_the_person(self.when, "a group's help depends on")
        return self

    @model_validator(mode="after")
    def _help_fields(self) -> AssistedGroup:
        if self.help in ("fixed", "at_least") and self.amount is None:
            raise ValueError(f"help '{self.help}' needs 'amount'")
        if self.help == "share" and self.share is None:
            raise ValueError("help 'share' needs 'share'")
        if self.help in ("none", "not_stated") and self.amount is not None:
            raise ValueError(f"help '{self.help}' must not carry 'amount'")
        if self.help == "not_stated" and self.stated:
            raise ValueError("help 'not_stated' needs status: not_stated")
        return self


class MultipleGroups(Cited):
    """The rule for a person in several assisted groups."""

    rule: Literal["highest_only", "not_stated"]
    cap_at_personal_contribution: bool | None = None


class ExcludedGroup(Cited):
    """A group the notice excludes: from assistance (不再享受资助) or from enrolment altogether."""

    name_zh: str
    category: Slug
    excludes: Literal["assistance", "enrolment"] = Field(
        "assistance", description="assistance: enrols without help; enrolment: does not enrol in this insurance"
    )


class AssistanceTiming(Cited):
    """From when help applies to people recognised (身份认定) as members of an assisted group after a window."""

    categories: list[Slug] = Field(min_length=1)
    recognised_after_window: Slug = Field(description="people recognised after this window ends")
    applies_from: Literal["next_year"]


class Window(Cited):
    """A payment window. A start or end the notice does not give is left out, and the window then says
    so (status: not_stated with a note); a payment the open bound leaves undecided is answered not stated."""

    id: Slug
    name_zh: str
    start: Day | None = None
    end: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"window '{self.id}' starts {self.start} after it ends {self.end}")
        if self.end is None and self.stated:
            raise ValueError(f"window '{self.id}' has no end: say status: not_stated, with a note")
        return self


class Extension(Cited):
    id: Slug
    circumstance: Circumstance
    name_zh: str
    end: Day


class DynamicGroups(Cited):
    """Groups who may enrol all year (全年动态参保), with their assistance."""

    categories: list[Slug] = Field(min_length=1)
    assistance_applies: bool


class Provision(Cited):
    """A rule stated in words (refunds, identity changes): kept with its citation."""

    id: Slug
    summary: str
    applies_when: Literal["recognised_after_payment"] | None = Field(
        None, description="recognised_after_payment: shown with a quote of a person recognised after paying"
    )


class Enrolment(Strict):
    windows: list[Window] = Field(min_length=1)
    extensions: list[Extension] = Field(default_factory=list)
    late_payment: Cited
    dynamic_groups: list[DynamicGroups] = Field(default_factory=list)
    refunds: list[Provision] = Field(default_factory=list)


class Condition(Strict):
    """One test on a person's dates; all conditions of a rule must hold."""

    kind: ConditionKind
    window: Slug | None = None
    event: Event | None = None
    years: int | None = Field(None, ge=0, le=150, description="ages and years without insurance")
    as_of: Day | None = Field(None, description="the day on which an age counts (age_at_least, age_below)")
    value: bool = Field(True, description="student, rural_hukou, insured_last_year, fact_is: the fact required")
    fact: Fact | None = Field(None, description="fact_is, fact_at_least, fact_at_most: the fact tested")
    number: int | None = Field(None, ge=0, le=1000, description="fact_at_least, fact_at_most: the bound (included)")
    length: Length | None = None
    unit: Literal["days", "months"] = "days"
    include_bound: bool = True
    from_month_day: MonthDay | None = None
    to_month_day: MonthDay | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Condition:
        need = {
            "paid_in_window": ("window",),
            "paid_after_window": ("window",),
            "paid_within": ("event", "length"),
            "paid_after": ("event", "length"),
            "paid_after_period": (),
            "born_between": ("from_month_day", "to_month_day"),
            "event_in_coverage_year": ("event",),
            "event_before_coverage_year": ("event",),
            "recognised_after_window": ("window",),
            "age_at_least": ("years", "as_of"),
            "age_below": ("years", "as_of"),
            "student": (),
            "rural_hukou": (),
            "years_uninsured_at_least": ("years",),
            "years_uninsured_below": ("years",),
            "insured_last_year": (),
            "fact_is": ("fact",),
            "fact_at_least": ("fact", "number"),
            "fact_at_most": ("fact", "number"),
        }[self.kind]
        missing = [f for f in need if getattr(self, f) is None]
        if missing:
            raise ValueError(f"condition '{self.kind}' needs {', '.join(missing)}")
        _length_in_bounds(self.length, self.unit, "length")
        return self


class Start(Strict):
    kind: StartKind
    event: Event | None = None
    length: Length | None = None
    unit: Literal["days", "months"] = "days"
    include_bound: bool = Field(
        False,
        description="after_payment_period: True starts cover on the period's last day, False (不含) the day after",
    )
    per_extra_year: int | None = Field(
        None, ge=0, le=120,
        description="variable_wait: added to length for each year without insurance after the first")
    repairable: bool = Field(False, description="variable_wait: each year paid back (补缴) takes one year off")
    floor_after_years: int | None = Field(
        None, ge=1, le=150, description="variable_wait: from this many years without insurance, at least floor_length")
    floor_length: Length | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Start:
        if self.kind == "event_day" and self.event is None:
            raise ValueError("start 'event_day' needs 'event'")
        if self.kind in ("after_payment_period", "variable_wait") and self.length is None:
            raise ValueError(f"start '{self.kind}' needs 'length'")
        if self.kind == "variable_wait" and self.per_extra_year is None:
            raise ValueError("start 'variable_wait' needs 'per_extra_year'")
        if (self.floor_after_years is None) != (self.floor_length is None):
            raise ValueError("floor_after_years and floor_length go together")
        _length_in_bounds(self.length, self.unit, "length")
        _length_in_bounds(self.floor_length, self.unit, "floor_length")
        return self


class StartRule(Cited):
    """For one circumstance and condition: what is due and from which day cover starts."""

    id: Slug
    circumstance: Circumstance
    when: list[Condition] = Field(default_factory=list)
    categories: list[Slug] = Field(default_factory=list, description="only for these categories")
    due: DueKind
    starts: Start
    ends: Day | None = Field(None, description="cover end where it differs from the coverage period")
    may_precede_period: bool = Field(False, description="the notice lets cover start before the period")
    overrides: list[Slug] = Field(
        default_factory=list,
        description="rules of the same circumstance this one takes precedence over where both match "
        "(the reading that settles it goes under interpretation)",
    )

    @model_validator(mode="after")
    def _priority_is_a_reading(self) -> StartRule:
        if self.overrides and self.interpretation is None:
            raise ValueError("a rule that overrides others needs an 'interpretation' saying why it governs")
        if self.status == "not_stated" and (self.due != "not_stated" or self.starts.kind != "not_stated"):
            raise ValueError("a not-stated rule has due: not_stated and starts: {kind: not_stated}")
        return self


class CoveragePeriod(Cited):
    start: Day
    end: Day


class Coverage(Strict):
    period: CoveragePeriod
    start_rules: list[StartRule] = Field(min_length=1)


class Milestone(Cited):
    id: Slug
    name_zh: str
    gloss: str
    kind: Literal["deadline", "stage", "report", "cutoff"]
    start: Day | None = None
    date: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Milestone:
        if self.start and self.date and self.start > self.date:
            raise ValueError(f"milestone '{self.id}' starts {self.start} after its date {self.date}")
        return self


class Target(Cited):
    id: Slug
    gloss: str
    value: float | None = Field(None, ge=0, le=1_000_000_000)
    unit: str | None = None


class Administration(Strict):
    milestones: list[Milestone] = Field(default_factory=list)
    reporting: list[Provision] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)


class Reference(Cited):
    """A higher-level document the notice implements."""

    document: str
    title_zh: str | None = None


class RuleSet(Strict):
    """A local jurisdiction's rules for one coverage year."""

    schema_version: Literal[1]
    jurisdiction: Slug
    name_zh: str
    name_en: str
    level: Literal["province", "city", "county"]
    parent_zh: str | None = None
    coverage_year: int = Field(ge=2000, le=2100)
    source: SourceId
    implements: list[Reference] = Field(default_factory=list)
    financing: Financing
    assisted_groups: list[AssistedGroup]
    other_groups: Cited
    multiple_groups: MultipleGroups
    excluded_groups: list[ExcludedGroup] = Field(default_factory=list)
    assistance_timing: list[AssistanceTiming] = Field(default_factory=list)
    enrolment: Enrolment
    coverage: Coverage
    administration: Administration


class NationalFinancing(Strict):
    fiscal_subsidy: Amount
    personal_contribution: Amount
    critical_illness_note: Cited | None = None


class NationalWaiting(Cited):
    """The national waiting-period rule (国办发〔2024〕38号): a waiting period for people who did not enrol in
    the collection period or not continuously, growing with the years without insurance."""

    document: str
    from_coverage_year: int = Field(ge=2000, le=2100)
    exempt: list[Circumstance] = Field(default_factory=list, description="circumstances with no waiting period")
    exempt_note: str | None = None
    waiting: Start

    @model_validator(mode="after")
    def _a_variable_wait(self) -> NationalWaiting:
        if self.waiting.kind != "variable_wait":
            raise ValueError("the national waiting rule is a 'variable_wait'")
        return self


class NationalStandard(Strict):
    """The national minimum financing standard set for one year."""

    schema_version: Literal[1]
    jurisdiction: Literal["national"]
    name_zh: str
    name_en: str
    level: Literal["national"]
    standard_year: int = Field(ge=2000, le=2100)
    governs_coverage_year: int = Field(ge=2000, le=2100)
    governs_note: str
    document: str
    document_seen: bool = Field(description="False where the number is known only from secondary sources")
    source: SourceId
    financing: NationalFinancing
    waiting_period: NationalWaiting | None = None


class Category(Strict):
    id: Slug
    name_zh: str
    gloss: str
    parent: Slug | None = None
    note: str | None = None
    kind: Literal["assisted", "status"] = Field(
        "assisted", description="assisted: a group a notice may help; status: a fact about the person (e.g. insured "
        "under employee insurance) that a notice may exclude, but that is no group in difficulty"
    )


class Categories(Strict):
    schema_version: Literal[1]
    categories: list[Category]
