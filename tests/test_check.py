"""`policylib check`: broken rule files are rejected with a message naming file, line and field.

Every broken file is a small mutation of a copy of a real rule file, checked in a temporary
project root (a copy of ``rules/`` and ``sources/`` selected with ``POLICYLIB_HOME``) by running
the command line in a subprocess, as a user would.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cli_runner import run_cli

from policylib import loader
from policylib.check import number_in
from policylib.loader import MAX_BYTES, RuleFileError
from policylib.paths import ENV_HOME

ROOT = Path(__file__).resolve().parent.parent
GUIZHOU = "guizhou-2021.yaml"
LANGXI = "langxi-2025.yaml"

# Snippets of the real Guizhou rule file that the mutations change.
PERSONAL = "  personal_contribution:\n    amount: 280\n"
MAIN_WINDOW = "      start: 2020-11-16\n      end: 2021-03-31\n"
POOR_QUOTE = "建档立卡贫困人口个人缴费按照每人140元标准予以资助"
POOR_AMOUNT = f'    amount: 140\n    cite: {{clause: 二（一）1, quote: "{POOR_QUOTE}"}}\n'
LATE_TOTAL_QUOTE = "按年度个人缴费标准和政府补助标准之和（830元）"


# --------------------------------------------------------------------------- helpers




def replace_once(text: str, old: str, new: str) -> str:
    """Replace a snippet that must occur exactly once in the real rule file."""
    found = text.count(old)
    assert found == 1, f"the snippet {old!r} occurs {found} times in the rule file; update the mutation"
    return text.replace(old, new)


def line_of(text: str, marker: str) -> int:
    """1-based number of the line where the first occurrence of ``marker`` (maybe several lines) starts."""
    found = text.find(marker)
    assert found >= 0, f"marker {marker!r} not found in the mutated file"
    return text.count("\n", 0, found) + 1


def edit(old: str, new: str) -> Callable[[str], str]:
    """A mutation replacing one snippet of the real rule file."""
    return lambda text: replace_once(text, old, new)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary project root holding copies of rules/ and sources/, selected via POLICYLIB_HOME."""
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    monkeypatch.setenv(ENV_HOME, str(tmp_path))
    return tmp_path


# --------------------------------------------------------------------------- the breakages


def billion_laughs(text: str) -> str:
    """Append a top-level key holding nine levels of anchors and aliases (10**9 strings if built)."""
    names = "abcdefghi"
    lols = ", ".join(['"lol"'] * 10)
    lines = ["lol:", f"  {names[0]}: &{names[0]} [{lols}]"]
    for previous, name in itertools.pairwise(names):
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    return text + "\n".join(lines) + "\n"


def share_payer_by_anchor(text: str) -> str:
    """Write Langxi's medical-assistance payer once with an anchor and reuse it with an alias."""
    quote = "通过城乡医疗救助资金对困难群众参加居民医保的个人缴费部分予以分类资助"
    payer = (
        "    payer:\n"
        "      kind: medical_assistance_fund\n"
        "      name_zh: 城乡医疗救助资金\n"
        f'      cite: {{clause: 三（二）, quote: "{quote}"}}\n'
    )
    tekun, rest = text.split(payer, 1)
    return tekun + payer.replace("payer:", "payer: &assist", 1) + rest.replace(payer, "    payer: *assist\n", 1)


def python_object_tag(text: str) -> str:
    return replace_once(
        text, "name_en: Guizhou\n", 'name_en: !!python/object/apply:os.system ["touch pwned-by-rule-file"]\n'
    )


def oversized(text: str) -> str:
    padding = "# " + "填充" * 40 + "\n"
    copies = MAX_BYTES // len(padding.encode("utf-8")) + 10
    return text + padding * copies


@dataclass(frozen=True)
class Breakage:
    """One way to break a rule file, and the problem line `policylib check` must print for it.

    ``line`` is a marker found on the expected line of the mutated file, an explicit line number,
    or None for a problem of the whole file (size, encoding), which has no line.
    ``field`` and ``message`` are regular expressions.
    """

    id: str
    rule_file: str
    mutate: Callable[[str], str | bytes]
    line: str | int | None
    field: str
    message: str


