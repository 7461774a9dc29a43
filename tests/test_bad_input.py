"""A corpus of broken input: each case is a real file of the project broken in one way, with the problem line
`policylib check` must print for it (file, line where there is one, field, reason), never a traceback.

The cases are grouped by class (YAML, types, bounds, fields, ids, order, references, citations, source ids,
file kinds, strings, categories, national files, meta, corrections, the rules/ tree). To keep the suite fast,
every file case is written into one copy of the project, under ``cases/<case id>/``, and all are checked by
one `policylib check <file>...` run; the cases that need the whole tree share a second copy checked whole.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_runner import run_cli
from test_check import (
    MAIN_WINDOW,
    PERSONAL,
    billion_laughs,
    line_of,
    oversized,
    python_object_tag,
    replace_once,
    share_payer_by_anchor,
)

from policylib.loader import MAX_BYTES
from policylib.model import LAST_DAY, MAX_DAYS, MAX_MONTHS, MAX_YUAN

ROOT = Path(__file__).resolve().parent.parent
G = "rules/guizhou-2021.yaml"
L = "rules/langxi-2025.yaml"
D = "rules/dongxiang-2021.yaml"
C = "rules/categories.yaml"
N21 = "rules/national-2021.yaml"
N24 = "rules/national-2024.yaml"
META = "sources/langxi-2025/meta.yaml"
CORR = "sources/langxi-2025/corrections.yaml"

FISCAL_CITE = 'cite: {clause: 一, quote: "财政补助每人不低于550元"}'
LATE_LENGTH = "length: 60, unit: days, include_bound: false}\n      cite:\n        - {clause: 四（二）"
NEWBORN_90 = ("      circumstance: newborn\n      when:\n        - {kind: paid_after_window, window: main}\n"
              "        - {kind: paid_within, event: born, length: 90, unit: days, include_bound: true}")
SOURCE_ID_RULE = "a source is named by its folder under sources/ (lowercase letters, digits and hyphens), not by a path"


@dataclass(frozen=True)
class Case:
    """One real file broken one way, and the problem line `policylib check` must print for it.

    ``line`` is a marker found on the expected line of the broken file, a line number, or None for a problem
    of the whole file (which may then carry a line or not). ``field`` is the field as printed ("(file)" for
    the file as a whole); ``message`` the start of the reason; both literal unless ``regex`` is set.
    ``make`` replaces writing the text: it creates the file (a pipe, a link) at the given path.
    """

    id: str
    group: str
    base: str
    mutate: Callable[[str], str | bytes]
    line: str | int | None
    field: str
    message: str
    regex: bool = False
    make: Callable[[Path], None] | None = None


def swap(old: str, new: str) -> Callable[[str], str]:
    return lambda text: replace_once(text, old, new)


def case(id: str, group: str, base: str, old: str, new: str, field: str, message: str,
         line: str | int | None = "", regex: bool = False) -> Case:
    """A case replacing one snippet; the expected line is where ``line`` (by default ``new``) starts."""
    marker = new.strip().splitlines()[0] if line == "" else line
    return Case(id, group, base, swap(old, new), marker, field, message, regex)


def whole(id: str, group: str, base: str, mutate: Callable[[str], str | bytes], message: str,
          line: str | int | None = None, field: str = "(file)", make: Callable[[Path], None] | None = None) -> Case:
    """A case of the file as a whole."""
    return Case(id, group, base, mutate, line, field, message, make=make)


def fifo(path: Path) -> None:
    os.mkfifo(path)


def link_to(target: str) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(target)


def as_directory(path: Path) -> None:
    path.mkdir()


def nested(depth: int) -> Callable[[str], str]:
    return lambda text: text + "deep: " + "[" * depth + "1" + "]" * depth + "\n"


def keep(text: str) -> str:
    return text


AMBIGUOUS = "is ambiguous: YAML 1.1 reads it as an octal, hexadecimal or sexagesimal number"
NOT_REGULAR = "not a regular file"

CASES = [
    # ---------------------------------------------------------------- YAML: syntax and unsafe constructs
    whole("alias_bomb", "yaml", G, billion_laughs, "YAML anchor &a is not allowed", line="&a "),
    whole("anchor_and_alias", "yaml", L, share_payer_by_anchor, "YAML anchor &assist is not allowed",
          line="payer: &assist"),
    whole("python_object_tag", "yaml", G, python_object_tag,
          "YAML tag tag:yaml.org,2002:python/object/apply:os.system is not allowed", line="!!python/object"),
    whole("explicit_int_tag", "yaml", G, swap(PERSONAL, '  personal_contribution:\n    amount: !!int "280"\n'),
          "YAML tag tag:yaml.org,2002:int is not allowed", line='!!int "280"'),
    whole("local_tag", "yaml", G, swap("name_en: Guizhou\n", "name_en: !province Guizhou\n"),
          "YAML tag !province is not allowed", line="!province"),
    case("merge_key", "yaml", G, PERSONAL, "  personal_contribution:\n    <<: {amount: 290}\n    amount: 280\n",
         "financing.personal_contribution", "YAML merge keys (<<) are not allowed", line="<<: {amount"),
    whole("mapping_value_in_scalar", "yaml", G, swap("level: province\n", "level: province: city\n"),
          "not valid YAML: mapping values are not allowed", line="level: province: city"),
    whole("tab_indentation", "yaml", G, swap(PERSONAL, "  personal_contribution:\n\tamount: 280\n"),
          "not valid YAML", line="\tamount: 280"),
    whole("unclosed_quote", "yaml", G, swap('quote: "财政补助每人不低于550元"}', 'quote: "财政补助每人不低于550元}'),
          "not valid YAML"),
    whole("second_document", "yaml", G, lambda t: t + "---\nschema_version: 1\n", "not valid YAML",
          line="---\nschema_version: 1"),
    case("duplicate_key", "yaml", G, "source: guizhou-2021\n", "source: guizhou-2021\ncoverage_year: 2022\n",
         "coverage_year", "key appears twice", line="coverage_year: 2022"),
    case("sequence_as_key", "yaml", G, "name_en: Guizhou\n", "name_en: Guizhou\n? [a, b]\n: c\n", "(file)",
         "a key must be plain text", line="? [a, b]"),
    whole("nesting_too_deep", "yaml", G, nested(60), "nesting deeper than 40 levels", line="deep: "),
    # ---------------------------------------------------------------- types: nothing is coerced
    case("money_as_quoted_text", "types", G, PERSONAL, '  personal_contribution:\n    amount: "280"\n',
         "financing.personal_contribution.amount", "Input should be a valid integer (got '280')", line='"280"'),
    case("money_with_str_tag", "types", G, PERSONAL, "  personal_contribution:\n    amount: !!str 280\n",
         "financing.personal_contribution.amount", "Input should be a valid integer (got '280')", line="!!str 280"),
    case("money_with_hidden_fraction", "types", G, PERSONAL,
         "  personal_contribution:\n    amount: 280.000000000000001\n",
         "financing.personal_contribution.amount", "Input should be a valid integer (got 280.0)",
         line="280.000000000000001"),
    case("money_in_yaml11_octal", "types", G, PERSONAL, "  personal_contribution:\n    amount: 0430\n",
         "financing.personal_contribution.amount", f"0430 {AMBIGUOUS}", line="amount: 0430"),
    case("money_in_hexadecimal", "types", G, PERSONAL, "  personal_contribution:\n    amount: 0x118\n",
         "financing.personal_contribution.amount", f"0x118 {AMBIGUOUS}", line="amount: 0x118"),
    case("money_in_sexagesimal", "types", G, PERSONAL, "  personal_contribution:\n    amount: 4:40\n",
         "financing.personal_contribution.amount", f"4:40 {AMBIGUOUS}", line="amount: 4:40"),
    case("money_with_underscore", "types", G, PERSONAL, "  personal_contribution:\n    amount: 2_80\n",
         "financing.personal_contribution.amount", f"2_80 {AMBIGUOUS}", line="amount: 2_80"),
    case("money_not_a_number", "types", G, PERSONAL, "  personal_contribution:\n    amount: .nan\n",
         "financing.personal_contribution.amount", "Input should be a valid integer (got '.nan')",
         line="amount: .nan"),
    case("date_as_unix_timestamp", "types", G, MAIN_WINDOW, "      start: 1605484800\n      end: 2021-03-31\n",
         "enrolment.windows[0].start", "Input should be a valid date (got 1605484800)"),
    case("date_as_quoted_text", "types", G, MAIN_WINDOW, '      start: "2020-11-16"\n      end: 2021-03-31\n',
         "enrolment.windows[0].start", "Input should be a valid date (got '2020-11-16')"),
    case("date_with_time", "types", G, MAIN_WINDOW, "      start: 2020-11-16 08:00:00\n      end: 2021-03-31\n",
         "enrolment.windows[0].start", "Input should be a valid date (got '2020-11-16 08:00:00')"),
    case("date_with_slashes", "types", G, MAIN_WINDOW, "      start: 2020/11/16\n      end: 2021-03-31\n",
         "enrolment.windows[0].start", "Input should be a valid date (got '2020/11/16')"),
    case("impossible_date", "types", G, MAIN_WINDOW, "      start: 2020-11-16\n      end: 2021-02-30\n",
         "enrolment.windows[0].end", "not a date: day is out of range for month", line="end: 2021-02-30"),
    case("boolean_as_yes", "types", G, "    at_least: true\n", "    at_least: yes\n",
         "financing.fiscal_subsidy.at_least", "Input should be a valid boolean (got 'yes')"),
    case("boolean_as_quoted_true", "types", G, "    at_least: true\n", '    at_least: "true"\n',
         "financing.fiscal_subsidy.at_least", "Input should be a valid boolean (got 'true')"),
    case("boolean_as_number", "types", G, "    at_least: true\n", "    at_least: 1\n",
         "financing.fiscal_subsidy.at_least", "Input should be a valid boolean (got 1)"),
    case("year_as_quoted_text", "types", G, "coverage_year: 2021\n", 'coverage_year: "2021"\n',
         "coverage_year", "Input should be a valid integer (got '2021')"),
    case("list_for_text", "types", G, "name_en: Guizhou\n", "name_en: [Guizhou]\n",
         "name_en", "Input should be a valid string (got ['Guizhou'])"),
    case("null_for_text", "types", G, "name_zh: 贵州省\n", "name_zh:\n", "name_zh",
         "Input should be a valid string (got None)"),
    case("ratio_as_fraction", "types", G, "{level: province, ratio: 5}", "{level: province, ratio: 5.0}",
         r"assisted_groups[0].cost_sharing[1].shares[0].ratio", "Input should be a valid integer (got 5.0)"),
    case("unknown_schema_version", "types", G, "schema_version: 1\n", "schema_version: 2\n",
         "schema_version", "Input should be 1 (got 2)"),
    case("unknown_level", "types", G, "level: province\n", "level: district\n",
         "level", "Input should be 'province', 'city' or 'county' (got 'district')"),
    # ---------------------------------------------------------------- bounds, also under an interpretation
    case("wait_of_a_trillion_days", "bounds", G, LATE_LENGTH,
         LATE_LENGTH.replace("length: 60", "length: 10" + "0" * 11), "coverage.start_rules[2].starts.length",
         f"Input should be less than or equal to {MAX_DAYS}", line="length: 1000000000000"),
    case("amount_of_400_digits", "bounds", G, PERSONAL, "  personal_contribution:\n    amount: 2" + "0" * 399 + "\n",
         "financing.personal_contribution.amount", f"Input should be less than or equal to {MAX_YUAN}",
         line="    amount: 2000"),
    case("negative_amount", "bounds", G, PERSONAL, "  personal_contribution:\n    amount: -280\n",
         "financing.personal_contribution.amount", "Input should be greater than or equal to 0",
         line="amount: -280"),
    case("months_beyond_ten_years", "bounds", N24, "    length: 3\n    unit: months\n",
         "    length: 121\n    unit: months\n", "waiting_period.waiting",
         f"length 121 months is more than ten years (at most {MAX_MONTHS} months)", line="  waiting:"),
    case("coverage_year_far_ahead", "bounds", G, "coverage_year: 2021\n", "coverage_year: 2200\n",
         "coverage_year", "Input should be less than or equal to 2100"),
    case("interpreted_date_far_ahead", "bounds", G, "    start: 2021-01-01\n    end: 2021-12-31\n",
         "    start: 2021-01-01\n    end: 9999-12-31\n", "coverage.period.end",
         f"Input should be less than or equal to {LAST_DAY.isoformat()}", line="end: 9999-12-31"),
    case("date_far_back", "bounds", G, MAIN_WINDOW, "      start: 1900-11-16\n      end: 2021-03-31\n",
         "enrolment.windows[0].start", "Input should be greater than or equal to 1950-01-01"),
    case("ratio_too_large", "bounds", G, "{level: province, ratio: 5}", "{level: province, ratio: 500}",
         "assisted_groups[0].cost_sharing[1].shares[0].ratio", "Input should be less than or equal to 100"),
    case("per_extra_year_too_large", "bounds", N24, "    per_extra_year: 1\n", "    per_extra_year: 1000\n",
         "waiting_period.waiting.per_extra_year", "Input should be less than or equal to 120"),
    case("floor_length_too_large", "bounds", N24, "    floor_length: 6\n", "    floor_length: 100000\n",
         "waiting_period.waiting.floor_length", f"Input should be less than or equal to {MAX_DAYS}"),
    case("condition_length_too_large", "bounds", G, NEWBORN_90, NEWBORN_90.replace("length: 90", "length: 99999"),
         "coverage.start_rules[4].when[1].length", f"Input should be less than or equal to {MAX_DAYS}",
         line="length: 99999"),
    case("standard_year_too_early", "bounds", N21, "standard_year: 2021\n", "standard_year: 1800\n",
         "standard_year", "Input should be greater than or equal to 2000"),
    case("month_day_that_does_not_exist", "bounds", D, 'from_month_day: "10-01"', 'from_month_day: "13-01"',
         r"coverage\.start_rules\[\d+\]\.when\[\d+\]\.from_month_day",
         re.escape("13-01 is not a day of the year (MM-DD)"), line='"13-01"', regex=True),
    # ---------------------------------------------------------------- fields missing or unknown
    case("unknown_field_typo", "fields", G, "    amount: 550\n    at_least: true\n",
         "    amount: 550\n    at_lest: true\n", "financing.fiscal_subsidy.at_lest",
         "unknown field (check the spelling against policylib/model.py)", line="at_lest: true"),
    case("unknown_top_level_field", "fields", G, "source: guizhou-2021\n", "source: guizhou-2021\nsauce: x\n",
         "sauce", "unknown field", line="sauce: x"),
    case("missing_window_name", "fields", G, "    - id: main\n      name_zh: 集中征缴期\n", "    - id: main\n",
         "enrolment.windows[0].name_zh", "required field is missing", line="- id: main"),
    case("missing_top_level_name", "fields", G, "name_en: Guizhou\n", "", "name_en", "required field is missing",
         line="schema_version: 1"),
    case("stated_value_without_citation", "fields", G,
         '    amount: 280\n    cite: {clause: 一, quote: "2021年度城乡居民医保个人缴费标准确定为每人280元"}\n',
         "    amount: 280\n", "financing.personal_contribution",
         "a stated value needs at least one citation under 'cite'", line="personal_contribution:"),
    case("stated_amount_without_amount", "fields", G, PERSONAL, "  personal_contribution:\n",
         "financing.personal_contribution", "a stated amount needs 'amount'", line="personal_contribution:"),
    case("not_stated_without_note", "fields", G,
         "    status: not_stated\n    note: The notice does not divide the fiscal subsidy between levels of "
         "government.\n",
         "    status: not_stated\n", "financing.subsidy_split",
         "a not-stated value needs a 'note' saying what the notice leaves open", line="subsidy_split:"),
    case("fixed_help_without_amount", "fields", G, "    help: fixed\n    amount: 140\n", "    help: fixed\n",
         "assisted_groups[0]", "help 'fixed' needs 'amount'", line="- id: registered_poor"),
    case("stated_window_without_end", "fields", G, MAIN_WINDOW, "      start: 2020-11-16\n",
         "enrolment.windows[0]", "window 'main' has no end: say status: not_stated, with a note",
         line="- id: main"),
    case("quote_too_short", "fields", G, FISCAL_CITE, 'cite: {clause: 一, quote: ""}',
         "financing.fiscal_subsidy.cite[0].quote", "String should have at least 2 characters"),
    # ---------------------------------------------------------------- ids
    case("window_id_twice", "ids", G, "    - id: single_payment\n", "    - id: main\n",
         "enrolment.windows[1].id", "window id 'main' used twice (first at enrolment.windows[0])",
         line="    - id: main\n      name_zh: 零星缴费"),
    case("group_id_twice", "ids", G, "  - id: dibao\n", "  - id: registered_poor\n",
         "assisted_groups[1].id", "group id 'registered_poor' used twice (first at assisted_groups[0])",
         line="  - id: registered_poor\n    name_zh: 最低"),
    case("start_rule_id_twice", "ids", G, "    - id: in_window\n", "    - id: late\n",
         "coverage.start_rules[2].id", "start rule id 'late' used twice (first at coverage.start_rules[1])",
         line="    - id: late\n      circumstance: regular\n      when:\n        - {kind: paid_in_window, window: si"),
    case("milestone_id_twice", "ids", G, "    - id: single_payment_period\n", "    - id: collection_window\n",
         "administration.milestones[1].id", "milestone id 'collection_window' used twice",
         line="    - id: collection_window\n      name_zh: 零星缴费"),
    case("provision_id_twice", "ids", D, "    - id: assisted_baseline\n", "    - id: assisted_list_monthly\n",
         "administration.reporting[1].id", "provision id 'assisted_list_monthly' used twice",
         line="    - id: assisted_list_monthly\n      summary: >-\n        Assisted persons"),
    case("id_not_a_slug", "ids", G, "    - id: main\n", "    - id: Main Window\n", "enrolment.windows[0].id",
         "String should match pattern '^[a-z][a-z0-9_]*$' (got 'Main Window')"),
    case("jurisdiction_not_the_file_name", "ids", G, "jurisdiction: guizhou\n", "jurisdiction: guizhu\n",
         "jurisdiction", "file name should be guizhu-2021.yaml"),
    case("year_not_the_file_name", "ids", G, "coverage_year: 2021\n", "coverage_year: 2022\n",
         "jurisdiction", "file name should be guizhou-2022.yaml", line="jurisdiction: guizhou"),
    # ---------------------------------------------------------------- order of dates
    case("window_ends_before_it_starts", "order", G, MAIN_WINDOW, MAIN_WINDOW.replace("2021-03-31", "2020-03-31"),
         "enrolment.windows[0]", "window 'main' starts 2020-11-16 after it ends 2020-03-31", line="- id: main"),
    case("milestone_ends_before_it_starts", "order", G, "      start: 2020-11-16\n      date: 2021-03-31\n",
         "      start: 2020-11-16\n      date: 2020-03-31\n", "administration.milestones[0]",
         "milestone 'collection_window' starts 2020-11-16 after its date 2020-03-31",
         line="- id: collection_window"),
    case("coverage_ends_before_it_starts", "order", G, "    start: 2021-01-01\n    end: 2021-12-31\n",
         "    start: 2021-01-01\n    end: 2020-12-31\n", "coverage.period",
         "coverage starts 2021-01-01 after it ends 2020-12-31", line="  period:"),
    case("window_after_coverage", "order", G, "      start: 2021-04-01\n      end: 2021-12-31\n",
         "      start: 2021-04-01\n      end: 2022-01-31\n", "enrolment.windows[1].end",
         "window ends 2022-01-31, after the coverage period", line="end: 2022-01-31"),
    # ---------------------------------------------------------------- references between parts of a file
    case("unknown_group_category", "references", G, "    category: dibao\n", "    category: dibao_rural_9\n",
         "assisted_groups[1].category", "unknown category 'dibao_rural_9'"),
    case("unknown_dynamic_group_category", "references", G, "        - registered_poor\n",
         "        - registered_poorest\n", "enrolment.dynamic_groups[0].categories[0]",
         "unknown category 'registered_poorest'"),
    case("unknown_excluded_category", "references", D, "    category: employee_insurance\n",
         "    category: employee_insurence\n", "excluded_groups[0].category", "unknown category 'employee_insurence'"),
    case("unknown_window_in_rule", "references", G, "window: single_payment}", "window: single_paymnt}",
         r"coverage.start_rules[2].when[0].window", "unknown window 'single_paymnt'; windows: main, single_payment",
         line="window: single_paymnt"),
    case("unknown_window_in_timing", "references", L, "    recognised_after_window: main\n",
         "    recognised_after_window: mian\n", "assistance_timing[0].recognised_after_window",
         "unknown window 'mian'"),
    case("override_of_unknown_rule", "references", G, "      overrides: [late]\n", "      overrides: [latte]\n",
         "coverage.start_rules[0].overrides[0]", "'latte' is not another rule of circumstance 'regular'"),
    case("event_of_another_circumstance", "references", G, NEWBORN_90,
         NEWBORN_90.replace("event: born", "event: lapsed"), "coverage.start_rules[4].when[1].event",
         "event 'lapsed' does not belong to circumstance 'newborn'", line="event: lapsed"),
    # ---------------------------------------------------------------- citations
    case("quote_not_in_source", "citations", G, '"财政补助每人不低于550元"', '"财政补助每人不少于550元"',
         "financing.fiscal_subsidy.cite[0].quote",
         "quote not found verbatim in sources/guizhou-2021/clean.txt: '财政补助每人不少于550元'"),
    case("number_not_in_quote", "citations", G, PERSONAL, "  personal_contribution:\n    amount: 290\n",
         "financing.personal_contribution.amount", "290 does not appear in its citation's quote", line="amount: 290"),
    case("date_not_in_quote", "citations", G, MAIN_WINDOW, MAIN_WINDOW.replace("2020-11-16", "2020-11-17"),
         "enrolment.windows[0].start", "2020-11-17 does not appear in its citation's quote"),
    case("citation_without_clause", "citations", G, FISCAL_CITE, 'cite: {quote: "财政补助每人不低于550元"}',
         "financing.fiscal_subsidy.cite[0].clause", "required field is missing"),
    case("citation_without_quote", "citations", G, FISCAL_CITE, "cite: {clause: 一}",
         "financing.fiscal_subsidy.cite[0].quote", "required field is missing"),
    case("quote_too_long", "citations", G, FISCAL_CITE, 'cite: {clause: 一, quote: "' + "财政" * 201 + '"}',
         "financing.fiscal_subsidy.cite[0].quote", "String should have at most 400 characters"),
    case("unknown_source", "citations", G, FISCAL_CITE,
         'cite: {source: guizhou-2012, clause: 一, quote: "财政补助每人不低于550元"}',
         "financing.fiscal_subsidy.cite[0].source",
         "unknown source 'guizhou-2012' (no sources/guizhou-2012/clean.txt)"),
    # ---------------------------------------------------------------- source ids are folder names, not paths
    case("source_is_a_parent_path", "source ids", G, "source: guizhou-2021\n", "source: ../rules\n",
         "source", SOURCE_ID_RULE),
    case("source_is_an_absolute_path", "source ids", G, "source: guizhou-2021\n", "source: /etc\n",
         "source", SOURCE_ID_RULE),
    case("citation_source_through_a_parent", "source ids", G, FISCAL_CITE,
         'cite: {source: guizhou-2021/../langxi-2025, clause: 一, quote: "财政补助每人不低于550元"}',
         "financing.fiscal_subsidy.cite[0].source", SOURCE_ID_RULE),
    case("source_in_capitals", "source ids", G, "source: guizhou-2021\n", "source: Guizhou-2021\n",
         "source", SOURCE_ID_RULE),
    case("national_source_is_a_path", "source ids", N21, "source: national-standards-reprints\n",
         "source: ../../national-standards-reprints\n", "source", SOURCE_ID_RULE),
    # ---------------------------------------------------------------- kinds of file
    whole("named_pipe", "file kinds", G, keep, f"{NOT_REGULAR} (a named pipe)", make=fifo),
    whole("symlink_to_dev_zero", "file kinds", G, keep,
          f"{NOT_REGULAR} (a device, reached through a symbolic link)", make=link_to("/dev/zero")),
    whole("dangling_symlink", "file kinds", G, keep, "cannot read file: No such file or directory",
          make=link_to("no-such-target.yaml")),
    whole("directory", "file kinds", G, keep, f"{NOT_REGULAR} (a directory)", make=as_directory),
    whole("oversized", "file kinds", G, oversized, f"file is larger than {MAX_BYTES // 1024} KiB"),
    whole("binary_nul_bytes", "file kinds", G, lambda t: t + "\x00\x00\x01\x02",
          "character U+0000 is not allowed in YAML"),
    whole("not_utf8", "file kinds", G, lambda t: t.encode("gb18030"), "not UTF-8 (byte"),
    whole("utf16", "file kinds", G, lambda t: t.encode("utf-16"), "not UTF-8 (byte"),
    whole("empty", "file kinds", G, lambda t: "", "file is empty", line=1),
    whole("comments_only", "file kinds", G, lambda t: "# nothing here yet\n", "file is empty", line=1),
    whole("list_instead_of_mapping", "file kinds", G, lambda t: "- guizhou\n- 2021\n",
          "the file must be a mapping of fields", line=1),
    whole("plain_text", "file kinds", G, lambda t: "贵州省 2021\n", "the file must be a mapping of fields", line=1),
    # ---------------------------------------------------------------- strings that cannot be shown safely
    case("control_character_escaped", "strings", G, "name_en: Guizhou\n", 'name_en: "Gui\\azhou"\n',
         "name_en", "control character U+0007 is not allowed in text"),
    case("ansi_escape", "strings", G, "name_en: Guizhou\n", 'name_en: "\\e[31mGuizhou\\e[0m"\n',
         "name_en", "an ANSI escape sequence (ESC, U+001B) is not allowed in text"),
    case("bidi_override_escaped", "strings", G, "name_zh: 贵州省\n", 'name_zh: "贵州\\u202e省"\n',
         "name_zh", "bidirectional control U+202E is not allowed in text"),
    case("bidi_override_raw", "strings", G, "name_en: Guizhou\n", "name_en: Gui\u202ezhou\n",
         "name_en", "bidirectional control U+202E is not allowed in text"),
    case("bidi_isolate_in_note", "strings", G,
         "    note: The notice does not state critical-illness insurance (大病保险) funding.\n",
         '    note: "The notice does not state \\u2066critical-illness\\u2069 funding."\n',
         "financing.critical_illness_funding.note", "bidirectional control U+2066 is not allowed in text"),
    case("line_break_in_name", "strings", G, "name_en: Guizhou\n", 'name_en: "Gui\\nzhou"\n',
         "name_en", "a line break is allowed only in notes and other free text, not here"),
    case("line_break_in_quote", "strings", G, FISCAL_CITE, 'cite: {clause: 一, quote: "财政补助\\n每人不低于550元"}',
         "financing.fiscal_subsidy.cite.quote", "a line break is allowed only in notes"),
    case("tab_in_id", "strings", G, "    - id: main\n", '    - id: "main\\t"\n', "enrolment.windows[0].id",
         "control character U+0009 is not allowed in text"),
    case("next_line_character", "strings", G, "name_en: Guizhou\n", 'name_en: "Guizhou\\N"\n',
         "name_en", "control character U+0085 is not allowed in text"),
    case("control_character_in_key", "strings", G, "name_en: Guizhou\n", 'name_en: Guizhou\n"na\\ame": x\n',
         "(file)", "a key: control character U+0007 is not allowed in text", line='"na\\ame"'),
    whole("raw_control_character", "strings", G, swap("name_en: Guizhou\n", "name_en: Gui\x07zhou\n"),
          "character U+0007 is not allowed in YAML", line="name_en: Gui"),
    # ---------------------------------------------------------------- categories.yaml
    case("category_listed_twice", "categories", C, "  - {id: orphan, ", "  - {id: tekun, ", "categories[1].id",
         "category id 'tekun' used twice (first at categories[0])", line="  - {id: tekun, name_zh: 孤儿"),
    case("category_unknown_parent", "categories", C, 'class 1", parent: dibao}', 'class 1", parent: dibao_x}',
         "categories[4].parent", "unknown parent 'dibao_x': not a category of this file"),
    case("category_its_own_parent", "categories", C, 'class 1", parent: dibao}', 'class 1", parent: dibao_rural_1}',
         "categories[4].parent", "a category cannot be its own parent"),
    case("category_unknown_field", "categories", C, '{id: orphan, name_zh: 孤儿, gloss: "orphans"}',
         '{id: orphan, name_zh: 孤儿, glos: "orphans"}', "categories[1].glos", "unknown field"),
    case("category_unknown_kind", "categories", C, "kind: status}", "kind: state}", "categories[27].kind",
         "Input should be 'assisted' or 'status' (got 'state')"),
    case("category_id_not_a_slug", "categories", C, "  - {id: orphan, ", "  - {id: Orphan, ", "categories[1].id",
         "String should match pattern"),
    case("category_bidi_in_gloss", "categories", C, 'gloss: "orphans"}', 'gloss: "orph\\u202eans"}',
         "categories[1].gloss", "bidirectional control U+202E is not allowed in text"),
    whole("categories_as_a_list", "categories", C, lambda t: "- tekun\n- orphan\n",
          "the file must be a mapping of fields", line=1),
    # ---------------------------------------------------------------- national files
    case("national_year_not_the_file_name", "national", N21, "standard_year: 2021\n", "standard_year: 2022\n",
         "standard_year", "standard year 2022 disagrees with the file name: the file should be national-2022.yaml"),
    case("national_jurisdiction_misspelt", "national", N21, "jurisdiction: national\n", "jurisdiction: nation\n",
         "jurisdiction", "Input should be 'national' (got 'nation')"),
    case("national_wait_not_variable", "national", N24, "    kind: variable_wait\n", "    kind: payment_day\n",
         "waiting_period", "the national waiting rule is a 'variable_wait'", line="waiting_period:"),
    case("national_governed_year_as_text", "national", N21, "governs_coverage_year: 2022\n",
         'governs_coverage_year: "2022"\n', "governs_coverage_year", "Input should be a valid integer (got '2022')"),
    case("national_document_seen_as_no", "national", N21, "document_seen: false\n", "document_seen: no\n",
         "document_seen", "Input should be a valid boolean (got 'no')"),
    # ---------------------------------------------------------------- sources: meta.yaml
    case("meta_id_not_its_folder", "meta", META, "id: langxi-2025\n", "id: langxi-2024\n", "id",
         "'langxi-2024' does not match the directory name 'langxi-2025'"),
    case("meta_date_as_timestamp", "meta", META, "issued: 2024-09-13\n", "issued: 1726185600\n", "issued",
         "Input should be a valid date (got 1726185600)"),
    case("meta_year_as_text", "meta", META, "coverage_year: 2025\n", 'coverage_year: "2025"\n', "coverage_year",
         "Input should be a valid integer (got '2025')"),
    case("meta_unknown_level", "meta", META, "level: county\n", "level: town\n", "level",
         "Input should be 'national', 'province', 'city' or 'county' (got 'town')"),
    case("meta_unknown_field", "meta", META, "level: county\n", "level: county\nlevels: 2\n", "levels",
         "unknown field (check the spelling against policylib/sources.py)", line="levels: 2"),
    case("meta_ansi_escape_in_title", "meta", META, "id: langxi-2025\n", 'id: langxi-2025\ntitle_x: "\\e[2J"\n',
         "title_x", "an ANSI escape sequence", line="title_x"),
    case("meta_anchor", "meta", META, "issuers:\n", "issuers: &who\n", "(file)", "YAML anchor &who is not allowed"),
    whole("meta_as_a_list", "meta", META, lambda t: "- langxi-2025\n", "the file must be a mapping of fields", line=1),
    whole("meta_named_pipe", "meta", META, keep, f"{NOT_REGULAR} (a named pipe)", make=fifo),
    # ---------------------------------------------------------------- sources: corrections.yaml
    case("correction_unknown_field", "corrections", CORR, "  why: doubled word 工作",
         "  kind: doubled_word\n  why: doubled word 工作", "[6].kind", "unknown field", line="kind: doubled_word"),
    case("correction_without_why", "corrections", CORR,
         "  why: doubled word 工作 in the annex heading (the group is called 工作专班 in the last sentence)\n", "",
         "[6].why", "required field is missing", line="- original: 征缴工作工作专班"),
    case("correction_empty_original", "corrections", CORR, "- original: 参-加\n", '- original: ""\n',
         "[1].original", "String should have at least 1 character"),
    case("correction_original_as_number", "corrections", CORR, "- original: 参-加\n", "- original: 2024\n",
         "[1].original", "Input should be a valid string (got 2024)"),
    case("correction_bidi_in_corrected", "corrections", CORR, "  corrected: 参加\n", '  corrected: "参\\u202e加"\n',
         "[1].corrected", "bidirectional control U+202E is not allowed in text"),
    whole("corrections_as_a_mapping", "corrections", CORR, lambda t: "original: 参-加\ncorrected: 参加\n",
          "the file must be a list", line=1),
    whole("corrections_link_to_dev_zero", "corrections", CORR, keep,
          f"{NOT_REGULAR} (a device, reached through a symbolic link)", make=link_to("/dev/zero")),
]


def _case_file(project: Path, case: Case) -> Path:
    """Where a case's file stands in the project: its own folder, named as the real file (a source file keeps
    its source folder, whose name its meta must match)."""
    base = Path(case.base)
    if base.parts[0] == "sources":
        return project / "cases" / case.id / base.parent.name / base.name
    return project / "cases" / case.id / base.name


def _write_case(project: Path, case: Case, broken: bool) -> tuple[Path, str | None]:
    """Write a case's file (broken or as it is); return its path and its text (None if not UTF-8)."""
    path = _case_file(project, case)
    real = ROOT / case.base
    if real.parent.parent.name == "sources":
        shutil.copytree(real.parent, path.parent)
        path.unlink()
    else:
        path.parent.mkdir(parents=True)
    original = real.read_text(encoding="utf-8")
    if broken and case.make is not None:
        case.make(path)
        return path, None
    mutated = case.mutate(original) if broken else original
    data = mutated.encode("utf-8") if isinstance(mutated, str) else mutated
    path.write_bytes(data)
    try:
        return path, data.decode("utf-8")
    except UnicodeDecodeError:
        return path, None


