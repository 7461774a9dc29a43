"""HTML rendering for the book: escaping, clause links, "not stated" badges, cards and page sections."""

from __future__ import annotations

import datetime as dt
import html
import re

import pandas as pd
import pytest

from policylib import catalogue, compare, training
from policylib.book import render
from policylib.book.render import Column, Html


def test_rule_text_is_escaped_not_run() -> None:
    rows = [{"quote": '<script>alert("x")</script>', "n": 3}]
    out = render.table(rows, [Column("Quote", lambda r: r["quote"]), Column("N", lambda r: r["n"])])
    assert "<script>" not in out
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in out
    assert '<td data-label="N">3</td>' in out


def test_html_passes_through_and_plain_strings_are_escaped() -> None:
    assert render.esc(Html("<b>x</b>")) == "<b>x</b>"
    assert render.esc("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    assert render.join(["a<", Html("<i>b</i>"), None, ""], " & ") == "a&lt; &amp; <i>b</i>"
    # Html is markupsafe.Markup: a plain str joined to it is escaped, and the result stays markup.
    assert render.esc(Html("<i>") + "<b>") == "<i>&lt;b&gt;"


def test_missing_values_get_a_badge_never_a_filler() -> None:
    for value in (None, pd.NA, pd.NaT, float("nan")):
        assert render.is_missing(value)
        out = render.table([{"v": value}], [Column("V", lambda r: r["v"])])
        assert 'class="pl-badge">not stated</span>' in out
        assert "nan" not in out.lower().replace("pl-badge", "")
    assert not render.is_missing(0)
    assert not render.is_missing("")


def test_status_cell_splits_what_the_notice_refers_to() -> None:
    out = render.status_cell("not stated (refers to 肇府规〔2019〕6号 <第五条>)")
    assert out.startswith('<span class="pl-badge">not stated</span>')
    assert "refers to 肇府规〔2019〕6号 &lt;第五条&gt;" in out
    assert render.status_cell("no rule stated").startswith('<span class="pl-badge">no rule stated</span>')
    assert render.status_cell("stated") == "stated"


def test_clause_links_go_to_the_anchor_on_the_source_page() -> None:
    link = render.clause("guizhou-2021", "四（二）3")
    href = re.search(r'href="([^"]+)"', link)
    assert href is not None
    assert href.group(1) == compare.clause_link("guizhou-2021", "四（二）3") == (
        "../sources/guizhou-2021.html#guizhou-2021--四-二-3")
    assert ">§四（二）3</a>" in link
    assert render.clause("guizhou-2021", None) == render.badge("no clause")


def test_figures_carry_their_clause_or_say_not_stated() -> None:
    out = render.figure(550, "guizhou-2021", "一", at_least=True)
    assert out.startswith("at least 550 yuan <a href=")
    assert render.figure(None, "x", "一", status="not stated (refers to a notice)") == render.badge(
        "not stated", "refers to a notice")
    assert render.money(160, upper_bound=True) == "at most 160 yuan"
    assert render.money(pd.NA) == "not stated"


def test_dates_are_locale_independent() -> None:
    assert render.long_date(dt.date(2021, 3, 3)) == "3 March 2021"
    assert render.date_text(pd.Timestamp("2021-03-31"), weekday=True) == "2021-03-31 (Wed)"
    assert render.date_text(None) == ""


def test_card_and_empty_table() -> None:
    card = render.card("贵州 <2021>", [("Level", "province"), ("Source", None)])
    assert "贵州 &lt;2021&gt;" in card and "<dt>Level</dt><dd>province</dd>" in card
    assert "not stated" in card
    empty = render.table([], [Column("x", lambda r: r)], empty="Nothing <here>.")
    assert empty == "<p><em>Nothing &lt;here&gt;.</em></p>"


def test_compliance_words() -> None:
    row = {"year": 2021, "national_standard_year": 2020, "fiscal_subsidy": 540, "national_subsidy_min": 550,
           "subsidy_meets_national": False, "fiscal_subsidy_at_least": False}
    assert render.compliance_words(row) == "below the national minimum: 540 yuan against 550 yuan (-10 yuan)"
    row.update(fiscal_subsidy=None, subsidy_meets_national=None)
    assert "cannot be checked" in render.compliance_words(row)
    row.update(national_standard_year=None)
    assert render.compliance_words(row).startswith("not stated")
    assert render.personal_words({"personal_contribution": 290, "national_personal_standard": 280}) == (
        "10 yuan above the national standard (280 yuan)")


@pytest.mark.parametrize("entry", catalogue.local_entries(), ids=lambda e: e.key)
def test_profile_sections_render_for_every_local_entry(entry: catalogue.Entry) -> None:
    rules = catalogue.rules(entry.jurisdiction, entry.year)
    j, y = entry.jurisdiction, entry.year
    sections = [
        render.summary_card(rules),
        render.financing_section(rules, compare.financing_table()),
        render.assisted_table(compare.assisted_matrix(), j, y),
        render.several_groups(rules),
        render.calendar_table(compare.calendar_events(), j, y),
        render.start_rules_html(compare.start_rules_table(), j, y),
        render.cases_table(training.answers(training.cases(rules, training.PROFILE_KINDS))),
        render.unstated_table(compare.unstated(), j, y),
    ]
    page = "\n".join(sections)
    assert rules.name_zh in page
    assert f"../sources/{rules.source}.html#{rules.source}--" in page
    assert "../sources.html" not in page
    assert "<script" not in page
    assert "nan" not in re.sub(r"<[^>]+>", " ", page).split()  # no stray NaN shown as text
    assert ">§" in page  # clause links present


def test_fallback_rows_for_circumstances_without_rules() -> None:
    table = compare.start_rules_table()
    unstated = table[~table["rule_stated"].astype(bool)]
    entry = next(e for e in catalogue.local_entries()
                 if ((unstated["jurisdiction"] == e.jurisdiction) & (unstated["year"] == e.year)).any())
    out = render.start_rules_html(table, entry.jurisdiction, entry.year)
    assert '<span class="pl-badge">as for ordinary residents</span>' in out


def test_single_year_notes() -> None:
    class E:
        def __init__(self, j: str, y: int) -> None:
            self.jurisdiction, self.name_en, self.year = j, j.title(), y

    out = render.single_year_notes([E("alpha", 2021), E("beta", 2021), E("beta", 2022)])
    assert "Alpha has a single year (2021): nothing can move yet." in out
    assert "Beta: 2021, 2022." in out
    empty = pd.DataFrame(columns=compare.CHANGE_COLUMNS)
    assert "no local rule can have moved" in render.local_changes_html(empty, [E("alpha", 2021)])


def test_each_exercise_holds_its_own_answer_only() -> None:
    """Each question is followed by its own reveal, holding only its own answer: as many reveals as questions,
    each with the number of its question and its own summary; rule ids never appear."""
    answers = training.answers(training.all_cases(kinds=("late_payer", "newborn")))
    out = render.exercises_html(answers, prefix="3.")
    blocks = out.split('<div class="pl-question"')[1:]
    assert len(blocks) == len(answers) == out.count('<details class="pl-reveal">')
    for n, (block, a) in enumerate(zip(blocks, answers, strict=True), 1):
        assert f'id="q-3-{n}"' in block and f"<strong>3.{n}</strong>" in block
        assert f"Show the answer to 3.{n}</summary>" in block
        question, _, revealed = block.partition("<details")
        assert html.escape(a.case.question, quote=False) in question
        assert html.escape(a.summary, quote=True) in revealed
        assert all(html.escape(other.summary, quote=True) not in revealed
                   for other in answers if other.summary != a.summary)
        assert a.rule is None or "_" not in a.rule or a.rule not in re.sub(r"<[^>]+>", " ", block)
    assert "No rule file has a rule" in render.exercises_html([])


def test_day_counting_is_shown_only_where_days_are_counted() -> None:
    answers = training.answers(training.all_cases())
    shown = [a for a in answers if "<dt>Day counting</dt>" in render.case_answer(a)]
    assert shown and len(shown) < len(answers)
    for a in answers:
        assert ("<dt>Day counting</dt>" in render.case_answer(a)) == (a.day_counting is not None)


def test_training_controls_hide_answers_in_the_sheet_and_show_them_in_print() -> None:
    out = render.training_controls()
    assert 'id="pl-sheet"' in out and "window.print()" in out
    assert "@media print" in out and "::details-content" in out
    assert "body:has(#pl-sheet:checked) details.pl-reveal" in out


def test_page_style_is_one_block() -> None:
    style = render.page_style()
    assert style.startswith("<style>") and style.endswith("</style>")
    assert ".pl-badge" in style and ".pl-table" in style


def test_data_output_bundle_is_data_and_a_closed_escaped_table() -> None:
    frame = pd.DataFrame({
        "label": ["A 2021", "<script>x</script>"],
        "amount": pd.array([280, None], dtype="Int64"),
        "bound": ["at most 160", None],
        "day": [dt.date(2021, 3, 31), None],
    })
    data, metadata = render.data_bundle(frame, "financing", "personal contribution by year")
    assert metadata == {"policylib": {"table": "financing"}}
    resource = data["application/vnd.dataresource+json"]
    assert [f["name"] for f in resource["schema"]["fields"]] == ["label", "amount", "bound", "day"]
    assert resource["data"][0] == {"label": "A 2021", "amount": 280, "bound": "at most 160", "day": "2021-03-31"}
    assert resource["data"][1]["amount"] is None and resource["data"][1]["bound"] is None
    html = data["text/html"]
    assert html.startswith("<details><summary>Data behind this chart (personal contribution by year)</summary>")
    assert "<details open" not in html and "<script>" not in html and "&lt;script&gt;" in html
    assert "at most 160" in html and "2021-03-31" in html


def test_data_output_changes_when_a_figure_changes() -> None:
    before = pd.DataFrame({"label": ["Guizhou 2021"], "personal": [280]})
    after = before.assign(personal=[290])
    key = "application/vnd.dataresource+json"
    assert render.data_bundle(before, "t", "c")[0][key] != render.data_bundle(after, "t", "c")[0][key]
