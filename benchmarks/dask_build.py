"""Time notebook execution on the local process pool and on a Dask local cluster, in a temporary copy.

Usage: ``python benchmarks/dask_build.py [N] [--jobs J] [--rounds R] [--only NAME ...]``. N synthetic
jurisdiction-years (``benchmarks/synthetic.py``), or the seeds when N is 0 (the default). Every notebook
is executed afresh in each mode (the HTML and the generated pages are not built); each run is a
process of its own, so its CPU time (the build, its workers and their kernels) is counted apart.
Prints wall and CPU seconds, the load average around each run, and whether both modes wrote the same
bytes. The real ``book/`` is never touched: the copy is selected with ``POLICYLIB_HOME``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import synthetic
from timing import run_timed

MODES = ("pool", "dask")


def execute(root: Path, mode: str, jobs: int, only: list[str]) -> None:
    """Run in a child process: execute the copy's notebooks, forced, in ``mode``; print the outputs' digests."""
    import hashlib

    from policylib.book import pipeline
    from policylib.book.dask_run import LOCAL

    paths = pipeline.Paths(root)
    files = pipeline.file_digests(root)
    planned = pipeline.plan(pipeline.catalogue_entries(paths, pipeline.inputs_digest(paths.root)))
    selected = [job for job in planned if not only or any(job.matches(name) for name in only)]
    pipeline.execute_notebooks(paths, planned, selected=selected, workers=jobs, force=True, files=files,
                               echo=lambda _: None, dask=LOCAL if mode == "dask" else None)
    digests = {job.output: hashlib.sha256((paths.book / job.output).read_bytes()).hexdigest() for job in selected}
    print(json.dumps(digests))


def timed_run(root: Path, mode: str, jobs: int, only: list[str]) -> tuple[float, float, dict[str, str]]:
    """Wall and CPU seconds of one run in a child process, and the digests of what it wrote."""
    command = [sys.executable, __file__, "--execute", mode, "--root", str(root), "--jobs", str(jobs)]
    command += [arg for name in only for arg in ("--only", name)]
    done, timing = run_timed(command, root)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{mode} run failed (exit {done.returncode})")
    return timing.wall, timing.cpu, json.loads(done.stdout.strip().splitlines()[-1])


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, nargs="?", default=0, help="synthetic jurisdiction-years (0: the seeds)")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="pool workers / Dask workers")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each mode, alternating")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="only these notebooks")
    parser.add_argument("--execute", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.execute:
        execute(args.root, args.execute, args.jobs, args.only)
        return 0

    with tempfile.TemporaryDirectory(prefix="policylib-dask-") as tmp:
        root = Path(tmp)
        if args.n:
            synthetic.make_project(root, args.n)
        else:
            synthetic.copy_project(root)
        what = f"{args.n} synthetic jurisdiction-years" if args.n else "the seeds"
        print(f"notebooks of {what}, {args.jobs} workers, {os.cpu_count()} cores")
        print(f"{'mode':<5} {'wall s':>8} {'CPU s':>8}  load before -> after (1/5/15 min)  notebooks")
        results: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
        written: dict[str, dict[str, str]] = {}
        for _ in range(args.rounds):
            for mode in MODES:
                before = load()
                wall, cpu, digests = timed_run(root, mode, args.jobs, args.only)
                results[mode].append((wall, cpu))
                written.setdefault(mode, digests)
                if digests != written[mode]:
                    print(f"{mode}: a second run wrote other bytes")
                print(f"{mode:<5} {wall:8.1f} {cpu:8.1f}  {before} -> {load()}  {len(digests)}")
        for mode in MODES:
            walls = sorted(w for w, _ in results[mode])
            cpus = sorted(c for _, c in results[mode])
            print(f"{mode}: best wall {walls[0]:.1f} s, best CPU {cpus[0]:.1f} s over {args.rounds} run(s)")
        differing = sorted(k for k in written["pool"] if written["pool"][k] != written["dask"].get(k))
        print("same bytes on the pool and on Dask: " + ("yes" if not differing else f"no ({', '.join(differing)})"))
        return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
