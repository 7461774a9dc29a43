"""A fork server: a process that imports a program's modules once, then runs each run of the program in a child
forked from it, as ``python -m <module>`` would run it in a new process, without paying for the imports again.

``python -m policylib.forkserver NAME...`` imports each NAME (``module`` or ``module:function``, a function
called with no arguments once imported, e.g. to load a dictionary) and then answers requests, one JSON object
per line on stdin: ``{"target": "module:function", "argv": [...], "cwd", "env", "stdout", "stderr", "nice"}``.
The child changes to ``cwd``, takes ``env`` as its whole environment and ``argv`` as ``sys.argv``, writes its
output to the two files, lowers its priority by ``nice``, calls the function (which reads ``sys.argv``) and
exits with what it returns. The server answers ``{"pid": n}`` when the child has started and
``{"returncode": n}`` when it has ended; it ends when its stdin closes.

A child holds what importing made and nothing else: the server reads no project file, so no cache is
filled. Settings the interpreter reads at start-up (``PYTHONHASHSEED``, ``PYTHONPATH``) are the server's.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import io
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def _call(name: str) -> Any:
    module, _, function = name.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, function)() if function else None


def _child(request: dict[str, Any]) -> int:
    """Run one request in this (forked) process; return its exit status."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if request.get("nice"):
        os.nice(request["nice"])
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    tempfile.tempdir = None  # found again from this environment (TMPDIR), not kept from the server's
    time.tzset()  # the time zone (TZ) too
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                  line_buffering=True)
    sys.argv = list(request["argv"])
    sys.path[0] = request["cwd"]  # as under `python -m`: the working directory
    code = 1
    interrupted = False
    try:
        returned = _call(request["target"])
        code = returned if isinstance(returned, int) else 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except BaseException as exc:  # what the interpreter does with an uncaught exception
        import traceback

        traceback.print_exc()
        interrupted = isinstance(exc, KeyboardInterrupt)
    threading._shutdown()  # type: ignore[attr-defined]  # the interpreter waits for threads that are not daemons
    atexit._run_exitfuncs()  # os._exit below skips them
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):
            stream.flush()
    if interrupted:  # the interpreter ends by SIGINT itself, so that its parent sees the interruption
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return code


def serve(preload: Sequence[str]) -> None:
    """Import ``preload``, then run each request line of stdin in a forked child until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the caller and the child it waits for
    for name in preload:
        with contextlib.suppress(ImportError):  # a child imports what is missing itself
            _call(name)
    answers = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _child(request)
            finally:
                os._exit(code)
        answers.write(json.dumps({"pid": pid}) + "\n")
        answers.flush()
        _, status = os.waitpid(pid, 0)
        answers.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        answers.flush()


KILLED_SECONDS = 10  # a killed child's end is answered at once; a server that does not answer is stuck


class ServerEnded(OSError):
    """The fork server is gone (killed, or its start failed)."""


class Child:
    """A request running in a child of a :class:`ForkServer`."""

    def __init__(self, server: ForkServer, pid: int, scratch: tempfile.TemporaryDirectory[str]) -> None:
        self.server, self.pid, self._scratch = server, pid, scratch
        self.returncode: int | None = None

    def _kill(self) -> None:
        """Kill the child and take the server's answer that it ended (the server is then free for the next)."""
        with contextlib.suppress(ProcessLookupError):  # already reaped: its end is answered all the same
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):  # the server is gone too
            answer = self.server._answer(KILLED_SECONDS)
            if answer is not None:
                self.returncode = int(answer["returncode"])
                self.server.child = None

    def wait(self, timeout: float | None = None) -> tuple[int, str, str]:
        """Wait for the child to end; return its exit status, standard output and standard error. After
        ``timeout`` seconds the child is killed and :class:`TimeoutError` raised."""
        try:
            if self.returncode is None:
                try:
                    answer = self.server._answer(timeout)
                except BaseException:  # the wait was cut short (Ctrl-C, a signal): no child is left behind
                    self._kill()
                    raise
                if answer is None:
                    self._kill()
                    raise TimeoutError(f"still running after {timeout} s; killed")
                self.returncode = int(answer["returncode"])
                self.server.child = None
            folder = Path(self._scratch.name)
            out = (folder / "stdout").read_text(encoding="utf-8", errors="replace")
            err = (folder / "stderr").read_text(encoding="utf-8", errors="replace")
        finally:
            self._scratch.cleanup()
        return self.returncode, out, err


