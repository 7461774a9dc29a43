"""Running the `policylib` command line as ``python -m policylib.cli`` in a process of its own, as a user would.

Each command runs in a child forked from a server that has imported the command line's modules
(:mod:`policylib.forkserver`, one per test process): the child starts with nothing read from any project, as a
new interpreter would, without the half second of imports. tests/test_cli_refusals.py holds the answers of
this runner and of the installed `policylib` script to be the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from policylib import cli
from policylib.forkserver import Kept
from policylib.paths import ENV_HOME

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120
# The modules the commands import (check, quote, diff, new, schema, show).
SERVER = Kept(("policylib.cli", "policylib.quote_cli", "policylib.diff", "policylib.check", "policylib.scaffold",
               "policylib.schema", "policylib.engine", "policylib.compare"))


def run_cli(*args: str, cwd: Path = ROOT, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``policylib`` with the project root ``home`` (or the checkout if None)."""
    env = {**os.environ, "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}
    env.pop(ENV_HOME, None)
    if home is not None:
        env[ENV_HOME] = str(home)
    command = [sys.executable, "-m", "policylib.cli", *args]
    # `python -m policylib.cli` runs the module's main (its __main__ block), with sys.argv[0] its file.
    child = SERVER.server().start("policylib.cli:main", [cli.__file__, *args], cwd=cwd, env=env)
    try:
        code, stdout, stderr = child.wait(timeout=TIMEOUT)
    except TimeoutError:
        raise subprocess.TimeoutExpired(command, TIMEOUT) from None
    return subprocess.CompletedProcess(command, code, _text_mode(stdout), _text_mode(stderr))


def _text_mode(text: str) -> str:
    """What reading in text mode (``subprocess.run(text=True)``) makes of line ends."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
