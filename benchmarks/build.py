"""Time the book build on a temporary copy of the project: clean, no-change and one-rule-changed builds.

Usage: ``python benchmarks/build.py [--n N] [--jobs J] [--check] [--keep]``. Without ``--n`` the copy
holds the seed rule files; with it, N synthetic jurisdiction-years (``benchmarks/synthetic.py``). The real
``rules/`` and ``book/`` are never touched: the copy is selected with ``POLICYLIB_HOME``. Each build's
wall time, the CPU time of the build and its children, and the load average before it are printed
(the machine is shared: wall time grows with load, CPU time much less).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # the sibling benchmark modules
from timing import Timing, run_timed

# Issue 11's targets, in seconds: (at the seeds, at N = 100).
TARGETS = {"clean": (30.0, 240.0), "no change": (1.0, None), "one rule file changed": (10.0, 30.0),
           "one note edited": (10.0, 30.0)}


def run_build(root: Path, jobs: int) -> Timing:
    """Run ``python -m policylib.book`` on the copy; exit on failure."""
    proc, timing = run_timed([sys.executable, "-m", "policylib.book", "--jobs", str(jobs)], root)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"build failed (exit {proc.returncode})")
    return timing


def change_one_rule_file(root: Path) -> Path:
    """Append a YAML comment to the first local rule file: its profile and the chapters re-execute."""
    rules = synthetic.seed_rule_files(root / "rules")
    if not rules:
        raise SystemExit("no rule file to change")
    with rules[0].open("a", encoding="utf-8") as f:
        f.write("\n# benchmark edit\n")
    return rules[0]


def edit_one_note(root: Path) -> Path:
    """Append a sentence to the first one-line ``note`` of the last local rule file: pages show it, so
    the HTML of its profile and of the chapters that quote it is written again."""
    rule = synthetic.seed_rule_files(root / "rules")[-1]
    text, count = re.subn(r"^(\s+note: )([^>|\n].*)$", r"\1\2 Edited.", rule.read_text(encoding="utf-8"),
                          count=1, flags=re.MULTILINE)
    if not count:
        raise SystemExit(f"no one-line note in {rule}")
    rule.write_text(text, encoding="utf-8")
    return rule


def local_count(root: Path) -> int:
    return len(synthetic.seed_rule_files(root / "rules"))


def measure(root: Path, jobs: int) -> dict[str, object]:
    """Build the project at ``root`` clean, again without change, after one rule file changed (a comment:
    notebooks re-executed, no page changed) and after a note edited (pages changed).

    Returns the figures: a :class:`Timing` per build, the jurisdiction-years ``n`` and the clean
    build's wall and CPU seconds per jurisdiction-year.
    """
    shutil.rmtree(root / "book" / "_build", ignore_errors=True)
    n = local_count(root)
    figures: dict[str, object] = {"n": n}
    figures["clean"] = clean = run_build(root, jobs)
    figures["no change"] = run_build(root, jobs)
    figures["changed file"] = change_one_rule_file(root).relative_to(root).as_posix()
    figures["one rule file changed"] = run_build(root, jobs)
    figures["edited file"] = edit_one_note(root).relative_to(root).as_posix()
    figures["one note edited"] = run_build(root, jobs)
    figures["per jurisdiction-year"] = (clean.wall / n, clean.cpu / n)
    return figures


def make_copy(destination: Path, n: int | None) -> Path:
    """A copy of the project (with its hand-written ``_config.yml``): the seeds, or ``n`` synthetic ones."""
    if n is None:
        destination.mkdir(parents=True)
        synthetic.copy_project(destination)
        return destination
    return synthetic.make_project(destination, n)


def report(figures: dict[str, object], jobs: int, at_scale: bool) -> bool:
    """Print the figures; return whether every target was met."""
    print(f"N = {figures['n']} local jurisdiction-years, --jobs {jobs}, {os.cpu_count()} CPUs, "
          f"changed {figures['changed file']}, edited {figures['edited file']}")
    met = True
    for name, (seeds, scaled) in TARGETS.items():
        timing = figures[name]
        assert isinstance(timing, Timing)
        target = scaled if at_scale else seeds
        verdict = "" if target is None else ("ok" if timing.wall <= target else "OVER TARGET")
        met &= target is None or timing.wall <= target
        goal = "" if target is None else f"(target <= {target:.0f} s)"
        load = " ".join(f"{x:.2f}" for x in timing.load)
        print(f"{name:<24} wall {timing.wall:7.1f} s  cpu {timing.cpu:7.1f} s  load {load}  {goal} {verdict}")
    wall, cpu = figures["per jurisdiction-year"]  # type: ignore[misc]
    print(f"{'clean per jurisdiction-year':<24} wall {wall:7.2f} s  cpu {cpu:7.2f} s")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=None, help="synthetic jurisdiction-years (default: the seeds)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and print its path")
    args = parser.parse_args()
    if args.n is not None and args.n < 1:
        parser.error("--n must be at least 1")

    tmp = Path(tempfile.mkdtemp(prefix="policylib-bench-"))
    try:
        root = make_copy(tmp / "project", args.n)
        met = report(measure(root, args.jobs), args.jobs, at_scale=(args.n or 0) >= 100)
        if args.keep:
            print(f"copy kept at {root}")
        return 1 if args.check and not met else 0
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
