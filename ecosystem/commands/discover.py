"""``ecosystem discover FOLDER --metric COLUMN (--below X | --above X)``: scenario discovery.

PRIM (through the EMA workbench) finds the boxes of swept values, ranges of numeric keys and
sets of categorical ones, where a measure of a sweep falls below or rises above a threshold;
prints them with their coverage and density, and writes ``boxes.parquet``,
``trajectory.parquet``, ``manifest.json`` and ``discover.png`` to ``FOLDER/discover-COLUMN``
(or ``--out``).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    """Add ``ecosystem discover`` to the command's subparsers."""
    from ecosystem.cli import add_overwrite_argument

    parser = subparsers.add_parser(
        "discover", help="which swept ranges lead to an outcome (PRIM scenario discovery)",
        description="Scenario discovery on a sweep folder: PRIM finds the boxes of swept "
        "values (ranges of numbers, sets of categories) where a measure at one step is below "
        "or above a threshold. Each box is printed with its coverage (share of the runs of "
        "interest inside it) and density (share of its runs that are of interest), and "
        "written to boxes.parquet, trajectory.parquet and discover.png.",
    )
    parser.add_argument("folder", metavar="FOLDER", help="a sweep folder (ecosystem sweep)")
    parser.add_argument("--metric", required=True, metavar="COLUMN",
                        help="a timeseries column, e.g. tail_mass")
    side = parser.add_mutually_exclusive_group()
    side.add_argument("--below", type=float, metavar="X",
                      help="the runs of interest have the metric at or below X")
    side.add_argument("--above", type=float, metavar="X",
                      help="the runs of interest have the metric at or above X")
    parser.add_argument("--step", type=int, metavar="S",
                        help="the step to analyse (default: the last)")
    parser.add_argument("--min-density", type=float, default=0.8, metavar="D",
                        help="least share of a box's runs that are of interest (default 0.8)")
    parser.add_argument("--min-coverage", type=float, metavar="C",
                        help="report the densest box on the peeling trajectory that covers at "
                        "least this share of the runs of interest (default: PRIM's last box)")
    parser.add_argument("--boxes", type=int, default=3, metavar="N",
                        help="most boxes to find (default 3)")
    parser.add_argument("--significance", type=float, default=0.05, metavar="P",
                        help="drop limits whose quasi-p value is above P (default 0.05)")
    parser.add_argument("--out", metavar="DIR",
                        help="output folder (default FOLDER/discover-COLUMN, where a new "
                        "discovery of the same metric replaces the earlier one)")
    add_overwrite_argument(parser, "discovery folder given with --out")
    parser.set_defaults(handler=cmd_discover)


def cmd_discover(args: argparse.Namespace) -> int:
    """``ecosystem discover``: run PRIM, print the boxes, write the tables and the figure."""
    from ecosystem.cli import UsageError
    from ecosystem.experiments.discover import (
        DiscoverError,
        check_out,
        default_out,
        discover,
        format_discovery,
        write_discovery,
    )
    from ecosystem.experiments.sweep import SweepError, is_sweep_folder

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    if not is_sweep_folder(folder):
        raise UsageError(f"{folder}: not a sweep folder (run ecosystem sweep first)")
    try:
        overwrite = args.overwrite or not args.out
        out = Path(args.out) if args.out else default_out(folder, args.metric)
        check_out(out, overwrite)  # before the work, so a bad --out costs nothing
        result = discover(folder, args.metric, below=args.below, above=args.above,
                          step=args.step, min_density=args.min_density,
                          min_coverage=args.min_coverage, max_boxes=args.boxes,
                          significance=args.significance)
        print(format_discovery(result))
        path = write_discovery(result, out, overwrite=overwrite)
    except (DiscoverError, SweepError) as exc:
        raise UsageError(str(exc)) from None
    print(f"written: {path} (boxes.parquet, trajectory.parquet, discover.png)")
    return 0
