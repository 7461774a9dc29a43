"""Source notices: metadata, manual corrections and the cleaned simplified-Chinese text.

Each source lives in ``sources/<id>/``:

* ``received.txt`` - the text exactly as received (never edited);
* ``meta.yaml`` - a :class:`SourceMeta`;
* ``corrections.yaml`` - a list of :class:`Correction` (manual repairs of transmission damage);
* ``clean.txt`` - the output of :func:`build_clean`, committed so that rule quotes can be checked
  against it; :func:`rebuild_all` regenerates it.

Cleaning order (see :func:`normalize`): corrections, then trimming by markers, then the
rule-based steps of :func:`clean_rules`.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from policylib.loader import Problem, RuleFileError, read_limited, read_yaml, validate
from policylib.model import SOURCE_ID as SOURCE_ID_PATTERN
from policylib.paths import sources_dir

if TYPE_CHECKING:
    import opencc

__all__ = [
    "Correction",
    "CorrectionError",
    "SourceError",
    "SourceFileError",
    "SourceMeta",
    "Trim",
    "apply_corrections",
    "build_clean",
    "clean_rules",
    "clean_text",
    "load_corrections",
    "load_meta",
    "normalize",
    "read_corrections",
    "read_meta",
    "rebuild_all",
    "received_text",
    "source_dir",
    "source_ids",
    "trim_text",
]

META_FILE = "meta.yaml"
CORRECTIONS_FILE = "corrections.yaml"
RECEIVED_FILE = "received.txt"
CLEAN_FILE = "clean.txt"
RECEIVED_PLACEHOLDER = "# policylib new: replace this whole file with the notice"
MAX_TEXT_BYTES = 4 * 1024 * 1024
SOURCE_ID = re.compile(SOURCE_ID_PATTERN)  # the pattern rule files use for ``source``


class SourceError(ValueError):
    """A source directory or one of its files is missing or inconsistent."""


class SourceFileError(SourceError):
    """A meta or corrections file that cannot be used; carries every problem, one line each."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class CorrectionError(SourceError):
    """A manual correction cannot be applied to the received text."""


# --------------------------------------------------------------------------- models


class Trim(BaseModel):
    """Markers delimiting the body of a received text (e.g. to drop web-page navigation).

    The body starts at the first line containing ``start_marker`` and ends at the last line
    before the first following line containing ``end_marker``. Markers are matched against
    the corrected, not yet cleaned, text.
    """

    model_config = ConfigDict(extra="forbid")

    start_marker: str | None = Field(default=None, min_length=1)
    end_marker: str | None = Field(default=None, min_length=1)


