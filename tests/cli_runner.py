"""Running the `policylib` command line in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from policylib.paths import ENV_HOME

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path = ROOT, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``policylib`` with the project root ``home`` (or the checkout if None)."""
    env = {**os.environ, "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}
    env.pop(ENV_HOME, None)
    if home is not None:
        env[ENV_HOME] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "policylib.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )
