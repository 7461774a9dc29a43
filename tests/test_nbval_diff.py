"""nbval's report of a changed published output (policylib.nbval_diff): every changed line, whole."""

from __future__ import annotations

from policylib import nbval_diff

ROWS = [f"<tr><td>Place {i}</td><td>{'x' * 300} {280 + i} yuan</td></tr>" for i in range(200)]


def test_a_changed_figure_in_a_long_table_shows_before_and_after_on_whole_lines() -> None:
    published = "\n".join(ROWS)
    new = "\n".join(row.replace("380 yuan", "390 yuan").replace("479 yuan", "400 yuan") for row in ROWS)
    lines = nbval_diff.pytest_assertrepr_compare(None, "==", published, new)
    assert lines is not None and "2 lines changed into 2" in lines[0]
    assert [line for line in lines if line.startswith("-")] == ["-" + ROWS[100], "-" + ROWS[199]]
    assert [line for line in lines if line.startswith("+")] == [
        "+" + ROWS[100].replace("380", "390"), "+" + ROWS[199].replace("479", "400")]
    assert len(lines) < 12  # one line of context, not the table


def test_data_outputs_are_compared_value_by_value_as_json_lines() -> None:
    published = {"data": [{"place": f"Place {i}", "personal": 280 + i} for i in range(50)]}
    new = {"data": [{**row, "personal": 999} if row["place"] == "Place 7" else row for row in published["data"]]}
    lines = nbval_diff.changed_lines(published, new) or []
    assert [line.replace(" ", "") for line in lines if line[:1] in "+-"] == ['-"personal":287,', '+"personal":999,']


def test_short_values_and_other_comparisons_keep_pytests_report() -> None:
    assert nbval_diff.pytest_assertrepr_compare(None, "==", "280 yuan", "290 yuan") is None
    assert nbval_diff.pytest_assertrepr_compare(None, "!=", "\n".join(ROWS), "") is None
    assert nbval_diff.changed_lines("\n".join(ROWS), "\n".join(ROWS)) is None
