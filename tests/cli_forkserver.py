"""A fork server for `python -m policylib.cli`: it imports the command line's modules once, then forks one child
per command, which runs as ``python -m policylib.cli`` would in a new process.

Protocol (one JSON object per line on stdin, one answer per line on stdout): a request
``{"argv": [...], "cwd": ..., "env": {...}, "out": path, "err": path}`` is answered with ``{"pid": n}`` when the
child has started and ``{"returncode": n}`` when it has ended. The child writes its standard output and error to
the two files. The server ends when its stdin closes.

What a child shares with the server is only what importing the modules made: no project file has been read
when it forks, so no cache holds anything. Interpreter settings read at start-up (``PYTHONHASHSEED``,
``PYTHONPATH``) are the server's, not the request's.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import sys
import traceback

PRELOAD = ("policylib.cli", "policylib.quote_cli", "policylib.diff", "policylib.check", "policylib.scaffold",
           "policylib.schema", "policylib.engine", "policylib.compare")


def _child(request: dict) -> int:
    """Run the command in this (forked) process; return its exit status."""
    os.chdir(request["cwd"])
    sys.path[0] = request["cwd"]  # as under `python -m`: the working directory, not this file's
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, request["out"]), (2, request["err"])):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                  line_buffering=True)
    from policylib import cli

    sys.argv = [cli.__file__, *request["argv"]]
    try:
        code = cli.main()  # what `python -m policylib.cli` runs: the module's own main (see its __main__ block)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:  # what the interpreter does with an uncaught exception
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()  # what the interpreter runs at exit (os._exit below skips it)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):
            stream.flush()
    return code


def serve() -> None:
    """Answer requests from stdin until it closes."""
    for name in PRELOAD:
        __import__(name)
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


if __name__ == "__main__":
    serve()
