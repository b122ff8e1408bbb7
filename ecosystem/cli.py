"""The ``ecosystem`` command.

Every subcommand reports bad input (an unknown key, a wrong type, a value out of range, an
unreadable file) as one clear message on standard error and exits with status 2, without a
traceback and without leaving a partial output folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ecosystem.folders import OutputFolderError
from ecosystem.scenario import Scenario, ScenarioError, load_scenario, parse_override

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the command line, reported with exit status 2."""


def load_with_sets(path: str, sets: Sequence[str] | None) -> Scenario:
    """Load a scenario file with ``--set KEY=VALUE`` overrides applied."""
    overrides = dict(parse_override(text) for text in sets or ())
    return load_scenario(path, overrides=overrides)


def add_set_argument(parser: argparse.ArgumentParser) -> None:
    """Add the repeatable ``--set KEY=VALUE`` option."""
    parser.add_argument(
        "--set", action="append", metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set ai.data_regime=replace (repeatable)",
    )


def add_overwrite_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--overwrite``: replace what the program wrote in an existing output folder."""
    parser.add_argument(
        "--overwrite", action="store_true",
        help=f"write into an existing {what}: remove the files this program wrote there "
        "(listed in its manifest.json) and keep every other file",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ecosystem`` command."""
    parser = argparse.ArgumentParser(
        prog="ecosystem",
        description="Simulate the human–AI content ecosystem: model collapse, diversity, "
        "GPT words and opinions.",
    )
    from ecosystem import __version__

    parser.add_argument("--version", action="version", version=f"ecosystem {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for register in _EXTENSIONS:
        register(sub)
    return parser


_EXTENSIONS: list[Callable[[Any], None]] = []
"""Functions that add the subcommands to the parser, one per module of ecosystem/commands."""


def _register_extensions() -> None:
    from ecosystem import commands

    _EXTENSIONS.extend(commands.REGISTER)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ecosystem`` command; returns the exit status."""
    if not _EXTENSIONS:
        _register_extensions()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (ScenarioError, UsageError, OutputFolderError) as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM during a sweep
        print("interrupted", file=sys.stderr)
        return 128 + int(getattr(exc, "signum", 2))
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly, as command-line tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:  # the disk or the system failed us, not the input: one line, no trace
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print("error: out of memory; lower the scenario's sizes (ecosystem check shows the "
              "estimate) or the number of workers", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
