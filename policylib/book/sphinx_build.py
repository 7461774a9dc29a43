"""Run Jupyter Book's Sphinx build in a process of its own.

``python -m policylib.book.sphinx_build SRC OUT DOCTREES`` builds once. Warnings are errors
(``-W --keep-going``); the doctree cache lives apart from the output directory so that it survives
between builds into fresh staging directories.

The pipeline runs its builds through a :class:`SphinxServer` (``--serve``): a process that imports
Sphinx with the book's extensions and loads jieba's Chinese dictionary, about four seconds of work,
while the notebooks execute, then forks one child per build. Each child starts from that state, with
nothing of any build in it, runs :func:`main` as the single build would and ends. A process that builds
several books (the tests) pays for the imports once.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

# What a build imports: Jupyter Book and its Sphinx extensions, this package's own, and the Chinese search.
PRELOAD = (
    "jupyter_book.sphinx", "sphinx.application", "sphinx.builders.html", "sphinx.search.zh", "myst_nb.sphinx_ext",
    "myst_parser.sphinx_ext.main", "sphinx_book_theme", "sphinx_design", "sphinx_external_toc", "sphinx_comments",
    "sphinx_copybutton", "sphinx_togglebutton", "sphinx_multitoc_numbering", "sphinx_jupyterbook_latex",
    "policylib.book.sphinx_search", "policylib.book.sphinx_downloads", "policylib.book.sphinx_escape",
)


def main(argv: list[str] | None = None) -> int:
    """Build ``SRC`` into ``OUT`` with the HTML builder; return Sphinx's status code."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--serve"]:
        _serve()
        return 0
    if len(args) != 3:
        print("usage: python -m policylib.book.sphinx_build SRC OUT DOCTREES", file=sys.stderr)
        return 2
    source, output, doctrees = (Path(a).resolve() for a in args)
    from jupyter_book.sphinx import build_sphinx
    from sphinx.util.console import nocolor

    nocolor()

    result = build_sphinx(
        source,
        output,
        use_external_toc=True,
        noconfig=True,
        path_config=str(source / "_config.yml"),
        confoverrides={"external_toc_path": (source / "_toc.yml").as_posix(), "latex_individualpages": False},
        doctreedir=doctrees,
        builder="html",
        warningiserror=True,
        keep_going=True,
        quiet=True,
    )
    if isinstance(result, BaseException):
        return 2
    return int(result or 0)


# ---------------------------------------------------------------------------- the server


def _preload() -> None:
    import importlib

    for name in PRELOAD:
        with contextlib.suppress(ImportError):  # a build without it imports what it needs itself
            importlib.import_module(name)
    import jieba

    jieba.initialize()


def _child(request: dict) -> int:
    """Run one build in this forked process, as ``python -m policylib.book.sphinx_build`` would."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                  line_buffering=True)
    code = 1
    try:
        code = main(request["args"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):
            stream.flush()
    return code


def _serve() -> None:
    """Preload, then answer each request line on stdin with the child's pid and, when it ends, its status."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the build and its children
    _preload()
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


class SphinxServer:
    """A started ``--serve`` process; :meth:`build` runs one build in a child of it."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "policylib.book.sphinx_build", "--serve"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8",
        )
        self.child: int | None = None  # the build running now

    def alive(self) -> bool:
        return self.process.poll() is None

    def _answer(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise OSError("the Sphinx build server ended")
        return json.loads(line)

    def build(self, args: list[str], cwd: Path) -> tuple[int, str, str]:
        """Run :func:`main` on ``args`` in ``cwd`` with this process's environment; return (status, out, err)."""
        assert self.process.stdin is not None
        with tempfile.TemporaryDirectory(prefix="policylib-sphinx-") as scratch:
            out, err = Path(scratch, "stdout"), Path(scratch, "stderr")
            request = {"args": args, "cwd": str(cwd), "env": dict(os.environ), "stdout": str(out), "stderr": str(err)}
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            self.child = self._answer()["pid"]
            code = self._answer()["returncode"]
            self.child = None
            return code, out.read_text(encoding="utf-8", errors="replace"), err.read_text(encoding="utf-8",
                                                                                          errors="replace")

    def pids(self) -> list[int]:
        """The server and the build it runs now, if any."""
        return [self.process.pid, *([self.child] if self.child is not None else [])]

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


_kept: SphinxServer | None = None


def kept_server() -> SphinxServer:
    """This process's Sphinx server, started now if it is not running."""
    global _kept
    if _kept is None or not _kept.alive():
        _kept = SphinxServer()
    return _kept


def running_server() -> SphinxServer | None:
    """This process's Sphinx server if one was started and is running."""
    return _kept if _kept is not None and _kept.alive() else None


def forget_server() -> SphinxServer | None:
    """Take this process's server out of use (the caller stops or closes it); return it, if there was one."""
    global _kept
    server, _kept = _kept, None
    return server


@atexit.register
def _close_at_exit() -> None:
    server = forget_server()
    if server is not None:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
