"""Safe loading of rule files: plain YAML only, with a line number for every field.

Files are read only when they are regular files no larger than :data:`MAX_BYTES`. Scalars resolve
as in YAML 1.2 (``true``/``false`` only, decimal numbers only, dates as ``YYYY-MM-DD``): ``yes``,
``0430`` or ``1_000`` are text, and a plain ``0430`` is refused outright because YAML 1.1 tools read it
as octal. Text may not hold control characters, bidirectional overrides or ANSI escapes; a line
break is allowed only in the free-text fields of :data:`MULTILINE_FIELDS`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from policylib.model import Categories, NationalStandard, RuleSet

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_BYTES = 512 * 1024
MAX_EVENTS = 200_000
MAX_DEPTH = 40

Loc = tuple[str | int, ...]

# Free-text fields where a line break is legitimate (notes, readings, glosses; corrections repair
# received text that runs over several lines). Everywhere else (ids, names, quotes, clauses) it is refused.
MULTILINE_FIELDS = frozenset({
    "note", "notes", "why", "reading", "alternatives", "summary", "gloss", "governs_note", "exempt_note",
    "issued_note", "document_number_note", "cut_off", "original", "corrected",
})
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
# Plain scalars that YAML 1.1 tools read as numbers (octal, hex, binary, sexagesimal, underscores).
_YAML11_NUMBER = re.compile(
    r"^[-+]?(?:0[0-9_]+|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[0-9]+(?:_[0-9]+)+(?:\.[0-9_]*)?)$"
)


class PlainLoader(_BASE_LOADER):
    """The safe loader with YAML 1.2 core resolution: nothing but plain decimals, true/false and ISO dates."""


PlainLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|false)$", "tf"),
    ("int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    ("float", r"^[-+]?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?$", "-+0123456789"),
    ("null", r"^(?:~|null|)$", ["~", "n", ""]),
    ("timestamp", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "0123456789"),
):
    PlainLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))


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
        for count, event in enumerate(yaml.parse(text, Loader=PlainLoader)):
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
        # libyaml counts the position in bytes of UTF-8, the pure-Python reader in characters
        before = text.encode("utf-8")[: exc.position] if _BASE_LOADER is not yaml.SafeLoader else text[: exc.position]
        line = before.count(b"\n" if isinstance(before, bytes) else "\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise RuleFileError(
            [Problem(path, line, "", f"character U+{code:04X} is not allowed in YAML")]
        ) from None


def text_problem(text: str, multiline: bool) -> str | None:
    """Why a string cannot stand in a rule file (control characters, bidi overrides, line breaks), or None."""
    if "\x1b" in text:
        return "an ANSI escape sequence (ESC, U+001B) is not allowed in text"
    found = _BIDI.search(text)
    if found:
        return (f"bidirectional control U+{ord(found.group()):04X} is not allowed in text "
                "(it reorders what a reader sees)")
    found = _CONTROL.search(text) or (None if multiline else re.search("[\t\n]", text))
    if found and found.group() == "\n":
        return "a line break is allowed only in notes and other free text, not here"
    if found:
        return f"control character U+{ord(found.group()):04X} is not allowed in text"
    return None


def _is_multiline(loc: Loc) -> bool:
    names = [part for part in loc if isinstance(part, str)]
    return bool(names) and names[-1] in MULTILINE_FIELDS


def _check_scalar(node: yaml.ScalarNode, loc: Loc, path: Path, problems: list[Problem]) -> None:
    line = node.start_mark.line + 1
    reason = text_problem(node.value, _is_multiline(loc))
    if reason:
        problems.append(Problem(path, line, field_name(loc), reason))
    elif not node.style and _YAML11_NUMBER.match(node.value):
        problems.append(Problem(
            path, line, field_name(loc),
            f"{node.value} is ambiguous: YAML 1.1 reads it as an octal, hexadecimal or sexagesimal number; "
            "write a plain decimal number, or quote it if it is text"))
    elif node.tag == "tag:yaml.org,2002:timestamp":
        try:
            dt.date.fromisoformat(node.value)
        except ValueError as exc:
            problems.append(Problem(path, line, field_name(loc), f"not a date: {exc}"))


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
            reason = text_problem(key, False)
            if reason:
                problems.append(Problem(path, line, field_name(loc), f"a key: {reason}"))
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
    else:
        _check_scalar(node, loc, path, problems)


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; anything else (a pipe, a device, a directory,
    a larger file) is refused before a byte is read, as a RuleFileError naming the file."""
    def refuse(message: str) -> RuleFileError:
        return RuleFileError([Problem(path, None, "", message)])

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise refuse(f"cannot read file: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = ("a named pipe" if stat.S_ISFIFO(info.st_mode) else "a directory" if stat.S_ISDIR(info.st_mode)
                    else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "a socket")
            raise refuse(f"not a regular file ({kind}"
                         + (", reached through a symbolic link" if path.is_symlink() else "") + ")")
        if info.st_size > max_bytes:
            raise refuse(f"file is larger than {max_bytes // 1024} KiB")
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise refuse(f"cannot read file: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:  # grew while being read
        raise refuse(f"file is larger than {max_bytes // 1024} KiB")
    return raw


def read_yaml(path: Path, expect: type[dict] | type[list] = dict) -> tuple[Any, LineMap]:
    """Read a YAML file as plain data, refusing anything that is not plain YAML.

    ``expect`` is the type of the top-level value; a list file that is empty (or only comments)
    reads as an empty list.
    """
    data, lines, _ = read_document(path, expect)
    return data, lines


def read_document(path: Path, expect: type[dict] | type[list] = dict) -> tuple[Any, LineMap, str]:
    """:func:`read_yaml` with the file's text: the data and line numbers come from one composed tree."""
    path = Path(path)
    raw = read_limited(path, MAX_BYTES)
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RuleFileError([Problem(path, line, "", f"not UTF-8 (byte {exc.start})")]) from None
    _reject_unsafe_events(text, path)
    loader = PlainLoader(text)
    try:
        node = loader.get_single_node()
        if node is None and expect is list:
            return [], LineMap(), text
        if node is None:
            raise RuleFileError([Problem(path, 1, "", "file is empty")])
        lines = LineMap()
        problems: list[Problem] = []
        _walk(node, (), lines, path, problems)
        if problems:
            raise RuleFileError(problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RuleFileError([Problem(path, line, "", f"not valid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise RuleFileError([Problem(path, None, "", f"not valid YAML: {exc}")]) from None
    except ValueError as exc:
        raise RuleFileError([Problem(path, None, "", f"a value cannot be read: {exc}")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, expect):
        shape = "a mapping of fields" if expect is dict else "a list"
        raise RuleFileError([Problem(path, 1, "", f"the file must be {shape}")])
    return data, lines, text


def model_for(path: Path, data: dict[str, Any]) -> type[BaseModel]:
    """The model a rule file's data is validated against (categories, national standard or local rules)."""
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
    return validate(model_for(path, data), data, lines, path), lines


def validate(model: type[BaseModel] | TypeAdapter[Any], data: Any, lines: LineMap, path: Path,
             spelled_in: str = "policylib/model.py") -> Any:
    """Validate plain data read by :func:`read_yaml`; raises RuleFileError naming file, line and field.

    ``spelled_in`` names the module that defines the fields, for the unknown-field message.
    """
    check = model.validate_python if isinstance(model, TypeAdapter) else model.model_validate
    try:
        return check(data, strict=True)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
            problems.append(Problem(path, lines.line(loc), field_name(loc), _describe(error, spelled_in)))
        raise RuleFileError(problems) from None


def _is_union_tag(part: str | int) -> bool:
    """Pydantic inserts type names such as 'function-after[...]' into locations; drop them."""
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))