def _project(root: Path) -> Path:
    shutil.copytree(ROOT / "rules", root / "rules")
    shutil.copytree(ROOT / "sources", root / "sources")
    return root


@dataclass
class Run:
    result: subprocess.CompletedProcess[str]
    files: dict[str, tuple[Path, str | None]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Every case written into one project copy and checked by one `policylib check <files>` run."""
    project = _project(tmp_path_factory.mktemp("corpus"))
    # A planted text where `source: ../rules` would lead: the id is refused before it is ever looked up.
    (project / "rules" / "clean.txt").write_text("个人缴费每人9999元\n", encoding="utf-8")
    files = {c.id: _write_case(project, c, broken=True) for c in CASES}
    result = run_cli("check", *(str(path) for path, _ in files.values()), cwd=project, home=project)
    return Run(result, files)


def expected_line(case: Case, text: str | None) -> int | None:
    if case.line is None or isinstance(case.line, int):
        return case.line
    assert text is not None, f"{case.id}: a line marker needs a UTF-8 file"
    return line_of(text, case.line)


def problem_pattern(path: Path, line: int | None, field: str, message: str, regex: bool = False) -> re.Pattern[str]:
    """``<path>:<line>: <field>: <message>`` at the start of a line; a problem of the whole file may carry a
    line number or not."""
    where = re.escape(f"{path}:{line}") if line is not None else re.escape(str(path)) + r"(?::\d+)?"
    field_re, message_re = (field, message) if regex else (re.escape(field), re.escape(message))
    return re.compile(rf"^{where}: {field_re}: {message_re}", re.MULTILINE)


def test_the_corpus_is_large_and_spread() -> None:
    groups = {c.group for c in CASES}
    assert len({c.id for c in CASES}) == len(CASES) >= 80
    assert len(groups) >= 14
    assert all(sum(c.group == g for c in CASES) >= 3 for g in groups)


def test_the_check_fails_cleanly(corpus: Run) -> None:
    assert corpus.result.returncode == 1, corpus.result.stderr[-2000:]
    assert "Traceback" not in corpus.result.stderr
    assert corpus.result.stdout == ""
    assert re.search(r"^check failed: \d+ problem\(s\)$", corpus.result.stderr, re.MULTILINE)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_file_is_refused(corpus: Run, case: Case) -> None:
    path, text = corpus.files[case.id]
    pattern = problem_pattern(path, expected_line(case, text), case.field, case.message, case.regex)
    mine = "\n".join(line for line in corpus.result.stderr.splitlines() if line.startswith(f"{path}"))
    assert pattern.search(mine), f"expected /{pattern.pattern}/ among:\n{mine or '(no problem for this file)'}"


def test_the_same_files_unbroken_pass(tmp_path: Path) -> None:
    """Each case starts from a file that passes where the cases stand: the problems come from the breakage."""
    project = _project(tmp_path)
    first = {c.base: c for c in reversed(CASES)}
    paths = {_write_case(project, c, broken=False)[0] for c in first.values()}
    result = run_cli("check", *sorted(map(str, paths)), cwd=project, home=project)
    assert result.returncode == 0, result.stderr[-3000:]


# ---------------------------------------------------------------------------- valid variants


def _bom(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def _bom_crlf(text: str) -> bytes:
    return _bom(text.replace("\n", "\r\n"))


VARIANTS = [(name, base, form) for name, form in (("bom", _bom), ("crlf", _crlf), ("bom_crlf", _bom_crlf))
            for base in (G, C, N24, META, CORR)]


def test_utf8_bom_and_crlf_line_ends_are_accepted(tmp_path: Path) -> None:
    project = _project(tmp_path)
    paths = []
    for name, base, form in VARIANTS:
        folder = project / "variants" / f"{name}-{Path(base).stem}"
        real = ROOT / base
        if real.parent.parent.name == "sources":
            shutil.copytree(real.parent, folder / real.parent.name)
            path = folder / real.parent.name / real.name
        else:
            folder.mkdir(parents=True)
            path = folder / real.name
        path.write_bytes(form(real.read_text(encoding="utf-8")))
        paths.append(str(path))
    result = run_cli("check", *paths, cwd=project, home=project)
    assert result.returncode == 0, result.stderr[-3000:]
    rule_files = sum(b.startswith("rules/") and b != C for _, b, _ in VARIANTS)
    assert result.stdout.startswith(f"ok: {rule_files} rule files"), result.stdout


# ---------------------------------------------------------------------------- the rules/ tree as a whole


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose rules/ holds files that are not read, a national file doubled, a pipe and a broken file."""
    project = _project(tmp_path_factory.mktemp("tree"))
    rules = project / "rules"
    shutil.copy(rules / "guizhou-2021.yaml", rules / "guizhou-2022.yml")
    (rules / "old").mkdir()
    shutil.copy(rules / "guizhou-2021.yaml", rules / "old" / "guizhou-2021.yaml")
    shutil.copy(rules / "national-2021.yaml", rules / "national-2031.yaml")
    os.mkfifo(rules / "pipe-2021.yaml")
    path = rules / "guizhou-2021.yaml"
    path.write_text(replace_once(path.read_text(encoding="utf-8"), PERSONAL,
                                 '  personal_contribution:\n    amount: "280"\n'), encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def tree_check(tree: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("check", cwd=tree, home=tree)


TREE_PROBLEMS = [
    ("guizhou-2022.yml", None, "(file)", "not read: a rule file's name ends in .yaml"),
    ("old/guizhou-2021.yaml", None, "(file)", "not read: rule files stand directly in rules/, not in a sub-folder"),
    ("national-2031.yaml", "standard_year: 2021", "standard_year",
     "standard year 2021 disagrees with the file name: the file should be national-2021.yaml"),
    ("national-2031.yaml", "standard_year: 2021", "standard_year",
     "standard year 2021 is also given by national-2021.yaml: one national file per year"),
    ("national-2031.yaml", "governs_coverage_year: 2022", "governs_coverage_year",
     "governs coverage year 2022 is also given by national-2021.yaml"),
    ("pipe-2021.yaml", None, "(file)", f"{NOT_REGULAR} (a named pipe)"),
    ("guizhou-2021.yaml", 'amount: "280"', "financing.personal_contribution.amount",
     "Input should be a valid integer (got '280')"),
]


@pytest.mark.parametrize("name, marker, field, message", TREE_PROBLEMS, ids=[f"{p[0]}:{p[2]}" for p in TREE_PROBLEMS])
def test_the_whole_tree_check_reports(tree: Path, tree_check: subprocess.CompletedProcess[str], name: str,
                                      marker: str | None, field: str, message: str) -> None:
    path = tree / "rules" / name
    line = None if marker is None else line_of(path.read_text(encoding="utf-8"), marker)
    assert tree_check.returncode == 1
    assert "Traceback" not in tree_check.stderr
    pattern = problem_pattern(path, line, field, message)
    assert pattern.search(tree_check.stderr), f"expected /{pattern.pattern}/ in:\n{tree_check.stderr}"


def test_list_skips_the_broken_files_with_one_warning_each(tree: Path) -> None:
    result = run_cli("list", cwd=tree, home=tree)
    assert result.returncode == 0, result.stderr
    listed = {tuple(line.split()[:2]) for line in result.stdout.splitlines()}
    assert ("langxi", "2025") in listed and ("national", "2021") in listed
    assert ("guizhou", "2021") not in listed
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2, result.stderr
    for name in ("guizhou-2021.yaml", "pipe-2021.yaml"):
        [line] = [w for w in warnings if str(tree / "rules" / name) in w]
        assert line.startswith("warning: skipped a broken rule file: ")
    assert "Traceback" not in result.stderr


def test_quote_of_another_jurisdiction_still_answers(tree: Path) -> None:
    result = run_cli("quote", "langxi", "2025", "--paid", "2024-12-20", "--json", cwd=tree, home=tree)
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("{")
    assert result.stderr == ""  # a quote reads its own rule file only: the broken ones are never opened


@pytest.mark.parametrize("command", [("quote", "guizhou", "2021", "--paid", "2021-01-20"), ("show", "guizhou", "2021")],
                         ids=["quote", "show"])
def test_the_broken_file_itself_is_a_one_line_error(tree: Path, command: tuple[str, ...]) -> None:
    result = run_cli(*command, cwd=tree, home=tree)
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    path = tree / "rules" / "guizhou-2021.yaml"
    assert line.startswith(f"{path}:"), line
    assert "Input should be a valid integer (got '280')" in line
    assert "cannot be used until `policylib check` passes" in line


def test_the_library_catalogue_still_fails_on_a_broken_file(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the command line skips broken files: the book, built from the library, never leaves one out."""
    from policylib import catalogue
    from policylib.loader import RuleFileError
    from policylib.paths import ENV_HOME

    monkeypatch.setenv(ENV_HOME, str(tree))
    with pytest.raises(RuleFileError) as caught:
        catalogue.entries()
    assert caught.value.problems[0].path.name in ("guizhou-2021.yaml", "pipe-2021.yaml")
