"""A copy of the project's rules and sources with every fictional notice added, selected with POLICYLIB_HOME."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from policylib import sources
from policylib.paths import ENV_HOME

REPO = Path(__file__).resolve().parent.parent
FICTIONAL = Path(__file__).resolve().parent / "fictional"
NOTICES = sorted(p.name for p in FICTIONAL.iterdir() if (p / "rules.yaml").is_file())


@contextmanager
def fictional_project(root: Path) -> Iterator[Path]:
    """Fill ``root`` with the copy, select it while the block runs, then restore the caller's home."""
    for name in ("rules", "sources"):
        shutil.copytree(REPO / name, root / name)
    for notice in NOTICES:
        shutil.copytree(FICTIONAL / notice / "source", root / "sources" / notice, dirs_exist_ok=True)
        shutil.copy(FICTIONAL / notice / "rules.yaml", root / "rules" / f"{notice}.yaml")
    previous = os.environ.get(ENV_HOME)
    os.environ[ENV_HOME] = str(root)
    try:
        sources.rebuild_all()
        yield root
    finally:
        if previous is None:
            del os.environ[ENV_HOME]
        else:
            os.environ[ENV_HOME] = previous
