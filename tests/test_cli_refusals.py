"""What `policylib quote` and `policylib diff` refuse, and how: one line naming the argument, exit 2.

Every case runs the command line in a subprocess, as `python -m policylib.cli` (tests/cli_runner.py)
and, where the installed `policylib` script exists, through it too: both must answer alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from cli_runner import ROOT, run_cli
from nbformat.v4 import new_code_cell, new_notebook, new_output

SCRIPT = Path(sys.executable).with_name("policylib")


def run_script(*args: str, home: Path | None = None, path: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `policylib` script (as a user types it)."""
    env = {**os.environ, "PYTHONUTF8": "1"}
    env.pop("POLICYLIB_HOME", None)
    if home is not None:
        env["POLICYLIB_HOME"] = str(home)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, encoding="utf-8", cwd=ROOT,
                          env=env, timeout=300, check=False)


def refused(result: subprocess.CompletedProcess[str], prefix: str, *contains: str) -> str:
    """Assert a one-line refusal with exit 2 and return the line."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(prefix), lines[0]
    for text in contains:
        assert text in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------------------- python -m policylib.cli

SAME_ERRORS = [
    ["quote", "atlantis", "2021", "--paid", "2021-03-01"],
    ["quote", "guizhou", "2021", "--paid", "2021-02-30"],
    ["quote", "guizhou", "2021", "--paid", "2021-03-01", "--category", "pirate"],
    ["quote", "guizhou", "2021", "--paid", "1990-01-01"],
    ["quote", "guizhou", "2021", "--paid", "2021-03-01", "--paid", "2021-03-02"],
    ["show", "atlantis", "2021"],
    ["diff", "--jobs", "0"],
]


@pytest.mark.skipif(not SCRIPT.exists(), reason="the policylib script is not installed")
@pytest.mark.parametrize("argv", SAME_ERRORS, ids=[" ".join(a) for a in SAME_ERRORS])
def test_python_m_policylib_cli_answers_as_the_installed_command(argv: list[str]) -> None:
    module, script = run_cli(*argv), run_script(*argv)
    line = refused(module, f"policylib {argv[0]}: ")
    assert (module.returncode, module.stdout, module.stderr) == (script.returncode, script.stdout, script.stderr)
    assert line


# ---------------------------------------------------------------------------- quote

QUOTE_REFUSALS = [
    # (arguments after "quote guizhou 2021", the argument named, further text)
    (["--paid", "1990-01-01"], "--paid", ["1990-01-01", "outside this notice", "from 2020-11-16"]),
    (["--paid", "2020-11-15"], "--paid", ["outside this notice", "from 2020-11-16"]),  # the day before it opens
    (["--paid", "2090-01-01"], "--paid", ["2090-01-01", "outside this notice"]),
    (["--event", "newborn", "--born", "1950-01-01", "--paid", "2021-06-10"], "--born",
     ["1950-01-01", "too early for a newborn", "born from 2020-01-01"]),
    (["--event", "newborn", "--born", "2022-03-01", "--paid", "2022-06-10"], "--born",
     ["after the coverage period", "2021-12-31"]),
    (["--paid", "2021-03-01", "--event", "employee_lapse", "--lapsed", "2030-01-01"], "--lapsed",
     ["2030-01-01", "outside this notice", "up to 2023-12-31"]),
    (["--paid", "2021-03-01", "--event", "veteran", "--discharged", "2024-01-01"], "--discharged",
     ["outside this notice"]),
    (["--paid", "2021-03-01", "--category", "tekun", "--recognised", "2099-05-01"], "--recognised",
     ["outside this notice"]),
    (["--paid", "2021-03-01", "--paid", "2021-03-02"], "--paid given twice", []),
    (["--paid", "2021-03-01", "--pai", "2021-03-02"], "--paid given twice", []),  # an abbreviation is the same flag
    (["--paid", "2021-03-01", "--json", "--json"], "--json given twice", []),
    (["--paid", "2021-03-01", "--event", "regular", "--event", "newborn"], "--event given twice", []),
    (["--paid", "2021-03-01", "--student", "yes", "--student", "no"], "--student given twice", []),
]


@pytest.mark.parametrize(("argv", "argument", "contains"), QUOTE_REFUSALS,
                         ids=[" ".join(a) for a, _, _ in QUOTE_REFUSALS])
def test_quote_refuses(argv: list[str], argument: str, contains: list[str]) -> None:
    refused(run_cli("quote", "guizhou", "2021", *argv), f"policylib quote: {argument}", *contains)


def test_quote_still_answers_dates_the_notice_speaks_about() -> None:
    after = run_cli("quote", "guizhou", "2021", "--paid", "2022-03-01")
    assert after.returncode == 0, after.stderr
    assert "Payable (可否参保缴费): no — payment on 2022-03-01 is after the coverage period ended" in after.stdout
    opening = run_cli("quote", "guizhou", "2021", "--paid", "2020-11-16")
    assert opening.returncode == 0, opening.stderr
    newborn = run_cli("quote", "guizhou", "2021", "--event", "newborn", "--born", "2020-12-20", "--paid", "2021-02-01")
    assert newborn.returncode == 0, newborn.stderr
    lapse = run_cli("quote", "guizhou", "2021", "--event", "employee_lapse", "--lapsed", "2021-01-10",
                    "--paid", "2021-03-01")
    assert lapse.returncode == 0, lapse.stderr
    repeated = run_cli("quote", "guizhou", "2021", "--paid", "2021-03-01", "--category", "tekun",
                       "--category", "dibao_rural_1")  # --category is meant to repeat
    assert repeated.returncode == 0, repeated.stderr
    assert "assisted categories: tekun, dibao_rural_1" in repeated.stdout


# ---------------------------------------------------------------------------- diff


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def notebook(value: str) -> str:
    nb = new_notebook()
    nb.cells = [new_code_cell("print(value)", outputs=[new_output("stream", name="stdout", text=value + "\n")])]
    nb.cells[0].id = "value"
    return nbformat.writes(nb)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose committed book has two notebooks."""
    git(tmp_path, "init", "-q")
    (tmp_path / "rules").mkdir()
    for rel, value in (("profiles/guizhou-2021", "280"), ("chapters/financing", "financing")):
        path = tmp_path / "book" / f"{rel}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(notebook(value), encoding="utf-8")
    git(tmp_path, "add", "book")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "book")
    return tmp_path


