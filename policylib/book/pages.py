"""Generated pages of the book: introduction, sources (an index and one page per document, with one anchor per
clause), glossary, downloads, and the rule-file reference (:mod:`policylib.book.schema_page`).

The pages are built from the catalogue, the rule files and the cleaned source texts, and written
only when their bytes change (:func:`write_pages`). HTML blocks come from Jinja2 macros with
autoescaping (``policylib/data/templates/pages.html``); text put into markdown is escaped as literal
text (:func:`policylib.book.markup.md_text`).

The Sources page is an index of the source documents; each document has its own page,
``sources/<slug>.md`` (:func:`policylib.anchors.source_page`), on which every clause gets the anchor id
``policylib.anchors.anchor(source_id, clause)``, so that citations across the book
(:func:`policylib.anchors.clause_url`) land on their clause.
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from policylib.anchors import SOURCES_DIR, source_page
from policylib.book.config import base_url
from policylib.book.markup import md_text, template_env
from policylib.datadict import Version, build_version
from policylib.paths import project_root

__all__ = [
    "GENERATED_PAGES",
    "GLOSSARY",
    "Segment",
    "clause_texts",
    "downloads_page",
    "esc",
    "export_downloads",
    "glossary_page",
    "intro_page",
    "main",
    "md",
    "parse_clauses",
    "source_document_page",
    "source_order",
    "source_segments",
    "sources_page",
    "stable_xlsx",
    "write_pages",
    "write_source_pages",
]

# --------------------------------------------------------------------------- clause parsing

CLAUSE_TITLE = "标题"  # title block (document number, issuer and title lines)
CLAUSE_COVER = "印发通知"  # cover notice of a notice that issues a plan, before its signature
CLAUSE_PREAMBLE = "序言"  # text before the first numbered heading
CLAUSE_SIGNATURE = "落款"  # signature block: issuers and date
CLAUSE_ANNEX = "附件"
CLAUSE_COPIES = "抄送"

_NUMERALS = "一二三四五六七八九十"
_TOP = re.compile(rf"^([{_NUMERALS}]+)、")
_SECOND = re.compile(rf"^[（(]([{_NUMERALS}]+)[）)]")
_THIRD = re.compile(r"^(\d{1,2})[.．](?!\d)")
_DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
_ADDRESSEE = re.compile(r"[：:]\s*$")  # the addressee line, e.g. 各市（自治州）医疗保障局：
_ANNEX = re.compile(r"^附件\s*\d*\s*[：:]?")
_COPIES = re.compile(r"^抄送[：:]")
_ARTICLE = re.compile(r"^(第[零〇一二三四五六七八九十百千]+条)(?:\s|$)")
_PART_HEADING = re.compile(r"^##\s+(.+?)\s*$")
_DOC_HEADING = re.compile(r"^#\s+")
_YEAR = re.compile(r"^((?:19|20)\d\d)\s")
_PUNCTUATION = re.compile(r"[，。、；：,.;:!?！？（）()《》“”\"'—\-/]")
_LOST_HEADING_MAX = 12


@dataclass(frozen=True)
class Segment:
    """A run of lines of one clause, in text order.

    ``path`` is the clause's position in the notice's numbering (``("四", "（二）", "3")``), or a
    one-element path for named blocks (``("序言",)``, ``("落款",)``, ``("第二百零一条",)``).
    Only the first segment of a clause carries its anchor (``first``).
    """

    path: tuple[str, ...]
    lines: tuple[str, ...]
    first: bool = True

    @property
    def clause(self) -> str:
        """The clause path as rule files write it, e.g. ``四（二）3``."""
        return "".join(self.path)


def _number(numeral: str) -> int:
    """Value of a Chinese numeral up to 99 (``十二`` -> 12)."""
    digits = {c: i for i, c in enumerate("零一二三四五六七八九", start=0)}
    if "十" not in numeral:
        return digits[numeral]
    tens, _, units = numeral.partition("十")
    return (digits[tens] if tens else 1) * 10 + (digits[units] if units else 0)


def _numeral(value: int) -> str:
    """Chinese numeral for 1..99."""
    digits = "零一二三四五六七八九"
    if value < 10:
        return digits[value]
    tens, units = divmod(value, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[units] if units else "")


def _is_signature_line(line: str, issuers: Sequence[str]) -> bool:
    """Whether a line is a run of issuer names (as a signature block writes them)."""
    squashed = re.sub(r"\s+", "", line)
    names = sorted({re.sub(r"\s+", "", i) for i in issuers if i.strip()}, key=len, reverse=True)
    if not squashed or not names:
        return False
    return re.fullmatch("(?:" + "|".join(map(re.escape, names)) + ")+", squashed) is not None


def _signature_lines(lines: Sequence[str], issuers: Sequence[str]) -> set[int]:
    """Indices of signature blocks: a date line right after lines of issuer names (blank lines between)."""
    found: set[int] = set()
    for index, line in enumerate(lines):
        if not _DATE_LINE.match(line.strip()):
            continue
        block: list[int] = []
        j = index - 1
        while j >= 0 and (not lines[j].strip() or _is_signature_line(lines[j], issuers)):
            if lines[j].strip():
                block.append(j)
            j -= 1
        if block:
            found.update(block)
            found.add(index)
            found.update(k for k in range(min(block), index) if not lines[k].strip())
    return found


def _top_headings(lines: Sequence[str]) -> dict[int, str]:
    """Top-level headings (``一、``) by line index, with headings whose number was lost restored.

    When the numbers jump by two (``一、`` then ``三、``), a short line without punctuation between
    them is taken as the heading that lost its number (Dongxiang's ``缴费时间``).
    """
    found = {i: m.group(1) for i, line in enumerate(lines) if (m := _TOP.match(line.strip()))}
    indices = sorted(found)
    for before, after in itertools.pairwise(indices):
        if _number(found[after]) - _number(found[before]) != 2:
            continue
        for k in range(before + 1, after):
            text = lines[k].strip()
            if (
                text
                and len(text) <= _LOST_HEADING_MAX
                and not _PUNCTUATION.search(text)
                and not re.search(r"\d", text)
                and not _SECOND.match(text)
            ):
                found[k] = _numeral(_number(found[before]) + 1)
                break
    return found


def _notice_paths(lines: Sequence[str], issuers: Sequence[str]) -> list[tuple[str, ...] | None]:
    """Clause path of each line of an official notice (None for blank lines)."""
    tops = _top_headings(lines)
    signatures = _signature_lines(lines, issuers)
    first_top = min(tops) if tops else len(lines)
    paths: list[tuple[str, ...] | None] = [None] * len(lines)

    # Before the first heading: title block, cover notice and signature, preamble.
    pre = [i for i in range(first_top) if lines[i].strip()]
    pre_signature = [i for i in pre if i in signatures]
    addressee = next(
        (i for i in pre if i not in signatures and _ADDRESSEE.search(lines[i]) and not re.search(r"\d", lines[i])),
        None,
    )
    for i in pre:
        if i in signatures:
            paths[i] = (CLAUSE_SIGNATURE,)
        elif addressee is not None and i < addressee:
            paths[i] = (CLAUSE_TITLE,)
        elif pre_signature and i < min(pre_signature):
            paths[i] = (CLAUSE_COVER,)
        else:
            paths[i] = (CLAUSE_PREAMBLE,)

    # The body: numbered headings, then annexes, copies and a closing signature.
    top: str | None = None
    second: str | None = None
    third: str | None = None
    tail: str | None = None
    for i in range(first_top, len(lines)):
        text = lines[i].strip()
        if not text:
            continue
        if i in signatures:
            paths[i] = (CLAUSE_SIGNATURE,)
            continue
        if _COPIES.match(text):
            tail = CLAUSE_COPIES
        elif _ANNEX.match(text):
            tail = CLAUSE_ANNEX
        if tail is not None:
            paths[i] = (tail,)
            continue
        if i in tops:
            top, second, third = tops[i], None, None
        elif m := _SECOND.match(text):
            second, third = f"（{m.group(1)}）", None
        elif m := _THIRD.match(text):
            third = m.group(1)
        paths[i] = tuple(p for p in (top, second, third) if p)
    return paths


def _statute_paths(lines: Sequence[str]) -> list[tuple[str, ...] | None]:
    """Clause path of each line of a statute excerpt: articles (``第二百零一条``) and part headings."""
    paths: list[tuple[str, ...] | None] = [None] * len(lines)
    current: tuple[str, ...] = (CLAUSE_PREAMBLE,)
    for i, line in enumerate(lines):
        text = line.strip()
        if not text:
            continue
        if m := _PART_HEADING.match(text):
            current = (m.group(1),)
        elif _DOC_HEADING.match(text):
            current = (CLAUSE_TITLE,)
        elif m := _ARTICLE.match(text):
            current = (m.group(1),)
        paths[i] = current
    return paths


_DOCUMENT_HEADING = re.compile(r"^[A-Z][A-Za-z -]*\(([^()]*〔\d{4}〕\d+号)\)")


def _reprint_paths(lines: Sequence[str]) -> list[tuple[str, ...] | None]:
    """Clause path of each line of a collection of reprints: one clause per year (``2020``)."""
    paths: list[tuple[str, ...] | None] = [None] * len(lines)
    current: tuple[str, ...] = (CLAUSE_PREAMBLE,)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if (m := _YEAR.match(line)) or (m := _DOCUMENT_HEADING.match(line)):
            current = (m.group(1),)
        paths[i] = current
    return paths


def parse_clauses(text: str, kind: str = "official_notice", issuers: Sequence[str] = ()) -> list[Segment]:
    """Split a cleaned source text into clause segments, in text order.

    Official notices are split by their headings: ``一、`` (top level), ``（一）``/``(一)`` (second
    level), ``1.``/``1．`` (third level); text before the first heading is ``标题`` (up to the
    addressee line), ``印发通知`` (a cover notice before its signature) and ``序言``; ``落款`` is a
    signature block (issuer names, then the date); ``附件`` and ``抄送`` close the text. Statutes are
    split by article (``第二百零一条``), reprint collections by year (``2020``). Blank lines are kept
    inside segments as paragraph breaks.
    """
    lines = text.split("\n")
    if kind == "statute":
        paths = _statute_paths(lines)
    elif kind == "secondary_reprint":
        paths = _reprint_paths(lines)
    else:
        paths = _notice_paths(lines, issuers)
    segments: list[Segment] = []
    seen: set[tuple[str, ...]] = set()
    current: tuple[str, ...] | None = None
    buffer: list[str] = []

    def flush() -> None:
        if current is not None:
            while buffer and not buffer[-1].strip():
                buffer.pop()
            segments.append(Segment(current, tuple(buffer), current not in seen))
            seen.add(current)

    for line, path in zip(lines, paths, strict=True):
        if path is None:
            if current is not None:
                buffer.append("")
            continue
        if path != current:
            flush()
            current, buffer = path, []
        buffer.append(line.strip())
    flush()
    return segments


def clause_texts(segments: Iterable[Segment]) -> dict[str, str]:
    """Clause path -> its text including sub-clauses (for checking that a quote lies in its clause)."""
    segments = list(segments)
    out: dict[str, str] = {}
    for seg in segments:
        if seg.clause in out:
            continue
        parts = [
            "\n".join(s.lines) for s in segments if s.path[: len(seg.path)] == seg.path
        ]
        out[seg.clause] = "\n".join(parts)
    return out


def source_segments(source_id: str) -> list[Segment]:
    """Clause segments of a source's cleaned text."""
    from policylib import sources

    meta = sources.load_meta(source_id)
    return parse_clauses(sources.clean_text(source_id), meta.kind, meta.issuers)


# --------------------------------------------------------------------------- markup helpers

def md(text: object) -> str:
    """Text as literal inline markdown: one line, every ASCII punctuation character backslash-escaped."""
    return md_text(text)


def role_text(text: object) -> str:
    """Text for a role's title (``{ref}`title <target>```): one line, without backticks or angle brackets."""
    return " ".join(str(text).split()).translate(str.maketrans({"`": "'", "<": "‹", ">": "›"}))


def esc(text: object) -> Markup:
    """HTML-escaped text."""
    return Markup.escape(str(text))


@functools.cache
def _macros() -> Any:
    return template_env().get_template("pages.html").module


def _macro(name: str, *args: object) -> Markup:
    """Call a macro of ``pages.html``; its arguments are escaped unless they are already markup."""
    return Markup(getattr(_macros(), name)(*args))


_WEB_ADDRESS = ("https://", "http://")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table (cells must already be Markdown-safe)."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def _not_stated(note: str | None) -> str:
    return f"not stated ({note})" if note else "not stated"


HEADER = "% Generated by policylib.book.pages; edit the generator, not this file.\n"

# --------------------------------------------------------------------------- sources page

CLAUSE_STYLE = """<style>
.policylib-clause { margin: 0 0 0.8em 0; padding: 0.1em 0.4em; scroll-margin-top: 5em; }
.policylib-clause p { margin: 0.2em 0; }
.policylib-clause-path { font-weight: bold; }
.policylib-clause:target { background: #fff3c4; outline: 2px solid #e8c25a; }
</style>
"""

KIND_LABEL = {  # short, for the Sources page's table
    "official_notice": "official notice (正式通知)",
    "secondary_reprint": "press reprints (转载摘录), secondary",
    "statute": "statute (法律)",
}
KIND_GLOSS = {
    "official_notice": "official notice (正式通知)",
    "secondary_reprint": "secondary evidence: sentences quoted in press reprints (转载摘录), not the official text",
    "statute": "statute (法律)",
}
LEVEL_GLOSS = {
    "national": "national (全国)",
    "province": "province (省)",
    "city": "city (市)",
    "county": "county (县)",
}


def source_label(source_id: str) -> str:
    """MyST label of a source document's page."""
    return f"source-{source_id}"


def source_order(ids: Sequence[str], notices: Iterable[str | None]) -> list[str]:
    """The source ids in the Sources page's order: the local notices as ``notices`` gives them (catalogue
    order; repeats, unknown ids and None skipped), then the other sources in the order of ``ids``."""
    known = set(ids)
    ordered = list(dict.fromkeys(s for s in notices if s in known))
    first = set(ordered)
    return ordered + [s for s in ids if s not in first]


def _source_order() -> list[str]:
    """Local notices in catalogue order, then the other sources by id."""
    from policylib import catalogue, sources

    notices = (catalogue.rules(e.jurisdiction, e.year).source for e in catalogue.local_entries())
    return source_order(sources.source_ids(), notices)


def _place(meta: Any) -> str:
    """Level and place of a source, e.g. ``county (县): 东乡族自治县, 甘肃省``."""
    in_province = meta.province and meta.province != meta.jurisdiction_zh
    place = meta.jurisdiction_zh + (f", {meta.province}" if in_province else "")
    return f"{LEVEL_GLOSS.get(meta.level, meta.level)}: {place}"


def _meta_rows(meta: Any) -> list[tuple[str, object]]:
    """(label, value) rows of a source's metadata (values are text unless ``Markup``)."""
    rows = [
        ("Title", esc(meta.title)),
        ("In English", esc(meta.title_en)),
        ("Issuers", "、".join(meta.issuers)),
        ("Date issued", esc(meta.issued.isoformat()) if meta.issued else esc(_not_stated(meta.issued_note))),
    ]
    if meta.published:
        rows.append(("Published", esc(meta.published.isoformat())))
    number = meta.document_number or _not_stated(meta.document_number_note)
    rows.append(("Document number", esc(number)))
    if meta.document_number and meta.document_number_note:
        rows[-1] = ("Document number", esc(f"{meta.document_number} ({meta.document_number_note})"))
    rows += [
        ("Level", esc(_place(meta))),
        ("Coverage year", meta.coverage_year if meta.coverage_year else "not applicable"),
        ("Kind", esc(KIND_GLOSS.get(meta.kind, meta.kind))),
    ]
    if meta.url:  # a link only to a web address: a javascript: or data: "address" stays text
        rows.append(("Address", _macro("address", meta.url) if meta.url.startswith(_WEB_ADDRESS) else meta.url))
    if meta.notes:
        rows.append(("Notes", esc(" ".join(meta.notes.split()))))
    return rows


def _html_table(rows: Sequence[tuple[str, object]], css: str) -> str:
    return str(_macro("meta_table", rows, css))


def _corrections_html(corrections: Sequence[Any]) -> str:
    rows = [(c.original.replace("\n", "↵"), c.corrected.replace("\n", "↵"), " ".join(c.why.split()))
            for c in corrections]
    return str(_macro("corrections", rows))


def _segment_html(source_id: str, segment: Segment) -> str:
    """One clause as an HTML block (no blank lines inside, so MyST keeps it raw)."""
    from policylib.compare import anchor

    paragraphs: list[list[str]] = [[]]
    for line in segment.lines:
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    ident = anchor(source_id, segment.clause) if segment.first else None
    return str(_macro("clause", ident, segment.clause, [p for p in paragraphs if p]))


def sources_page(order: Sequence[str] | None = None) -> str:
    """The Sources page: how the texts are split into clauses, then an item per source document linking to its
    page (``order``: the source ids, by default the local notices in catalogue order, then the others)."""
    from policylib import sources

    items = []
    for source_id in _source_order() if order is None else order:
        meta = sources.load_meta(source_id)
        details = "; ".join([
            _place(meta),
            KIND_LABEL.get(meta.kind, meta.kind),
            f"issued {meta.issued.isoformat()}" if meta.issued else "date not stated",
            meta.document_number or "number not stated",
        ])
        # The title as written (no role's title); a list, which reads at a phone's width as at a laptop's.
        items.append(f"- [{md(meta.title)}](<{source_page(source_id)}.md>)  \n  {md(details)}")
    out = [
        HEADER,
        "# Sources\n",
        "The cleaned texts (`clean.txt`) of every notice the rules cite, one page per document, split into "
        "clauses by the notice's own headings: 一、 (top level), （一） (second level) and 1. (third level), so "
        "that a clause path such as 四（二）3 reads part 四, item （二）, point 3. Text before the "
        "first heading is 序言 (preamble), the title lines 标题, a signature block 落款; a notice "
        "that issues a plan keeps its cover notice as 印发通知. Every clause has its own anchor: the "
        "citations in the profiles and chapters link to it. The statute is split by article, the "
        "national reprints by year. Each document's page lists the manual corrections of its received text.\n",
        "The documents:\n",
        "\n".join(items) + "\n",
    ]
    return "\n".join(out)


def source_document_page(source_id: str) -> str:
    """A source document's page: its metadata, its cleaned text by clause (one anchor per clause) and the
    manual corrections of its received text."""
    from policylib import sources

    meta = sources.load_meta(source_id)
    out = [
        HEADER,
        f"({source_label(source_id)})=\n# {md(meta.title)}\n",
        "One of the {doc}`sources <../sources>`: its metadata, its cleaned text by clause (each clause's path "
        "is a link to the clause) and the manual corrections of its received text.\n",
    ]
    if meta.kind == "secondary_reprint":
        out.append(
            ":::{warning}\nSecondary evidence: sentences as quoted in press reprints and "
            "mirrors, not the official text. Figures cited from here are marked as secondary.\n:::\n"
        )
    out += [CLAUSE_STYLE, _html_table(_meta_rows(meta), "policylib-source-meta"),
            f"## Text: {md(meta.jurisdiction_zh)} {md(source_id)}\n"]
    out += [_segment_html(source_id, segment) for segment in source_segments(source_id)]
    corrections = sources.load_corrections(source_id)
    out.append("## Manual corrections\n")
    if corrections:
        out.append(
            "Repairs of transmission damage, applied to the received text before cleaning "
            "(↵ is a line break):\n"
        )
        out.append(_corrections_html(corrections))
    else:
        out.append("None: the cleaned text comes from the received text by the cleaning rules alone.\n")
    return "\n".join(out)


def write_source_pages(book: Path, order: Sequence[str]) -> list[str]:
    """Write the page of each source in ``order`` under ``book``, delete the pages of sources that are gone;
    return the files written or kept (relative to ``book``)."""
    from policylib.book.pipeline import write_if_changed

    kept = [f"{source_page(s)}.md" for s in order]
    for source_id, rel in zip(order, kept, strict=True):
        write_if_changed(book / rel, source_document_page(source_id))
    for stale in (book / SOURCES_DIR).glob("*.md"):
        if stale.relative_to(book).as_posix() not in kept:
            stale.unlink()
    return kept


# --------------------------------------------------------------------------- intro page

def _profile_docname(jurisdiction: str, year: int) -> str:
    return f"profiles/{jurisdiction}-{year}"


def intro_page(title: str) -> str:
    """The introduction: scope, how to read the book and the jurisdiction-years covered."""
    from policylib import catalogue, sources

    local = catalogue.local_entries()
    standards = catalogue.national_standards()
    rows = []
    for entry in local:
        rules = catalogue.rules(entry.jurisdiction, entry.year)
        meta = sources.load_meta(rules.source)
        number = meta.document_number or _not_stated(meta.document_number_note)
        issued = meta.issued.isoformat() if meta.issued else _not_stated(meta.issued_note)
        profile = _profile_docname(entry.jurisdiction, entry.year)
        rows.append([
            f"{md(entry.name_zh)} ({md(entry.name_en)})",
            md(LEVEL_GLOSS.get(entry.level, entry.level)),
            str(entry.year),
            f"{{ref}}`{role_text(number)} <{source_label(rules.source)}>`",
            md(issued),
            f"{{doc}}`Profile <{profile}>`",
        ])
    national_rows = []
    for std in standards:
        seen = "seen in the reprints" if std.document_seen else "not seen in the reprints (expected number)"
        national_rows.append([
            str(std.standard_year),
            str(std.governs_coverage_year),
            f"{{ref}}`{role_text(std.document)} <{source_label(std.source)}>`",
            md(seen),
        ])
    years = [s.standard_year for s in standards]
    span = f"{min(years)}–{max(years)}" if years else "none"
    out = [
        HEADER,
        f"# {md(title)}\n",
        "This book compares the rules of China's urban and rural resident basic medical insurance "
        "(城乡居民基本医疗保险, 居民医保) as local notices set them for each year's contribution drive "
        "(征缴工作): the personal contribution (个人缴费) and the fiscal subsidy (财政补助), who is "
        "assisted (资助参保) and by how much, the collection window (集中征缴期), when cover starts "
        "and the waiting periods (待遇享受等待期), and the deadlines the administrations set "
        "themselves.\n",
        "## How to read this book\n",
        "- **Jurisdiction profiles**: one page per jurisdiction and coverage year, with every rule of "
        "its notice.\n"
        "- **Comparisons**: the same rules side by side across jurisdiction-years and against the "
        "national minimum standards.\n"
        "- **Training**: worked cases for the staff who apply the rules.\n"
        "- **Reference**: a {doc}`primer <primer>` on how the drive works, the {doc}`methods <methods>`, "
        "how to {doc}`add a jurisdiction <add-jurisdiction>`, the {doc}`rule file reference <schema>`, "
        "a {doc}`glossary <glossary>`, the "
        "{doc}`sources <sources>` and the {doc}`downloads <downloads>`.\n",
        "Every figure is cited: a link takes you to its clause on its document's page (listed on the "
        "{doc}`sources <sources>` page). "
        "What a notice does not state is shown as *not stated*, with the document it refers to where "
        "it names one; it is never filled in.\n",
        "## Jurisdiction-years covered\n",
        _table(
            ["Jurisdiction", "Level", "Coverage year", "Source document number", "Date issued", "Profile"],
            rows,
        ),
        f"## National standards {span}\n",
        "The national minimum standards, one notice a year, are known here from press reprints "
        "(secondary evidence). The standard for year N governs the contributions collected in the "
        "autumn of year N for coverage year N+1.\n",
        _table(["Standard year", "Governs coverage year", "Document", "Document number"], national_rows),
    ]
    return "\n".join(out)


# --------------------------------------------------------------------------- glossary page

GLOSSARY: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Schemes and financing", (
        ("城乡居民基本医疗保险（居民医保）", "urban and rural resident basic medical insurance"),
        ("职工基本医疗保险（职工医保）", "employee basic medical insurance"),
        ("个人缴费", "personal contribution, paid by the insured resident"),
        ("个人缴费标准", "personal contribution standard: the amount per person per year"),
        ("财政补助", "fiscal subsidy: the governments' contribution per insured person"),
        ("人均财政补助标准", "per-capita fiscal subsidy standard"),
        ("不低于", "at least: a floor, not an exact figure"),
        ("筹资标准", "financing standard: personal contribution plus fiscal subsidy"),
        ("大病保险", "critical-illness insurance, funded from the resident insurance pool"),
        ("医疗救助基金", "medical assistance fund"),
        ("城乡医疗救助资金", "urban and rural medical assistance funds"),
        ("政府分担比例", "shares of a cost borne by each level of government"),
    )),
    ("Assistance", (
        ("资助参保", "assisted enrolment: the personal contribution paid in full or in part by public funds"),
        ("全额资助", "full assistance: the whole personal contribution is paid"),
        ("定额资助", "fixed-amount assistance"),
        ("差额资助", "partial assistance: part of the personal contribution is paid"),
        ("就高不就低", "the highest single help only, no stacking (for people in several groups)"),
        ("不重复享受", "not received twice"),
        ("低保", "minimum living allowance (最低生活保障)"),
        ("特困人员", "persons in extreme poverty (特困供养人员, supported by the state)"),
    )),
    ("Enrolment and payment", (
        ("征缴工作", "contribution drive: the yearly collection of contributions"),
        ("集中征缴期", "concentrated collection period: the main payment window (also 集中参保期)"),
        ("零星缴费", "occasional payment outside the collection window"),
        ("全年动态参保", "year-round enrolment: a group may enrol at any time of the year"),
        ("动态参保", "rolling enrolment within a set period after an event"),
        ("参保登记", "enrolment registration"),
        ("应保尽保", "cover everyone who should be covered"),
        ("退保", "withdrawal from the insurance (and refund)"),
        ("待遇享受期", "coverage period (also 待遇保障周期)"),
        ("待遇享受等待期", "waiting period before benefits start (等待期)"),
        ("固定待遇等待期", "fixed waiting period"),
        ("变动待遇等待期", "variable waiting period, longer for each year without cover"),
        ("中断缴费", "lapse in contributions"),
    )),
    ("People and events", (
        ("新生儿", "newborns"),
        ("监护人", "guardian"),
        ("退出现役", "discharge from active military service"),
        ("刑满释放", "release from prison after serving a sentence"),
        ("外出务工人员", "migrant workers working outside the county"),
        ("户籍", "household registration (hukou)"),
        ("居住证", "residence permit"),
    )),
    ("Documents", (
        ("通知", "notice"),
        ("实施方案", "implementation plan"),
        ("印发", "to issue (a document)"),
        ("文号", "document number, e.g. 医保发〔2020〕24号"),
        ("序言", "preamble: the text before the first numbered heading"),
        ("落款", "signature block: issuers and date"),
        ("附件", "annex"),
        ("医疗保障局（医保局）", "healthcare security administration"),
        ("税务局", "tax service"),
        ("财政厅 / 财政局", "department / bureau of finance"),
    )),
)


