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
from datetime import datetime
from pathlib import Path
from typing import Any

from ecosystem.folders import OutputFolderError, check_output_folder
from ecosystem.scenario import Scenario, ScenarioError, describe, load_scenario, parse_override

EXIT_USAGE = 2

SUMMARY_COLUMNS = (
    ("model_richness", "types the model can write", "{:.0f}"),
    ("model_entropy", "entropy of styles (nats)", "{:.3f}"),
    ("tail_mass", "probability on rare styles", "{:.3f}"),
    ("top_share", "share of the commonest style", "{:.3f}"),
    ("model_variance", "spread of the output", "{:.3f}"),
    ("drift", "drift from the human corpus", "{:.3f}"),
    ("ai_share", "AI share of new uploads", "{:.3f}"),
    ("quality_ai", "quality of AI uploads", "{:.1f}"),
    ("quality_human", "quality of human uploads", "{:.1f}"),
    ("artifact", "model artifacts", "{:.3f}"),
    ("gpt_rate_users", "marker words, AI users", "{:.2f}"),
    ("gpt_rate_nonusers", "marker words, non-users", "{:.2f}"),
    ("neutral_share_users", "neutral share, AI users", "{:.3f}"),
    ("neutral_share_nonusers", "neutral share, non-users", "{:.3f}"),
)


class UsageError(Exception):
    """Bad input from the command line, reported with exit status 2."""


def _load(path: str, sets: Sequence[str] | None) -> Scenario:
    overrides = dict(parse_override(text) for text in sets or ())
    return load_scenario(path, overrides=overrides)


def _format(value: Any, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)


def print_summary(run, folder: Path | None) -> None:
    """Print a short table of the key measures at step 0 and at the last step."""
    ts = run.timeseries
    first, last = ts.row(0, named=True), ts.row(-1, named=True)
    sc = run.scenario
    people = sc.population.humans
    who = f"{people:,} people" if people else "pure retraining chain"
    header = (
        f"{sc.scenario.name}: {last['step']} steps, seed {run.seed}, {who}, "
        f"generation {last['generation']}, {run.wall_seconds:.2f} s"
    )
    print(header)
    print(f"  {'':32} {'step 0':>10} {'step ' + str(last['step']):>10}")
    for column, label, pattern in SUMMARY_COLUMNS:
        if first[column] is None and last[column] is None:
            continue
        print(f"  {label:32} {_format(first[column], pattern):>10} "
              f"{_format(last[column], pattern):>10}")
    if folder is not None:
        print(f"run folder: {folder}")


def cmd_run(args: argparse.Namespace) -> int:
    """``ecosystem run``: one run to a run folder."""
    scenario = _load(args.scenario, args.set)
    if args.steps is not None:
        if args.steps < 0:
            raise UsageError(f"--steps must be ≥ 0, got {args.steps}")
        scenario = scenario.with_overrides({"scenario.steps": args.steps})
    if args.seed is not None and args.seed < 0:
        raise UsageError(f"--seed must be ≥ 0, got {args.seed}")
    seed = scenario.scenario.seed if args.seed is None else args.seed
    if args.out:
        out = Path(args.out)
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{scenario.scenario.name}-seed{seed}-{stamp}"
    from ecosystem.run import is_run_folder, simulate  # Mesa loads in about a second

    check_output_folder(out, is_run_folder, "run folder")
    run = simulate(scenario, seed=seed, progress=None)
    folder = run.save(out)
    print_summary(run, folder)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """``ecosystem check``: validate a scenario and print it resolved."""
    scenario = _load(args.scenario, args.set)
    if scenario.network.kind == "edgelist" and scenario.population.humans > 0:
        from ecosystem.social import read_edgelist

        read_edgelist(scenario.network.path, scenario.population.humans)
    print(f"# {args.scenario}: valid; every parameter, defaults filled in")
    print(describe(scenario), end="")
    return 0


def _add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set", action="append", metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set ai.data_regime=replace (repeatable)",
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

    run = sub.add_parser("run", help="simulate one scenario to a run folder")
    run.add_argument("scenario", metavar="SCENARIO", help="a scenario file (TOML)")
    run.add_argument("--out", metavar="DIR", help="run folder (default runs/NAME-seedN-TIME)")
    run.add_argument("--seed", type=int, metavar="N", help="root seed (default: the file's)")
    run.add_argument("--steps", type=int, metavar="N", help="steps (default: the file's)")
    _add_set(run)
    run.set_defaults(handler=cmd_run)

    check = sub.add_parser("check", help="validate a scenario and print every parameter")
    check.add_argument("scenario", metavar="SCENARIO")
    _add_set(check)
    check.set_defaults(handler=cmd_check)

    for register in _EXTENSIONS:
        register(sub)
    return parser


_EXTENSIONS: list[Callable[[Any], None]] = []
"""Functions that add further subcommands to the parser (sweep, report, validate, ...)."""


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
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly, as command-line tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:  # the disk or the system failed us, not the input: one line, no trace
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
