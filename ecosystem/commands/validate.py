"""``ecosystem validate``: reproduce published results through the model, print a table.

Exit status 0 if every row agrees with theory, 1 if one does not, 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path


def register(subparsers) -> None:
    """Add the ``validate`` subcommand."""
    from ecosystem.cli import add_overwrite_argument

    parser = subparsers.add_parser(
        "validate",
        help="reproduce published results (Wright–Fisher, Shumailov, Gerstgrasser, ...)",
        description="Run small scenarios through the model, compare with published theory and "
        "print a table (claim, source, theory, simulated mean ± SE, tolerance, result). Writes "
        "a Markdown report with one figure per row. Exit status 1 if a row fails.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="fewer replicates: about a minute instead of a few")
    parser.add_argument("--out", metavar="DIR",
                        help="report folder (default runs/validation-TIME)")
    add_overwrite_argument(parser, "validation report folder")
    parser.add_argument("--only", action="append", metavar="CHECK",
                        help="run only this check (repeatable); see --list")
    parser.add_argument("--list", action="store_true", help="list the checks and exit")
    parser.add_argument("--jobs", type=int, metavar="N", default=None,
                        help="checks run at once, one process each (default: the CPU cores "
                        "available, at most 4); the figures do not depend on it")
    parser.set_defaults(handler=cmd_validate)


def _default_jobs() -> int:
    """The CPU cores this process may use, at most 4."""
    import os

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _out_folder(value: str | None, overwrite: bool) -> Path:
    from ecosystem.folders import check_output_folder
    from ecosystem.validate.report import is_report_folder

    if value:
        out = Path(value)
    else:
        out = Path("runs") / f"validation-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    return check_output_folder(out, is_report_folder, "validation report", overwrite=overwrite)


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the checks, print the table, write the report; 1 if a row fails."""
    from ecosystem.cli import UsageError
    from ecosystem.folders import utc_now
    from ecosystem.run import manifest_base
    from ecosystem.validate import CHECKS, check_names, run_checks
    from ecosystem.validate.report import format_table, summary, write_report

    if args.list:
        for check in CHECKS:
            print(f"{check.name:20} {check.title}")
        return 0
    if args.only:
        names = [name.strip() for value in args.only for name in value.split(",")
                 if name.strip()]
        unknown = [name for name in names if name not in check_names()]
        if unknown:
            raise UsageError(f"--only {', '.join(unknown)}: unknown check; checks are: "
                             f"{', '.join(check_names())}")
    else:
        names = None
    jobs = _default_jobs() if args.jobs is None else args.jobs
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: give a number of processes of at least 1")
    out = _out_folder(args.out, args.overwrite)

    def progress(check) -> None:
        print(f"running {check.name}: {check.title}", file=sys.stderr, flush=True)

    started, clock = utc_now(), time.perf_counter()
    rows = run_checks(quick=args.quick, only=names, on_check=progress, jobs=jobs)
    wall = time.perf_counter() - clock
    print(format_table(rows))
    print()
    print(f"{summary(rows)} ({'quick' if args.quick else 'full'} run, {wall:.0f} s)")
    manifest = {
        **manifest_base(),
        "quick": bool(args.quick),
        "jobs": jobs,
        "checks": [check.name for check in CHECKS if names is None or check.name in names],
        "started": started,
        "finished": utc_now(),
        "wall_seconds": round(wall, 3),
        "all_passed": all(row.passed for row in rows),
    }
    folder = write_report(rows, out, manifest, overwrite=args.overwrite)
    print(f"report: {folder / 'report.md'}")
    return 0 if manifest["all_passed"] else 1
