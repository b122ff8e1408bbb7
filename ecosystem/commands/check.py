"""``ecosystem check``: validate a scenario file and print it resolved, or every error.

It checks all that ``run`` and ``sweep`` check before they start: the schema, every run of the
``[sweep]`` table, the edge lists, and that the memory needed fits in this machine.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    """Add ``ecosystem check`` to the command's subparsers."""
    from ecosystem.cli import add_set_argument

    check = subparsers.add_parser("check", help="validate a scenario and print every parameter")
    check.add_argument("scenario", metavar="SCENARIO")
    add_set_argument(check)
    check.set_defaults(handler=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    """``ecosystem check``: validate a scenario and print it resolved."""
    from ecosystem.cli import load_with_sets
    from ecosystem.experiments.plan import plan_sweep
    from ecosystem.limits import check_memory, format_bytes, sweep_runs
    from ecosystem.scenario import describe

    scenario = load_with_sets(args.scenario, args.set)
    # everything `run` and `sweep` check before they start: memory, every run of the
    # [sweep] table, every edge list
    estimate = check_memory(scenario, sweep=True)
    runs = sweep_runs(scenario)
    plan_sweep(scenario)
    print(f"# {args.scenario}: valid; every parameter, defaults filled in")
    shape = f"a sweep of {runs:,} runs" if runs > 1 else "one run"
    print(f"# {shape}, about {format_bytes(estimate.total)} of memory run one at a time")
    print(describe(scenario), end="")
    return 0
