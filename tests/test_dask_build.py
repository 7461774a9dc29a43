"""Notebook execution on Dask distributed: the bytes and failure messages of the local pool, a local
cluster ended with its kernels on Ctrl-C, and a default build that never imports Dask."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest
from test_book_pipeline import ENTRIES, PROFILE, make_project, write_template

from policylib.book import __main__ as cli
from policylib.book import dask_run, pipeline
from policylib.book.pipeline import BookBuildError, Paths
from policylib.book.stopping import BuildStopped, stop_on_signals
from policylib.paths import ENV_HOME

REPO = Path(__file__).resolve().parent.parent
# A representative subset of the book (the whole book takes minutes on two cores): a profile and a
# chapter with charts, one per worker.
SUBSET = ("profiles/guizhou-2021.ipynb", "chapters/changes.ipynb")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a two-worker local cluster shared by the module's tests."""
    with dask_run.start_local_cluster(2) as cluster:
        yield cluster.scheduler_address


def _quiet(_: str) -> None:
    pass


def _copy_project(destination: Path) -> Paths:
    """What the notebooks read: the rules, the sources, the templates and the library (an input)."""
    for name in ("rules", "sources", "notebooks", "policylib"):
        shutil.copytree(REPO / name, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
    return Paths(destination)


def test_the_book_notebooks_on_a_two_worker_cluster_have_the_local_bytes(
    scheduler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _copy_project(tmp_path)
    monkeypatch.setenv(ENV_HOME, str(paths.root))
    files = pipeline.file_digests(paths.root)
    jobs = pipeline.plan(pipeline.catalogue_entries(paths, pipeline.inputs_digest(paths.root)))
    selected = [job for job in jobs if job.output in SUBSET]
    assert sorted(job.output for job in selected) == sorted(SUBSET)
    run = {"selected": selected, "workers": 2, "force": True, "files": files, "echo": _quiet}

    pipeline.execute_notebooks(paths, jobs, **run)
    local = {job.output: (paths.book / job.output).read_bytes() for job in selected}
    for job in selected:
        (paths.book / job.output).unlink()
    report = pipeline.execute_notebooks(paths, jobs, dask=scheduler, **run)

    assert sorted(report.executed) == sorted(SUBSET)
    for job in selected:
        assert (paths.book / job.output).read_bytes() == local[job.output], f"{job.output} differs on Dask"
    assert any(b"data:image/svg+xml;base64," in data for data in local.values()), "no chart compared"


def _failing_project(root: Path) -> Paths:
    paths = make_project(root)
    write_template(root, "profile", 'jurisdiction = "x"\nyear = 2000\nday_count = "civil-code"',
                   "total = 1\nshare = total / 0")
    nb = nbformat.read(paths.template(PROFILE), as_version=4)
    nb.cells[1].metadata["tags"] = ["parameters"]
    nbformat.write(nb, paths.template(PROFILE))
    return paths


def test_a_failure_on_dask_reads_as_in_the_local_run(scheduler: str, tmp_path: Path) -> None:
    paths = _failing_project(tmp_path)
    jobs = pipeline.plan(ENTRIES[:2], [PROFILE])
    messages = []
    for dask in (None, scheduler):
        with pytest.raises(BookBuildError) as failed:
            pipeline.execute_notebooks(paths, jobs, workers=1, force=True, files={}, echo=_quiet, dask=dask)
        messages.append(str(failed.value))
    assert "notebooks/profile.ipynb cell 3 of 3 `total = 1` raised ZeroDivisionError" in messages[0]
    assert messages[1] == messages[0]


def test_ctrl_c_ends_the_local_cluster_with_its_workers_and_kernels(tmp_path: Path) -> None:
    paths = make_project(tmp_path)
    marker = tmp_path / "kernel.pid"
    write_template(tmp_path, "slow", f"import os, time\nopen({str(marker)!r}, 'w').write(str(os.getpid()))\n"
                   "time.sleep(600)")
    task = pipeline.Task(template=str(paths.notebooks / "slow.ipynb"), template_label="notebooks/slow.ipynb",
                         output="chapters/slow.ipynb", label="book/chapters/slow.ipynb", parameters={}, fields={},
                         cwd=str(tmp_path))
    started: list[int] = []

    def press_ctrl_c() -> None:
        """Once the notebook's kernel runs, note it and the worker that started it, and interrupt the build."""
        deadline = time.monotonic() + 90
        while (not marker.is_file() or not marker.read_text()) and time.monotonic() < deadline:
            time.sleep(0.2)
        with contextlib.suppress(ValueError, psutil.Error):
            kernel = psutil.Process(int(marker.read_text()))
            ancestors = [p.pid for p in kernel.parents()]  # the worker, up to this process
            started.extend([kernel.pid, *ancestors[: ancestors.index(os.getpid())]])
        os.kill(os.getpid(), signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    with pytest.raises(BuildStopped), stop_on_signals():
        list(pipeline.run_tasks([task], 1, paths.root, dask=dask_run.LOCAL))
    presser.join()

    assert len(started) >= 2, "the notebook's kernel and its worker were not seen running"
    alive = [pid for pid in started if psutil.pid_exists(pid)
             and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"left running: {alive}"


def test_a_build_without_dask_never_imports_it(tmp_path: Path) -> None:
    make_project(tmp_path)
    write_template(tmp_path, "financing", 'print("financing")')
    script = """
import json, sys
from policylib.book import __main__ as cli, pipeline
pipeline.TEMPLATES = (pipeline.Template("financing", "chapters/financing.ipynb", pipeline.COMPARISONS),)
pipeline.load_entries = lambda: []
status = cli.main(["--no-html", "--jobs", "1"])
print(json.dumps([status, sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed"))]))
"""
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, ENV_HOME: str(tmp_path)},
                          capture_output=True, text=True, timeout=120, check=False)
    status, imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert status == 0, done.stderr
    assert (tmp_path / "book" / "chapters" / "financing.ipynb").is_file()
    assert imported == []


def test_dask_option_asks_for_a_local_cluster_or_names_a_scheduler() -> None:
    assert cli.parse_args([]).dask is None
    assert cli.parse_args(["--dask"]).dask == dask_run.LOCAL
    assert cli.parse_args(["--dask", "tcp://10.0.0.5:8786"]).dask == "tcp://10.0.0.5:8786"
