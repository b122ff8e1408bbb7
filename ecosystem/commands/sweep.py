"""``ecosystem sweep``: the grid, design and replicates of a scenario's ``[sweep]`` table.

``ecosystem sweep SCENARIO [--workers N] [--scheduler ADDRESS] [--out DIR] [--set KEY=VALUE]``
runs every run into a sweep folder and prints a summary; ``ecosystem sweep --resume FOLDER``
completes an interrupted sweep, keeping the runs it finished.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

SUMMARY_METRICS = ("model_richness", "tail_mass", "top_share", "drift", "quality_ai",
                   "gpt_rate_users", "neutral_share_users")
"""Columns of the last-step table printed after a grid sweep, when they are measured."""

MAX_CELLS_SHOWN = 30


def register(subparsers) -> None:
    """Add ``ecosystem sweep`` to the command's subparsers."""
    parser = subparsers.add_parser(
        "sweep", help="run a scenario's [sweep] table (grid, design, replicates)",
        description="Run every run of a scenario's [sweep] table into a sweep folder: each "
        "finished run is saved as it finishes, results.parquet is assembled at the end.",
    )
    parser.add_argument("scenario", nargs="?", metavar="SCENARIO",
                        help="a scenario file (TOML) with a [sweep] table")
    parser.add_argument("--resume", metavar="FOLDER",
                        help="complete an interrupted sweep; finished runs are kept")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="local worker processes (default 1: run in this process); kept "
                        "to the cores this machine lets the sweep use, and to what fits in "
                        "memory")
    parser.add_argument("--force-workers", action="store_true",
                        help="start as many workers as --workers asks, even beyond the usable "
                        "cores")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--out", metavar="DIR",
                        help="sweep folder (default runs/NAME-sweep-TIME)")
    parser.add_argument("--overwrite", action="store_true",
                        help="write into an existing sweep folder: remove the files this "
                        "program wrote there (listed in its manifest.json), keep every other "
                        "file, and start the sweep afresh")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="override a scenario key, e.g. --set scenario.steps=50 "
                        "(repeatable)")
    parser.set_defaults(handler=cmd_sweep)


def _check_arguments(args: argparse.Namespace) -> None:
    from ecosystem.cli import UsageError

    if args.resume and args.scenario:
        raise UsageError("give a SCENARIO to sweep or --resume FOLDER, not both")
    if not args.resume and not args.scenario:
        raise UsageError("give a SCENARIO to sweep, or --resume FOLDER to complete a sweep")
    if args.resume and (args.set or args.out or args.overwrite):
        raise UsageError("--resume completes a sweep as it was started: --set, --out and "
                         "--overwrite cannot be used with it")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be ≥ 1, got {args.workers}")
    if args.workers is not None and args.scheduler:
        raise UsageError("--workers and --scheduler exclude each other: with --scheduler the "
                         "cluster's workers run the runs")


def _connect(address: str):
    """A Dask client of the scheduler at ``address``, or a usage error saying why not."""
    from distributed import Client
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    from ecosystem.cli import UsageError

    # Check the address first: a Client that fails to parse one hangs on its way out.
    try:
        scheme, location = parse_address(address)
        if scheme not in backends:
            raise ValueError(f"unknown scheme {scheme!r}; known: {', '.join(sorted(backends))}")
        if scheme in ("tcp", "tls", "ws", "wss"):
            host, _ = parse_host_port(location)
            if not host:
                raise ValueError("missing host")
    except ValueError as exc:
        raise UsageError(f"--scheduler {address}: not a scheduler address ({exc}); expected "
                         "e.g. tcp://10.0.0.5:8786") from None
    try:
        return Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--scheduler {address}: cannot connect to a Dask scheduler "
                         f"({exc})") from None


