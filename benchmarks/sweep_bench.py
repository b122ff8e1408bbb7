"""Throughput of a sweep of small runs: runs per second, and the overhead per run.

    python benchmarks/sweep_bench.py [--runs 1000] [--workers 2] [--steps 5]

``sweep_throughput`` is importable by the benchmark table script. The overhead per run is what
a sweep costs beyond the runs themselves, per run and per worker: starting the worker pool,
sending scenarios and results between processes, writing each run's Parquet part, assembling
results.parquet. It is ``workers × wall / runs − mean run time``, with the run time measured
inside the workers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def small_chain(steps: int, replicates: int) -> dict:
    """A pure retraining chain small enough that a run takes a few milliseconds."""
    return {
        "scenario": {"name": "sweep-bench", "steps": steps, "seed": 1},
        "content": {"types": 10, "initial_docs": 200},
        "ai": {"data_regime": "replace", "outputs_per_generation": 200},
        "sweep": {"replicates": replicates},
    }


def sweep_throughput(n_runs: int = 1000, workers: int = 2, steps: int = 5) -> dict:
    """Time a sweep of ``n_runs`` small runs on ``workers`` local processes.

    Parameters
    ----------
    n_runs : int
        Runs in the sweep (replicates of one small chain scenario).
    workers : int
        Local worker processes (1: sequential in this process).
    steps : int
        Steps per run.

    Returns
    -------
    dict
        ``runs``, ``workers``, ``steps``, ``wall_seconds``, ``runs_per_second``,
        ``run_seconds`` (mean time of one run, measured where it ran),
        ``overhead_per_run_seconds``, ``overhead_ratio`` (overhead / run time), ``failed``.
    """
    import ecosystem
    from ecosystem.experiments.sweep import run_sweep

    scenario = ecosystem.load_scenario(small_chain(steps, n_runs))
    ecosystem.simulate(scenario)  # first-call costs (imports, caches) are not the sweep's
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        clock = time.perf_counter()
        summary = run_sweep(scenario, Path(tmp) / "sweep", workers=workers, progress=False)
        wall = time.perf_counter() - clock
    finished = summary.ran - summary.failed
    run_seconds = summary.run_seconds / max(finished, 1)
    overhead = workers * wall / n_runs - run_seconds
    return {
        "runs": n_runs,
        "workers": workers,
        "steps": steps,
        "wall_seconds": wall,
        "runs_per_second": n_runs / wall,
        "run_seconds": run_seconds,
        "overhead_per_run_seconds": overhead,
        "overhead_ratio": overhead / run_seconds if run_seconds > 0 else float("nan"),
        "failed": summary.failed,
    }


def main(argv: list[str] | None = None) -> None:
    """Print the throughput table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args(argv)
    result = sweep_throughput(args.runs, args.workers, args.steps)
    rows = [
        ("runs", f"{result['runs']:,}"),
        ("workers", f"{result['workers']}"),
        ("steps per run", f"{result['steps']}"),
        ("wall time", f"{result['wall_seconds']:.2f} s"),
        ("runs per second", f"{result['runs_per_second']:.1f}"),
        ("one run (in its worker)", f"{result['run_seconds'] * 1e3:.2f} ms"),
        ("overhead per run", f"{result['overhead_per_run_seconds'] * 1e3:.2f} ms"),
        ("overhead / run", f"{result['overhead_ratio']:.2f}"),
        ("failed runs", f"{result['failed']}"),
    ]
    width = max(len(name) for name, _ in rows)
    print("sweep throughput")
    for name, value in rows:
        print(f"  {name:<{width}}  {value:>12}")


if __name__ == "__main__":
    if str(ROOT) not in sys.path:  # run from a source tree: use its ecosystem package
        sys.path.insert(0, str(ROOT))
    main()
