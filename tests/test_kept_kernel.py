"""A pool worker keeps one kernel for its notebooks and resets it between them (policylib.book.kernel).

Each notebook must come out with the bytes a kernel of its own gives it: nothing a notebook defined,
printed or counted is seen by the next one, and a failure leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from policylib.book import pipeline

# The first notebook leaves what a kept kernel could leak: a variable, output history, a working
# directory, a changed module attribute of its own namespace, and a count of executions.
LEAVES = [
    "secret = 41\nsecret + 1",
    "import os\nos.chdir('/')\nos.getcwd()",
    "_i, len(Out)",
]
# The second notebook shows what it finds: none of it.
FINDS = [
    "sorted(k for k in globals() if k == 'secret' or k.startswith('_i') and k[2:].isdigit())",  # only its own
    "import os\nos.path.basename(os.getcwd())",
    "len(In), len(Out)",
    "__doc__, __spec__, __loader__, __package__, [d.name for d in _dh]",
]
FAILS = ["left = 'behind'", "1 / 0"]
# A notebook that removes its own working directory leaves a kernel that cannot be reset where it is.
REMOVES_ITS_DIRECTORY = ["import os, tempfile\nd = tempfile.mkdtemp()\nos.chdir(d)\nos.rmdir(d)"]


def _task(root: Path, name: str, sources: list[str]) -> pipeline.Task:
    folder = root / name
    folder.mkdir()
    template = folder / "template.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(source) for source in sources]), template)
    return pipeline.Task(
        template=str(template),
        template_label=f"{name}/template.ipynb",
        output=f"{name}/out.ipynb",
        label=f"book/{name}/out.ipynb",
        parameters={},
        fields={},
        cwd=str(folder),
    )


def _cells(text: str) -> list[tuple[int | None, list[str]]]:
    nb = nbformat.reads(text, as_version=4)
    return [
        (cell.execution_count, [out.get("data", {}).get("text/plain", "") for out in cell.outputs])
        for cell in nb.cells
    ]


def test_one_kernel_runs_every_notebook_of_a_worker_as_a_fresh_one_would(tmp_path: Path) -> None:
    tasks = [_task(tmp_path, "leaves", LEAVES), _task(tmp_path, "finds", FINDS), _task(tmp_path, "again", FINDS)]
    outcomes = {o.output: o for o in pipeline.run_tasks(tasks, 1, tmp_path)}
    assert all(o.error is None for o in outcomes.values()), outcomes
    assert {o.kernels for o in outcomes.values()} == {1}  # three notebooks, one kernel
    for task in tasks:
        fresh = pipeline.execute(task)  # this process is no pool worker: a kernel of its own
        assert fresh.kernels == 0
        assert outcomes[task.output].text == fresh.text, task.output
    found = _cells(outcomes["finds/out.ipynb"].text or "")
    assert found[:3] == [(1, ["['_i1']"]), (2, ["'finds'"]), (3, ["(4, 2)"])]
    assert "None,None,None,['finds']" in found[3][1][0].replace("\n", "").replace(" ", "")
    assert _cells(outcomes["again/out.ipynb"].text or "")[1] == (2, ["'again'"])


def test_a_failed_notebook_leaves_nothing_to_the_next(tmp_path: Path) -> None:
    tasks = [_task(tmp_path, "fails", FAILS), _task(tmp_path, "finds", ["'left' in globals()", "len(In)"])]
    outcomes = {o.output: o for o in pipeline.run_tasks(tasks, 1, tmp_path)}
    failed = outcomes["fails/out.ipynb"]
    assert failed.error is not None and "cell 2 of 2 `1 / 0` raised ZeroDivisionError" in failed.error
    after = outcomes["finds/out.ipynb"]
    assert after.error is None and after.kernels == 2  # the failed notebook's kernel was replaced
    assert _cells(after.text or "") == [(1, ["False"]), (2, ["3"])]


def test_input_fails_at_once_and_a_removed_directory_does_not_fail_the_next_notebook(tmp_path: Path) -> None:
    tasks = [
        _task(tmp_path, "asks", ["input('your name? ')"]),
        _task(tmp_path, "removes", REMOVES_ITS_DIRECTORY),
        _task(tmp_path, "after", ["import os\nos.path.basename(os.getcwd())"]),
    ]
    outcomes = {o.output: o for o in pipeline.run_tasks(tasks, 1, tmp_path)}
    asked = outcomes["asks/out.ipynb"]
    assert asked.error is not None and "StdinNotImplementedError" in asked.error  # not a build waiting forever
    assert outcomes["removes/out.ipynb"].error is None
    after = outcomes["after/out.ipynb"]
    assert after.error is None and _cells(after.text or "") == [(1, ["'after'"])]


def test_a_kernel_is_warmed_with_the_imports_its_notebooks_make(tmp_path: Path) -> None:
    """The warm-up imports what the templates' cells import at their top level, once each, guarded so that a
    module that is missing leaves the warm-up to go on; cells that are not Python are passed over."""
    nb = new_notebook(cells=[
        new_code_cell("import json\nvalue = 1"),
        new_code_cell("%matplotlib inline"),
        new_code_cell("def later():\n    import csv"),
        new_code_cell("from . import sibling\nimport no_such_module_here\nfrom email import message"),
        new_code_cell("import json"),
    ])
    path = tmp_path / "template.ipynb"
    nbformat.write(nb, path)
    code = pipeline.imports_of([path, tmp_path / "missing.ipynb"])
    assert [line.strip() for line in code.splitlines() if "import" in line] == [
        "import json", "import no_such_module_here", "from email import message"]
    namespace: dict[str, object] = {}
    exec(code, namespace)  # the warm-up code under test
    assert "json" in namespace and "message" in namespace and "no_such_module_here" not in namespace


def test_a_template_that_is_no_notebook_is_left_to_the_build_to_report(tmp_path: Path) -> None:
    """The warm-up passes over what it cannot read (the notebook's execution reports it, naming the template)."""
    listed = tmp_path / "listed.ipynb"
    listed.write_text("[1, 2]", encoding="utf-8")
    invalid = tmp_path / "invalid.ipynb"
    invalid.write_text('{"nbformat": 4, "nbformat_minor": 5, "cells": [{"source": "import os"}]}', encoding="utf-8")
    nb = new_notebook(cells=[new_code_cell("import json")])
    good = tmp_path / "good.ipynb"
    nbformat.write(nb, good)
    assert pipeline.imports_of([listed, invalid, good]) == "try:\n    import json\nexcept Exception:\n    pass\n"


def test_a_future_statement_is_not_part_of_the_warm_up(tmp_path: Path) -> None:
    """``from __future__`` must open a cell: guarded, it is a syntax error that would cancel the whole warm-up."""
    nb = new_notebook(cells=[new_code_cell("from __future__ import annotations\nimport json")])
    path = tmp_path / "template.ipynb"
    nbformat.write(nb, path)
    code = pipeline.imports_of([path])
    compile(code, "warm-up", "exec")
    assert "__future__" not in code and "import json" in code
