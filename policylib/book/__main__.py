"""``python -m policylib.book``: execute the book's notebooks and build its HTML."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from policylib.book.dask_run import LOCAL
from policylib.book.lock import BuildLocked
from policylib.book.pipeline import BookBuildError, build, stop_servers
from policylib.book.stopping import BuildStopped, stop_on_signals

KEPT = "the published book was left as it was"


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
    parser.add_argument(
        "--dask",
        nargs="?",
        const=LOCAL,
        metavar="ADDRESS",
        help="execute the notebooks on Dask distributed: a local cluster of --jobs workers, or the cluster "
        "whose scheduler is at ADDRESS (its workers must see the project at the same path)",
    )
    parser.add_argument(
        "--no-wait", action="store_true", help="if another build of the book is running, say so and exit (status 75)"
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the build; on failure print the reason (no traceback) and return non-zero.

    1: the build failed; 75: another build is running and --no-wait was given; 128 + N: stopped by
    signal N (SIGTERM, or SIGINT from Ctrl-C), after ending every process the build started.
    """
    args = parse_args(argv)
    try:
        with stop_on_signals():
            build(jobs=args.jobs, force=args.force, only=args.only, html=not args.no_html, wait=not args.no_wait,
                  dask=args.dask)
    except BookBuildError as exc:
        print(f"book build failed: {exc}", file=sys.stderr)
        return 1
    except BuildLocked as exc:
        print(f"book build not started: {exc}", file=sys.stderr)
        return 75
    except (BuildStopped, KeyboardInterrupt) as exc:
        name = exc.signal_name if isinstance(exc, BuildStopped) else "SIGINT"
        print(f"book build stopped by {name}; {KEPT}", file=sys.stderr)
        return 128 + signal.Signals[name].value
    finally:
        stop_servers()  # the fork servers the build started, kept between the builds of one process
    return 0


if __name__ == "__main__":
    sys.exit(main())