@pytest.mark.parametrize("text", ["[1, 2]", '{"cells": "none"}', '{"nbformat": 4, "cells": [7]}', "{}", "not json"])
def test_diff_refuses_a_file_that_is_not_a_notebook(repo: Path, text: str) -> None:
    (repo / "book" / "chapters" / "financing.ipynb").write_text(text, encoding="utf-8")
    prefix = "policylib diff: book/chapters/financing.ipynb: not a notebook"
    refused(run_cli("diff", "--rev", "HEAD", home=repo), prefix)
    # One that is new in the work tree is refused too, not reported as a new notebook (exit 1).
    (repo / "book" / "chapters" / "extra.ipynb").write_text(text, encoding="utf-8")
    (repo / "book" / "chapters" / "financing.ipynb").write_text(notebook("financing"), encoding="utf-8")
    refused(run_cli("diff", "--rev", "HEAD", home=repo), "policylib diff: book/chapters/extra.ipynb: not a notebook")


def test_diff_only_must_name_a_notebook_of_the_book(repo: Path) -> None:
    line = refused(run_cli("diff", "--rev", "HEAD", "--only", "atlantis-2021", home=repo), "policylib diff: --only")
    assert "'atlantis-2021'" in line
    # Against the current rules too, before anything is executed.
    refused(run_cli("diff", "--only", "guizhou-2030", home=repo), "policylib diff: --only 'guizhou-2030'")

    (repo / "book" / "profiles" / "guizhou-2021.ipynb").write_text(notebook("290"), encoding="utf-8")
    (repo / "book" / "chapters" / "financing.ipynb").write_text(notebook("changed"), encoding="utf-8")
    both = run_cli("diff", "--rev", "HEAD", home=repo)
    assert both.returncode == 1 and "financing" in both.stdout and "guizhou-2021" in both.stdout
    for name in ("guizhou-2021", "profile", "book/profiles/guizhou-2021.ipynb"):
        one = run_cli("diff", "--rev", "HEAD", "--only", name, home=repo)
        assert one.returncode == 1, one.stderr
        assert "280 → 290" in one.stdout and "financing" not in one.stdout
        assert "1 of 1 notebooks changed" in one.stdout


@pytest.mark.skipif(not SCRIPT.exists(), reason="the policylib script is not installed")
@pytest.mark.parametrize("rev", ["-h", "--output=/tmp/policylib-diff-test", "--exec=touch x", ""])
def test_diff_refuses_a_revision_git_would_read_as_an_option(repo: Path, tmp_path: Path, rev: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    called = tmp_path / "git-was-called"
    (bin_dir / "git").write_text(f"#!/bin/sh\ntouch {called}\nexit 1\n", encoding="utf-8")
    (bin_dir / "git").chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    refused(run_script("diff", f"--rev={rev}", "--rev", "HEAD", home=repo, path=path),
            "policylib diff: --rev", "not a revision")
    assert not called.exists(), "git was run"


@pytest.mark.parametrize(("argv", "contains"), [
    (["--jobs", "0"], "--jobs must be at least 1, got 0"),
    (["--jobs", "-3"], "--jobs must be at least 1, got -3"),
    (["-j", "0"], "--jobs must be at least 1"),
    (["--jobs", "two"], "invalid int value: 'two'"),
    (["--jobs", "1", "--jobs", "2"], "--jobs given twice"),
])
def test_diff_refuses_jobs_below_one(repo: Path, argv: list[str], contains: str) -> None:
    refused(run_cli("diff", *argv, home=repo), "policylib diff: ", contains)
