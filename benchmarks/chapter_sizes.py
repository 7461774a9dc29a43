"""Execute the chapter notebooks against synthetic projects and print their executed sizes.

For each N a temporary copy with N synthetic jurisdiction-years is made (``benchmarks/synthetic.py``)
and every chapter notebook under ``notebooks/`` (all but the profile template) is executed with
papermill, the copy selected with ``POLICYLIB_HOME``. Printed per chapter: executed size, its largest
output, wall and CPU seconds; with the load average, since the machine is shared.

Usage: ``python benchmarks/chapter_sizes.py [N ...] [--only NAME ...] [--keep DIR]`` (default N: 4 100 1000).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import synthetic  # noqa: E402

PROFILE = "profile.ipynb"


def chapters(only: list[str] | None) -> list[Path]:
    """The chapter notebook templates (the profile template is not a chapter)."""
    found = sorted(p for p in (REPO / "notebooks").glob("*.ipynb") if p.name != PROFILE)
    return [p for p in found if not only or p.stem in only]


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def largest_output(nb: dict) -> int:
    """Bytes of the largest single output of an executed notebook (as JSON)."""
    sizes = [len(json.dumps(output, ensure_ascii=False).encode()) for cell in nb["cells"]
             for output in cell.get("outputs", [])]
    return max(sizes, default=0)


def execute(template: Path, root: Path, out_dir: Path) -> tuple[int, int, float, float]:
    """Execute one chapter against the project at ``root``; (size, largest output, wall s, CPU s)."""
    import papermill

    os.environ["POLICYLIB_HOME"] = str(root)
    target = out_dir / template.name
    wall, cpu = time.perf_counter(), _cpu_seconds()
    papermill.execute_notebook(str(template), str(target), kernel_name="python3", progress_bar=False,
                               log_output=False, cwd=str(out_dir))
    wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    nb = json.loads(target.read_text(encoding="utf-8"))
    return target.stat().st_size, largest_output(nb), wall, cpu


def megabytes(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def run(n: int, only: list[str] | None, keep: Path | None) -> int:
    """Execute every chapter at N; print one line per chapter and the total; return the total size."""
    with tempfile.TemporaryDirectory(prefix=f"policylib-chapters-{n}-") as tmp:
        root = (keep / f"n{n}") if keep else Path(tmp)
        if not (root / "rules").is_dir():
            synthetic.make_project(root, n)
        out_dir = root / "book" / "chapters"
        out_dir.mkdir(parents=True, exist_ok=True)
        total = 0
        print(f"N = {n}  (load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f})", flush=True)
        for template in chapters(only):
            size, largest, wall, cpu = execute(template, root, out_dir)
            total += size
            print(f"  {template.stem:<16} {megabytes(size):>10}  largest output {megabytes(largest):>9}"
                  f"  wall {wall:7.1f} s  CPU {cpu:7.1f} s  load {os.getloadavg()[0]:.2f}", flush=True)
        print(f"  {'total':<16} {megabytes(total):>10}", flush=True)
        return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", type=int, nargs="*", default=[4, 100, 1000], help="numbers of jurisdiction-years")
    parser.add_argument("--only", nargs="*", help="chapter names (notebook stems) to execute")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the synthetic projects under this folder")
    args = parser.parse_args()
    for n in args.sizes:
        run(n, args.only, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
