"""Plots of a run folder or a sweep folder, as PNG files beside the data.

For a run: each key measure over time. For a sweep: each key measure over time, one line per
grid cell, the mean over its runs with a band from the 10th to the 90th percentile of the runs
(the replicates; in a sampling design also the design points, so the band shows the spread over
the sampled ranges too). Every figure goes to ``FOLDER/plots/METRIC.png``, and all of them side
by side to ``FOLDER/plots/overview.png``.

Drawing uses matplotlib's object API with the Agg canvas (no pyplot, no global backend), so it
works on machines without a display and leaves a notebook's own backend alone. Only this layer
draws: the model never imports matplotlib.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ecosystem.experiments.sweep import PARTS, RESULTS, is_sweep_folder, load_plan
from ecosystem.folders import record_files, staged_file
from ecosystem.run import is_run_folder

__all__ = ["KEY_METRICS", "ReportError", "report", "summarise_sweep"]

KEY_METRICS: dict[str, str] = {
    "model_richness": "types the model can write",
    "model_entropy": "entropy of styles (nats)",
    "model_gini_simpson": "Gini–Simpson diversity",
    "tail_mass": "probability on rare styles",
    "top_share": "share of the commonest style",
    "model_variance": "spread of the output",
    "drift": "drift from the human corpus",
    "ai_share": "AI share of new uploads",
    "quality_ai": "quality of AI uploads",
    "quality_human": "quality of human uploads",
    "artifact": "model artifacts",
    "gpt_rate_users": "marker words per 1,000, AI users",
    "gpt_rate_nonusers": "marker words per 1,000, non-users",
    "neutral_share_users": "neutral share, AI users",
    "neutral_share_nonusers": "neutral share, non-users",
    "stance_std": "spread of stances",
    "ai_share_detected": "AI share a classifier reports",
    "excess_vocabulary": "excess-vocabulary lower bound",
    "ai_share_estimated": "AI share, distributional MLE",
}
"""The measures drawn (those measured in the folder), with their axis labels."""

BAND = (0.1, 0.9)
"""Quantiles of the runs that bound the band around a sweep's mean line."""

PLOTS = "plots"


class ReportError(ValueError):
    """A folder that cannot be reported on, and why."""


@dataclass
class Report:
    """What :func:`report` drew.

    Attributes
    ----------
    folder : pathlib.Path
        The plots folder.
    files : list of pathlib.Path
        ``overview.png`` first, then one PNG per measure.
    kind : str
        "run" or "sweep".
    runs : int
        Runs drawn.
    """

    folder: Path
    files: list[Path]
    kind: str
    runs: int


def _label(cell: dict) -> str:
    """A legend label for a grid cell: keys without their section when that is unambiguous."""
    short = {key: key.split(".", 1)[-1] for key in cell}
    if len(set(short.values())) < len(short):
        short = {key: key for key in cell}
    return ", ".join(f"{short[key]}={value}" for key, value in cell.items()) or "all runs"


def _damaged(exc: BaseException) -> bool:
    """Whether polars failed on a damaged file (an error, or a panic of its Rust core)."""
    return (isinstance(exc, OSError | pl.exceptions.PolarsError)
            or type(exc).__name__ == "PanicException")


def _readable(path: Path, remedy: str) -> None:
    """Refuse an empty or damaged Parquet file, naming it (before polars fails inside a plot)."""
    try:
        pl.read_parquet_schema(path)
    except (OSError, pl.exceptions.PolarsError):
        raise ReportError(f"{path}: not a readable Parquet file (empty or damaged); "
                          f"{remedy}") from None