class ForkServer:
    """A started fork server (``python -m policylib.forkserver``): one child at a time."""

    def __init__(self, preload: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "policylib.forkserver", *preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0,
        )
        self.child: Child | None = None  # the request running now
        self._pending = b""  # answers read and not yet taken

    def alive(self) -> bool:
        return self.process.poll() is None

    def _answer(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next answer; None if none came within ``timeout`` seconds."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._pending:
            if timeout is not None and not select.select([fd], [], [], timeout)[0]:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                raise ServerEnded("the fork server ended")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return json.loads(line)

    def start(self, target: str, argv: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None,
              nice: int = 0) -> Child:
        """Start ``target`` (``module:function``) in a child with ``sys.argv`` = ``argv``, in ``cwd``, with
        ``env`` (default: this process's environment) and its priority lowered by ``nice``."""
        assert self.process.stdin is not None and self.child is None
        scratch = tempfile.TemporaryDirectory(prefix="policylib-fork-")
        folder = Path(scratch.name)
        request = {"target": target, "argv": list(argv), "cwd": str(cwd),
                   "env": dict(os.environ if env is None else env), "stdout": str(folder / "stdout"),
                   "stderr": str(folder / "stderr"), "nice": nice}
        try:
            try:
                self.process.stdin.write(json.dumps(request).encode() + b"\n")
            except BrokenPipeError:
                raise ServerEnded("the fork server ended") from None
            answer = self._answer()
            assert answer is not None
            pid = int(answer["pid"])
        except BaseException:
            scratch.cleanup()
            raise
        self.child = Child(self, pid, scratch)
        return self.child

    def pids(self) -> list[int]:
        """The server and the child it runs now, if any."""
        return [self.process.pid, *([self.child.pid] if self.child is not None else [])]

    def close(self) -> None:
        """Let the server end (it ends when its input closes) and wait for it."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def code_stamp() -> str:
    """The size and modification time of every Python file of this package: what a server imported."""
    package = Path(__file__).resolve().parent
    stats = ((p.relative_to(package).as_posix(), p.stat()) for p in sorted(package.rglob("*.py")))
    return "\n".join(f"{name} {stat.st_size} {stat.st_mtime_ns}" for name, stat in stats)


class Kept:
    """One fork server per process for a program, started when first asked for and kept for later runs, as long
    as ``stamp()`` (default :func:`code_stamp`) gives what it gave when the server started: a server that
    imported code changed since is replaced."""

    def __init__(self, preload: Sequence[str], stamp: Callable[[], str] = code_stamp) -> None:
        self.preload = tuple(preload)
        self.stamp = stamp
        self._server: ForkServer | None = None
        self._started_at = ""
        atexit.register(self.close)

    def server(self) -> ForkServer:
        """The running server, started now if there is none or its code changed."""
        now = self.stamp()
        if self._server is not None and (not self._server.alive() or now != self._started_at):
            self.close()
        if self._server is None:
            self._server, self._started_at = ForkServer(self.preload), now
        return self._server

    def forget(self) -> ForkServer | None:
        """Take the server out of use (the caller stops or closes it); return it, if there was one."""
        server, self._server = self._server, None
        return server

    def close(self) -> None:
        server = self.forget()
        if server is not None:
            server.close()


if __name__ == "__main__":
    serve(sys.argv[1:])
