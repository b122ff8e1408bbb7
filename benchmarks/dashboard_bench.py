"""Responsiveness of the dashboard: one step of both runs and the redraw of every figure.

    python benchmarks/dashboard_bench.py [--humans 10000] [--steps 20] [--scenario FILE]

``dashboard_step_seconds`` is importable by the benchmark table script. It does what the page
does after each step, without a browser: step the baseline and the intervention run
(``RunPair.advance``, which also copies the plots' data), move the figures to the new data
(``FigureSet.update``) and render each one to the PNG the page sends. The target is about half a
second per step at 10,000 people.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 0.5

WHATIF = {"ai.data_regime": "replace", "interventions.human_data_reserve": 0.2,
          "decoding.method": "sample"}
"""The intervention timed: a what-if a policymaker would try first."""


def dashboard_step_seconds(
    humans: int = 10_000, steps: int = 20, warmup: int = 2, scenario: str | Path | None = None,
) -> dict:
    """Time one dashboard step (both runs) plus the redraw, at ``humans`` people.

    Parameters
    ----------
    humans : int
        People in each run.
    steps : int
        Steps timed (after ``warmup`` untimed ones, which build the figures).
    warmup : int
        Steps taken first, not timed.
    scenario : path, optional
        Scenario of the baseline run (default ``scenarios/baseline.toml``); the intervention
        run applies :data:`WHATIF` to it.

    Returns
    -------
    dict
        ``humans``, ``steps``, ``start_seconds`` (building both runs and the first draw), the
        medians per step of ``step_seconds`` (both runs), ``update_seconds`` (figures moved to
        the new data), ``render_seconds`` (every figure to PNG), ``total_seconds`` (their sum),
        ``total_max_seconds``, ``target_seconds`` and ``within_target``.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import ecosystem
    from viz.plots import FigureSet, to_image
    from viz.runs import RunPair

    path = Path(scenario) if scenario else ROOT / "scenarios" / "baseline.toml"
    longer = max(warmup + steps, 1)
    baseline = ecosystem.load_scenario(path, overrides={"population.humans": humans})
    if baseline.scenario.steps < longer:
        baseline = baseline.with_overrides({"scenario.steps": longer})
    intervention = baseline.with_overrides(WHATIF)

    clock = time.perf_counter()
    pair = RunPair(baseline, intervention)
    figures = FigureSet()
    for figure in figures.update(pair.snapshot()).values():
        to_image(figure)
    start = time.perf_counter() - clock
    for _ in range(warmup):
        for figure in figures.update(pair.advance()).values():
            to_image(figure)

    phases: dict[str, list[float]] = {"step": [], "update": [], "render": []}
    for _ in range(steps):
        t0 = time.perf_counter()
        snapshot = pair.advance()
        t1 = time.perf_counter()
        drawn = figures.update(snapshot)
        t2 = time.perf_counter()
        for figure in drawn.values():
            to_image(figure)
        t3 = time.perf_counter()
        phases["step"].append(t1 - t0)
        phases["update"].append(t2 - t1)
        phases["render"].append(t3 - t2)
    totals = [sum(parts) for parts in zip(*phases.values(), strict=True)]
    total = statistics.median(totals)
    return {
        "humans": humans,
        "steps": steps,
        "start_seconds": start,
        "step_seconds": statistics.median(phases["step"]),
        "update_seconds": statistics.median(phases["update"]),
        "render_seconds": statistics.median(phases["render"]),
        "total_seconds": total,
        "total_max_seconds": max(totals),
        "target_seconds": TARGET_SECONDS,
        "within_target": total <= TARGET_SECONDS,
    }


def main(argv: list[str] | None = None) -> None:
    """Print the timing table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--humans", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--scenario", help="baseline scenario (default scenarios/baseline.toml)")
    args = parser.parse_args(argv)
    result = dashboard_step_seconds(args.humans, args.steps, scenario=args.scenario)
    print(f"dashboard at {result['humans']:,} people, median of {result['steps']} steps")
    for key in ("start_seconds", "step_seconds", "update_seconds", "render_seconds",
                "total_seconds", "total_max_seconds"):
        print(f"  {key:20} {result[key]:8.3f}")
    verdict = "within" if result["within_target"] else "over"
    print(f"  {verdict} the target of {result['target_seconds']} s per step and redraw")


if __name__ == "__main__":
    main()
