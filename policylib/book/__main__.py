"""``python -m policylib.book``: execute the book's notebooks and build its HTML."""

from __future__ import annotations

import argparse
import os
import sys

from policylib.book.pipeline import BookBuildError, build


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m policylib.book", description=__doc__)
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="notebooks run at once")
    parser.add_argument("--force", action="store_true", help="re-execute every notebook and rebuild the HTML")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="execute only this notebook (template name, output stem such as guizhou-2021, or path); repeatable",
    )
    parser.add_argument("--no-html", action="store_true", help="execute notebooks but do not build the HTML")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the build; on failure print the reason (no traceback) and return 1."""
    args = parse_args(argv)
    try:
        build(jobs=args.jobs, force=args.force, only=args.only, html=not args.no_html)
    except BookBuildError as exc:
        print(f"book build failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("book build interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