def glossary_page() -> str:
    """The glossary: the canonical categories of assisted people, then procedural terms."""
    from policylib import catalogue

    categories = catalogue.categories().categories
    names = {c.id: c.name_zh for c in categories}
    rows = [
        [md(c.name_zh), md(c.gloss), f"`{c.id}`", md(f"{names.get(c.parent, c.parent)}") if c.parent else ""]
        for c in categories
    ]
    out = [
        HEADER,
        "# Glossary\n",
        "Official Chinese terms as the notices write them, with the English gloss used in this book.\n",
        "## Categories of assisted people\n",
        "The canonical categories (`rules/categories.yaml`) to which each rule file maps the groups "
        "its notice names. A category with a parent is a subdivision some jurisdictions make.\n",
        _table(["Chinese", "English", "Category id", "Subdivision of"], rows),
    ]
    for section, terms in GLOSSARY:
        out.append(f"## {md(section)}\n")
        out.append(_table(["Chinese", "English"], [[md(zh), md(en)] for zh, en in terms]))
    return "\n".join(out)


# --------------------------------------------------------------------------- downloads

DOWNLOADS_DIR = "downloads"
TABLE_DESCRIPTIONS = {
    "financing": "Financing of each jurisdiction-year beside the national minimum",
    "national_series": "National minimum standards by year",
    "assisted_matrix": "Assisted and excluded groups by canonical category",
    "assisted_pivot": "Assistance by category and jurisdiction-year (pivot)",
    "start_rules": "Start-of-cover rules by circumstance",
    "coverage_start_series": "Start of cover by payment date",
    "calendar_events": "Coverage period, payment windows, extensions and milestones",
    "changes": "Changes between years, national and local",
    "unstated": "What the notices do not state, and the interpretations",
    "waiting_compliance": "Waiting periods against the national rule",
    "data_dictionary": "Data dictionary: every column of every file, its meaning, unit and type",
}
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_TIMESTAMPS = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")