BREAKAGES = [
    Breakage(
        "alias_bomb",
        GUIZHOU,
        billion_laughs,
        "&a ",
        re.escape("(file)"),
        re.escape("YAML anchor &a is not allowed"),
    ),
    Breakage(
        "anchor_for_sharing",
        LANGXI,
        share_payer_by_anchor,
        "payer: &assist",
        re.escape("(file)"),
        re.escape("YAML anchor &assist is not allowed"),
    ),
    Breakage(
        "python_object_tag",
        GUIZHOU,
        python_object_tag,
        "!!python/object/apply",
        re.escape("(file)"),
        re.escape("YAML tag tag:yaml.org,2002:python/object/apply:os.system is not allowed"),
    ),
    Breakage(
        "invalid_yaml_syntax",
        GUIZHOU,
        edit("level: province\n", "level: province: city\n"),
        "level: province: city",
        re.escape("(file)"),
        re.escape("not valid YAML: mapping values are not allowed"),
    ),
    Breakage(
        "duplicate_key",
        GUIZHOU,
        edit("source: guizhou-2021\n", "source: guizhou-2021\ncoverage_year: 2022\n"),
        "coverage_year: 2022",
        re.escape("coverage_year"),
        re.escape("key appears twice"),
    ),
    Breakage(
        "unknown_field_typo",
        GUIZHOU,
        edit("    amount: 550\n    at_least: true\n", "    amount: 550\n    at_lest: true\n"),
        "at_lest: true",
        re.escape("financing.fiscal_subsidy.at_lest"),
        re.escape("unknown field (check the spelling against policylib/model.py)"),
    ),
    Breakage(
        "missing_required_field",
        GUIZHOU,
        edit("    - id: main\n      name_zh: 集中征缴期\n", "    - id: main\n"),
        "- id: main",
        re.escape("enrolment.windows[0].name_zh"),
        re.escape("required field is missing"),
    ),
    Breakage(
        "stated_window_without_end",
        GUIZHOU,
        edit(MAIN_WINDOW, "      start: 2020-11-16\n"),
        "- id: main",
        re.escape("enrolment.windows[0]"),
        re.escape("window 'main' has no end: say status: not_stated, with a note"),
    ),
    Breakage(
        "wrong_type",
        GUIZHOU,
        edit(PERSONAL, PERSONAL.replace("280", "abc")),
        "amount: abc",
        re.escape("financing.personal_contribution.amount"),
        r"Input should be a valid integer.*\(got 'abc'\)",
    ),
    Breakage(
        "quote_not_in_source",
        GUIZHOU,
        edit('"财政补助每人不低于550元"', '"财政补助每人不少于550元"'),
        "财政补助每人不少于550元",
        re.escape("financing.fiscal_subsidy.cite[0].quote"),
        re.escape("quote not found verbatim in sources/guizhou-2021/clean.txt: '财政补助每人不少于550元'"),
    ),
    Breakage(
        "number_not_in_quote",
        GUIZHOU,
        edit(PERSONAL, PERSONAL.replace("280", "290")),
        "amount: 290",
        re.escape("financing.personal_contribution.amount"),
        re.escape("290 does not appear in its citation's quote"),
    ),
    Breakage(
        "date_not_in_quote",
        GUIZHOU,
        edit(MAIN_WINDOW, MAIN_WINDOW.replace("2020-11-16", "2020-11-17")),
        "start: 2020-11-17",
        re.escape("enrolment.windows[0].start"),
        re.escape("2020-11-17 does not appear in its citation's quote"),
    ),
    Breakage(
        "unknown_category",
        GUIZHOU,
        edit("    category: dibao\n", "    category: dibao_rural_9\n"),
        "category: dibao_rural_9",
        r"assisted_groups\[\d+\]\.category",
        re.escape("unknown category 'dibao_rural_9'"),
    ),
    Breakage(
        "window_ends_before_it_starts",
        GUIZHOU,
        edit(MAIN_WINDOW, MAIN_WINDOW.replace("2021-03-31", "2020-03-31")),
        "- id: main",
        re.escape("enrolment.windows[0]"),
        re.escape("window 'main' starts 2020-11-16 after it ends 2020-03-31"),
    ),
    Breakage(
        "assistance_above_contribution",
        GUIZHOU,
        edit(POOR_AMOUNT, f'    amount: 830\n    cite: {{clause: 二（一）1, quote: "{LATE_TOTAL_QUOTE}"}}\n'),
        "    amount: 830\n    cite: {clause: 二（一）1",
        r"assisted_groups\[\d+\]\.amount",
        re.escape("assistance 830 is above the personal contribution 280"),
    ),
    Breakage(
        "unknown_window_in_start_rule",
        GUIZHOU,
        edit("window: single_payment}", "window: single_paymnt}"),
        "window: single_paymnt",
        r"coverage\.start_rules\[\d+\]\.when\[0\]\.window",
        re.escape("unknown window 'single_paymnt'; windows: main, single_payment"),
    ),
    Breakage(
        "unknown_source",
        GUIZHOU,
        edit('cite: {clause: 一, quote: "财政补助每人不低于550元"}',
             'cite: {source: guizhou-2012, clause: 一, quote: "财政补助每人不低于550元"}'),
        "source: guizhou-2012",
        re.escape("financing.fiscal_subsidy.cite[0].source"),
        re.escape("unknown source 'guizhou-2012' (no sources/guizhou-2012/clean.txt)"),
    ),
    Breakage(
        "stated_value_without_citation",
        GUIZHOU,
        edit('    amount: 280\n    cite: {clause: 一, quote: "2021年度城乡居民医保个人缴费标准确定为每人280元"}\n',
             "    amount: 280\n"),
        "personal_contribution:",
        re.escape("financing.personal_contribution"),
        re.escape("a stated value needs at least one citation under 'cite'"),
    ),
    Breakage(
        "oversized_file",
        GUIZHOU,
        oversized,
        None,
        re.escape("(file)"),
        re.escape(f"file is larger than {MAX_BYTES // 1024} KiB"),
    ),
    Breakage(
        "not_utf8",
        GUIZHOU,
        lambda t: t.encode("gb18030"),
        None,
        re.escape("(file)"),
        r"not UTF-8 \(byte \d+\)",
    ),
    Breakage(
        "empty_file",
        GUIZHOU,
        lambda t: "",
        1,
        re.escape("(file)"),
        re.escape("file is empty"),
    ),
]