def cmd_sweep(args: argparse.Namespace) -> int:
    """``ecosystem sweep``: run or resume a sweep, print a summary and the folder."""
    from ecosystem.cli import UsageError, load_with_sets
    from ecosystem.experiments.sweep import (
        SweepError,
        describe_plan,
        is_sweep_folder,
        load_plan,
        plan_sweep,
        resume_sweep,
        run_sweep,
    )
    from ecosystem.folders import check_output_folder, safe_folder_name
    from ecosystem.limits import cap_workers, check_memory, fit_workers

    _check_arguments(args)
    try:
        if args.resume:
            folder = Path(args.resume)
            if not folder.is_dir():
                raise UsageError(f"--resume {folder}: no such folder")
            if not is_sweep_folder(folder):
                raise UsageError(f"--resume {folder}: not a sweep folder (it has no sweep "
                                 "manifest.json and plan.json)")
            plan = load_plan(folder, verify=True)
        else:
            scenario = load_with_sets(args.scenario, args.set)
            check_memory(scenario, sweep=True)  # before the plan, which may itself be huge
            plan = plan_sweep(scenario)  # every run checked before anything is written
            if args.out:
                folder = Path(args.out)
            else:
                stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
                name = safe_folder_name(scenario.scenario.name)
                folder = Path("runs") / f"{name}-sweep-{stamp}"
            if is_sweep_folder(folder) and not args.overwrite:
                raise UsageError(f"--out {folder}: holds a sweep already; complete it with "
                                 f"ecosystem sweep --resume {folder}, start it afresh with "
                                 "--overwrite, or choose another folder")
            folder = check_output_folder(folder, is_sweep_folder, "sweep folder",
                                         overwrite=args.overwrite)

        workers = args.workers or 1
        for limit in (lambda n: cap_workers(n, force=args.force_workers),
                      lambda n: fit_workers(plan.scenario, n)):
            workers, note = limit(workers)
            if note:
                print(f"note: {note}", file=sys.stderr)
        client = _connect(args.scheduler) if args.scheduler else None
        try:
            executor = client.get_executor(pure=False) if client is not None else None
            if args.resume:
                summary = resume_sweep(folder, workers=workers, executor=executor,
                                       progress=None)
            else:
                summary = run_sweep(plan.scenario, folder, workers=workers, executor=executor,
                                    progress=None, overwrite=args.overwrite)
        finally:
            if client is not None:
                client.close()
    except SweepError as exc:
        raise UsageError(str(exc)) from None
    _print_summary(plan, summary, describe_plan(plan))
    return 0 if not summary.failures else 1


def _print_summary(plan, summary, shape: str) -> None:
    from ecosystem.experiments.sweep import format_seconds

    sc = plan.scenario
    print(f"{sc.scenario.name}: {shape}, {sc.scenario.steps} steps each, "
          f"root seed {sc.scenario.seed}")
    finished = summary.ran - summary.failed
    each = (f" ({format_seconds(summary.run_seconds / finished)} per run)" if finished else "")
    print(f"  ran {summary.ran} runs in {format_seconds(summary.wall_seconds)} on "
          f"{summary.executor}{each}")
    if summary.skipped:
        print(f"  {summary.skipped} runs were already done and kept")
    for part in summary.rejected:
        print(f"  {part['file']}: {part['reason']}; moved to {part['moved_to']}, its run "
              "was run again")
    print(f"  {summary.done} of {summary.runs} runs done, {len(summary.failures)} failed")
    for failure in summary.failures[:20]:
        values = ", ".join(f"{k}={v!r}" for k, v in failure["values"].items())
        where = f"replicate {failure['replicate']}, seed {failure['seed']}"
        print(f"  failed: run {failure['run']} ({where}{', ' + values if values else ''}): "
              f"{failure['error']}")
    if len(summary.failures) > 20:
        print(f"  ... and {len(summary.failures) - 20} more failures (see manifest.json)")
    if summary.failures:
        print(f"  to retry the failed runs: ecosystem sweep --resume {summary.folder}")
    _print_last_step(plan, summary.results)
    print(f"results: {summary.results}")
    print(f"sweep folder: {summary.folder}")


def _print_last_step(plan, results: Path) -> None:
    """Mean over replicates of a few key measures at the last step, per grid cell."""
    import polars as pl

    if plan.design != "grid" or len(plan.cells) > MAX_CELLS_SHOWN:
        if plan.design != "grid":
            print(f"  which parameter matters: ecosystem sensitivity {results.parent} "
                  "--metric model_richness")
            print(f"  which ranges lead to an outcome: ecosystem discover {results.parent} "
                  "--metric tail_mass --below X")
        return
    table = pl.scan_parquet(results)
    last = table.select(pl.col("step").max()).collect().item()
    if last is None:
        return
    keys = list(plan.grid_keys)
    summary = (
        table.filter(pl.col("step") == last)
        .group_by(keys, maintain_order=True) if keys else table.filter(pl.col("step") == last)
    )
    metrics = [m for m in SUMMARY_METRICS if m in plan.schema()]
    frame = (summary.agg(pl.col(m).mean() for m in metrics) if keys
             else summary.select(pl.col(m).mean() for m in metrics)).collect()
    metrics = [m for m in metrics if frame[m].null_count() < frame.height]
    if not metrics:
        return
    print(f"at step {last}, mean over replicates:")
    columns = keys + metrics
    text = {c: [str(v) if c in keys else _number(v) for v in frame[c]] for c in columns}
    widths = {c: max(len(c), *(len(t) for t in text[c])) for c in columns}
    print("  " + "  ".join(f"{c:>{widths[c]}}" for c in columns))
    for i in range(frame.height):
        print("  " + "  ".join(f"{text[c][i]:>{widths[c]}}" for c in columns))


def _number(value) -> str:
    return "—" if value is None else f"{value:.3g}"
