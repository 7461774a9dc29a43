"""One build of a book at a time: an exclusive ``flock`` on ``book/_build/.lock``.

The lock belongs to the open file, so it goes when the build's process ends, however it ends;
the file itself stays (removing it would let two builds lock two different files).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class BuildLocked(Exception):
    """Another build of the same book holds the lock and the caller would not wait."""


def _holder(fd: int) -> str:
    """" (pid N)" for the process that holds the lock, as it wrote itself into the file."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""


@contextmanager
def build_lock(path: Path, *, wait: bool = True, echo: Callable[[str], None] = print) -> Iterator[None]:
    """Hold the lock at ``path`` for the duration of the block.

    If another process holds it: wait for it (saying so through ``echo``), or raise
    :class:`BuildLocked` when ``wait`` is false.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            if not wait:
                raise BuildLocked(f"another build of this book is running{holder}") from None
            echo(f"waiting for another build of this book{holder} to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)
