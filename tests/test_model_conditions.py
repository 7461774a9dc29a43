"""What the model refuses in the new parts of a rule file: a class or a group defined by dates of the drive, a
rule that overrides without saying why, a not-stated rule that states a due, classes without a remainder."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from policylib.model import AssistedGroup, Financing, ResidentClass, StartRule

CITE = {"clause": "一", "quote": "两字"}
AMOUNT = {"amount": 100, "cite": CITE}
NOT_STATED = {"status": "not_stated", "note": "n"}


def _class(**extra: Any) -> dict[str, Any]:
    return {"id": "c", "name_zh": "类", "personal_contribution": AMOUNT, "fiscal_subsidy": AMOUNT, "cite": CITE,
            **extra}


def test_a_class_is_defined_by_the_person_not_by_payment_dates() -> None:
    with pytest.raises(ValidationError, match="conditions on the person, not paid_after_period"):
        ResidentClass.model_validate(_class(when=[{"kind": "paid_after_period"}]))
    ResidentClass.model_validate(_class(when=[{"kind": "student"}]))


def test_a_group_helps_on_conditions_on_the_person_only() -> None:
    group = {"id": "g", "name_zh": "组", "category": "disabled", "help": "full", "cite": CITE,
             "payer": {"kind": "not_stated", **NOT_STATED}}
    with pytest.raises(ValidationError, match="conditions on the person, not paid_in_window"):
        AssistedGroup.model_validate({**group, "when": [{"kind": "paid_in_window", "window": "main"}]})
    AssistedGroup.model_validate({**group, "when": [{"kind": "fact_at_most", "fact": "disability_grade",
                                                     "number": 2}]})


def test_classes_end_with_everyone_else() -> None:
    base = {"personal_contribution": NOT_STATED, "fiscal_subsidy": NOT_STATED, "subsidy_split": NOT_STATED,
            "critical_illness_funding": NOT_STATED, "late_payer_total": NOT_STATED}
    with pytest.raises(ValidationError, match="exactly one class without conditions"):
        Financing.model_validate({**base, "resident_classes": [_class(when=[{"kind": "student"}])]})
    with pytest.raises(ValidationError, match="exactly one class without conditions"):
        Financing.model_validate({**base, "resident_classes": [_class(), _class(id="d", when=[{"kind": "student"}])]})
    Financing.model_validate({**base, "resident_classes": [_class(id="d", when=[{"kind": "student"}]), _class()]})


def test_a_priority_needs_its_reading_and_a_silent_rule_states_nothing() -> None:
    rule = {"id": "r", "circumstance": "regular", "due": "standard", "starts": {"kind": "coverage_start"},
            "cite": CITE}
    with pytest.raises(ValidationError, match="needs an 'interpretation'"):
        StartRule.model_validate({**rule, "overrides": ["other"]})
    with pytest.raises(ValidationError, match="due: not_stated"):
        StartRule.model_validate({**rule, **NOT_STATED})
