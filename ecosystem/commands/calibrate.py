"""``ecosystem calibrate``: fit scenario keys to observed figures (ABC-SMC, pyabc).

``ecosystem calibrate TARGETS.toml [--scenario FILE] [--out DIR] [--workers N | --scheduler
ADDRESS]`` checks the targets file against its scenario, then samples populations of
particles into a calibration folder; ``ecosystem calibrate --resume DIR`` completes an
interrupted one from the populations it kept.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path


def register(subparsers) -> None:
    """Add ``ecosystem calibrate`` to the command's subparsers."""
    parser = subparsers.add_parser(
        "calibrate", help="fit scenario keys to observed figures (ABC-SMC)",
        description="Fit the scenario keys of a targets file's [parameters] to its [[targets]] "
        "by approximate Bayesian computation (ABC-SMC, pyabc). Writes posterior.parquet, "
        "populations.parquet, calibrated.toml (the scenario with the posterior medians), "
        "report.md with its figures, and manifest.json. Every accepted population is kept "
        "(history.db), so an interrupted calibration resumes with --resume DIR.",
    )
    parser.add_argument("targets", nargs="?", metavar="TARGETS.toml",
                        help="the targets file: scenario, [parameters], [[targets]], "
                        "[calibration]")
    parser.add_argument("--scenario", metavar="FILE",
                        help="calibrate this scenario instead of the one the targets file names")
    parser.add_argument("--out", metavar="DIR",
                        help="calibration folder (default runs/NAME-calibrate-TIME)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="local worker processes (default 1: simulate in this process)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="simulate on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--resume", metavar="DIR",
                        help="complete an interrupted calibration; its populations are kept")
    parser.set_defaults(handler=cmd_calibrate)


def _check_arguments(args: argparse.Namespace) -> None:
    from ecosystem.cli import UsageError

    if args.resume and args.targets:
        raise UsageError("give a TARGETS.toml file or --resume DIR, not both")
    if not args.resume and not args.targets:
        raise UsageError("give a TARGETS.toml file to calibrate, or --resume DIR to complete "
                         "a calibration")
    if args.resume and (args.scenario or args.out):
        raise UsageError("--resume completes a calibration as it was started: --scenario and "
                         "--out cannot be used with it")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be ≥ 1, got {args.workers}")
    if args.workers is not None and args.scheduler:
        raise UsageError("--workers and --scheduler exclude each other: with --scheduler the "
                         "cluster's workers run the simulations")


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``ecosystem calibrate``: run or resume a calibration, print the posterior and the fit."""
    from ecosystem.cli import UsageError
    from ecosystem.commands.sweep import _connect
    from ecosystem.experiments.calibrate import (
        calibrate,
        is_calibration_folder,
        load_targets,
        resume_calibration,
    )
    from ecosystem.folders import check_output_folder

    _check_arguments(args)
    if args.resume:
        folder = Path(args.resume)
        if not folder.is_dir():
            raise UsageError(f"--resume {folder}: no such folder")
        if not is_calibration_folder(folder):
            raise UsageError(f"--resume {folder}: not a calibration folder (it has no "
                             "calibration manifest.json, targets.toml and scenario.toml)")
        calibration = None
    else:
        calibration = load_targets(args.targets, args.scenario)  # checked before any work
        if args.out:
            folder = Path(args.out)
        else:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            folder = Path("runs") / f"{Path(args.targets).stem}-calibrate-{stamp}"
        if is_calibration_folder(folder):
            raise UsageError(f"--out {folder}: holds a calibration already; complete it with "
                             f"ecosystem calibrate --resume {folder}, or choose another folder")
        check_output_folder(folder, lambda _: False, "calibration folder")

    client = _connect(args.scheduler) if args.scheduler else None
    try:
        executor = client.get_executor(pure=False) if client is not None else None
        workers = args.workers or 1
        try:
            if args.resume:
                result = resume_calibration(folder, workers=workers, executor=executor)
            else:
                command = " ".join(["ecosystem calibrate", args.targets]
                                   + (["--scenario", args.scenario] if args.scenario else [])
                                   + ["--out", str(folder)])
                result = calibrate(calibration, folder, workers=workers, executor=executor,
                                   command=command)
        except KeyboardInterrupt:
            import sys

            print(f"interrupted: every finished population is kept in {folder}; continue "
                  f"with: ecosystem calibrate --resume {folder}", file=sys.stderr)
            raise
    finally:
        if client is not None:
            client.close()
    _print_result(result)
    return 0


def _print_result(result) -> None:
    steps = result.history
    last = steps[-1] if steps else None
    print(f"{len(steps)} populations, {result.simulations} simulations"
          + (f"; last acceptance {last['acceptance_rate']:.1%}, epsilon {last['epsilon']:.4g}"
             if last else ""))
    if not result.complete:
        print("  stopped before its last population (acceptance below "
              "calibration.min_acceptance_rate)")
    print("posterior (median and 90 % interval):")
    width = max(len(k) for k in result.summary["key"])
    for row in result.summary.iter_rows(named=True):
        print(f"  {row['key']:<{width}}  {row['median']:.4g}  [{row['q05']:.4g}, "
              f"{row['q95']:.4g}]  prior [{row['prior_low']:.4g}, {row['prior_high']:.4g}]")
    print("fit (observed ± sd → posterior-predictive median, miss in sd):")
    width = max(len(t) for t in result.fit["target"])
    for row in result.fit.iter_rows(named=True):
        predicted = ("undefined" if row["predicted_median"] is None
                     else f"{row['predicted_median']:.4g}, miss {row['miss_sd']:+.2f} sd")
        print(f"  {row['target']:<{width}}  {row['observed']:.4g} ± {row['sd']:.3g} → "
              f"{predicted}")
    print(f"report: {result.folder / 'report.md'}")
    print(f"calibration folder: {result.folder}")
