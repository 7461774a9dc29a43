"""The `policylib` command line: check, list, show, sources, schema, new.

quote: policylib.quote_cli; diff: policylib.diff.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from policylib import catalogue, sources
from policylib.check import check_paths
from policylib.diff import add_diff_parser
from policylib.loader import RuleFileError
from policylib.summary import render


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit 2."""


def cmd_check(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or None
    for path in paths or []:
        if not (path.exists() or path.is_symlink()):
            raise UsageError(f"no such rule file: {path}")
    report = check_paths(paths)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if not report.ok:
        print(f"check failed: {len(report.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"ok: {report.summary()}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    for entry in catalogue.entries():
        print(f"{entry.jurisdiction:<12} {entry.year}  {entry.level:<9} {entry.name_en} ({entry.name_zh})")
    return 0


def _rules(jurisdiction: str, year: str):
    try:
        return catalogue.rules(jurisdiction, int(year))
    except ValueError:
        raise UsageError(f"year must be a number, got {year!r}") from None
    except LookupError as exc:
        raise UsageError(str(exc)) from None


def cmd_show(args: argparse.Namespace) -> int:
    rules = _rules(args.jurisdiction, args.year)
    if args.json:
        print(json.dumps(rules.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print(render(rules))
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    if args.rebuild:
        changed = sources.rebuild_all()
        print(f"rebuilt cleaned texts: {len(changed)} changed" + "".join(f"\n  {p}" for p in changed))
        return 0
    for source_id in sources.source_ids():
        meta = sources.load_meta(source_id)
        print(f"{source_id:<28} {meta.level:<9} {meta.document_number or '-':<18} {meta.title}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from policylib.schema import schema_text

    text = schema_text()
    if args.output is None:
        sys.stdout.write(text)
        return 0
    output = Path(args.output)
    if not output.parent.is_dir():
        raise UsageError(f"no such directory: {output.parent}")
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from policylib.scaffold import NewJurisdiction, ScaffoldError, lay_out, parse_year

    try:
        request = NewJurisdiction(args.jurisdiction, parse_year(args.year), args.name_zh, args.name_en, args.level)
        written = lay_out(request)
    except ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    print(f"created the skeleton of {request.key}:")
    for path in written:
        print(f"  {path}")
    print(
        "next: paste the notice into received.txt, run `policylib sources --rebuild`, then replace every "
        "TODO until `policylib check` passes (see book/add-jurisdiction.md).\n"
        "Fill these files before `make book`: the book shows every rule file under rules/."
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policylib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="validate rule files and sources: schema, logic and citations")
    p.add_argument("paths", nargs="*", help="rule files or sources' meta.yaml / corrections.yaml "
                   "(default: every rule file and source)")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("list", help="jurisdiction-years known")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("show", help="readable summary of one jurisdiction-year")
    p.add_argument("jurisdiction")
    p.add_argument("year")
    p.add_argument("--json", action="store_true", help="the whole rule set as JSON")
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("sources", help="list sources, or --rebuild their cleaned texts")
    p.add_argument("--rebuild", action="store_true")
    p.set_defaults(func=cmd_sources)
    p = sub.add_parser("schema", help="JSON Schema of a rule file, generated from the model")
    p.add_argument("--output", metavar="PATH", help="write the schema here (default: standard output)")
    p.set_defaults(func=cmd_schema)
    p = sub.add_parser("new", help="skeleton files for a new jurisdiction-year")
    p.add_argument("jurisdiction", help="lowercase slug, e.g. langxi")
    p.add_argument("year", help="coverage year, 2000-2100")
    p.add_argument("--name-zh", help="name as the notice writes it, e.g. 郎溪县")
    p.add_argument("--name-en", help="English name, e.g. Langxi")
    p.add_argument("--level", choices=("city", "county", "province"))
    p.set_defaults(func=cmd_new)
    try:
        from policylib.quote_cli import add_quote_parser
    except ImportError:
        pass
    else:
        add_quote_parser(sub)
    add_diff_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    catalogue.skip_broken_files()
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"policylib {args.command}: {exc}", file=sys.stderr)
        return 2
    except RuleFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    except sources.SourceFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    except sources.SourceError as exc:
        print(f"policylib {args.command}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    finally:
        warn_skipped()


def warn_skipped() -> None:
    """One line on stderr for each rule file the catalogue left out because it is broken."""
    for line in catalogue.skipped_warnings():
        print(line, file=sys.stderr)


if __name__ == "__main__":
    # Run as `python -m policylib.cli` this file is the module __main__, and policylib.cli (which
    # quote and diff import, UsageError with it) is a second copy: run that copy's main, so that its
    # errors are caught as they are under the `policylib` command.
    from policylib.cli import main as policylib_main

    sys.exit(policylib_main())
