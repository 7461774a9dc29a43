"""Faults in the book build: two builds at once, a build stopped by a signal, a failing template cell.

The builds run as real processes (``python -m policylib.book``) on a small project in a temporary
directory: six chapter templates of two cells each, no rule files. A template can be made to hold
its kernel in a cell until the test lets it go, so the faults happen mid-execution, at a known point.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from test_book_pipeline import FakeEntry

from policylib.book import pipeline
from policylib.book.stopping import stop_trees

REPO = Path(__file__).resolve().parent.parent
KERNEL_META = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
CHAPTERS = [t.name for t in pipeline.TEMPLATES if not t.per_jurisdiction]
DEADLINE = 180.0  # seconds a step may take before the test gives up (a hang, not a measure of speed)

# A cell that says its kernel is running (file running-NAME holds the kernel's pid), then waits for
# the file "release" in the project root.
HOLD = """import os, pathlib, time
home = pathlib.Path(os.environ["POLICYLIB_HOME"])
(home / "running-{name}").write_text(str(os.getpid()))
while not (home / "release").exists():
    time.sleep(0.05)"""


def write_chapter(root: Path, name: str, *sources: str) -> None:
    nb = new_notebook(metadata=KERNEL_META)
    nb.cells = [new_markdown_cell(f"# Chapter {name}"), *(new_code_cell(s) for s in sources)]
    for index, cell in enumerate(nb.cells):
        cell.id = f"{name}-{index}"
    nbformat.write(nb, root / "notebooks" / f"{name}.ipynb")


def hold_in(root: Path, name: str) -> None:
    """Make chapter ``name`` wait in its second cell until the test creates ``release``."""
    write_chapter(root, name, f"print({name!r})", HOLD.format(name=name))


STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_stray_processes() -> Iterator[None]:
    """Whatever a test asserts, end the builds it started and the kernels they left (a failing test)."""
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            stop_trees([proc.pid])
        proc.communicate()
    for marker in KERNEL_MARKERS:
        with contextlib.suppress(ValueError, OSError, psutil.Error):
            kernel = psutil.Process(int(marker.read_text(encoding="utf-8")))
            if kernel.environ().get("POLICYLIB_HOME") == str(marker.parent):
                stop_trees([kernel.pid])
    KERNEL_MARKERS.clear()


KERNEL_MARKERS: list[Path] = []


def start_build(root: Path, *args: str, stdout: Path | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "POLICYLIB_HOME": str(root), "PYTHONUTF8": "1"}
    out = stdout.open("w", encoding="utf-8") if stdout else subprocess.PIPE
    proc = subprocess.Popen(
        [sys.executable, "-m", "policylib.book", "--jobs", "2", *args],
        cwd=root, env=env, stdout=out, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        start_new_session=True,
    )
    STARTED.append(proc)
    KERNEL_MARKERS.extend(root / f"running-{name}" for name in CHAPTERS)
    return proc


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=DEADLINE)
    return proc.returncode, out or "", err


def wait_for(condition: Callable[[], bool], what: str, proc: subprocess.Popen[str] | None = None) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the build ended (exit {proc.returncode}) before {what}: {proc.communicate()}")
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small project built once, HTML published."""
    root = tmp_path_factory.mktemp("built")
    (root / "rules").mkdir()
    (root / "notebooks").mkdir()
    for name in ["profile", *CHAPTERS]:
        write_chapter(root, name, f"print({name!r})")
    code, out, err = finish(start_build(root))
    assert code == 0, out + err
    assert (root / "book" / "_build" / "html" / "chapters" / "financing.html").is_file()
    return root


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    """A copy of the built project for one test to change."""
    root = tmp_path / "project"
    shutil.copytree(built, root, symlinks=True)
    return root


def test_a_second_build_waits_for_the_first_or_says_it_is_running(project: Path, tmp_path: Path) -> None:
    html = project / "book" / "_build" / "html"
    hold_in(project, "financing")
    first = start_build(project)
    wait_for(lambda: (project / "running-financing").is_file(), "the first build's kernel", first)

    # --no-wait: refused at once, in one line naming the build that runs.
    code, out, err = finish(start_build(project, "--no-wait"))
    assert code == 75, out + err
    assert err.strip() == f"book build not started: another build of this book is running (pid {first.pid})"
    assert out == ""

    # Without it: the second build says it waits, and starts only once the first has published.
    log = tmp_path / "second.out"
    second = start_build(project, stdout=log)
    wait_for(lambda: log.is_file() and "waiting for another build" in log.read_text(encoding="utf-8"),
             "the second build to say it waits", second)
    assert second.poll() is None
    (project / "release").touch()
    code, out, err = finish(first)
    assert code == 0, out + err
    assert "book/_build/html built" in out
    published = tree(html)

    code, _, err = finish(second)
    text = log.read_text(encoding="utf-8")
    assert code == 0, text + err
    assert text.splitlines()[0] == f"waiting for another build of this book (pid {first.pid}) to finish"
    # It planned after the first build had finished: nothing left to execute or publish.
    assert f"{len(CHAPTERS)} notebooks up to date" in text and "book/_build/html is up to date" in text
    assert "[1/" not in text
    assert tree(html) == published
    assert "running-financing" in (html / "chapters" / "financing.html").read_text(encoding="utf-8")


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_build_ends_its_children_and_keeps_the_published_book(
    project: Path, signum: signal.Signals
) -> None:
    html = project / "book" / "_build" / "html"
    published = tree(html)
    for name in ("financing", "deadlines"):
        hold_in(project, name)
    build = start_build(project)
    markers = [project / "running-financing", project / "running-deadlines"]
    wait_for(lambda: all(m.is_file() for m in markers), "two kernels to run", build)

    children = psutil.Process(build.pid).children(recursive=True)
    kernels = {int(m.read_text(encoding="utf-8")) for m in markers}
    assert kernels <= {p.pid for p in children}
    build.send_signal(signum)
    code, out, err = finish(build)

    name = signal.Signals(signum).name
    assert code == 128 + signum, out + err
    assert err.splitlines() == [f"book build stopped by {name}; the published book was left as it was"]
    left = [p for p in children if _alive(p)]
    assert not left, f"still running after the build stopped: {[(p.pid, p.cmdline()) for p in left]}"
    assert tree(html) == published
    assert not (project / "book" / "_build" / ".staging").exists()

    for name in ("financing", "deadlines"):
        write_chapter(project, name, f"print({name!r})")
    code, out, err = finish(start_build(project))
    assert code == 0, out + err
    assert "book/_build/html" in out and not err


