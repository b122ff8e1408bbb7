"""The report of a calibration: ``report.md`` with marginal plots and the fit of each target.

Figures are drawn with matplotlib's object API on the Agg canvas (no pyplot, no global backend)
and written atomically beside the report:

- ``marginals.png``: per fitted key, the weighted histogram of every population (light, early;
  dark, last) over the prior's range, the posterior median and 90 % interval marked;
- ``fit.png``: per target, its quantity over the steps in the posterior-predictive runs (median
  and 5–95 % band) with the observation and its ± 1 sd and ± 2 sd bars at the target's step.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ecosystem.folders import staged_file

MARGINALS = "marginals.png"
FIT = "fit.png"


def _save(figure, path: Path) -> None:
    with staged_file(path) as staging:
        figure.savefig(staging, format="png", dpi=110, bbox_inches="tight")


def _grid(n: int) -> tuple[int, int]:
    columns = min(n, 3)
    return math.ceil(n / columns), columns


def draw_marginals(path: Path, calibration, populations: pl.DataFrame,
                   summary: pl.DataFrame) -> None:
    """Weighted histograms of each key, one line per population."""
    from matplotlib.figure import Figure

    keys = calibration.keys
    rows, columns = _grid(len(keys))
    figure = Figure(figsize=(4.2 * columns, 3.2 * rows))
    last = int(populations["population"].max())
    for i, key in enumerate(keys):
        axes = figure.add_subplot(rows, columns, i + 1)
        prior = calibration.parameters[key]
        if prior.prior == "loguniform":
            edges = np.geomspace(prior.low, prior.high, 31)
            axes.set_xscale("log")
        else:
            edges = np.linspace(prior.low, prior.high, 31)
        for t in range(last + 1):
            part = populations.filter(pl.col("population") == t)
            values = part[key].cast(pl.Float64).to_numpy()
            weights = part["weight"].to_numpy()
            density, _ = np.histogram(values, bins=edges, weights=weights, density=True)
            shade = 0.25 + 0.75 * (t / last if last else 1.0)
            axes.stairs(density, edges, color=(0.1, 0.3, 0.7, shade),
                        linewidth=2.0 if t == last else 0.8,
                        label=f"population {t + 1}" if t in (0, last) else None)
        row = summary.row(i, named=True)
        axes.axvspan(row["q05"], row["q95"], color="tab:orange", alpha=0.15,
                     label="90 % interval")
        axes.axvline(row["median"], color="tab:orange", linewidth=1.5, label="median")
        axes.set_xlim(prior.low, prior.high)
        axes.set_title(key, fontsize=10)
        axes.set_ylabel("density")
        if i == 0:
            axes.legend(fontsize=7, frameon=False)
    figure.suptitle("Posterior marginals (prior range on the x axis)", fontsize=11)
    figure.tight_layout()
    _save(figure, path)


def draw_fit(path: Path, calibration, series: Sequence[np.ndarray]) -> None:
    """Per target: the posterior-predictive runs over the steps against the observation."""
    from matplotlib.figure import Figure

    targets = calibration.targets
    rows, columns = _grid(len(targets))
    figure = Figure(figsize=(4.2 * columns, 3.2 * rows))
    for i, target in enumerate(targets):
        axes = figure.add_subplot(rows, columns, i + 1)
        runs = series[i]
        if runs.size:
            steps = np.arange(runs.shape[1])
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # steps where nothing is defined
                finite = np.where(np.isfinite(runs), runs, np.nan)
                if np.isfinite(finite).any(axis=0).any():
                    low, mid, high = np.nanquantile(finite, [0.05, 0.5, 0.95], axis=0)
                    axes.fill_between(steps, low, high, color="tab:blue", alpha=0.2,
                                      label="posterior predictive 5–95 %")
                    axes.plot(steps, mid, color="tab:blue", label="median")
        axes.errorbar([target.step], [target.value], yerr=[[2 * target.sd], [2 * target.sd]],
                      color="black", capsize=0, linewidth=0.8, label="observed ± 2 sd")
        axes.errorbar([target.step], [target.value], yerr=[[target.sd], [target.sd]],
                      fmt="o", color="black", capsize=3, linewidth=1.8)
        axes.set_title(target.label or target.describe(), fontsize=9)
        axes.set_xlabel("step")
        if i == 0:
            axes.legend(fontsize=7, frameon=False)
    figure.suptitle("Fit of each target", fontsize=11)
    figure.tight_layout()
    _save(figure, path)


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.4g}"


def _verdict(miss: float | None) -> str:
    if miss is None:
        return "undefined in the model"
    if abs(miss) <= 1:
        return "within 1 sd"
    if abs(miss) <= 2:
        return "within 2 sd"
    return f"missed by {abs(miss):.1f} sd"


def write_report(folder: Path, calibration, posterior: pl.DataFrame, populations: pl.DataFrame,
                 summary: pl.DataFrame, fit: pl.DataFrame, series: Sequence[np.ndarray],
                 steps: list[Mapping[str, Any]], medians: Mapping[str, Any],
                 command: str | None = None) -> Path:
    """Draw the figures and write ``report.md``; return its path."""
    draw_marginals(folder / MARGINALS, calibration, populations, summary)
    draw_fit(folder / FIT, calibration, series)
    settings = calibration.settings
    name = calibration.scenario.scenario.name
    lines = [
        f"# Calibration of `{name}`",
        "",
        f"ABC-SMC (pyabc): {len(steps)} populations of {settings.particles} particles, "
        f"{settings.seeds_per_particle} run(s) per particle, seed {settings.seed}; "
        f"{sum(s['simulations'] for s in steps)} simulations in all. Each threshold is the "
        f"{settings.quantile:g} quantile of the previous population's distances; the distance "
        "is the Euclidean norm of the targets' misses, each in units of its sd.",
        "",
    ]
    if command:
        lines += ["Reproduce with:", "", "```", command, "```", ""]
    lines += ["## Populations", "",
              "| population | epsilon | particles | simulations | acceptance |",
              "|---:|---:|---:|---:|---:|"]
    for step in steps:
        rate = step["acceptance_rate"]
        lines.append(f"| {step['population'] + 1} | {step['epsilon']:.4g} | "
                     f"{step['particles']} | {step['simulations']} | "
                     f"{'—' if rate is None else f'{rate:.1%}'} |")
    lines += ["", "## Posterior", "",
              "| key | prior | median | 90 % interval | prior 90 % | width / prior width |",
              "|---|---|---:|---:|---:|---:|"]
    for row in summary.iter_rows(named=True):
        width = (row["q95"] - row["q05"]) / (row["prior_q95"] - row["prior_q05"])
        lines.append(f"| `{row['key']}` | {row['prior']} [{_number(row['prior_low'])}, "
                     f"{_number(row['prior_high'])}] | {_number(row['median'])} | "
                     f"{_number(row['q05'])} – {_number(row['q95'])} | "
                     f"{_number(row['prior_q05'])} – {_number(row['prior_q95'])} | "
                     f"{width:.2f} |")
    lines += ["", f"![marginals]({MARGINALS})", "",
              "`calibrated.toml` is the scenario with the posterior medians: "
              + ", ".join(f"`{k}` = {_number(v) if isinstance(v, float) else v}"
                          for k, v in medians.items()) + ".",
              "", "## Fit of each target", "",
              f"Posterior predictive: {settings.predictive_draws} runs at particles drawn from "
              "the posterior by weight, each with a fresh seed.", "",
              "| target | observed ± sd | predicted median | 90 % predictive | miss (sd) | "
              "verdict |", "|---|---:|---:|---:|---:|---|"]
    for row, target in zip(fit.iter_rows(named=True), calibration.targets, strict=True):
        label = f"{target.label} (`{row['target']}`)" if target.label else f"`{row['target']}`"
        if target.source:
            label += f"; {target.source}"
        lines.append(f"| {label} | {_number(row['observed'])} ± {_number(row['sd'])} | "
                     f"{_number(row['predicted_median'])} | {_number(row['predicted_q05'])} – "
                     f"{_number(row['predicted_q95'])} | {_number(row['miss_sd'])} | "
                     f"{_verdict(row['miss_sd'])} |")
    lines += ["", f"![fit]({FIT})", ""]
    path = folder / "report.md"
    with staged_file(path) as staging:
        staging.write_text("\n".join(lines), encoding="utf-8")
    return path
