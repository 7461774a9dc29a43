"""Locations of the project's data directories.

The project root is taken from the environment variable ``POLICYLIB_HOME`` when it is set
(tests point it at a temporary copy); otherwise it is the directory above the ``policylib``
package, which is the checkout root for an editable install.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "POLICYLIB_HOME"


def project_root() -> Path:
    """Return the project root: ``$POLICYLIB_HOME`` if set, else the package's parent directory."""
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home).expanduser().resolve()
    return Path(__file__).resolve().parent.parent


def sources_dir() -> Path:
    """Return the directory holding one sub-directory per source (``<root>/sources``)."""
    return project_root() / "sources"


def rules_dir() -> Path:
    """Return the directory holding the rule files (``<root>/rules``)."""
    return project_root() / "rules"
