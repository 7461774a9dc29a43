"""How the library's costs grow with the number N of jurisdiction-years, in temporary synthetic projects.

For each N (``benchmarks/synthetic.py`` builds the project), printed with the machine's load average and
CPU time beside wall time (the machine is shared: wall time alone is inflated by others' work):

* the catalogue loaded cold (every rule file parsed and validated);
* every comparison table, once the catalogue is loaded;
* one profile's tables (its own rows only, as ``notebooks/profile.ipynb`` asks for them), in a fresh process;
* ``policylib check`` over the whole project, as a subprocess;
* ``policylib quote`` of one person, as a subprocess.

With ``--build-up-to N``, the book is also built (``benchmarks/build.py``: clean, no change, one rule file
changed, one note edited, the clean build's cost per jurisdiction-year) for each project of at most N.

Usage: ``python benchmarks/scale.py [--n 4 20 100 1000] [--build-up-to 100] [--keep] [--check]``.
``--check`` exits non-zero when a target of the issue "Speed and scale" is missed (at N = 1,000: every
table in 3 s, the check in 60 s; at N = 100, a clean book in 4 minutes, one rule file changed in 30 s).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import synthetic  # noqa: E402 - sibling scripts, found once their folder is on the path
from timing import Timing, run_timed  # noqa: E402

TARGETS = {1000: {"tables_wall": 3.0, "check_wall": 60.0}}
BUILD_TARGETS = {100: {"clean": 240.0, "one rule file changed": 30.0}}

# Run in a fresh interpreter inside the synthetic project: loads the catalogue cold, then times the tables.
TABLES_SCRIPT = """
import json, os, sys, time
from policylib import catalogue, compare

def clock():
    return time.perf_counter(), time.process_time()

def since(start):
    wall, cpu = clock()
    return {"wall": round(wall - start[0], 3), "cpu": round(cpu - start[1], 3)}

out = {}
start = clock()
entries = catalogue.local_entries()
out["catalogue"] = since(start)
start = clock()
for make in compare._tables().values():
    make()
compare.overview()
compare.class_prices()
out["tables"] = since(start)
print(json.dumps(out))
"""

PROFILE_SCRIPT = """
import json, sys, time
from policylib import catalogue, compare

start = time.perf_counter(), time.process_time()
jurisdiction, year = sys.argv[1], int(sys.argv[2])
rules = catalogue.rules(jurisdiction, year)
keys = [(jurisdiction, year)]
for make in (compare.financing_table, compare.assisted_matrix, compare.calendar_events, compare.start_rules_table,
             compare.unstated):
    make(keys)
