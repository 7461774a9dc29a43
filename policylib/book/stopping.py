"""Stopping a build: SIGTERM raised as an exception, and the build's child processes ended with it.

Kernels started by papermill run in sessions of their own (``jupyter_client`` starts them so), so a
signal to the build's process group does not reach them: the build ends every process it started,
and their descendants, itself.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterable, Iterator

import psutil

GRACE_SECONDS = 5.0


class BuildStopped(BaseException):
    """The build received SIGTERM (or SIGINT) and stops; ``signal_name`` says which."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def _raise_stopped(signum: int, frame: object) -> None:
    # Further signals are ignored while the build cleans up (a second Ctrl-C must not cut that short).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise BuildStopped(signal.Signals(signum).name)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT raise :class:`BuildStopped` in the main thread.

    Outside the main thread (where handlers cannot be set) the dispositions are left as they are.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    for signum in previous:
        signal.signal(signum, _raise_stopped)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def worker_signals() -> None:
    """Signal dispositions for a worker process: the default for SIGTERM, SIGINT left to the build."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGTERM and SIGINT back for the block (a step that must not be cut in half)."""
    held = {signal.SIGTERM, signal.SIGINT}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def stop_trees(pids: Iterable[int], grace: float = GRACE_SECONDS) -> None:
    """End the processes ``pids`` and all their descendants: SIGTERM, then SIGKILL after ``grace`` seconds.

    The whole tree is listed before anything is signalled, so that a grandchild whose parent dies
    first is not lost.
    """
    procs: list[psutil.Process] = []
    for pid in pids:
        try:
            parent = psutil.Process(pid)
            procs += [parent, *parent.children(recursive=True)]
        except psutil.Error:
            continue
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    alive = _wait_ended(procs, grace)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    _wait_ended(alive, grace)


def _ended(proc: psutil.Process) -> bool:
    """Whether a process has ended: gone, or a zombie (ended, waiting for a parent that may be slow to reap it)."""
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def _wait_ended(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait up to ``timeout`` seconds for ``procs`` to end (reaping this process's own children); return those alive."""
    deadline = time.monotonic() + timeout
    alive = list(procs)
    while alive:
        _, alive = psutil.wait_procs(alive, timeout=0)
        alive = [proc for proc in alive if not _ended(proc)]
        if not alive or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    return alive
