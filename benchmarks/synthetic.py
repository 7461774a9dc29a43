"""Make a temporary project with N synthetic local jurisdiction-years, for the scale benchmarks.

Each synthetic rule file is a seed rule file copied under a new jurisdiction id (``zhaoqing_s0007``),
a numbered name and a province taken in turn from a fixed list, so that views by province have
something to group. Figures, dates and citations stay those of the seed notice (its source is shared),
so every synthetic file passes ``policylib check``. Seeds are used in turn; the seed files themselves
are dropped, so the project holds exactly N local jurisdiction-years (and the national standards).

Usage: ``python benchmarks/synthetic.py N DESTINATION``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COPIED = ("rules", "sources", "notebooks", "policylib")
GENERATED = ("_build", "profiles", "chapters", ".hashes.json", "_toc.yml", ".ipynb_checkpoints")
PROVINCES = (
    "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省", "安徽省", "福建省", "江西省",
    "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省", "四川省", "贵州省", "云南省", "陕西省",
    "甘肃省", "青海省", "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区",
)


def seed_rule_files(rules: Path) -> list[Path]:
    """The local seed rule files (not the national standards nor the categories file), by name."""
    return sorted(p for p in rules.glob("*.yaml")
                  if p.name != "categories.yaml" and not p.name.startswith("national-"))


def copy_project(destination: Path) -> None:
    """Copy what the build reads, plus the hand-written book pages (not generated output)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        if (REPO / name).exists():
            shutil.copytree(REPO / name, destination / name, ignore=ignore)
    for name in ("_config.yml",):
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, destination / name)
    if (REPO / "book").is_dir():
        shutil.copytree(REPO / "book", destination / "book", ignore=shutil.ignore_patterns(*GENERATED))


def _replace_field(text: str, field: str, value: str) -> str:
    pattern = re.compile(rf"^{field}: .*$", re.MULTILINE)
    if pattern.search(text):
        return pattern.sub(f"{field}: {value}", text, count=1)
    # Insert after name_en (top-level field order is free in YAML).
    return re.sub(r"^(name_en: .*)$", rf"\1\n{field}: {value}", text, count=1, flags=re.MULTILINE)


def synthetic_text(seed_text: str, seed_id: str, index: int) -> tuple[str, str]:
    """A seed rule file's text under a new id, name and province; returns (new id, text)."""
    new_id = f"{seed_id}_s{index:04d}"
    province = PROVINCES[index % len(PROVINCES)]
    name_en = re.search(r"^name_en: (.*)$", seed_text, re.MULTILINE).group(1).strip()
    name_zh = re.search(r"^name_zh: (.*)$", seed_text, re.MULTILINE).group(1).strip()
    level = re.search(r"^level: (.*)$", seed_text, re.MULTILINE).group(1).strip()
    text = _replace_field(seed_text, "jurisdiction", new_id)
    text = _replace_field(text, "name_en", f"{name_en} {index:04d}")
    text = _replace_field(text, "name_zh", f"{name_zh}{index:04d}")
    if level != "province":
        text = _replace_field(text, "parent_zh", province)
    return new_id, text


def make_synthetic(root: Path, n: int) -> list[Path]:
    """Replace the local rule files under ``root/rules`` by ``n`` synthetic ones; return their paths."""
    rules = root / "rules"
    seeds = [(p, p.read_text(encoding="utf-8")) for p in seed_rule_files(rules)]
    if not seeds:
        raise SystemExit(f"no seed rule files under {rules}")
    for path, _ in seeds:
        path.unlink()
    written = []
    for index in range(n):
        path, text = seeds[index % len(seeds)]
        seed_id, year = path.stem.rsplit("-", 1)
        new_id, new_text = synthetic_text(text, seed_id, index)
        target = rules / f"{new_id}-{year}.yaml"
        target.write_text(new_text, encoding="utf-8")
        written.append(target)
    return written


def make_project(destination: Path, n: int) -> Path:
    """A copy of the project at ``destination`` with ``n`` synthetic local jurisdiction-years."""
    destination.mkdir(parents=True, exist_ok=True)
    copy_project(destination)
    make_synthetic(destination, n)
    return destination


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="number of synthetic local jurisdiction-years")
    parser.add_argument("destination", type=Path, help="a new folder for the copy")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("N must be at least 1")
    if args.destination.exists() and any(args.destination.iterdir()):
        parser.error(f"{args.destination} exists and is not empty")
    make_project(args.destination, args.n)
    print(f"{args.n} synthetic jurisdiction-years in {args.destination}; "
          f"use it with POLICYLIB_HOME={args.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
