"""``ecosystem report FOLDER``: plots of a run or a sweep, as PNG files beside its data."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    """Add ``ecosystem report`` to the command's subparsers."""
    parser = subparsers.add_parser(
        "report", help="plot a run or a sweep to PNG files beside its data",
        description="Draw the key measures over time of a run folder, or of a sweep folder "
        "(mean and a band over replicates, one line per grid cell), to FOLDER/plots/*.png.",
    )
    parser.add_argument("folder", metavar="FOLDER", help="a run folder or a sweep folder")
    parser.add_argument("--metric", action="append", metavar="COLUMN",
                        help="draw only this measure (repeatable; default: the key measures)")
    parser.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """``ecosystem report``: draw the plots and print where they are."""
    from ecosystem.cli import UsageError
    from ecosystem.report import ReportError, report

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    try:
        drawn = report(folder, args.metric)
    except ReportError as exc:
        raise UsageError(str(exc)) from None
    runs = "1 run" if drawn.runs == 1 else f"{drawn.runs} runs"
    print(f"{len(drawn.files)} plots of the {drawn.kind} ({runs}) in {drawn.folder}:")
    for path in drawn.files:
        print(f"  {path}")
    return 0