def stable_xlsx(data: bytes) -> bytes:
    """An XLSX workbook with its timestamps removed, so that equal tables give equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_TIMESTAMPS.sub(b"", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, content)
    return out.getvalue()


def write_bytes_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless the file already holds exactly those bytes; say whether it wrote."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def export_downloads(directory: Path, version: Version | None = None) -> list[Path]:
    """Every comparison table as CSV and XLSX and the rules as JSON, in ``directory``.

    Files are written only when their bytes change (XLSX timestamps removed); files of tables
    that no longer exist are deleted. Returns the files, sorted.
    """
    from policylib import compare

    directory.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="policylib-export-"))
    try:
        root = project_root()
        written = compare.export_all(tmp, version=version or build_version(root), base_url=base_url(root))
        kept: list[Path] = []
        for path in written:
            data = path.read_bytes()
            if path.suffix == ".xlsx":
                data = stable_xlsx(data)
            target = directory / path.name
            write_bytes_if_changed(target, data)
            kept.append(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for stale in directory.iterdir():
        if stale.is_file() and stale not in kept:
            stale.unlink()
    return sorted(kept)


def downloads_page(files: Sequence[Path], version: Version | None = None) -> str:
    """The downloads page: the version, a row per table with its CSV and XLSX, the rules as JSON, then the
    data dictionary (read from the downloaded ``data_dictionary.csv`` among ``files``)."""
    from policylib.compare import DICTIONARY

    stems = sorted({p.stem for p in files if p.suffix in (".csv", ".xlsx")}, key=lambda s: (
        list(TABLE_DESCRIPTIONS).index(s) if s in TABLE_DESCRIPTIONS else len(TABLE_DESCRIPTIONS), s))
    names = {p.name for p in files}
    rows = []
    for stem in stems:
        links = [
            f"{{download}}`{ext.upper()} <{DOWNLOADS_DIR}/{stem}.{ext}>`"
            for ext in ("csv", "xlsx")
            if f"{stem}.{ext}" in names
        ]
        rows.append([md(TABLE_DESCRIPTIONS.get(stem, stem.replace("_", " "))), " · ".join(links)])
    out = [
        HEADER,
        "# Downloads\n",
        f"Version of these files: {md(version.text()) if version else 'unknown'}. Each XLSX file has it on its "
        "`about` sheet, `rules.json` in its `version` field, and the data dictionary in its first row.\n",
        "Every comparison table of the book, as CSV (UTF-8 with byte-order mark, opens in Excel) and "
        "as XLSX. Each figure row carries its citation: `source`, `clause`, `anchor` (the clause's "
        "anchor on its document's page, listed under {doc}`sources <sources>`) and `url` (its address). "
        "Values a notice does not state "
        "are empty, with `not stated` in the status column. Amounts are whole yuan; a figure that is a floor "
        "or a ceiling keeps its flag beside it (`…_at_least`, `…_upper_bound`). A text cell that begins with "
        "`=`, `+`, `-` or `@` is written with a leading apostrophe in the CSV (and as text in the XLSX), so that "
        "a spreadsheet shows it instead of running it as a formula.\n",
        _table(["Table", "Files"], rows),
    ]
    for name in sorted(n for n in names if n.endswith(".json")):
        out.append(
            f"All rule files and the canonical categories as one JSON document: "
            f"{{download}}`{name} <{DOWNLOADS_DIR}/{name}>`.\n"
        )
    dictionary = next((p for p in files if p.name == f"{DICTIONARY}.csv"), None)
    if dictionary is not None:
        import csv

        with dictionary.open(encoding="utf-8-sig", newline="") as f:
            entries = [r for r in csv.DictReader(f) if r["column"] != "(version)"]
        out.append("## Data dictionary\n")
        out.append("Every column of every file: what it means, its unit and its type (also as "
                   f"{{download}}`CSV <{DOWNLOADS_DIR}/{DICTIONARY}.csv>`).\n")
        by_file: dict[str, list[dict[str, str]]] = {}
        for entry in entries:
            by_file.setdefault(entry["file"], []).append(entry)
        for file, columns in by_file.items():
            stem = file.split(".")[0]
            out.append(f"### {md(TABLE_DESCRIPTIONS.get(stem, stem.replace('_', ' ')))}\n")
            out.append(f"File: {md(file)}\n")
            out.append("\n".join(_column_line(c) for c in columns) + "\n")
    return "\n".join(out)


def _column_line(column: dict[str, str]) -> str:
    """One column of a download, as a list item: its name, meaning, unit and type."""
    kind = ", ".join(x for x in (column["unit"], column["type"]) if x)
    return f"- {_column_name(column['column'])}: {md(column['meaning'])} ({md(kind)})"


def _column_name(name: str) -> str:
    """A column's header as written in the file: code for an identifier, escaped bold text otherwise."""
    return f"`{name}`" if re.fullmatch(r"[A-Za-z0-9_]+", name) else f"**{md(name)}**"