def test_a_build_recovers_from_one_killed_while_publishing(project: Path) -> None:
    """What a build killed outright (SIGKILL) between its two renames leaves: the next one repairs it."""
    paths = pipeline.Paths(project)
    published = tree(paths.html)
    paths.staging.mkdir()
    (paths.staging / "half.html").write_text("half written", encoding="utf-8")
    os.rename(paths.html, paths.previous)

    report = pipeline.build(project, html=True, echo=lambda s: None)
    assert report.html == "up to date"
    assert tree(paths.html) == published
    assert not paths.staging.exists() and not paths.previous.exists()


def test_a_failing_cell_is_named_by_its_number_in_the_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cell planted in a copy of the profile template, after the cell that papermill's injected
    parameters follow: the message counts the template's cells, not the executed notebook's."""
    for name in ("rules", "sources", "notebooks"):
        shutil.copytree(REPO / name, tmp_path / name)
    path = tmp_path / "notebooks" / "profile.ipynb"
    nb = nbformat.read(path, as_version=4)
    parameters = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    position = parameters + 2  # after the parameters cell and the cell that follows it
    nb.cells.insert(position, new_code_cell("planted = 100 / 0", id="planted"))
    nbformat.write(nb, path)
    monkeypatch.setattr(pipeline, "generate_pages", lambda paths: False)
    profile = next(t for t in pipeline.TEMPLATES if t.per_jurisdiction)
    entry = FakeEntry("guizhou", 2021, "province", "Guizhou", "贵州省")

    with pytest.raises(pipeline.BookBuildError) as failed:
        pipeline.build(tmp_path, html=False, jobs=1, entries=[entry], templates=[profile], echo=lambda s: None)
    cell = f"cell {position + 1} of {len(nb.cells)}"
    expected = (f"book/profiles/guizhou-2021.ipynb: notebooks/profile.ipynb {cell} `planted = 100 / 0` "
                "raised ZeroDivisionError")
    assert expected in str(failed.value)
    assert str(failed.value).count("\n") == 1  # the heading line and this notebook's line


def _template(*tags: list[str]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [new_code_cell("x = 1", metadata={"tags": t} if t else {}) for t in tags]
    return nb


def test_executed_cells_are_mapped_back_to_the_template() -> None:
    nb = _template([], ["parameters"], [], [])  # executed: 0, 1 (parameters), 2 (injected), 3, 4
    names = [pipeline.template_cell(nb, {"year": 2021}, i) for i in range(5)]
    assert names == ["cell 1 of 4", "cell 2 of 4", "the parameters injected after cell 2", "cell 3 of 4",
                     "cell 4 of 4"]
    # No parameters: nothing injected, the numbering is the template's.
    assert pipeline.template_cell(nb, {}, 2) == "cell 3 of 4"
    # No cell tagged parameters: papermill injects first.
    plain = _template([], [])
    assert [pipeline.template_cell(plain, {"year": 2021}, i) for i in range(3)] == [
        "the parameters injected first", "cell 1 of 2", "cell 2 of 2"
    ]


def test_a_build_with_nothing_changed_stops_before_planning(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a complete build, the next one only hashes its inputs; any changed input builds again."""
    paths = pipeline.Paths(project)

    def planned(*args: object, **kwargs: object) -> None:
        raise AssertionError("planned although nothing changed")

    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "_build", planned)
        report = pipeline.build(project, echo=lambda s: None)
    assert report.html == "up to date" and report.executed == []
    assert sorted(report.up_to_date) == sorted(f"chapters/{name}.ipynb" for name in CHAPTERS)

    published = tree(paths.html)
    (paths.book / "primer.md").write_text("# Primer\n\nEdited by hand.\n", encoding="utf-8")
    report = pipeline.build(project, echo=lambda s: None)
    assert report.html == "built" and report.executed == []
    assert "Edited by hand." in (paths.html / "primer.html").read_text(encoding="utf-8")
    assert tree(paths.html) != published
