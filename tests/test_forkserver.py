"""policylib.forkserver: each run is a child that starts from the server's imports only and answers as
``python -m`` would (its arguments, directory, environment, output and exit status)."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from policylib.forkserver import ForkServer, Kept, ServerEnded

TARGETS = "tests.forkserver_targets"


@pytest.fixture
def server() -> Iterator[ForkServer]:
    started = ForkServer([TARGETS])
    yield started
    started.close()


def test_a_child_has_its_arguments_directory_environment_and_output(server: ForkServer, tmp_path: Path) -> None:
    env = {**os.environ, "FORK_TEST": "乙"}
    code, out, err = server.start(f"{TARGETS}:report", ["prog", "first", "3"], cwd=tmp_path, env=env).wait()
    seen = json.loads(out)
    assert code == 3
    assert seen == {"argv": ["prog", "first", "3"], "cwd": str(tmp_path), "home": "乙", "calls": ["first"],
                    "stdin": ""}
    assert err == "说明 on stderr\n"
    # The next child starts from the server again, not from what the first one did.
    code, out, _ = server.start(f"{TARGETS}:report", ["prog", "second", "0"], cwd=tmp_path, env={}).wait()
    assert code == 0
    assert json.loads(out)["calls"] == ["second"] and json.loads(out)["home"] is None


def test_exit_statuses_as_the_interpreter_gives_them(server: ForkServer, tmp_path: Path) -> None:
    code, _, err = server.start(f"{TARGETS}:exit_with_text", ["prog"], cwd=tmp_path).wait()
    assert (code, err) == (1, "a message, not a number\n")
    code, _, err = server.start(f"{TARGETS}:fail", ["prog"], cwd=tmp_path).wait()
    assert code == 1
    assert err.startswith("Traceback") and err.rstrip().endswith("ValueError: broken on purpose")


def test_a_child_past_its_timeout_is_killed_and_the_server_goes_on(server: ForkServer, tmp_path: Path) -> None:
    child = server.start(f"{TARGETS}:sleep", ["prog"], cwd=tmp_path)
    with pytest.raises(TimeoutError):
        child.wait(timeout=0.5)
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)
    code, _, _ = server.start(f"{TARGETS}:report", ["prog", "after", "0"], cwd=tmp_path).wait()
    assert code == 0


def test_a_server_that_is_gone_is_said(server: ForkServer, tmp_path: Path) -> None:
    server.process.kill()
    server.process.wait()
    with pytest.raises(ServerEnded):
        server.start(f"{TARGETS}:report", ["prog", "x", "0"], cwd=tmp_path).wait()


def test_an_uncaught_interrupt_ends_the_child_by_sigint(server: ForkServer, tmp_path: Path) -> None:
    """As the interpreter does: the traceback, then the process ends by SIGINT (status -2, 130 in a shell)."""
    code, _, err = server.start(f"{TARGETS}:interrupted", ["prog"], cwd=tmp_path).wait()
    assert code == -signal.SIGINT
    assert err.rstrip().endswith("KeyboardInterrupt")


def test_a_child_waits_for_its_threads_before_it_exits(server: ForkServer, tmp_path: Path) -> None:
    code, out, _ = server.start(f"{TARGETS}:thread_left_running", ["prog"], cwd=tmp_path).wait()
    assert (code, out) == (0, "the thread ended\n")


def test_a_wait_cut_short_ends_the_child_and_the_server_goes_on(server: ForkServer, tmp_path: Path) -> None:
    """A wait interrupted (Ctrl-C, a test's time limit) leaves no child running and the server ready for more."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    child = server.start(f"{TARGETS}:sleep", ["prog"], cwd=tmp_path)
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(KeyboardInterrupt):
            child.wait()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)
    code, _, _ = server.start(f"{TARGETS}:report", ["prog", "after", "0"], cwd=tmp_path).wait()
    assert code == 0


def test_a_child_takes_its_temporary_directory_from_its_environment(tmp_path: Path) -> None:
    """A server whose imports asked for the temporary directory (jieba's does, for its cache) does not hand its
    own to the children: ``TMPDIR`` is the child's."""
    started = ForkServer([TARGETS, "tempfile:gettempdir"])
    try:
        env = {**os.environ, "TMPDIR": str(tmp_path)}
        code, out, _ = started.start(f"{TARGETS}:temp_dir", ["prog"], cwd=tmp_path, env=env).wait()
    finally:
        started.close()
    assert (code, out) == (0, f"{tmp_path}\n")


def test_a_child_takes_its_time_zone_from_its_environment(server: ForkServer, tmp_path: Path) -> None:
    """``TZ`` is read when the interpreter starts (time.tzset): the child's, not the server's."""
    env = {**os.environ, "TZ": "Asia/Shanghai"}
    code, out, _ = server.start(f"{TARGETS}:local_time", ["prog"], cwd=tmp_path, env=env).wait()
    assert (code, out) == (0, "CST\n")


def test_a_kept_server_is_replaced_when_its_code_changes() -> None:
    stamps = iter(["one", "one", "two"])
    kept = Kept([TARGETS], stamp=lambda: next(stamps))
    try:
        first = kept.server()
        assert kept.server() is first  # the same code: the same server
        second = kept.server()  # the code changed: a new server, the old one ended
        assert second is not first and first.process.poll() is not None and second.alive()
    finally:
        kept.close()