print(json.dumps({"wall": round(time.perf_counter() - start[0], 3), "cpu": round(time.process_time() - start[1], 3)}))
"""


def _load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def run(command: list[str], root: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, float]]:
    """Run a command in the synthetic project; its wall and CPU time (the child's user + system)."""
    done, timing = run_timed(command, root, PYTHONHASHSEED="0")
    return done, {"wall": round(timing.wall, 3), "cpu": round(timing.cpu, 3)}


def _python(script: str, *args: str) -> list[str]:
    return [sys.executable, "-c", script, *args]


def _policylib(*args: str) -> list[str]:
    return [sys.executable, "-m", "policylib.cli", *args]


def build_figures(root: Path, n: int, jobs: int) -> dict[str, Any]:
    """Book-build timings for a synthetic project (``benchmarks/build.py``'s builds): clean, no change,
    one rule file changed, one note edited, and the clean build per jurisdiction-year."""
    import build  # a sibling script; imported here so that a run without builds does not need it

    figures = build.measure(root, jobs)
    return {name: {"wall": round(t.wall, 2), "cpu": round(t.cpu, 2)}
            for name, t in figures.items() if isinstance(t, Timing)} | {
        "per jurisdiction-year": {"wall": round(figures["per jurisdiction-year"][0], 2),
                                  "cpu": round(figures["per jurisdiction-year"][1], 2)}}


def measure(root: Path, n: int, build_jobs: int | None = None) -> dict[str, Any]:
    """Every figure for one synthetic project of ``n`` jurisdiction-years at ``root``."""
    figures: dict[str, Any] = {"n": n}
    done, _ = run(_python(TABLES_SCRIPT), root)
    if done.returncode:
        raise SystemExit(f"tables failed at N = {n}:\n{done.stderr}")
    figures.update(json.loads(done.stdout.strip().splitlines()[-1]))
    first = min(p for p in (root / "rules").glob("*_s0000-*.yaml"))
    jurisdiction, year = first.stem.rsplit("-", 1)
    done, spent = run(_python(PROFILE_SCRIPT, jurisdiction, year), root)
    if done.returncode:
        raise SystemExit(f"profile tables failed at N = {n}:\n{done.stderr}")
    figures["profile"] = {**json.loads(done.stdout.strip().splitlines()[-1]), "process": spent}
    done, figures["check"] = run(_policylib("check"), root)
    figures["check"]["ok"] = done.returncode == 0
    if done.returncode:
        print(done.stderr[-2000:], file=sys.stderr)
    paid = f"{year}-06-10"
    done, figures["quote"] = run(_policylib("quote", jurisdiction, year, "--paid", paid, "--json"), root)
    figures["quote"]["ok"] = done.returncode == 0
    figures["build"] = build_figures(root, n, build_jobs) if build_jobs else {}
    figures["load"] = _load()
    return figures


def _line(figures: dict[str, Any]) -> str:
    def pair(name: str) -> str:
        f = figures[name]
        return f"{f['wall']:.2f} s wall / {f['cpu']:.2f} s CPU"

    return (f"N = {figures['n']:>5}  ({figures['load']})\n"
            f"  catalogue cold load:   {pair('catalogue')}\n"
            f"  every comparison table: {pair('tables')}\n"
            f"  one profile's tables:  {pair('profile')} (process {figures['profile']['process']['wall']:.2f} s)\n"
            f"  policylib check:       {pair('check')}{'' if figures['check']['ok'] else '  FAILED'}\n"
            f"  policylib quote:       {pair('quote')}{'' if figures['quote']['ok'] else '  FAILED'}"
            + "".join(f"\n  book, {name + ':':<23} {f['wall']:.1f} s wall / {f['cpu']:.1f} s CPU"
                      for name, f in figures["build"].items()))


def missed(figures: dict[str, Any]) -> list[str]:
    """The targets a set of figures misses."""
    target = TARGETS.get(figures["n"], {})
    out = []
    if "tables_wall" in target and figures["tables"]["wall"] > target["tables_wall"]:
        out.append(f"N = {figures['n']}: tables {figures['tables']['wall']} s > {target['tables_wall']} s")
    if "check_wall" in target and figures["check"]["wall"] > target["check_wall"]:
        out.append(f"N = {figures['n']}: check {figures['check']['wall']} s > {target['check_wall']} s")
    for name, limit in BUILD_TARGETS.get(figures["n"], {}).items():
        if name in figures["build"] and figures["build"][name]["wall"] > limit:
            out.append(f"N = {figures['n']}: book build, {name}, {figures['build'][name]['wall']} s > {limit} s")
    if not figures["check"]["ok"] or not figures["quote"]["ok"]:
        out.append(f"N = {figures['n']}: check or quote failed")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[4, 20, 100, 1000], help="numbers of jurisdiction-years")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic projects (their paths are printed)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--build-up-to", type=int, default=0, metavar="N",
                        help="also build the book (clean, no change, one file changed) for each N up to this")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="build workers")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="policylib-scale-"))
    problems: list[str] = []
    try:
        for n in args.n:
            root = synthetic.make_project(base / f"n{n}", n)
            figures = measure(root, n, args.jobs if n <= args.build_up_to else None)
            print(_line(figures), flush=True)
            problems += missed(figures)
            if args.keep:
                print(f"  kept: {root}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    for problem in problems:
        print(f"missed: {problem}")
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    sys.exit(main())