class SourceMeta(BaseModel):
    """Metadata of one source (``sources/<id>/meta.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    title: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    issuers: list[str] = Field(min_length=1)
    issued: date | None = None
    issued_note: str | None = None
    published: date | None = None
    document_number: str | None
    document_number_note: str | None = None
    jurisdiction: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    jurisdiction_zh: str = Field(min_length=1)
    level: Literal["national", "province", "city", "county"]
    province: str | None
    coverage_year: int | None
    kind: Literal["official_notice", "secondary_reprint", "statute"]
    url: str | None = Field(None, pattern=r"^https?://[^\s\"'<>]+$", description="a web address (http or https)")
    received_from: str = Field(min_length=1)
    trim: Trim | None = None
    join_spaces: bool = Field(
        default=True,
        description="drop spaces between CJK characters, digits and punctuation; off for texts "
        "whose spacing is meaningful (statute article headings, mixed English notes)",
    )
    notes: str = ""
    cut_off: str | None = Field(
        None, description="a partial text: where it breaks off and what is missing (what the rules cannot "
        "say is then not stated, with this as the reason)",
    )

    @model_validator(mode="after")
    def _check_consistency(self) -> SourceMeta:
        """Require notes for missing facts and a province exactly for sub-national sources."""
        if self.document_number is None and not self.document_number_note:
            raise ValueError("document_number is null: document_number_note must say why")
        if self.issued is None and not self.issued_note:
            raise ValueError("issued is null: issued_note must say what is known")
        if self.level == "national" and self.province is not None:
            raise ValueError("a national source has no province")
        if self.level != "national" and not self.province:
            raise ValueError(f"a {self.level}-level source needs its province")
        return self


class Correction(BaseModel):
    """One manual repair: ``original`` exactly as in the received text, ``corrected`` replacing it."""

    model_config = ConfigDict(extra="forbid")

    original: str = Field(min_length=1)
    corrected: str
    why: str = Field(min_length=1)


_CORRECTIONS = TypeAdapter(list[Correction])

# --------------------------------------------------------------------------- character classes

_IDEO = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_WIDE_PUNCT = "\u2010-\u205e\u3001-\u303f\ufe10-\ufe1f\ufe30-\ufe6f\uff00-\uffef"
_WIDE_RE = re.compile(f"[{_IDEO}{_WIDE_PUNCT}]")
_ASCII_PUNCT = frozenset(string.punctuation)
_OPENERS = frozenset("([{")
_CLOSERS = frozenset(")]}")

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# A pinyin annotation: one syllable with at least one tone mark, in ASCII brackets, right after
# an ideograph, e.g. 區(qū). Brackets around Chinese text, e.g. (醫(yī)保發〔2020〕24號), never match.
_PINYIN_RE = re.compile(
    f"(?<=[{_IDEO}])\\((?=[a-zü{_TONED}\u0300-\u036f]*[{_TONED}\u0300-\u036f])"
    f"[a-zü{_TONED}\u0300-\u036f]{{1,8}}\\)"
)
_QMARKS_RE = re.compile(r"\?+")
_HSPACE_RE = re.compile(r"[ \t]+")
_ODD_SPACES = str.maketrans({"\u00a0": " ", "\u3000": " ", "\u2002": " ", "\u2003": " ", "\u202f": " "})


def _is_wide(ch: str) -> bool:
    """True for a CJK ideograph or CJK / full-width / general punctuation."""
    return bool(_WIDE_RE.fullmatch(ch))


def _is_tight(ch: str) -> bool:
    """True for characters that Chinese text sets without spaces around them."""
    return _is_wide(ch) or ch in "0123456789" or ch in _ASCII_PUNCT


def _joinable(left: str, right: str) -> bool:
    """Whether spaces between ``left`` and ``right`` are stray (Chinese text) and can be dropped."""
    if not (_is_tight(left) and _is_tight(right)):
        return False
    return _is_wide(left) or _is_wide(right) or left in _OPENERS or right in _CLOSERS


@functools.lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    """The OpenCC traditional-to-simplified converter (config name differs across versions)."""
    import opencc

    errors: list[str] = []
    for config in ("t2s", "t2s.json"):
        try:
            return opencc.OpenCC(config)
        except Exception as exc:  # pragma: no cover - depends on the installed opencc flavour
            errors.append(f"{config}: {exc}")
    raise RuntimeError("cannot load the OpenCC t2s configuration: " + "; ".join(errors))


# --------------------------------------------------------------------------- cleaning steps


def apply_corrections(text: str, corrections: Sequence[Correction], source_id: str = "<unnamed>") -> str:
    """Apply manual corrections in order; each ``original`` must occur exactly once in ``text``."""
    result = text
    for number, corr in enumerate(corrections, start=1):
        found = text.count(corr.original)
        if found != 1:
            where = "does not occur" if found == 0 else f"occurs {found} times"
            raise CorrectionError(
                f"source {source_id!r}: correction #{number} (original {corr.original!r} -> "
                f"{corr.corrected!r}): the original {where} in the received text; it must occur exactly once"
            )
        if result.count(corr.original) != 1:
            raise CorrectionError(
                f"source {source_id!r}: correction #{number} (original {corr.original!r}) overlaps "
                "an earlier correction"
            )
        result = result.replace(corr.original, corr.corrected, 1)
    return result


def trim_text(text: str, trim: Trim | None, source_id: str = "<unnamed>") -> str:
    """Keep the lines from the start marker's line up to (not including) the end marker's line."""
    if trim is None:
        return text
    lines = text.split("\n")
    start = 0
    if trim.start_marker is not None:
        hits = [i for i, line in enumerate(lines) if trim.start_marker in line]
        if not hits:
            raise SourceError(f"source {source_id!r}: start_marker {trim.start_marker!r} not found")
        start = hits[0]
    end = len(lines)
    if trim.end_marker is not None:
        hits = [i for i, line in enumerate(lines) if i > start and trim.end_marker in line]
        if not hits:
            raise SourceError(
                f"source {source_id!r}: end_marker {trim.end_marker!r} not found after the start"
            )
        end = hits[0]
    return "\n".join(lines[start:end])


def _lost_spaces(line: str) -> str:
    """Turn runs of ``?`` that stand for lost spaces into one space (dropped at line start).

    A run counts as a lost space when it starts the line, or when it touches a CJK character
    and its other side is CJK, a space or the line end; ``?`` in URLs or Latin text is kept.
    """

    def repl(match: re.Match[str]) -> str:
        if line[: match.start()].strip(" \t") == "":
            return ""
        left = line[match.start() - 1]
        right = line[match.end()] if match.end() < len(line) else ""
        left_ok = _is_wide(left) or left in " \t"
        right_ok = right == "" or _is_wide(right) or right in " \t"
        if left_ok and right_ok and (_is_wide(left) or _is_wide(right)):
            return " "
        return match.group(0)

    return _QMARKS_RE.sub(repl, line)


def _drop_stray_spaces(line: str) -> str:
    """Remove spaces between CJK characters, digits and punctuation (``2025 年1 月`` -> ``2025年1月``)."""

    def repl(match: re.Match[str]) -> str:
        if match.start() == 0 or match.end() == len(line):
            return match.group(0)
        return "" if _joinable(line[match.start() - 1], line[match.end()]) else match.group(0)

    return _HSPACE_RE.sub(repl, line)


def clean_rules(text: str, join_spaces: bool = True) -> str:
    """Rule-based cleaning of (corrected, trimmed) text into simplified Chinese.

    Steps: unify line ends and odd spaces; drop pinyin annotations; ``?`` lost spaces to a
    space; traditional to simplified (OpenCC ``t2s``); drop spaces between CJK characters,
    digits and punctuation (unless ``join_spaces`` is false); strip lines; collapse runs of
    blank lines to one; end with one newline.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ODD_SPACES)
    text = _PINYIN_RE.sub("", text)
    text = "\n".join(_lost_spaces(line) for line in text.split("\n"))
    text = _t2s().convert(text)
    lines = [line.strip(" \t") for line in text.split("\n")]
    if join_spaces:
        lines = [_drop_stray_spaces(line) for line in lines]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text + "\n"


