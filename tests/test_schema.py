"""The JSON Schema of rule files: committed copy up to date, and every local rule file valid against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from cli_runner import run_cli

from policylib import catalogue
from policylib.paths import ENV_HOME
from policylib.schema import REGENERATE, SCHEMA_FILE, rule_file_schema, schema_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _checkout_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_HOME, raising=False)


def as_json(path: Path) -> Any:
    """A YAML rule file as the JSON an editor validates (dates as ISO strings)."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def validator() -> jsonschema.protocols.Validator:
    schema = rule_file_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_committed_schema_is_up_to_date() -> None:
    committed = (ROOT / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == schema_text(), f"{SCHEMA_FILE} is stale: the model changed; regenerate it with `{REGENERATE}`"


def test_schema_command_prints_and_writes_the_schema(tmp_path: Path) -> None:
    printed = run_cli("schema")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == schema_text()
    target = tmp_path / "rule-file.schema.json"
    written = run_cli("schema", "--output", str(target))
    assert written.returncode == 0, written.stderr
    assert target.read_text(encoding="utf-8") == schema_text()


@pytest.mark.parametrize("entry", catalogue.local_entries(), ids=lambda e: e.key)
def test_local_rule_file_is_valid_against_the_schema(entry: catalogue.Entry) -> None:
    found = validator().iter_errors(as_json(entry.path))
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in found]
    assert not errors, "\n".join(errors)


def test_schema_rejects_a_misspelt_field() -> None:
    data = as_json(catalogue.local_entries()[0].path)
    data["financing"]["personal_contribution"]["at_lest"] = True
    assert any("at_lest" in e.message for e in validator().iter_errors(data))
