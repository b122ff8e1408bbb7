"""Which swept parameter matters: sensitivity indices of a designed sweep (SALib).

The indices match the sweep's sampling design:

- ``sobol`` (Saltelli's scheme): first-order and total Sobol indices ``S1`` and ``ST`` with
  their bootstrap 95 % confidence half-widths, ranked by ``ST``;
- ``morris``: elementary effects ``mu``, ``mu_star`` (mean absolute effect), ``sigma`` and the
  confidence half-width of ``mu_star``, ranked by ``mu_star``;
- ``latin``: first-order indices by RBD-FAST, which reads a Latin hypercube sample, ranked by
  ``S1``.

The output is one timeseries column at one step (by default the last), averaged over the
replicates of each design point; a sweep that also has a grid gets indices per grid cell.

References
----------
Saltelli et al., "Variance based sensitivity analysis of model output", Computer Physics
Communications 181 (2010). Morris, "Factorial sampling plans for preliminary computational
experiments", Technometrics 33 (1991). Tarantola, Gatelli & Mara, "Random balance designs for the
estimation of first order global sensitivity indices", Reliability Engineering and System
Safety 91 (2006). Herman & Usher, "SALib: an open-source Python library for sensitivity
analysis", JOSS (2017).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ecosystem.experiments.plan import Plan, salib_problem
from ecosystem.experiments.sweep import RESULTS, load_plan
from ecosystem.folders import staged_file

__all__ = ["METHODS", "SensitivityError", "SensitivityResult", "sensitivity"]

OUTPUT = "sensitivity.parquet"

METHODS = {
    "sobol": ("Sobol indices (Saltelli design)", "ST", ("S1", "S1_conf", "ST", "ST_conf")),
    "morris": ("Morris elementary effects", "mu_star",
               ("mu", "mu_star", "sigma", "mu_star_conf")),
    "latin": ("first-order indices by RBD-FAST (Latin hypercube)", "S1", ("S1", "S1_conf")),
}
"""Design → (what the indices are, the index ranked by, the index columns)."""

IDENTIFYING = ("run", "replicate", "seed", "step")

RBD_FAST_M = 10
"""Harmonics RBD-FAST sums (SALib's default)."""

LATIN_MIN_POINTS = 4 * RBD_FAST_M + 2
"""Fewest latin points RBD-FAST can bootstrap: half of them must exceed 2 M."""


class SensitivityError(ValueError):
    """Sensitivity indices that cannot be computed from a sweep folder, and why."""


@dataclass
class SensitivityResult:
    """Sensitivity indices of one metric at one step.

    Attributes
    ----------
    table : polars.DataFrame
        One row per grid cell and parameter: ``metric``, ``step``, ``method``, the grid keys,
        ``parameter``, ``rank`` (1 = matters most), then the index columns of the method.
    metric, method, description, ranked_by : str
    step, points, replicates : int
        The step analysed, design points per cell, and replicates per point.
    path : pathlib.Path or None
        Where the table was written.
    """

    table: pl.DataFrame
    metric: str
    step: int
    method: str
    description: str
    ranked_by: str
    points: int
    replicates: int
    path: Path | None = None


def _metric_columns(plan: Plan) -> list[str]:
    return [c for c in plan.schema() if c not in IDENTIFYING and c not in plan.swept_keys]


def _outputs(plan: Plan, results: Path, metric: str, step: int) -> np.ndarray:
    """Mean of ``metric`` at ``step`` over each design point's replicates: (cells, points)."""
    runs = (
        pl.scan_parquet(results)
        .filter(pl.col("step") == step)
        .select("run", pl.col(metric).cast(pl.Float64))
        .collect()
    )
    run = runs["run"].to_numpy()
    point_of_run = run // plan.replicates  # cell * n_points + point
    frame = pl.DataFrame({"slot": point_of_run, "y": runs[metric]})
    means = frame.group_by("slot").agg(pl.col("y").drop_nulls().mean())
    y = np.full(len(plan.cells) * plan.n_points, np.nan)
    values = means["y"].to_numpy().astype(np.float64, copy=False)
    y[means["slot"].to_numpy()] = values
    return y.reshape(len(plan.cells), plan.n_points)


def _analyse(plan: Plan, y: np.ndarray, seed: int | None) -> dict[str, Any]:
    problem = salib_problem(plan.scenario.sweep)
    if plan.design == "sobol":
        from SALib.analyze import sobol

        return sobol.analyze(problem, y, calc_second_order=False, seed=seed)
    if plan.design == "morris":
        from SALib.analyze import morris

        levels = plan.to_json()["morris_levels"]
        return morris.analyze(problem, plan.points, y, num_levels=levels, seed=seed)
    from SALib.analyze import rbd_fast

    return rbd_fast.analyze(problem, plan.points, y, seed=seed)


def sensitivity(
    folder: str | os.PathLike, metric: str, step: int | None = None, *, write: bool = True,
) -> SensitivityResult:
    """Sensitivity indices of a designed sweep, ranked.

    Parameters
    ----------
    folder : path
        A sweep folder whose design is ``sobol``, ``morris`` or ``latin``.
    metric : str
        A timeseries column, e.g. ``"model_richness"``.
    step : int, optional
        The step to analyse; by default the last.
    write : bool
        Also write the table to ``sensitivity.parquet`` in the folder, replacing earlier rows
        of the same metric and step and keeping the others.

    Returns
    -------
    SensitivityResult

    Raises
    ------
    SweepError
        If ``folder`` is not a sweep folder.
    SensitivityError
        For a grid sweep (no sampling design), an unknown metric, a step out of range, a
        sweep without results, or a metric with no value at some design point.
    """
    folder = Path(folder)
    plan = load_plan(folder)
    if plan.design == "grid":
        raise SensitivityError(
            f"{folder}: a grid sweep has no sampling design to compute indices from; sweep "
            'with [sweep] design = "sobol", "morris" or "latin" and [sweep.ranges]')
    metrics = _metric_columns(plan)
    if metric not in metrics:
        raise SensitivityError(f"--metric {metric!r}: not a column of the results; "
                               f"columns are: {', '.join(metrics)}")
    results = folder / RESULTS
    if not results.is_file():
        raise SensitivityError(f"{folder}: no {RESULTS} yet; complete the sweep with "
                               f"ecosystem sweep --resume {folder}")
    last = pl.scan_parquet(results).select(pl.col("step").max()).collect().item()
    if last is None:
        raise SensitivityError(f"{folder}: no run finished; see manifest.json for failures")
    step = last if step is None else step
    if not 0 <= step <= last:
        raise SensitivityError(f"--step {step}: out of range; the runs have steps 0 … {last}")

    if plan.design == "latin" and plan.n_points < LATIN_MIN_POINTS:
        raise SensitivityError(
            f"{folder}: RBD-FAST needs at least {LATIN_MIN_POINTS} latin points (its "
            f"confidence bootstrap draws half of them and must exceed 2 × {RBD_FAST_M} "
            f"harmonics); this sweep has {plan.n_points}: sweep again with [sweep] samples "
            f"= {LATIN_MIN_POINTS} or more")
    description, ranked_by, columns = METHODS[plan.design]
    y = _outputs(plan, results, metric, step)
    rows = []
    for cell_index, cell in enumerate(plan.cells):
        outputs = y[cell_index]
        where = "".join(f" at {k} = {v!r}" for k, v in cell.items())
        missing = int(np.isnan(outputs).sum())
        if missing == outputs.size:
            raise SensitivityError(f"{metric} has no value at step {step}{where} (nothing to "
                                   "measure in these runs, or every run failed)")
        if missing:
            raise SensitivityError(
                f"{metric} is missing at step {step}{where} for {missing} of {outputs.size} "
                "design points (their runs failed or measured nothing); indices need every "
                f"point: complete the sweep with ecosystem sweep --resume {folder}")
        if np.ptp(outputs) == 0:
            raise SensitivityError(f"{metric} is {outputs[0]:g} at every design point at step "
                                   f"{step}{where}: no parameter changes it, so there is no "
                                   "variance to apportion")
        indices = _analyse(plan, outputs, plan.design_seed)
        order = np.argsort(-np.nan_to_num(np.asarray(indices[ranked_by], dtype=float),
                                          nan=-np.inf), kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(1, len(order) + 1)
        for j, parameter in enumerate(plan.range_keys):
            rows.append({
                "metric": metric, "step": step, "method": plan.design, **cell,
                "parameter": parameter, "rank": int(rank[j]),
                **{c: float(indices[c][j]) for c in columns},
            })
    dtypes = plan.key_dtypes
    table = pl.DataFrame(
        rows,
        schema={"metric": pl.String, "step": pl.Int64, "method": pl.String,
                **{key: dtypes[key] for key in plan.grid_keys},
                "parameter": pl.String, "rank": pl.Int64,
                **dict.fromkeys(columns, pl.Float64)},
        orient="row",
    ).sort([*plan.grid_keys, "rank"], maintain_order=True)
    result = SensitivityResult(table=table, metric=metric, step=step, method=plan.design,
                               description=description, ranked_by=ranked_by,
                               points=plan.n_points, replicates=plan.replicates)
    if write:
        result.path = _write(folder, table, metric, step)
    return result


def _write(folder: Path, table: pl.DataFrame, metric: str, step: int) -> Path:
    """Merge ``table`` into the folder's ``sensitivity.parquet`` (atomic replace)."""
    target = folder / OUTPUT
    if target.is_file():
        earlier = pl.read_parquet(target).filter(
            ~((pl.col("metric") == metric) & (pl.col("step") == step)))
        table = pl.concat([earlier, table], how="diagonal_relaxed")
    with staged_file(target) as staging:
        table.write_parquet(staging)
    return target


def format_result(result: SensitivityResult, grid_keys: tuple[str, ...] = ()) -> str:
    """The indices as ranked text tables, one per grid cell."""
    _, _, columns = METHODS[result.method]
    lines = [f"sensitivity of {result.metric} at step {result.step}: {result.description}, "
             f"{result.points} design points × {result.replicates} replicates (averaged)"]
    table = result.table
    groups = (table.partition_by(list(grid_keys), maintain_order=True) if grid_keys
              else [table])
    width = max(len("parameter"), *(len(p) for p in table["parameter"]))
    for group in groups:
        if grid_keys:
            lines.append("  " + ", ".join(f"{k} = {group[k][0]}" for k in grid_keys) + ":")
        header = f"  {'rank':>4}  {'parameter':<{width}}" + "".join(
            f"  {_label(c):>9}" for c in columns)
        lines.append(header)
        for row in group.iter_rows(named=True):
            lines.append(f"  {row['rank']:>4}  {row['parameter']:<{width}}" + "".join(
                f"  {row[c]:>9.3g}" for c in columns))
    return "\n".join(lines)


def _label(column: str) -> str:
    return "±95%" if column.endswith("_conf") else column