def normalize(received: str, meta: SourceMeta | None = None, corrections: Sequence[Correction] = ()) -> str:
    """Corrections first (originals as in the received text), then trimming, then :func:`clean_rules`."""
    source_id = meta.id if meta is not None else "<unnamed>"
    text = received.replace("\r\n", "\n")
    text = apply_corrections(text, corrections, source_id)
    if meta is None:
        return clean_rules(text)
    return clean_rules(trim_text(text, meta.trim, source_id), join_spaces=meta.join_spaces)


# --------------------------------------------------------------------------- files


def source_dir(source_id: str) -> Path:
    """Directory of one source; raises :class:`SourceError` if the id is not a plain folder name or the
    folder does not exist."""
    if not SOURCE_ID.fullmatch(source_id):
        raise SourceError(f"not a source id: {source_id!r} (a folder name under sources/, not a path)")
    path = sources_dir() / source_id
    if not path.is_dir():
        raise SourceError(f"unknown source {source_id!r}: no directory {path}")
    return path


def source_ids(directory: Path | None = None) -> list[str]:
    """Ids of all sources (sub-directories of ``directory``, by default ``sources/``, holding a meta.yaml),
    sorted."""
    root = sources_dir() if directory is None else directory
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / META_FILE).is_file())


def _read_checked(path: Path, model: type[BaseModel] | TypeAdapter[Any], expect: type[dict] | type[list]) -> Any:
    """Read a source file with the hardened rule-file loader and validate it."""
    try:
        data, lines = read_yaml(path, expect)
        return validate(model, data, lines, path, spelled_in="policylib/sources.py"), lines
    except RuleFileError as exc:
        raise SourceFileError(exc.problems) from None


def _present(path: Path) -> bool:
    """Whether anything stands at ``path`` (a pipe or a dangling link too: the loader refuses those)."""
    return path.exists() or path.is_symlink()


def read_meta(path: Path) -> SourceMeta:
    """Load and validate a ``meta.yaml``; its ``id`` must match its directory's name."""
    path = Path(path)
    if not _present(path):
        raise SourceFileError([Problem(path, None, "", "missing file")])
    meta, lines = _read_checked(path, SourceMeta, dict)
    if meta.id != path.parent.name:
        raise SourceFileError(
            [Problem(path, lines.line(("id",)), "id", f"{meta.id!r} does not match the directory name "
                     f"{path.parent.name!r}")]
        )
    return meta


def read_corrections(path: Path) -> list[Correction]:
    """Load and validate a ``corrections.yaml`` (a list; a missing or empty file means none)."""
    path = Path(path)
    if not _present(path):
        return []
    corrections, _ = _read_checked(path, _CORRECTIONS, list)
    return corrections


def load_meta(source_id: str) -> SourceMeta:
    """Load and validate ``sources/<id>/meta.yaml``; its ``id`` must match the directory."""
    return read_meta(source_dir(source_id) / META_FILE)


def load_corrections(source_id: str) -> list[Correction]:
    """Load ``sources/<id>/corrections.yaml`` (a list; a missing or empty file means none)."""
    return read_corrections(source_dir(source_id) / CORRECTIONS_FILE)


def read_text_file(path: Path, missing: str = "") -> str:
    """A source text file: a regular UTF-8 file of at most :data:`MAX_TEXT_BYTES`, or a SourceError."""
    if not _present(path):
        raise SourceError(f"missing file {path}{missing}")
    try:
        return read_limited(path, MAX_TEXT_BYTES).decode("utf-8")
    except RuleFileError as exc:
        raise SourceError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 (byte {exc.start})") from None


def received_text(source_id: str) -> str:
    """The received text of a source, exactly as stored."""
    return read_text_file(source_dir(source_id) / RECEIVED_FILE)


def clean_text(source_id: str) -> str:
    """The committed cleaned text (``clean.txt``) of a source."""
    return read_text_file(source_dir(source_id) / CLEAN_FILE, "; run rebuild_all()")


def build_clean(source_id: str) -> str:
    """Recompute the cleaned text of a source from its received text, meta and corrections."""
    return normalize(received_text(source_id), load_meta(source_id), load_corrections(source_id))


def rebuild_all() -> list[Path]:
    """Rewrite every source's ``clean.txt``; return the paths whose content changed."""
    changed: list[Path] = []
    for source_id in source_ids():
        text = build_clean(source_id)
        path = source_dir(source_id) / CLEAN_FILE
        data = text.encode("utf-8")
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
            changed.append(path)
    return changed
