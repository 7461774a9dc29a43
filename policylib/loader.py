"""Safe loading of rule files: plain YAML only, with a line number for every field."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from policylib.model import Categories, NationalStandard, RuleSet

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_BYTES = 512 * 1024
MAX_EVENTS = 200_000
MAX_DEPTH = 40

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rule file, located by file, line and field."""

    path: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.field or '(file)'}: {self.message}"


class RuleFileError(Exception):
    """A rule file that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def field_name(loc: Loc) -> str:
    """Render a location as a dotted path: ``assisted_groups[2].amount``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class LineMap:
    """Maps field locations to the 1-based line where they stand in the file."""

    def __init__(self) -> None:
        self.lines: dict[Loc, int] = {}

    def line(self, loc: Loc) -> int | None:
        """The line of the longest known prefix of ``loc``."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return None


def _reject_unsafe_events(text: str, path: Path) -> None:
    """Refuse anchors, aliases and tags before anything is built (no alias bombs, no objects)."""
    depth = 0
    try:
        for count, event in enumerate(yaml.parse(text, Loader=SAFE_LOADER)):
            line = event.start_mark.line + 1
            if count > MAX_EVENTS:
                raise RuleFileError([Problem(path, line, "", f"file has more than {MAX_EVENTS} YAML nodes")])
            if isinstance(event, yaml.AliasEvent):
                raise RuleFileError(
                    [Problem(path, line, "", f"YAML alias *{event.anchor} is not allowed: write values out")]
                )
            anchor = getattr(event, "anchor", None)
            if anchor:
                raise RuleFileError(
                    [Problem(path, line, "", f"YAML anchor &{anchor} is not allowed: write values out")]
                )
            tag = getattr(event, "tag", None)
            implicit = getattr(event, "implicit", True)
            explicit_tag = tag and not (implicit is True or (isinstance(implicit, tuple) and any(implicit)))
            if explicit_tag and tag not in ("tag:yaml.org,2002:str",):
                raise RuleFileError([Problem(path, line, "", f"YAML tag {tag} is not allowed")])
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise RuleFileError([Problem(path, line, "", f"nesting deeper than {MAX_DEPTH} levels")])
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RuleFileError([Problem(path, line, "", f"not valid YAML: {exc.problem or exc}")]) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise RuleFileError(
            [Problem(path, line, "", f"character {exc.character!r} is not allowed in YAML")]
        ) from None


def _walk(node: yaml.Node, loc: Loc, lines: LineMap, path: Path, problems: list[Problem]) -> None:
    lines.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(path, line, field_name(loc), "a key must be plain text"))
                continue
            if key == "<<":
                problems.append(Problem(path, line, field_name(loc), "YAML merge keys (<<) are not allowed"))
                continue
            if key in seen:
                problems.append(
                    Problem(path, key_node.start_mark.line + 1, field_name((*loc, key)), "key appears twice")
                )
            seen.add(key)
            lines.lines[(*loc, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*loc, key), lines, path, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*loc, index), lines, path, problems)
    elif node.tag == "tag:yaml.org,2002:timestamp":
        try:
            dt.date.fromisoformat(node.value[:10])
        except ValueError as exc:
            problems.append(Problem(path, node.start_mark.line + 1, field_name(loc), f"not a date: {exc}"))


def read_yaml(path: Path, expect: type[dict] | type[list] = dict) -> tuple[Any, LineMap]:
    """Read a YAML file as plain data, refusing anything that is not plain YAML.

    ``expect`` is the type of the top-level value; a list file that is empty (or only comments)
    reads as an empty list.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleFileError([Problem(path, None, "", f"cannot read file: {exc.strerror}")]) from None
    if len(raw) > MAX_BYTES:
        raise RuleFileError([Problem(path, None, "", f"file is larger than {MAX_BYTES // 1024} KiB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RuleFileError([Problem(path, line, "", f"not UTF-8 (byte {exc.start})")]) from None
    _reject_unsafe_events(text, path)
    try:
        node = yaml.compose(text, Loader=SAFE_LOADER)
        if node is None and expect is list:
            return [], LineMap()
        if node is None:
            raise RuleFileError([Problem(path, 1, "", "file is empty")])
        lines = LineMap()
        problems: list[Problem] = []
        _walk(node, (), lines, path, problems)
        if problems:
            raise RuleFileError(problems)
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RuleFileError([Problem(path, line, "", f"not valid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise RuleFileError([Problem(path, None, "", f"not valid YAML: {exc}")]) from None
    except ValueError as exc:
        raise RuleFileError([Problem(path, None, "", f"a value cannot be read: {exc}")]) from None
    if not isinstance(data, expect):
        shape = "a mapping of fields" if expect is dict else "a list"
        raise RuleFileError([Problem(path, 1, "", f"the file must be {shape}")])
    return data, lines


def _model_for(path: Path, data: dict[str, Any]) -> type[BaseModel]:
    if path.name == "categories.yaml":
        return Categories
    if data.get("level") == "national":
        return NationalStandard
    return RuleSet


def _describe(error: dict[str, Any], spelled_in: str = "policylib/model.py") -> str:
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"unknown field (check the spelling against {spelled_in})"
    if error["type"] == "missing":
        return "required field is missing"
    if "input" in error and error["type"] not in ("model_type", "dict_type"):
        shown = repr(error["input"])
        shown = shown if len(shown) < 60 else shown[:57] + "..."
        return f"{message} (got {shown})"
    return message


def load(path: Path) -> tuple[BaseModel, LineMap]:
    """Load and validate one rule file; raises RuleFileError naming file, line and field."""
    path = Path(path)
    data, lines = read_yaml(path)
    return validate(_model_for(path, data), data, lines, path), lines


def validate(model: type[BaseModel] | TypeAdapter[Any], data: Any, lines: LineMap, path: Path,
             spelled_in: str = "policylib/model.py") -> Any:
    """Validate plain data read by :func:`read_yaml`; raises RuleFileError naming file, line and field.

    ``spelled_in`` names the module that defines the fields, for the unknown-field message.
    """
    check = model.validate_python if isinstance(model, TypeAdapter) else model.model_validate
    try:
        return check(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
            problems.append(Problem(path, lines.line(loc), field_name(loc), _describe(error, spelled_in)))
        raise RuleFileError(problems) from None


def _is_union_tag(part: str | int) -> bool:
    """Pydantic inserts type names such as 'function-after[...]' into locations; drop them."""
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))