# --------------------------------------------------------------------------- writing

# the pages write_pages writes, besides one per source document under sources/ (write_source_pages)
GENERATED_PAGES = ("intro", "sources", "glossary", "downloads", "schema")


def write_pages(book: Path, title: str) -> list[str]:
    """Write the generated pages, a page per source document and the downloads under ``book``; return the files
    (relative, sorted)."""
    from policylib import calculator
    from policylib.book.pipeline import write_if_changed
    from policylib.book.schema_page import schema_page

    version = build_version(project_root())
    files = export_downloads(book / DOWNLOADS_DIR, version)
    order = _source_order()
    pages = {
        "intro": intro_page(title),
        "sources": sources_page(order),
        "glossary": glossary_page(),
        "downloads": downloads_page(files, version),
        "schema": schema_page(),
    }
    for name, text in pages.items():
        write_if_changed(book / f"{name}.md", text)
    files += calculator.write(book)
    rel = [f"{name}.md" for name in pages] + write_source_pages(book, order)
    rel += [p.relative_to(book).as_posix() for p in files]
    return sorted(rel)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m policylib.book.pages BOOK_DIR TITLE``: write the pages, print the files as JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m policylib.book.pages BOOK_DIR TITLE", file=sys.stderr)
        return 2
    try:
        written = write_pages(Path(args[0]), args[1])
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(written, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
