"""Run Jupyter Book's Sphinx build in a process of its own.

``python -m policylib.book.sphinx_build SRC OUT DOCTREES`` builds once. Warnings are errors
(``-W --keep-going``); the doctree cache lives apart from the output directory so that it survives
between builds into fresh staging directories.

The pipeline runs its builds with :func:`start`, in children of a fork server (:mod:`policylib.forkserver`)
that imports Sphinx with the book's extensions and loads jieba's Chinese dictionary, about four seconds of
work, while the notebooks execute. Each child starts from that state, with nothing of any build in it, and
runs :func:`main` as the single build would. A process that builds several books (the tests) pays for the
imports once.
"""

from __future__ import annotations

import sys
from pathlib import Path

from policylib.forkserver import Child, Kept

# What a build imports: Jupyter Book and its Sphinx extensions, this package's own, and the Chinese search.
PRELOAD = (
    "jupyter_book.sphinx", "sphinx.application", "sphinx.builders.html", "sphinx.search.zh", "myst_nb.sphinx_ext",
    "myst_parser.sphinx_ext.main", "sphinx_book_theme", "sphinx_design", "sphinx_external_toc", "sphinx_comments",
    "sphinx_copybutton", "sphinx_togglebutton", "sphinx_multitoc_numbering", "sphinx_jupyterbook_latex",
    "policylib.book.sphinx_search", "policylib.book.sphinx_downloads", "policylib.book.sphinx_escape",
)


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


SERVER = Kept((*PRELOAD, "jieba:initialize"))  # this process's Sphinx server (policylib.forkserver)


def start(source: Path, output: Path, doctrees: Path, *, cwd: Path) -> Child:
    """Start one build in a child of this process's Sphinx server (started now if it is not running)."""
    argv = [__file__, str(source), str(output), str(doctrees)]
    return SERVER.server().start("policylib.book.sphinx_build:main", argv, cwd=cwd)


if __name__ == "__main__":
    sys.exit(main())
