"""The book's hand-written configuration: ``_config.yml`` at the project's top level.

The pipeline merges into it what is computed from the code (:func:`policylib.book.pipeline.book_config`);
the downloads take the published address (``html.baseurl``) from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["CONFIG_FILE", "ConfigError", "base_url", "config_path", "load_config"]

CONFIG_FILE = "_config.yml"
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the checkout an editable install runs from


class ConfigError(Exception):
    """The hand-written configuration is missing or is not a mapping."""


def config_path(root: Path) -> Path:
    """``root/_config.yml``, or the checkout's own when a project copy has none (test projects)."""
    own = root / CONFIG_FILE
    return own if own.is_file() else _PACKAGE_ROOT / CONFIG_FILE


def load_config(root: Path) -> dict[str, Any]:
    """The hand-written Jupyter Book configuration of the project at ``root``."""
    path = config_path(root)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a mapping of settings")
    return data


def base_url(root: Path) -> str:
    """``html.baseurl`` ending in ``/``, or ``""`` when none is configured."""
    html = load_config(root).get("html") or {}
    url = str(html.get("baseurl") or "").strip() if isinstance(html, dict) else ""
    return url if not url or url.endswith("/") else url + "/"
