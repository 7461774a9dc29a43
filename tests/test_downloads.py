"""The downloads: integers and bounds as written, the version in every file, a data dictionary that covers
every column, full clause addresses, and the links beside the chapters' tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from policylib import catalogue, compare, datadict
from policylib.book import render
from policylib.book.sphinx_downloads import copy_downloads
from policylib.datadict import Version

BASE = "https://books.example/policylib/"
VERSION = Version("0123456789ab", "2026-01-02")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("downloads")
    compare.export_all(directory, version=VERSION, base_url=BASE)
    return directory


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def test_integers_stay_integers_in_csv_and_xlsx(exported: Path) -> None:
    for name in compare.table_names():
        df = compare.with_urls(compare._tables()[name](), BASE)
        ints = [c for c in df.columns if str(df[c].dtype) in ("Int64", "int64")]
        rows = read_csv(exported / f"{name}.csv")
        for column in ints:
            for row in rows:
                assert re.fullmatch(r"-?\d*", row[column]), f"{name}.{column}: {row[column]!r} is not an integer"
        sheet = load_workbook(exported / f"{name}.xlsx", read_only=True)[name[:31]]
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        for xl_row in sheet.iter_rows(min_row=2):
            for column in ints:
                value = xl_row[header.index(column)].value
                assert value is None or type(value) is int, f"{name}.{column}: {value!r} in the XLSX"


def test_every_bound_keeps_its_flag(exported: Path) -> None:
    rows = {(r["jurisdiction"], int(r["year"])): r for r in read_csv(exported / "financing.csv")}
    checked = 0
    for entry in catalogue.local_entries():
        rules = catalogue.rules(entry.jurisdiction, entry.year)
        row = rows[(rules.jurisdiction, rules.coverage_year)]
        for figure in compare.FINANCING_FIGURES:
            value = getattr(rules.financing, figure)
            assert row[f"{figure}_at_least"] == str(value.at_least)
            assert row[figure] == ("" if value.amount is None else str(value.amount))
            checked += value.at_least
    assert checked, "no rule file has a floor: the flags were not exercised"
    matrix = read_csv(exported / "assisted_matrix.csv")
    bounded = [r for r in matrix if r["personal_pays_upper_bound"] == "True"]
    assert bounded and all(re.fullmatch(r"\d+", r["personal_pays"]) for r in bounded)


def test_the_version_is_in_every_file(exported: Path) -> None:
    files = sorted(exported.iterdir())
    assert {p.suffix for p in files} == {".csv", ".xlsx", ".json"}
    for path in files:
        if path.suffix == ".xlsx":
            book = load_workbook(path, read_only=True)
            about = {row[0]: row[1] for row in book["about"].iter_rows(min_row=2, values_only=True)}
            assert about["version"] == VERSION.commit and about["built"] == VERSION.date, path.name
        elif path.suffix == ".json":
            assert json.loads(path.read_text(encoding="utf-8"))["version"] == VERSION._asdict()
    first = read_csv(exported / f"{compare.DICTIONARY}.csv")[0]
    assert VERSION.commit in first["meaning"] and VERSION.date in first["meaning"]


def test_the_dictionary_describes_every_column_of_every_file(exported: Path) -> None:
    entries = read_csv(exported / f"{compare.DICTIONARY}.csv")[1:]
    described = {(e["file"].split(".")[0], e["column"]): e for e in entries}
    for name in compare.table_names():
        header = next(csv.reader(io.StringIO((exported / f"{name}.csv").read_bytes().decode("utf-8-sig"))))
        for column in header:
            entry = described.pop((name, column))
            assert entry["meaning"] and entry["type"] in ("integer", "text", "true/false", "date (YYYY-MM-DD)")
    assert not described, f"described but not in any file: {sorted(described)}"
    assert {e["unit"] for e in entries} >= {datadict.YUAN, datadict.DAYS}


def test_a_column_without_a_description_is_refused() -> None:
    with pytest.raises(datadict.UndocumentedColumn, match=r"financing\.brand_new_column"):
        datadict.dictionary({"financing": pd.DataFrame({"brand_new_column": [1]})})
    assert "Alpha 2030" in datadict.describe("assisted_pivot", "Alpha 2030").meaning
    with pytest.raises(datadict.UndocumentedColumn):
        datadict.describe("financing", "Alpha 2030")


def test_clause_addresses_are_full_urls_to_the_source_page(exported: Path) -> None:
    rows = read_csv(exported / "financing.csv")
    assert rows
    pages = set()
    for row in rows:
        for column in [c for c in row if c == "anchor" or c.endswith("_anchor")]:
            prefix = column.removesuffix("anchor")
            source = row.get(f"{prefix}source") or row["source"]
            url = row[f"{prefix}url"]
            if not row[column]:
                assert url == ""
                continue
            assert row[column] == compare.anchor(source, row[f"{prefix}clause"])
            assert url == f"{BASE}sources/{source}.html#{row[column]}"
            pages.add(source)
    assert {"national-standards-reprints", "guizhou-2021"} <= pages
    relative = compare.with_urls(compare.financing_table(), "")
    assert relative["url"].dropna().str.fullmatch(r"sources/[a-z0-9-]+\.html#[^#]+").all()


def test_the_version_comes_from_git_else_the_environment_else_unknown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    day = dt.date(2026, 3, 4)
    monkeypatch.delenv(datadict.ENV_VERSION, raising=False)
    assert datadict.build_version(tmp_path, day) == Version("unknown", "2026-03-04")
    monkeypatch.setenv(datadict.ENV_VERSION, "v1.2")
    assert datadict.build_version(tmp_path, day).commit == "v1.2"

    repo = tmp_path / "repo"
    (repo / "rules").mkdir(parents=True)
    (repo / "rules" / "a.yaml").write_text("a: 1\n", encoding="utf-8")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    head = subprocess.run([*git, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert datadict.build_version(repo, day).commit == head
    (repo / "rules" / "a.yaml").write_text("a: 2\n", encoding="utf-8")
    assert datadict.build_version(repo, day).commit == f"{head}-modified"


def test_download_link_points_at_the_tables_files() -> None:
    for name in compare.table_names():
        html = str(render.download_link(name))
        assert f'href="../downloads/{name}.csv"' in html and f'href="../downloads/{name}.xlsx"' in html
        assert 'href="../downloads.html#data-dictionary"' in html
        assert name not in re.sub(r"<[^>]+>", "", html), "the table's id is not visible text"
    with pytest.raises(KeyError):
        render.download_link("<script>")


def test_the_downloads_are_copied_beside_the_html(tmp_path: Path) -> None:
    (tmp_path / "src" / "downloads").mkdir(parents=True)
    (tmp_path / "src" / "downloads" / "financing.csv").write_text("a\n1\n", encoding="utf-8")
    copies = copy_downloads(tmp_path / "src", tmp_path / "out")
    assert copies == [tmp_path / "out" / "downloads" / "financing.csv"]
    assert copies[0].read_text(encoding="utf-8") == "a\n1\n"
    assert copy_downloads(tmp_path / "nothing", tmp_path / "out2") == []