def break_file(project: Path, breakage: Breakage) -> tuple[Path, str | None]:
    """Write the mutated copy; return its path and its text (None when it is not UTF-8)."""
    path = project / "rules" / breakage.rule_file
    mutated = breakage.mutate(path.read_text(encoding="utf-8"))
    data = mutated.encode("utf-8") if isinstance(mutated, str) else mutated
    path.write_bytes(data)
    try:
        return path, data.decode("utf-8")
    except UnicodeDecodeError:
        return path, None


def expected_line(breakage: Breakage, text: str | None) -> int | None:
    if breakage.line is None or isinstance(breakage.line, int):
        return breakage.line
    assert text is not None
    return line_of(text, breakage.line)


def assert_rejected(result: subprocess.CompletedProcess[str], path: Path, line: int | None, field: str,
                    message: str) -> None:
    """Exit 1; stderr has a line ``<path>:<line>: <field>: <message>``; no traceback; nothing on stdout."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""
    # A problem of the whole file has no line; a line number there is accepted as well.
    where = re.escape(f"{path}:{line}") if line is not None else re.escape(str(path)) + r"(?::\d+)?"
    pattern = re.compile(rf"^{where}: {field}: {message}", re.MULTILINE)
    assert pattern.search(result.stderr), f"expected /{pattern.pattern}/ in:\n{result.stderr}"
    assert re.search(r"^check failed: \d+ problem\(s\)$", result.stderr, re.MULTILINE)


# --------------------------------------------------------------------------- tests: breakages


@pytest.mark.parametrize("breakage", BREAKAGES, ids=[b.id for b in BREAKAGES])
def test_broken_file_is_rejected(project: Path, breakage: Breakage) -> None:
    path, text = break_file(project, breakage)
    result = run_cli("check", str(path), cwd=project, home=project)
    assert_rejected(result, path, expected_line(breakage, text), breakage.field, breakage.message)


@pytest.mark.parametrize("breakage", [b for b in BREAKAGES if b.id in ("number_not_in_quote", "unknown_category")],
                         ids=lambda b: b.id)
def test_broken_file_is_found_by_a_whole_tree_check(project: Path, breakage: Breakage) -> None:
    path, text = break_file(project, breakage)
    result = run_cli("check", cwd=project, home=project)
    assert_rejected(result, path, expected_line(breakage, text), breakage.field, breakage.message)


def test_alias_bomb_fails_fast(project: Path) -> None:
    bomb = next(b for b in BREAKAGES if b.id == "alias_bomb")
    path, _ = break_file(project, bomb)
    started = time.monotonic()
    result = run_cli("check", str(path), cwd=project, home=project)
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert elapsed < 5.0, f"checking the alias bomb took {elapsed:.1f} s"


def test_alias_bomb_is_refused_before_any_node_is_built(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = next(b for b in BREAKAGES if b.id == "alias_bomb")
    path, _ = break_file(project, bomb)

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the loader built YAML nodes or data for a file with aliases")

    monkeypatch.setattr(loader.yaml, "compose", must_not_run)
    monkeypatch.setattr(loader.yaml, "safe_load", must_not_run)
    monkeypatch.setattr(loader.yaml, "load", must_not_run)
    with pytest.raises(RuleFileError) as caught:
        loader.read_yaml(path)
    [problem] = caught.value.problems
    assert "anchor &a" in problem.message


def test_anchor_mutation_changes_only_the_form(project: Path) -> None:
    """The anchored file holds the same data as the real one: it is refused for its form alone."""
    text = (project / "rules" / LANGXI).read_text(encoding="utf-8")
    shared = share_payer_by_anchor(text)
    assert shared != text
    assert yaml.safe_load(shared) == yaml.safe_load(text)


def test_python_tag_is_not_executed(project: Path) -> None:
    tag = next(b for b in BREAKAGES if b.id == "python_object_tag")
    path, _ = break_file(project, tag)
    result = run_cli("check", str(path), cwd=project, home=project)
    assert result.returncode == 1
    assert not (project / "pwned-by-rule-file").exists()


def test_problems_in_several_files_are_all_reported(project: Path) -> None:
    typo = next(b for b in BREAKAGES if b.id == "unknown_field_typo")
    anchor = next(b for b in BREAKAGES if b.id == "anchor_for_sharing")
    typo_path, _ = break_file(project, typo)
    anchor_path, _ = break_file(project, anchor)
    result = run_cli("check", cwd=project, home=project)
    assert result.returncode == 1
    assert str(typo_path) in result.stderr
    assert str(anchor_path) in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- breakages that currently crash
#
# Each of these makes `policylib check` end in a Python traceback instead of a problem line;
# they are kept as strict expected failures so that a fix is noticed.

CRASHES = [
    Breakage(
        "second_yaml_document",
        GUIZHOU,
        lambda t: t + "---\nschema_version: 1\n",
        "---\nschema_version: 1",
        re.escape("(file)"),
        "not valid YAML",
    ),
    Breakage(
        "control_character",
        GUIZHOU,
        edit("name_en: Guizhou\n", "name_en: Gui\x07zhou\n"),
        None,
        re.escape("(file)"),
        r".*",
    ),
    Breakage(
        "impossible_date",
        GUIZHOU,
        edit(MAIN_WINDOW, MAIN_WINDOW.replace("2021-03-31", "2021-02-30")),
        "end: 2021-02-30",
        r"(\(file\)|enrolment\.windows\[0\]\.end)",
        r".*",
    ),
    Breakage(
        "sequence_as_mapping_key",
        GUIZHOU,
        edit("name_en: Guizhou\n", "name_en: Guizhou\n? [a, b]\n: c\n"),
        "? [a, b]",
        r".*",
        r".*",
    ),
]


@pytest.mark.parametrize("breakage", CRASHES, ids=[b.id for b in CRASHES])
def test_broken_file_that_crashes_the_loader(project: Path, breakage: Breakage) -> None:
    path, text = break_file(project, breakage)
    result = run_cli("check", str(path), cwd=project, home=project)
    assert_rejected(result, path, expected_line(breakage, text), breakage.field, breakage.message)


def test_merge_key_is_rejected(project: Path) -> None:
    """A merge key is YAML sharing without an anchor; here it hides a second personal contribution."""
    breakage = Breakage(
        "merge_key",
        GUIZHOU,
        edit(PERSONAL, PERSONAL.replace("    amount: 280", "    <<: {amount: 290}\n    amount: 280")),
        "<<: {amount: 290}",
        r".*",
        r".*",
    )
    path, text = break_file(project, breakage)
    result = run_cli("check", str(path), cwd=project, home=project)
    assert_rejected(result, path, expected_line(breakage, text), breakage.field, breakage.message)


def test_large_numbers_are_found_in_their_quote() -> None:
    assert number_in(1_000_000, "资金1000000元")
    assert number_in(1_200_000, "资金1200000元")


def test_numbers_are_matched_whole() -> None:
    assert number_in(280, "个人缴纳280元/人")
    assert not number_in(28, "个人缴纳280元/人")
    assert not number_in(80, "个人缴纳280元/人")
    assert not number_in(90, "90.5元")
    assert number_in(98, "覆盖率超过98%")


# --------------------------------------------------------------------------- tests: the real tree


def test_real_tree_passes() -> None:
    result = run_cli("check", cwd=ROOT, home=None)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ok: ")
    files = len([p for p in (ROOT / "rules").glob("*.yaml") if p.name != "categories.yaml"])
    assert f"{files} rule files" in lines[0]


def test_single_file_path(project: Path) -> None:
    result = run_cli("check", str(project / "rules" / GUIZHOU), cwd=project, home=project)
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith("ok: 1 rule files:")


def test_single_relative_path_in_the_checkout() -> None:
    result = run_cli("check", f"rules/{LANGXI}", cwd=ROOT, home=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 1 rule files:")


def test_single_broken_file_does_not_report_the_others(project: Path) -> None:
    typo = next(b for b in BREAKAGES if b.id == "unknown_field_typo")
    break_file(project, typo)
    result = run_cli("check", str(project / "rules" / LANGXI), cwd=project, home=project)
    assert result.returncode == 0, result.stderr


def test_nonexistent_path_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-rules.yaml"
    result = run_cli("check", str(missing), cwd=ROOT, home=None)
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert str(missing) in line
    assert "Traceback" not in result.stderr


def test_the_copied_tree_passes_before_mutation(project: Path) -> None:
    """The mutations above start from a clean copy: an unmutated copy passes."""
    result = run_cli("check", cwd=project, home=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


# --------------------------------------------------------------------------- tests: source files
#
# Each source's meta.yaml and corrections.yaml are read with the same hardened loader and
# checked against policylib.sources.SourceMeta / Correction by a whole-tree `policylib check`.

LANGXI_LAST_WHY = "  why: doubled word 工作"


def break_source_file(project: Path, source: str, name: str, old: str, new: str) -> tuple[Path, str]:
    """Replace one snippet in a copied source file; return its path and new text."""
    path = project / "sources" / source / name
    text = replace_once(path.read_text(encoding="utf-8"), old, new)
    path.write_text(text, encoding="utf-8")
    return path, text


def test_unknown_kind_in_corrections_is_rejected(project: Path) -> None:
    path, text = break_source_file(project, "langxi-2025", "corrections.yaml", LANGXI_LAST_WHY,
                                   "  kind: doubled_word\n" + LANGXI_LAST_WHY)
    result = run_cli("check", cwd=project, home=project)
    assert_rejected(result, path, line_of(text, "kind: doubled_word"), re.escape("[6].kind"),
                    re.escape("unknown field (check the spelling against policylib/sources.py)"))


def test_unknown_kind_value_in_meta_is_rejected(project: Path) -> None:
    path, text = break_source_file(project, "guizhou-2021", "meta.yaml", "kind: official_notice\n",
                                   "kind: notice\n")
    result = run_cli("check", cwd=project, home=project)
    assert_rejected(result, path, line_of(text, "kind: notice"), "kind",
                    re.escape("Input should be 'official_notice', 'secondary_reprint' or 'statute' (got 'notice')"))


def test_missing_required_meta_field_is_rejected(project: Path) -> None:
    path, _ = break_source_file(project, "guizhou-2021", "meta.yaml", "received_from: shared/seeds/", "# ")
    result = run_cli("check", cwd=project, home=project)
    assert_rejected(result, path, 1, "received_from", re.escape("required field is missing"))


def test_wrong_type_in_meta_is_rejected(project: Path) -> None:
    path, text = break_source_file(project, "zhaoqing-2021", "meta.yaml", "coverage_year: 2021\n",
                                   "coverage_year: next year\n")
    result = run_cli("check", cwd=project, home=project)
    assert_rejected(result, path, line_of(text, "coverage_year: next"), "coverage_year",
                    r"Input should be a valid integer.*\(got 'next year'\)")


def test_unknown_extra_key_in_meta_is_rejected(project: Path) -> None:
    path, text = break_source_file(project, "dongxiang-2021", "meta.yaml", "level: county\n",
                                   "level: county\nissuer_count: 2\n")
    result = run_cli("check", cwd=project, home=project)
    assert_rejected(result, path, line_of(text, "issuer_count"), "issuer_count",
                    re.escape("unknown field (check the spelling against policylib/sources.py)"))


def test_a_source_file_can_be_checked_alone(project: Path) -> None:
    path, text = break_source_file(project, "langxi-2025", "corrections.yaml", LANGXI_LAST_WHY,
                                   "  kind: doubled_word\n" + LANGXI_LAST_WHY)
    result = run_cli("check", str(path), cwd=project, home=project)
    assert_rejected(result, path, line_of(text, "kind: doubled_word"), re.escape("[6].kind"), "unknown field")
    assert "rules/" not in result.stderr
