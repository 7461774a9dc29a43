"""Running the `policylib` command line as ``python -m policylib.cli`` in a process of its own, as a user would.

Each command runs in a new process forked from a server that has imported the command line's modules
(tests/cli_forkserver.py, one per test process): the child starts with nothing read from any project, as a
new interpreter would, without the half second of imports. tests/test_cli_refusals.py holds the answers of
this runner and of the installed `policylib` script to be the same.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from policylib.paths import ENV_HOME

ROOT = Path(__file__).resolve().parent.parent
SERVER = Path(__file__).with_name("cli_forkserver.py")
TIMEOUT = 120

_server: subprocess.Popen[str] | None = None


def _started() -> subprocess.Popen[str]:
    global _server
    if _server is None or _server.poll() is not None:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONUTF8": "1"}
        _server = subprocess.Popen([sys.executable, str(SERVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   text=True, encoding="utf-8", cwd=ROOT, env=env)
        atexit.register(_stop, _server)
    return _server


def _stop(server: subprocess.Popen[str]) -> None:
    if server.poll() is None:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _answer(server: subprocess.Popen[str], deadline: float) -> dict:
    assert server.stdout is not None
    ready, _, _ = select.select([server.stdout], [], [], max(deadline, 0))
    line = server.stdout.readline() if ready else ""
    if not line:
        raise TimeoutError if not ready else RuntimeError("the command line's fork server ended")
    return json.loads(line)


def run_cli(*args: str, cwd: Path = ROOT, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``policylib`` with the project root ``home`` (or the checkout if None)."""
    env = {**os.environ, "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}
    env.pop(ENV_HOME, None)
    if home is not None:
        env[ENV_HOME] = str(home)
    command = [sys.executable, "-m", "policylib.cli", *args]
    server = _started()
    assert server.stdin is not None
    with tempfile.TemporaryDirectory(prefix="policylib-cli-") as scratch:
        out, err = Path(scratch, "out"), Path(scratch, "err")
        request = {"argv": list(args), "cwd": str(cwd), "env": env, "out": str(out), "err": str(err)}
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        pid = _answer(server, TIMEOUT)["pid"]
        try:
            code = _answer(server, TIMEOUT)["returncode"]
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            _answer(server, TIMEOUT)
            raise subprocess.TimeoutExpired(command, TIMEOUT) from None
        stdout = out.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
        stderr = err.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return subprocess.CompletedProcess(command, code, stdout, stderr)
