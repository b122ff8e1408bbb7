"""``ecosystem sensitivity FOLDER --metric COLUMN [--step S]``: which swept parameter matters.

Sobol indices for a ``sobol`` sweep, Morris elementary effects for a ``morris`` sweep, RBD-FAST
first-order indices for a ``latin`` sweep (SALib), printed ranked and written to
``sensitivity.parquet`` in the sweep folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    """Add ``ecosystem sensitivity`` to the command's subparsers."""
    parser = subparsers.add_parser(
        "sensitivity", help="rank the swept parameters of a designed sweep (Sobol, Morris)",
        description="Sensitivity indices of one measure of a sweep folder whose design is "
        "sobol, morris or latin, averaged over replicates; printed ranked and written to "
        "sensitivity.parquet in the folder.",
    )
    parser.add_argument("folder", metavar="FOLDER", help="a sweep folder")
    parser.add_argument("--metric", required=True, metavar="COLUMN",
                        help="a timeseries column, e.g. model_richness")
    parser.add_argument("--step", type=int, metavar="S",
                        help="the step to analyse (default: the last)")
    parser.set_defaults(handler=cmd_sensitivity)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``ecosystem sensitivity``: compute, print and write the indices."""
    from ecosystem.cli import UsageError
    from ecosystem.experiments.sensitivity import SensitivityError, format_result, sensitivity
    from ecosystem.experiments.sweep import SweepError, is_sweep_folder, load_plan

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    if not is_sweep_folder(folder):
        raise UsageError(f"{folder}: not a sweep folder (run ecosystem sweep first)")
    try:
        plan = load_plan(folder)
        result = sensitivity(folder, args.metric, args.step)
    except (SensitivityError, SweepError) as exc:
        raise UsageError(str(exc)) from None
    print(format_result(result, plan.grid_keys))
    print(f"written: {result.path}")
    return 0
