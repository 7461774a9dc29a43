"""The cleaned source texts as the check uses them: each ``clean.txt`` with its clauses, whether a quote lies
in the clause it cites, and whether ``clean.txt`` is what ``received.txt``, ``meta.yaml`` and
``corrections.yaml`` give today."""

from __future__ import annotations

from pathlib import Path

from policylib import sources
from policylib.loader import Problem

REBUILD = "run `policylib sources --rebuild`"



class SourceTexts:
    """Cleaned source texts and their clauses, each loaded once."""

    def __init__(self) -> None:
        self._texts: dict[str, str | None] = {}
        self._clauses: dict[str, dict[str, str]] = {}
        self._errors: dict[str, str] = {}

    def text(self, source_id: str) -> str | None:
        """The committed ``clean.txt`` of a source, or None when there is none."""
        if source_id not in self._texts:
            try:
                self._texts[source_id] = sources.clean_text(source_id)
            except (sources.SourceError, OSError) as exc:
                self._texts[source_id] = None
                self._errors[source_id] = str(exc)
        return self._texts[source_id]

    def why_missing(self, source_id: str) -> str:
        """Why a source's text is missing: an unknown source, or a clean.txt that cannot be read."""
        error = self._errors.get(source_id, "")
        if not error or error.startswith(("unknown source", "missing file")):
            return f"unknown source '{source_id}' (no sources/{source_id}/clean.txt)"
        return f"the text of source '{source_id}' cannot be read: {error}"

    @property
    def requested(self) -> list[str]:
        """Ids of the sources asked for so far."""
        return list(self._texts)

    @staticmethod
    def exists(source_id: str) -> bool:
        """Whether a source id names a source directory (one holding a meta.yaml)."""
        if not sources.SOURCE_ID.fullmatch(source_id):
            return False
        return (sources.sources_dir() / source_id / sources.META_FILE).is_file()

    def clauses(self, source_id: str) -> dict[str, str]:
        """Clause path -> its text with its sub-clauses (the clause split of the source's page in the book)."""
        if source_id not in self._clauses:
            from policylib.book.pages import clause_texts, parse_clauses  # the clause split of the book

            text = self.text(source_id) or ""
            try:
                meta = sources.load_meta(source_id)
                kind, issuers = meta.kind, meta.issuers
            except sources.SourceError:
                kind, issuers = "official_notice", []
            self._clauses[source_id] = clause_texts(parse_clauses(text, kind, issuers))
        return self._clauses[source_id]

    def clause_problem(self, source_id: str, clause: str, quote: str) -> str | None:
        """None when the quote lies in the clause it cites; else what is wrong."""
        clauses = self.clauses(source_id)
        if quote in clauses.get(clause, ""):
            return None
        holding = [c for c, text in clauses.items() if quote in text]
        deepest = [c for c in holding if not any(o != c and o.startswith(c) for o in holding)]
        where = f"it lies in clause {' / '.join(deepest)}" if deepest else "it spans more than one clause"
        if clause not in clauses:
            return f"sources/{source_id}/clean.txt has no clause '{clause}' ({where})"
        return f"the quote does not lie in clause '{clause}' of sources/{source_id}/clean.txt ({where})"


def _first_difference(old: str, new: str) -> int:
    """1-based number of the first line where two texts differ."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if a != b:
            return number
    return min(len(old_lines), len(new_lines)) + 1


def clean_problems(source_id: str) -> list[Problem]:
    """Problems of a source's ``clean.txt``: missing, or not what its received text and corrections give."""
    directory = sources.sources_dir() / source_id
    clean = directory / sources.CLEAN_FILE
    try:
        built = sources.build_clean(source_id)
    except sources.SourceFileError:
        return []  # meta.yaml or corrections.yaml is invalid: reported by the source check
    except sources.SourceError as exc:
        return [Problem(directory / sources.CORRECTIONS_FILE, None, "",
                        f"clean.txt cannot be rebuilt: {exc}")]
    if not clean.is_file():
        return [Problem(clean, None, "", f"missing file: the cleaned text of the notice; {REBUILD}")]
    try:
        current = clean.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        current = ""
    if current == built:
        return []
    line = _first_difference(current, built)
    return [Problem(Path(clean), line, "",
                    f"out of date: from line {line} it differs from what received.txt, meta.yaml and "
                    f"corrections.yaml give; {REBUILD}")]
