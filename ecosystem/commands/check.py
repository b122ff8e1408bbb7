"""``ecosystem check``: validate a scenario file and print it resolved, or every error."""

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
    from ecosystem.scenario import describe

    scenario = load_with_sets(args.scenario, args.set)
    if scenario.network.kind == "edgelist" and scenario.population.humans > 0:
        from ecosystem.social import read_edgelist

        read_edgelist(scenario.network.path, scenario.population.humans)
    print(f"# {args.scenario}: valid; every parameter, defaults filled in")
    print(describe(scenario), end="")
    return 0
