"""The rule-file reference page: every object and field of a rule file, generated from the model.

The page is built from the JSON Schema of :class:`policylib.model.RuleSet`
(:func:`policylib.schema.rule_file_schema`): one section per object reachable from the top of
a rule file, in the order a rule file introduces them, with a table of its fields (type,
whether required, allowed values, description) and, for the main objects, an example taken
from a real rule file. Every name and description is Markdown-escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml
from pydantic import BaseModel

from policylib.book.pages import HEADER, _table, md, role_text
from policylib.model import RuleSet
from policylib.schema import SCHEMA_FILE, rule_file_schema

ROOT_NAME = "RuleSet"
_REF = "#/$defs/"
_PLAIN = re.compile(r"^[\w .:/\-+^$\\()\[\]*?{},\"']*$")

# Main objects shown with an example from the real rule files: object, where to find candidates.
EXAMPLES: dict[str, Callable[[RuleSet], Iterator[BaseModel]]] = {
    "Amount": lambda r: iter([r.financing.personal_contribution]),
    "AssistedGroup": lambda r: iter(r.assisted_groups),
    "Window": lambda r: iter(r.enrolment.windows),
    "StartRule": lambda r: (s for s in r.coverage.start_rules if s.when),
    "Milestone": lambda r: iter(r.administration.milestones),
}


def anchor(name: str) -> str:
    """MyST label of an object's section."""
    return f"schema-{name.lower()}"


def code(text: object) -> str:
    """Inline code for plain values (names, patterns), escaped text for anything else."""
    value = str(text)
    return f"`{value}`" if value and "`" not in value and "|" not in value and _PLAIN.match(value) else md(value)


def _refs(schema: dict[str, Any]) -> Iterator[str]:
    """Names of the objects a (sub)schema refers to, in order."""
    if "$ref" in schema:
        yield schema["$ref"].removeprefix(_REF)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _refs(sub)
    if isinstance(schema.get("items"), dict):
        yield from _refs(schema["items"])


def objects(schema: dict[str, Any]) -> list[str]:
    """Every object reachable from the top of the schema, breadth first in field order."""
    defs = schema.get("$defs", {})
    order, queue = [ROOT_NAME], [schema]
    while queue:
        current = queue.pop(0)
        for prop in current.get("properties", {}).values():
            for name in _refs(prop):
                if name not in order:
                    order.append(name)
                    queue.append(defs[name])
    return order


def _bounds(schema: dict[str, Any]) -> str:
    parts = []
    for key, sign in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<")):
        if key in schema:
            parts.append(f"{sign} {schema[key]}")
    if "minLength" in schema:
        parts.append(f"at least {schema['minLength']} characters")
    if "maxLength" in schema:
        parts.append(f"at most {schema['maxLength']} characters")
    if "minItems" in schema:
        parts.append(f"at least {schema['minItems']}")
    return f" ({', '.join(parts)})" if parts else ""


def type_text(schema: dict[str, Any]) -> str:
    """A field's type in words, with links to the objects it holds (Markdown)."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(_REF)
        return f"{{ref}}`{role_text(name)} <{anchor(name)}>`"
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        text = " or ".join(type_text(s) for s in options)
        return text + (" or null" if len(options) < len(schema["anyOf"]) else "")
    kind = schema.get("type")
    if kind == "array":
        return f"list of {type_text(schema.get('items', {}))}{_bounds(schema)}"
    if kind == "string" and schema.get("format") == "date":
        return "date (YYYY-MM-DD)"
    if kind == "string" and "pattern" in schema:
        return f"text matching {code(schema['pattern'])}{_bounds(schema)}"
    words = {"string": "text", "integer": "integer", "number": "number", "boolean": "true or false"}
    return md(words.get(str(kind), kind or "any")) + _bounds(schema)


def allowed_values(schema: dict[str, Any]) -> str:
    """The values a field may take when the model lists them (Literal choices), else empty."""
    values: list[Any] = []
    for sub in [schema, *schema.get("anyOf", [])]:
        values += sub.get("enum", []) + ([sub["const"]] if "const" in sub else [])
    return ", ".join(code(v) for v in values)


def _required(name: str, prop: dict[str, Any], required: list[str]) -> str:
    if name in required:
        return "yes"
    if "default" in prop:
        return f"no (default {code(json.dumps(prop['default'], ensure_ascii=False))})"
    return "no"


def field_rows(definition: dict[str, Any]) -> list[list[str]]:
    """One table row per field: name, type, required, allowed values, description."""
    required = definition.get("required", [])
    return [
        [code(name), type_text(prop), _required(name, prop, required), allowed_values(prop),
         md(prop.get("description", ""))]
        for name, prop in definition.get("properties", {}).items()
    ]


def _example(name: str) -> str | None:
    """A YAML example of an object: the shortest one in the local rule files."""
    from policylib import catalogue

    found: list[tuple[int, str, str]] = []
    for entry in catalogue.local_entries():
        for model in EXAMPLES[name](catalogue.rules(entry.jurisdiction, entry.year)):
            data = model.model_dump(exclude_defaults=True)
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
            found.append((len(text), entry.path.name, text))
    if not found:
        return None
    _, file_name, text = min(found)
    fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    return f"Example from {code(file_name)}:\n\n{fence}yaml\n{text}{fence}\n"


def schema_page() -> str:
    """The rule-file reference page (Markdown)."""
    schema = rule_file_schema()
    defs = schema.get("$defs", {})
    out = [
        HEADER,
        "# Rule file reference\n",
        "Every object and field of a local rule file (`rules/<jurisdiction>-<year>.yaml`), generated "
        "from the model (`policylib/model.py`). A field marked required must be present; any other "
        "key is an error, so a misspelt field never passes silently. Objects that carry "
        f"{{ref}}`citations <{anchor('Citation')}>` share the fields `status`, `cite`, `note`, "
        "`refers_to` and `interpretation`: a stated value needs at least one citation, a value the "
        "notice does not state has `status: not_stated` and a `note`. `cite` takes one citation or a "
        f"list of them. The same rules as a JSON Schema: `{SCHEMA_FILE.as_posix()}`.\n",
    ]
    for name in objects(schema):
        definition = schema if name == ROOT_NAME else defs[name]
        out.append(f"({anchor(name)})=\n## {md(name)}\n")
        if definition.get("description"):
            out.append(md(definition["description"]) + "\n")
        out.append(_table(["Field", "Type", "Required", "Allowed values", "Description"], field_rows(definition)))
        if name in EXAMPLES:
            example = _example(name)
            if example:
                out.append(example)
    return "\n".join(out)
