"""Run Jupyter Book's Sphinx build in its own process: ``python -m policylib.book.sphinx_build SRC OUT DOCTREES``.

Warnings are errors (``-W --keep-going``); the doctree cache lives apart from the output
directory so that it survives between builds into fresh staging directories.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Build ``SRC`` into ``OUT`` with the HTML builder; return Sphinx's status code."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print("usage: python -m policylib.book.sphinx_build SRC OUT DOCTREES", file=sys.stderr)
        return 2
    source, output, doctrees = (Path(a).resolve() for a in args)
    from jupyter_book.sphinx import build_sphinx
    from sphinx.util.console import nocolor

    nocolor()

    result = build_sphinx(
        source,
        output,
        use_external_toc=True,
        noconfig=True,
        path_config=str(source / "_config.yml"),
        confoverrides={"external_toc_path": (source / "_toc.yml").as_posix(), "latex_individualpages": False},
        doctreedir=doctrees,
        builder="html",
        warningiserror=True,
        keep_going=True,
        quiet=True,
    )
    if isinstance(result, BaseException):
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
