"""Responsiveness of the dashboard: one month of every replicate of both sides, and the redraw.

    python benchmarks/dashboard_bench.py                 # the three rows below
    python benchmarks/dashboard_bench.py --humans 10000 --replicates 5 --steps 20

``dashboard_step_seconds`` does what the page's worker does after each month, without a
browser: step every replicate of both sides (``RunSet.advance``, which also copies the page's
data), compute the charts' new data (``FigureSet.update``: means, ±2 SE bands, the effects) and
move the seven plotly widgets to it (``viz.plots.apply``: one restyle message per chart, whose
JSON is what the server sends). Replicates are cut above 200,000 people as on the page
(``viz.runs.replicates_for``). Rows: 10,000 people × 5 replicates a side (target: under 0.2 s
a month on the server), 100,000 people (5 replicates) and 1,000,000 people (1 replicate).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 0.2
ROWS = ((10_000, 5, 20), (100_000, 5, 8), (1_000_000, 5, 5))
"""(people, replicates asked, months timed) of the default rows."""

WHATIF = {"decoding.method": "greedy"}
"""The intervention timed: greedy decoding, the what-if with the largest effect."""


def dashboard_step_seconds(
    humans: int = 10_000, steps: int = 20, warmup: int = 2, scenario: str | Path | None = None,
    replicates: int = 5,
) -> dict:
    """Time one dashboard month (every replicate of both sides) plus the redraw.

    Parameters
    ----------
    humans : int
        People in each run.
    steps : int
        Months timed (after ``warmup`` untimed ones; the first builds the charts).
    warmup : int
        Months taken first, not timed.
    scenario : path, optional
        Scenario of the baseline side (default ``scenarios/baseline.toml``); the intervention
        side applies :data:`WHATIF` to it.
    replicates : int
        Replicates per side asked for (cut for large populations, as on the page).

    Returns
    -------
    dict
        ``humans``, ``replicates`` (used), ``steps``, ``start_seconds`` (building every run and
        the first draw), the medians per month of ``step_seconds`` (every run),
        ``update_seconds`` (the charts' new data and their restyle messages),
        ``total_seconds`` (their sum), ``total_max_seconds``, ``months_per_second``
        (1 / total), ``target_seconds`` and ``within_target``.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import ecosystem
    from viz.app import figure_widget_class
    from viz.plots import FigureSet, apply
    from viz.runs import RunSet, replicates_for

    path = Path(scenario) if scenario else ROOT / "scenarios" / "baseline.toml"
    longer = max(warmup + steps, 1)
    baseline = ecosystem.load_scenario(path, overrides={"population.humans": humans})
    if baseline.scenario.steps < longer:
        baseline = baseline.with_overrides({"scenario.steps": longer})
    intervention = baseline.with_overrides(WHATIF)
    used = replicates_for(humans, replicates)

    widget_class = figure_widget_class()
    widgets: dict = {}
    built: dict = {}

    def redraw(snapshot) -> None:
        for name, update in charts.update(snapshot).items():
            if name not in widgets:
                widgets[name] = widget_class()
            apply(widgets[name], update, built.setdefault(name, {}))

    clock = time.perf_counter()
    runs = RunSet(baseline, intervention, used)
    charts = FigureSet()
    redraw(runs.snapshot())
    start = time.perf_counter() - clock
    for _ in range(warmup):
        redraw(runs.advance())

    phases: dict[str, list[float]] = {"step": [], "update": []}
    for _ in range(steps):
        t0 = time.perf_counter()
        snapshot = runs.advance()
        t1 = time.perf_counter()
        redraw(snapshot)
        t2 = time.perf_counter()
        phases["step"].append(t1 - t0)
        phases["update"].append(t2 - t1)
    totals = [sum(parts) for parts in zip(*phases.values(), strict=True)]
    total = statistics.median(totals)
    return {
        "humans": humans,
        "replicates": used,
        "steps": steps,
        "start_seconds": start,
        "step_seconds": statistics.median(phases["step"]),
        "update_seconds": statistics.median(phases["update"]),
        "total_seconds": total,
        "total_max_seconds": max(totals),
        "months_per_second": 1.0 / total,
        "target_seconds": TARGET_SECONDS,
        "within_target": total <= TARGET_SECONDS,
    }


def main(argv: list[str] | None = None) -> None:
    """Print the timing table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--humans", type=int, help="one row at this size (default: the three)")
    parser.add_argument("--replicates", type=int, default=5)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--scenario", help="baseline scenario (default scenarios/baseline.toml)")
    args = parser.parse_args(argv)
    rows = ([(args.humans, args.replicates, args.steps or 20)] if args.humans
            else [(h, r, args.steps or s) for h, r, s in ROWS])
    print("| people | replicates a side | months timed | set-up s | step s | redraw s | "
          "month s (median) | max s | months/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for humans, replicates, steps in rows:
        r = dashboard_step_seconds(humans, steps, scenario=args.scenario,
                                   replicates=replicates)
        print(f"| {r['humans']:,} | {r['replicates']} | {r['steps']} | "
              f"{r['start_seconds']:.2f} | {r['step_seconds']:.3f} | "
              f"{r['update_seconds']:.3f} | {r['total_seconds']:.3f} | "
              f"{r['total_max_seconds']:.3f} | {r['months_per_second']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
