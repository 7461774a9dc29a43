"""JSON Schema of a local rule file, generated from :class:`policylib.model.RuleSet`.

The committed copy (``schema/rule-file.schema.json``) lets editors check a rule file as it is
typed (e.g. the YAML language server, with ``# yaml-language-server: $schema=...`` on the first
line). Regenerate it after any change to the model with
``policylib schema --output schema/rule-file.schema.json``.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from policylib.model import RuleSet

SCHEMA_FILE = Path("schema") / "rule-file.schema.json"
REGENERATE = f"policylib schema --output {SCHEMA_FILE.as_posix()}"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
_CITATION_LIST = {"items": {"$ref": "#/$defs/Citation"}, "type": "array"}


def _one_citation_may_stand_alone(schema: dict[str, Any]) -> None:
    """``cite`` takes one citation or a list of them (see ``Cited._one_citation_is_a_list``)."""
    for definition in schema.get("$defs", {}).values():
        cite = definition.get("properties", {}).get("cite")
        if cite and {k: cite.get(k) for k in _CITATION_LIST} == _CITATION_LIST:
            rest = {k: v for k, v in cite.items() if k not in _CITATION_LIST}
            definition["properties"]["cite"] = {
                **rest,
                "anyOf": [{"$ref": "#/$defs/Citation"}, _CITATION_LIST],
            }


@cache
def _schema() -> dict[str, Any]:
    schema = RuleSet.model_json_schema()
    _one_citation_may_stand_alone(schema)
    return {"$schema": DIALECT, **schema}


def rule_file_schema() -> dict[str, Any]:
    """The JSON Schema of a local rule file (``rules/<jurisdiction>-<year>.yaml``)."""
    return copy.deepcopy(_schema())


def schema_text() -> str:
    """The schema as the committed file holds it: indented JSON, UTF-8, final newline."""
    return json.dumps(_schema(), ensure_ascii=False, indent=2) + "\n"
