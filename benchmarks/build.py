"""Time the book build on a temporary copy of the project: clean, no-change and one-rule-changed builds.

Usage: ``python benchmarks/build.py [--jobs N] [--check] [--keep]``. The real ``rules/`` and
``book/`` are never touched: the copy is selected with ``POLICYLIB_HOME``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COPIED = ("rules", "sources", "notebooks", "policylib")
GENERATED = ("_build", "profiles", "chapters", ".hashes.json", "_toc.yml", "_config.yml")
TARGETS = {"clean": 30.0, "no change": 3.0, "one rule file changed": 15.0}


def copy_project(destination: Path) -> None:
    """Copy what the build reads, plus any hand-written book pages (not generated output)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        if (REPO / name).exists():
            shutil.copytree(REPO / name, destination / name, ignore=ignore)
    book = REPO / "book"
    if book.is_dir():
        shutil.copytree(book, destination / "book", ignore=shutil.ignore_patterns(*GENERATED, ".ipynb_checkpoints"))


def run_build(root: Path, jobs: int) -> float:
    """Run ``python -m policylib.book`` on the copy; return wall seconds, or exit on failure."""
    env = {**os.environ, "POLICYLIB_HOME": str(root)}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "policylib.book", "--jobs", str(jobs)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"build failed (exit {proc.returncode})")
    return seconds


def change_one_rule_file(root: Path) -> Path:
    """Append a YAML comment to the first rule file: every notebook's inputs change."""
    rules = sorted(p for p in (root / "rules").glob("*.yaml") if p.name != "categories.yaml")
    if not rules:
        raise SystemExit("no rule file to change")
    with rules[0].open("a", encoding="utf-8") as f:
        f.write("\n# benchmark edit\n")
    return rules[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and print its path")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="policylib-bench-"))
    try:
        root = tmp / "project"
        root.mkdir()
        copy_project(root)
        results = {"clean": run_build(root, args.jobs)}
        results["no change"] = run_build(root, args.jobs)
        changed = change_one_rule_file(root)
        results["one rule file changed"] = run_build(root, args.jobs)
        notebooks = len(list((root / "book").glob("*/*.ipynb")))
        print(f"{notebooks} notebooks, --jobs {args.jobs}, changed {changed.relative_to(root)}")
        missed = False
        for name, seconds in results.items():
            target = TARGETS[name]
            verdict = "ok" if seconds <= target else "OVER TARGET"
            missed |= seconds > target
            print(f"{name:<24} {seconds:6.1f} s   (target <= {target:.0f} s) {verdict}")
        if args.keep:
            print(f"copy kept at {root}")
        return 1 if args.check and missed else 0
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
