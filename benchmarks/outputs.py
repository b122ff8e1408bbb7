"""Save, and compare against, the tables of a few small fixed-seed runs.

Optimisations must leave outputs unchanged. Before changing model code, save the tables of a few
small runs (chain and people scenarios, fixed seeds); after each change, compare — the tables
must be identical.

    PYTHONPATH=. python3 benchmarks/outputs.py save benchmarks/results/golden
    PYTHONPATH=. python3 benchmarks/outputs.py compare benchmarks/results/golden
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ecosystem  # noqa: E402
from ecosystem.model import EcosystemModel  # noqa: E402

SCENARIOS = ROOT / "scenarios"

PEOPLE_SMALL = {
    "population.humans": 3000,
    "content.initial_docs": 4000,
    "ai.outputs_per_generation": 300,
    "ai.training_docs": 4000,
    "scenario.steps": 30,
}

SUBSAMPLE_SMALL = {**PEOPLE_SMALL, "ai.data_regime": "accumulate-subsample"}

CASES: dict[str, tuple[str, dict, int, str]] = {
    # name: (scenario file, overrides, seed, people step)
    "collapse": ("collapse.toml", {"scenario.steps": 40}, 3, "vectorised"),
    "accumulate": ("accumulate.toml", {"scenario.steps": 40}, 4, "vectorised"),
    "greedy": ("greedy-dialects.toml", {"scenario.steps": 10}, 5, "vectorised"),
    "best-of-n": ("best-of-n.toml", {"scenario.steps": 20}, 6, "vectorised"),
    "quality-decay": ("quality-decay.toml", {"scenario.steps": 20}, 7, "vectorised"),
    "finite-capacity": ("finite-capacity.toml", {"scenario.steps": 20}, 8, "vectorised"),
    "baseline": ("baseline.toml", PEOPLE_SMALL, 1, "vectorised"),
    "baseline-accumulate": ("baseline.toml",
                            {**PEOPLE_SMALL, "ai.data_regime": "accumulate",
                             "ai.training_docs": "all", "population.adoption_steps": 0}, 2,
                            "vectorised"),
    "interventions": ("interventions.toml", PEOPLE_SMALL, 3, "vectorised"),
    # these files accumulate; a fixed-size sample of everything is "accumulate-subsample"
    "gpt-words": ("gpt-words.toml", SUBSAMPLE_SMALL, 4, "vectorised"),
    "neutral-opinions": ("neutral-opinions.toml", SUBSAMPLE_SMALL, 5, "vectorised"),
    "prompts": ("prompts.toml", PEOPLE_SMALL, 6, "vectorised"),
    "creativity": ("creativity.toml", PEOPLE_SMALL, 7, "vectorised"),
    # 30,000 people: 300,000 graph entries (several blocks of the former blocked kernels)
    "baseline-blocks": ("baseline.toml",
                        {**PEOPLE_SMALL, "population.humans": 30_000, "scenario.steps": 12},
                        9, "vectorised"),
    "baseline-per-agent": ("baseline.toml",
                           {**PEOPLE_SMALL, "population.humans": 300, "scenario.steps": 8},
                           8, "per_agent"),
}


def tables(name: str) -> dict[str, pl.DataFrame]:
    """The timeseries, generations and humans tables of one case."""
    path, overrides, seed, people_step = CASES[name]
    sc = ecosystem.load_scenario(SCENARIOS / path, overrides=overrides)
    model = EcosystemModel(sc, seed, people_step=people_step)
    for _ in range(sc.scenario.steps):
        model.step()
    return {"timeseries": model.timeseries(), "generations": model.generations(),
            "humans": model.humans()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("save", "compare"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("--only", nargs="*", default=None, help="case names")
    args = parser.parse_args(argv)
    failed = 0
    for name in args.only or CASES:
        for table, frame in tables(name).items():
            path = args.folder / f"{name}.{table}.parquet"
            if args.action == "save":
                path.parent.mkdir(parents=True, exist_ok=True)
                frame.write_parquet(path)
                continue
            saved = pl.read_parquet(path)
            # columns added since the tables were saved are new measures, not changes
            same = frame.select(saved.columns).equals(saved)
            failed += not same
            print(f"{'same' if same else 'DIFFERENT':9} {name} {table}")
    if args.action == "compare":
        print("all identical" if not failed else f"{failed} tables differ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
