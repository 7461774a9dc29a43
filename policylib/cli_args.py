"""Argument parsing shared by the subcommands: one-line errors, and no option given twice."""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

_GIVEN = "_options_given"


def _once(action: argparse.Action, parser: argparse.ArgumentParser, namespace: argparse.Namespace) -> None:
    """Refuse a second use of ``action`` in one command line (argparse would keep the last silently)."""
    given: set[str] = namespace.__dict__.setdefault(_GIVEN, set())
    if action.dest in given:
        longs = [o for o in action.option_strings if o.startswith("--")]
        name = (longs or action.option_strings or [action.dest])[0]
        parser.error(f"{name} given twice; give it once")
    given.add(action.dest)


class StoreOnce(argparse._StoreAction):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        _once(self, parser, namespace)
        super().__call__(parser, namespace, values, option_string)


class StoreTrueOnce(argparse._StoreTrueAction):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        _once(self, parser, namespace)
        super().__call__(parser, namespace, values, option_string)


class OneLineParser(argparse.ArgumentParser):
    """A parser whose errors (unknown options, an option given twice) are one line on stderr, exit 2.

    Options stored with ``store`` or ``store_true`` may be given once; ``append`` ones repeat.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", None, StoreOnce)
        self.register("action", "store", StoreOnce)
        self.register("action", "store_true", StoreTrueOnce)

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(2)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:  # type: ignore[override]
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        parsed.__dict__.pop(_GIVEN, None)
        return parsed, extras


def add_one_line_parser(
    subparsers: argparse._SubParsersAction, name: str, parser_class: type[OneLineParser] = OneLineParser,
    **kwargs: Any,
) -> OneLineParser:
    """Add subcommand ``name`` with a :class:`OneLineParser` (or ``parser_class``)."""
    previous = subparsers._parser_class
    subparsers._parser_class = parser_class
    try:
        return subparsers.add_parser(name, **kwargs)
    finally:
        subparsers._parser_class = previous