def _sweep_source(folder: Path) -> tuple[pl.LazyFrame, int]:
    """The sweep's results, or its finished parts if it was interrupted; and the run count."""
    remedy = f"ecosystem sweep --resume {folder} checks the parts and assembles it again"
    if (folder / RESULTS).is_file():
        _readable(folder / RESULTS, remedy)
        frame = pl.scan_parquet(folder / RESULTS)
    else:
        parts = sorted((folder / PARTS).glob("run-*.parquet"))
        if not parts:
            raise ReportError(f"{folder}: no run of this sweep has finished yet")
        for part in parts:
            _readable(part, remedy)
        frame = pl.scan_parquet(parts)
    runs = frame.select(pl.col("run").n_unique()).collect().item()
    if not runs:
        raise ReportError(f"{folder}: no run of this sweep has finished (see manifest.json)")
    return frame, runs


def summarise_sweep(folder: str | os.PathLike, metrics: list[str] | None = None) -> pl.DataFrame:
    """Mean and band of each measure per grid cell and step, over the cell's runs.

    Parameters
    ----------
    folder : path
        A sweep folder.
    metrics : list of str, optional
        Timeseries columns; by default :data:`KEY_METRICS`.

    Returns
    -------
    polars.DataFrame
        One row per grid cell and step: the grid keys, ``step``, ``runs``, and for each
        measure ``M``: ``M_mean``, ``M_low``, ``M_high`` (the quantiles :data:`BAND`), computed
        over the runs where it was measured.
    """
    folder = Path(folder)
    plan = load_plan(folder)
    frame, _ = _sweep_source(folder)
    metrics = list(KEY_METRICS) if metrics is None else metrics
    keys = list(plan.grid_keys)
    low, high = BAND
    runs_per_cell = plan.n_points * plan.replicates
    # Cells in the plan's order (the order of the [sweep.grid] values), not sorted by value.
    frame = frame.with_columns((pl.col("run") // runs_per_cell).alias("cell"))
    aggregations = [pl.col("run").n_unique().alias("runs")]
    for m in metrics:
        aggregations += [
            pl.col(m).mean().alias(f"{m}_mean"),
            pl.col(m).quantile(low, "linear").alias(f"{m}_low"),
            pl.col(m).quantile(high, "linear").alias(f"{m}_high"),
        ]
    return (frame.group_by(["cell", *keys, "step"]).agg(aggregations).sort(["cell", "step"])
            .drop("cell").collect())


def _measured(frame: pl.DataFrame, metrics: list[str], column: str = "{}") -> list[str]:
    """The measures with a value at two steps or more: something to draw over time."""
    return [m for m in metrics
            if frame.filter(pl.col(column.format(m)).is_not_null())["step"].n_unique() >= 2]


def _save(figure, path: Path) -> None:
    with staged_file(path) as staging:
        figure.savefig(staging, format="png", dpi=110, bbox_inches="tight")


def _draw(axes, series: list[tuple[str, pl.DataFrame]], metric: str, band: bool) -> None:
    for label, data in series:
        steps = data["step"].to_numpy()
        column = f"{metric}_mean" if band else metric
        (line,) = axes.plot(steps, data[column].cast(pl.Float64).to_numpy(), label=label,
                            linewidth=1.5)
        if band:
            axes.fill_between(steps, data[f"{metric}_low"].cast(pl.Float64).to_numpy(),
                              data[f"{metric}_high"].cast(pl.Float64).to_numpy(),
                              color=line.get_color(), alpha=0.2, linewidth=0)
    axes.set_xlabel("step")
    axes.set_ylabel(KEY_METRICS.get(metric, metric))
    axes.set_title(metric, fontsize=10)
    axes.grid(alpha=0.3)


def _check_metrics(metrics: list[str], columns: list[str]) -> None:
    measures = [c for c in columns if c not in ("run", "replicate", "seed", "step")
                and "." not in c]
    unknown = [m for m in metrics if m not in measures]
    if unknown:
        raise ReportError(f"--metric {unknown[0]!r}: not a measure of the timeseries; "
                          f"measures are: {', '.join(measures)}")


def report(folder: str | os.PathLike, metrics: list[str] | None = None) -> Report:
    """Draw the key measures of a run folder or a sweep folder to PNG files beside its data.

    Parameters
    ----------
    folder : path
        A run folder (``ecosystem run``) or a sweep folder (``ecosystem sweep``).
    metrics : list of str, optional
        The timeseries columns to draw; by default those of :data:`KEY_METRICS` measured at
        two steps or more.

    Returns
    -------
    Report

    Raises
    ------
    ReportError
        If ``folder`` is neither, a sweep with no finished run, or a metric is unknown.
    """
    from matplotlib.figure import Figure

    folder = Path(folder)
    wanted = list(KEY_METRICS) if metrics is None else list(metrics)
    if is_run_folder(folder):
        kind = "run"
        import tomllib

        path = folder / "timeseries.parquet"
        _readable(path, "run the scenario again into a new folder")
        try:
            frame = pl.read_parquet(path)
        except BaseException as exc:
            if not _damaged(exc):
                raise
            raise ReportError(f"{path}: not a readable Parquet file (damaged); run the "
                              "scenario again into a new folder") from None
        try:
            text = (folder / "scenario.toml").read_text(encoding="utf-8-sig")
            name = str(tomllib.loads(text)["scenario"]["name"])
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
            name = folder.name
        _check_metrics(wanted, frame.columns)
        metrics = _measured(frame, wanted)
        series = [(name, frame)]
        runs, band, subtitle = 1, False, name
    elif is_sweep_folder(folder):
        kind = "sweep"
        plan = load_plan(folder)
        _, runs = _sweep_source(folder)
        _check_metrics(wanted, list(plan.schema()))
        try:
            summary = summarise_sweep(folder, wanted)
        except BaseException as exc:
            if not _damaged(exc):
                raise
            raise ReportError(f"{folder}: a Parquet file of the sweep is damaged; ecosystem "
                              f"sweep --resume {folder} checks the parts and assembles it "
                              "again") from None
        metrics = _measured(summary, wanted, "{}_mean")
        keys = list(plan.grid_keys)
        groups = summary.partition_by(keys, maintain_order=True) if keys else [summary]
        series = [(_label({k: g[k][0] for k in keys}), g) for g in groups]
        band = True
        what = "replicates" if plan.design == "grid" else f"replicates and {plan.design} points"
        subtitle = (f"{plan.scenario.scenario.name}: {runs} of {plan.n_runs} runs; mean, band "
                    f"{BAND[0]:.0%}–{BAND[1]:.0%} of {what}")
    else:
        raise ReportError(f"{folder}: neither a run folder nor a sweep folder")
    if not metrics:
        raise ReportError(f"{folder}: no key measure has a value to draw")

    out = folder / PLOTS
    out.mkdir(exist_ok=True)
    for stale in out.glob("*.png"):  # from an earlier report, perhaps of fewer runs
        stale.unlink()
    files = []
    legend = len(series) > 1
    for metric in metrics:
        figure = Figure(figsize=(10 if legend else 7, 4.2), layout="constrained")
        axes = figure.subplots()
        _draw(axes, series, metric, band)
        figure.suptitle(subtitle, fontsize=9)
        if legend:
            figure.legend(fontsize=7, loc="outside right center")
        path = out / f"{metric}.png"
        _save(figure, path)
        files.append(path)

    columns = 3
    rows = math.ceil(len(metrics) / columns)
    figure = Figure(figsize=(4.2 * columns, 3.0 * rows), layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False)
    for axes, metric in zip(grid.flat, metrics, strict=False):
        _draw(axes, series, metric, band)
    for axes in list(grid.flat)[len(metrics):]:
        axes.set_visible(False)
    figure.suptitle(subtitle, fontsize=10)
    if legend:
        handles, labels = grid.flat[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", fontsize=8,
                      ncols=min(len(labels), 3))
    overview = out / "overview.png"
    _save(figure, overview)
    record_files(folder, [f"{PLOTS}/*.png"])  # so that --overwrite may remove them
    return Report(folder=out, files=[overview, *files], kind=kind, runs=runs)
