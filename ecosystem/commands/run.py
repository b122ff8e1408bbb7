"""``ecosystem run``: one scenario to a run folder, with a summary printed.

``ecosystem run SCENARIO [--out DIR] [--seed N] [--steps N] [--set KEY=VALUE ...]``
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

SUMMARY_COLUMNS = (
    ("model_richness", "types the model can write", "{:.0f}"),
    ("model_entropy", "entropy of styles (nats)", "{:.3f}"),
    ("tail_mass", "probability on rare styles", "{:.3f}"),
    ("top_share", "share of the commonest style", "{:.3f}"),
    ("model_variance", "spread of the output", "{:.3f}"),
    ("drift", "drift from the human corpus", "{:.3f}"),
    ("ai_share", "AI share of new uploads", "{:.3f}"),
    ("ai_share_detected", "  as a classifier reports it", "{:.3f}"),
    ("excess_vocabulary", "  excess-vocabulary lower bound", "{:.3f}"),
    ("ai_share_estimated", "  distributional MLE", "{:.3f}"),
    ("quality_ai", "quality of AI uploads", "{:.1f}"),
    ("quality_human", "quality of human uploads", "{:.1f}"),
    ("artifact", "model artifacts", "{:.3f}"),
    ("gpt_rate_users", "marker words, AI users", "{:.3f}"),
    ("gpt_rate_nonusers", "marker words, non-users", "{:.3f}"),
    ("neutral_share_users", "neutral share, AI users", "{:.3f}"),
    ("neutral_share_nonusers", "neutral share, non-users", "{:.3f}"),
)



def register(subparsers) -> None:
    """Add ``ecosystem run`` to the command's subparsers."""
    from ecosystem.cli import add_overwrite_argument, add_set_argument

    run = subparsers.add_parser("run", help="simulate one scenario to a run folder")
    run.add_argument("scenario", metavar="SCENARIO", help="a scenario file (TOML)")
    run.add_argument("--out", metavar="DIR", help="run folder (default runs/NAME-seedN-TIME)")
    run.add_argument("--seed", type=int, metavar="N", help="root seed (default: the file's)")
    run.add_argument("--steps", type=int, metavar="N", help="steps (default: the file's)")
    add_overwrite_argument(run, "run folder")
    add_set_argument(run)
    run.set_defaults(handler=cmd_run)


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
    from ecosystem.cli import UsageError, load_with_sets
    from ecosystem.folders import check_output_folder, safe_folder_name
    from ecosystem.limits import check_memory

    scenario = load_with_sets(args.scenario, args.set)
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
        out = Path("runs") / f"{safe_folder_name(scenario.scenario.name)}-seed{seed}-{stamp}"
    check_memory(scenario)
    from ecosystem.run import is_run_folder, simulate  # Mesa loads in about a second

    out = check_output_folder(out, is_run_folder, "run folder", overwrite=args.overwrite)
    run = simulate(scenario, seed=seed, progress=None)
    folder = run.save(out, overwrite=args.overwrite)
    print_summary(run, folder)
    return 0
