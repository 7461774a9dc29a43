"""One way the benchmarks time a command run in a project: wall seconds, the CPU seconds of the command
and every process it started, and the load average before it (the machine may be shared: wall time
grows with load, CPU time much less)."""

from __future__ import annotations

import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Timing:
    """One run: wall and CPU seconds (the command and its children), load average before it."""

    wall: float
    cpu: float
    load: tuple[float, float, float]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(command: list[str], root: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], Timing]:
    """Run ``command`` in the project at ``root`` (selected with ``POLICYLIB_HOME``, plus ``env``)."""
    load = os.getloadavg()
    cpu, wall = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=root, env={**os.environ, "POLICYLIB_HOME": str(root), **env},
                          capture_output=True, text=True, check=False)
    return done, Timing(time.perf_counter() - wall, _children_cpu() - cpu, load)
