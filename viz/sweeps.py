# Solara components are named like classes.
# ruff: noqa: N802
"""The sweep page: open a sweep folder, see its cells over time, what matters, and PRIM's boxes.

Three panels for one measure of a sweep folder (``ecosystem sweep``):

- **over time**: each grid cell's mean line with a band from the 10th to the 90th percentile of
  its runs (the replicates; in a sampling design also the design points), from
  :func:`ecosystem.report.summarise_sweep`;
- **which key matters**: for a designed sweep (latin, sobol, morris) the sensitivity indices of
  :func:`ecosystem.experiments.sensitivity.sensitivity`, per grid cell; for a grid sweep the
  share of the measure's variance over runs that each grid key explains on its own (the
  correlation ratio η² of its main effect);
- **scenario discovery**: the boxes of :func:`ecosystem.experiments.discover.discover` for an
  outcome (the measure below or above a threshold at a step), with the coverage–density
  trade-off of the peeling and the kept part of each restricted key.

The data functions are plain (they return polars tables and plotly figures) and the
components only lay them out. Mount the page with ``SweepPage()`` (an empty path field) or
``SweepPage(folder="runs/policy")``; ``Page`` serves it alone (``solara run viz.sweeps``).
"""

from __future__ import annotations

import functools
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import polars as pl
import solara
import solara.lab

from ecosystem.experiments.plan import Plan
from ecosystem.experiments.sweep import RESULTS, is_sweep_folder, load_plan

__all__ = [
    "SweepData",
    "SweepPage",
    "SweepPageError",
    "grid_ranking",
    "limits_figure",
    "lines_figure",
    "load_sweep",
    "ranking",
    "ranking_figure",
    "tradeoff_figure",
]

CSS = """
.v-application, .v-application__wrap, .solara-autorouter-content { min-width: 0; }
.ecosystem-sweep-page { max-width: 100%; overflow-x: hidden; box-sizing: border-box; }
.ecosystem-sweep-page pre { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 100%; }
.ecosystem-sweep-page .v-col-12, .ecosystem-sweep-page .v-col { min-width: 0; }
.ecosystem-sweep-page .js-plotly-plot { width: 100%; }
.ecosystem-sweep-page .js-plotly-plot, .ecosystem-sweep-page .plot-container { max-width: 100%; }
.ecosystem-sweep-page .v-card, .ecosystem-sweep-page .v-card > * { min-width: 0; max-width: 100%; }
.ecosystem-sweep-page .v-table, .ecosystem-sweep-page table { max-width: 100%; overflow-x: auto;
  display: block; }
.ecosystem-sweep-page .v-input__slider, .ecosystem-sweep-page .v-slider { min-width: 160px; }
"""
"""Keeps the page within the screen's width (a phone's 400 px included)."""

SWEEP_ENV = "ECOSYSTEM_SWEEP_FOLDER"
"""Environment variable naming the folder :func:`Page` opens first."""

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


class SweepPageError(ValueError):
    """A folder or a choice the sweep page cannot show, and why (shown on the page)."""


@dataclass(frozen=True)
class SweepData:
    """What the page knows of an opened sweep folder.

    Attributes
    ----------
    folder : pathlib.Path
    plan : Plan
    metrics : tuple of str
        The measures with a value in the results, in table order.
    first_step, last_step : int
    runs : int
        Finished runs in the results.
    """

    folder: Path
    plan: Plan
    metrics: tuple[str, ...]
    first_step: int
    last_step: int
    runs: int

    @property
    def designed(self) -> bool:
        """Whether the sweep has a sampling design (latin, sobol, morris)."""
        return self.plan.design != "grid"

    def describe(self) -> str:
        """One line on the sweep: name, shape, runs finished, steps."""
        from ecosystem.experiments.sweep import describe_plan

        return (f"{self.plan.scenario.scenario.name}: {describe_plan(self.plan)}; "
                f"{self.runs} finished, steps {self.first_step} … {self.last_step}")


def load_sweep(path: str | os.PathLike) -> SweepData:
    """Open a sweep folder for the page.

    Raises
    ------
    SweepPageError
        If the path is empty, not a folder, not a sweep folder, or has no finished run.
    """
    from ecosystem.experiments.discover import metric_columns

    text = str(path).strip()
    if not text:
        raise SweepPageError("Type the path of a sweep folder (made by ecosystem sweep).")
    folder = Path(text).expanduser()
    if not folder.is_dir():
        raise SweepPageError(f"Sweep folder: {folder} is not a folder.")
    if not is_sweep_folder(folder):
        raise SweepPageError(f"Sweep folder: {folder} is not a sweep folder (it has no sweep "
                             "manifest.json and plan.json); make one with ecosystem sweep.")
    if not (folder / RESULTS).is_file():
        raise SweepPageError(f"Sweep folder: {folder} has no {RESULTS} yet; complete the "
                             f"sweep with ecosystem sweep --resume {folder}.")
    plan = load_plan(folder)
    table = pl.scan_parquet(folder / RESULTS)
    columns = metric_columns(plan)
    counts = table.select(pl.col("step").min().alias("first"), pl.col("step").max().alias("last"),
                          pl.col("run").n_unique().alias("runs"),
                          *(pl.col(c).is_not_null().sum().alias(c) for c in columns)).collect()
    if not counts["runs"][0]:
        raise SweepPageError(f"Sweep folder: {folder} has no finished run (see manifest.json).")
    metrics = tuple(c for c in columns if counts[c][0] > 0 and c not in ("generation",))
    return SweepData(folder=folder, plan=plan, metrics=metrics,
                     first_step=int(counts["first"][0]), last_step=int(counts["last"][0]),
                     runs=int(counts["runs"][0]))


def _values_at(data: SweepData, metric: str, step: int) -> pl.DataFrame:
    """Every run's swept values and the measure at one step (runs without a value dropped)."""
    return (pl.scan_parquet(data.folder / RESULTS).filter(pl.col("step") == step)
            .select("run", *data.plan.swept_keys, pl.col(metric).cast(pl.Float64))
            .filter(pl.col(metric).is_not_null() & pl.col(metric).is_not_nan())
            .sort("run").collect())


def default_threshold(data: SweepData, metric: str, step: int | None = None) -> float:
    """A threshold that splits the runs: the measure's median at the step, to 3 digits."""
    values = _values_at(data, metric, data.last_step if step is None else step)[metric]
    return float(f"{values.median():.3g}") if values.len() else 0.0


# -- over time ----------------------------------------------------------------------------------
def _cell_label(cell: dict) -> str:
    short = {key: key.split(".", 1)[-1] for key in cell}
    if len(set(short.values())) < len(short):
        short = {key: key for key in cell}
    return ", ".join(f"{short[key]}={value}" for key, value in cell.items()) or "all runs"


def lines_figure(data: SweepData, metric: str) -> go.Figure:
    """Each grid cell's mean over its runs, with a band from the 10th to the 90th percentile.

    Two traces per cell: the band (a filled polygon) and the mean line, in one legend group.
    """
    from ecosystem.report import BAND, KEY_METRICS, summarise_sweep

    summary = summarise_sweep(data.folder, [metric])
    keys = list(data.plan.grid_keys)
    groups = summary.partition_by(keys, maintain_order=True) if keys else [summary]
    figure = go.Figure()
    for i, group in enumerate(groups):
        colour = COLOURS[i % len(COLOURS)]
        label = _cell_label({k: group[k][0] for k in keys})
        group = group.filter(pl.col(f"{metric}_mean").is_not_null())
        steps = group["step"].to_list()
        low = group[f"{metric}_low"].cast(pl.Float64).to_list()
        high = group[f"{metric}_high"].cast(pl.Float64).to_list()
        figure.add_trace(go.Scatter(
            x=steps + steps[::-1], y=high + low[::-1], fill="toself", fillcolor=colour,
            opacity=0.2, line={"width": 0}, hoverinfo="skip", legendgroup=label,
            showlegend=False, name=f"{label} band"))
        figure.add_trace(go.Scatter(
            x=steps, y=group[f"{metric}_mean"].cast(pl.Float64).to_list(), mode="lines",
            line={"color": colour, "width": 2}, name=label, legendgroup=label,
            customdata=np.column_stack([low, high, group["runs"].to_list()]) if steps else None,
            hovertemplate=(f"{label}<br>step %{{x}}: mean %{{y:.4g}}<br>"
                           f"{BAND[0]:.0%}–{BAND[1]:.0%}: %{{customdata[0]:.4g}} … "
                           "%{customdata[1]:.4g}<br>%{customdata[2]} runs<extra></extra>")))
    what = "replicates" if not data.designed else f"replicates and {data.plan.design} points"
    figure.update_layout(
        title={"text": f"{metric}: mean, band {BAND[0]:.0%}–{BAND[1]:.0%} of the {what}",
               "font": {"size": 13}},
        xaxis_title="step", yaxis_title=KEY_METRICS.get(metric, metric),
        margin={"l": 50, "r": 10, "t": 40, "b": 40}, height=380 + 18 * len(figure.data) // 2,
        # Below the axes, so a narrow screen keeps the lines wide and the names whole.
        legend={"font": {"size": 10}, "orientation": "h", "yanchor": "top", "y": -0.18,
                "xanchor": "left", "x": 0},
        hovermode="closest")
    return figure


# -- which key matters --------------------------------------------------------------------------
def grid_ranking(data: SweepData, metric: str, step: int) -> pl.DataFrame:
    """Rank a sweep's swept keys by the share of the measure's variance each explains alone.

    For each key, the correlation ratio η² = Σ_g n_g (ȳ_g − ȳ)² / Σ_r (y_r − ȳ)² over the runs
    at the step, grouping the runs by the key's value: the main effect of the key, replicates
    and the other keys' effects left in the remainder. Suited to a grid, where every key takes
    a few values; a key with a value per run would explain everything, so designed sweeps use
    :func:`ranking` instead.

    Returns
    -------
    polars.DataFrame
        ``parameter``, ``rank``, ``eta_squared``, ``values`` (distinct values of the key).
    """
    frame = _values_at(data, metric, step)
    y = frame[metric].to_numpy()
    total = float(((y - y.mean()) ** 2).sum()) if y.size else 0.0
    rows = []
    for key in data.plan.swept_keys:
        groups = pl.DataFrame({"g": frame[key].cast(pl.String), "y": y}).group_by("g").agg(
            pl.col("y").mean().alias("mean"), pl.len().alias("n"))
        between = float((groups["n"].to_numpy()
                         * (groups["mean"].to_numpy() - y.mean()) ** 2).sum())
        rows.append({"parameter": key, "eta_squared": between / total if total > 0 else 0.0,
                     "values": groups.height})
    table = pl.DataFrame(rows, schema={"parameter": pl.String, "eta_squared": pl.Float64,
                                       "values": pl.Int64}, orient="row")
    table = table.sort("eta_squared", descending=True, maintain_order=True)
    return table.with_columns(pl.int_range(1, table.height + 1, dtype=pl.Int64).alias("rank")
                              ).select("parameter", "rank", "eta_squared", "values")


def ranking(data: SweepData, metric: str, step: int) -> tuple[pl.DataFrame, str, str]:
    """Which key matters: ``(table, column ranked by, what the numbers are)``.

    A designed sweep gets the sensitivity indices of its design (SALib, per grid cell, nothing
    written to the folder); a grid sweep gets :func:`grid_ranking`.

    Raises
    ------
    SweepPageError
        When the indices cannot be computed (the message says why).
    """
    if not data.plan.swept_keys:
        raise SweepPageError("This sweep varies no key (replicates only): nothing to rank.")
    if not data.designed:
        return (grid_ranking(data, metric, step), "eta_squared",
                "share of the variance over runs each grid key explains alone (η², main "
                "effect)")
    from ecosystem.experiments.sensitivity import SensitivityError, sensitivity

    try:
        result = sensitivity(data.folder, metric, step, write=False)
    except SensitivityError as exc:
        raise SweepPageError(f"Which key matters: {exc}") from None
    return result.table, result.ranked_by, result.description


def ranking_figure(table: pl.DataFrame, column: str, grid_keys: tuple[str, ...] = ()
                   ) -> go.Figure:
    """Horizontal bars of the ranking, the key that matters most on top; one colour per cell."""
    figure = go.Figure()
    keys = [k for k in grid_keys if k in table.columns]
    groups = table.partition_by(keys, maintain_order=True) if keys else [table]
    for i, group in enumerate(groups):
        group = group.sort("rank", descending=True)
        conf = f"{column}_conf"
        error = ({"type": "data", "array": group[conf].to_list(), "visible": True}
                 if conf in group.columns else None)
        figure.add_trace(go.Bar(
            x=group[column].to_list(), y=group["parameter"].to_list(), orientation="h",
            error_x=error, marker_color=COLOURS[i % len(COLOURS)],
            name=_cell_label({k: group[k][0] for k in keys}),
            hovertemplate="%{y}: %{x:.3g}<extra>%{fullData.name}</extra>"))
    figure.update_layout(barmode="group", xaxis_title=column, height=120 + 28 * table.height,
                         margin={"l": 10, "r": 10, "t": 20, "b": 40},
                         yaxis={"automargin": True}, showlegend=len(groups) > 1,
                         legend={"font": {"size": 10}})
    return figure


# -- scenario discovery -------------------------------------------------------------------------
def tradeoff_figure(result) -> go.Figure:
    """Coverage against density along each box's peeling trajectory; the chosen box ringed."""
    figure = go.Figure()
    for group in result.trajectory.partition_by("box", maintain_order=True):
        number = group["box"][0]
        colour = COLOURS[(number - 1) % len(COLOURS)]
        figure.add_trace(go.Scatter(
            x=group["coverage"].to_list(), y=group["density"].to_list(), mode="markers",
            marker={"size": 6, "color": colour},
            name=f"box {number}", customdata=group.select("restricted", "runs").to_numpy(),
            hovertemplate=(f"box {number}<br>coverage %{{x:.2f}}, density %{{y:.2f}}<br>"
                           "%{customdata[0]} keys restricted, %{customdata[1]} runs"
                           "<extra></extra>")))
        chosen = group.filter(pl.col("chosen"))
        figure.add_trace(go.Scatter(
            x=chosen["coverage"].to_list(), y=chosen["density"].to_list(), mode="markers",
            marker={"size": 16, "color": "rgba(0,0,0,0)", "line": {"color": colour,
                                                                  "width": 2}},
            name=f"box {number} (reported)", showlegend=False, hoverinfo="skip"))
    figure.add_hline(y=result.min_density, line_dash="dot", line_color="grey")
    figure.update_layout(xaxis={"title": "coverage", "range": [-0.02, 1.02]},
                         yaxis={"title": "density", "range": [-0.02, 1.05]}, height=340,
                         title={"text": "peeling trajectory: coverage vs density",
                                "font": {"size": 13}},
                         margin={"l": 50, "r": 10, "t": 40, "b": 40})
    return figure


def limits_figure(result) -> go.Figure:
    """Each box's restricted keys: the kept part of the key's range (or share of its values)."""
    from ecosystem.experiments.discover import _range_text

    figure = go.Figure()
    rows = list(result.boxes.iter_rows(named=True))
    labels = [f"box {row['box']}: {row['key']}" for row in rows]
    starts, widths, texts, colours = [], [], [], []
    for row in rows:
        if row["kind"] == "set":
            starts.append(0.0)
            widths.append(len(row["values"]) / len(row["all_values"]))
            texts.append("{" + ", ".join(row["values"]) + "}")
        else:
            span = row["all_high"] - row["all_low"]
            low = (row["low"] - row["all_low"]) / span if span > 0 else 0.0
            high = (row["high"] - row["all_low"]) / span if span > 0 else 1.0
            starts.append(low)
            widths.append(high - low)
            texts.append(_range_text(row))
        colours.append(COLOURS[(row["box"] - 1) % len(COLOURS)])
    figure.add_trace(go.Bar(x=[1.0] * len(rows), y=labels, orientation="h",
                            marker_color="lightgrey", hoverinfo="skip", showlegend=False))
    figure.add_trace(go.Bar(x=widths, y=labels, base=starts, orientation="h",
                            marker_color=colours, text=texts, textposition="inside",
                            insidetextanchor="middle", showlegend=False,
                            hovertemplate="%{y}: %{text}<extra></extra>"))
    figure.update_layout(barmode="overlay", height=120 + 34 * max(len(rows), 1),
                         xaxis={"title": "share of the swept range kept",
                                "range": [0, 1]},
                         yaxis={"autorange": "reversed", "automargin": True},
                         title={"text": "box limits", "font": {"size": 13}},
                         margin={"l": 10, "r": 10, "t": 40, "b": 40})
    return figure


def boxes_table(result) -> pl.DataFrame:
    """The boxes as the page lists them: one row per box and key, ranges in words."""
    from ecosystem.experiments.discover import _range_text

    rows = []
    for row in result.boxes.iter_rows(named=True):
        kept = ("{" + ", ".join(row["values"]) + "}" if row["kind"] == "set"
                else _range_text(row))
        rows.append({"box": row["box"], "key": row["key"], "kept": kept,
                     "coverage": round(row["coverage"], 3), "density": round(row["density"], 3),
                     "runs": row["runs"]})
    return pl.DataFrame(rows, schema={"box": pl.Int64, "key": pl.String, "kept": pl.String,
                                      "coverage": pl.Float64, "density": pl.Float64,
                                      "runs": pl.Int64}, orient="row")


# -- components ---------------------------------------------------------------------------------
@functools.cache
def _chart_widget():
    """Plotly's figure widget, made from a whole figure at once (``source``)."""
    from plotly.graph_objs import FigureWidget

    from viz.plots import CONFIG

    class ChartWidget(FigureWidget):
        def __init__(self, _source: go.Figure, **kwargs):
            super().__init__(data=_source.data, layout=_source.layout, **kwargs)
            self._config = dict(CONFIG)  # takes its card's width

    return ChartWidget


def Chart(figure: go.Figure):
    """A plotly chart built with its figure, shown with its traces from the start.

    A widget filled after it is shown can stay blank in the browser, and plotly cannot swap a
    widget's traces for others in place; so each figure gets its own widget, made with the
    figure (a new key for a new figure), and a render with the same figure changes nothing.
    """
    key = getattr(figure, "_chart_key", None)
    if key is None:
        key = figure._chart_key = f"chart-{uuid.uuid4().hex}"
    return _chart_widget().element(_source=figure).key(key)


def _note(text: str):
    solara.Text(text, style={"font-size": "0.85em", "color": "#555"})


@solara.component
def LinesPanel(data: SweepData, metric: str):
    """Each grid cell's line over time, with its band."""
    figure = solara.use_memo(lambda: lines_figure(data, metric), [data, metric])
    with solara.Card("Each cell over time", margin=0, classes=["ecosystem-sweep-lines"]):
        Chart(figure)


@solara.component
def RankingPanel(data: SweepData, metric: str, step: int):
    """Which key matters for the measure at the step."""
    outcome = solara.use_memo(lambda: _try(lambda: ranking(data, metric, step)),
                              [data, metric, step])
    figure = solara.use_memo(
        lambda: None if isinstance(outcome, str)
        else ranking_figure(outcome[0], outcome[1], data.plan.grid_keys), [outcome])
    with solara.Card("Which key matters", margin=0, classes=["ecosystem-sweep-ranking"]):
        if isinstance(outcome, str):
            solara.Warning(outcome, dense=True)
            return
        description = outcome[2]
        _note(f"{metric} at step {step}: {description}.")
        Chart(figure)


def _try(compute):
    """The result of ``compute()``, or the message of the page error it raised."""
    from ecosystem.experiments.discover import DiscoverError

    try:
        return compute()
    except (SweepPageError, DiscoverError) as exc:
        return str(exc)


@solara.component
def DiscoveryPanel(data: SweepData, metric: str, step: int):
    """PRIM's boxes for the measure below or above a threshold at the step."""
    import pandas as pd

    from ecosystem.experiments.discover import discover, format_discovery

    direction, set_direction = solara.use_state("below")
    direction = direction if direction in ("below", "above") else "below"
    # A typed threshold holds for the measure and step it was typed for; else the median.
    typed, set_typed = solara.use_state((None, None, None))
    median = solara.use_memo(lambda: default_threshold(data, metric, step), [data, metric, step])
    threshold = typed[2] if typed[:2] == (metric, step) else median
    min_density, set_min_density = solara.use_state(0.8)

    def find_boxes():
        # In a thread: the first search also loads the EMA workbench (seconds), and the lines
        # and the ranking show meanwhile.
        if threshold is None:
            return "Threshold: type a number.", None
        outcome = _try(lambda: discover(data.folder, metric, step=step,
                                        min_density=min_density, **{direction: threshold}))
        if isinstance(outcome, str):
            return outcome, None
        return outcome, (tradeoff_figure(outcome), limits_figure(outcome))

    task = solara.lab.use_task(find_boxes, dependencies=[data, metric, step, direction,
                                                         threshold, min_density])
    with solara.Card("Scenario discovery (PRIM)", margin=0,
                     classes=["ecosystem-sweep-discovery"]):
        _note("Which ranges of the swept keys lead to the outcome? Coverage: share of the "
              "runs of interest inside a box. Density: share of the box's runs that are of "
              "interest.")
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.ToggleButtonsSingle(value=direction, values=["below", "above"],
                                       on_value=set_direction).meta(ref="direction")
            solara.InputFloat(f"{metric} threshold", value=threshold,
                              on_value=lambda value: set_typed((metric, step, value)),
                              optional=True).meta(ref="threshold")
            solara.SliderFloat(f"least density: {min_density:.2f}", value=min_density,
                               min=0.5, max=1.0, step=0.05,
                               on_value=set_min_density).meta(ref="min-density")
        if not task.finished:
            solara.ProgressLinear(True)
            solara.Text("Finding the boxes with PRIM…", style={"color": "#555"})
            return
        outcome, figures = task.value
        if isinstance(outcome, str):
            solara.Warning(outcome, dense=True)
            return
        solara.Preformatted(format_discovery(outcome)).meta(ref="boxes-text")
        if outcome.summary.height:
            solara.DataFrame(pd.DataFrame(boxes_table(outcome).to_dict(as_series=False)),
                             items_per_page=20)
            with solara.ColumnsResponsive(12, large=6):
                Chart(figures[0])
                Chart(figures[1])


@solara.component
def SweepPage(folder: str = ""):
    """A sweep folder's page: its cells over time, which key matters, and PRIM's boxes.

    Parameters
    ----------
    folder : str
        The folder to open first; the page has a field to open another.
    """
    path, set_path = solara.use_state(folder)
    loaded = solara.use_memo(lambda: _try(lambda: load_sweep(path)), [path])
    metric, set_metric = solara.use_state("")
    step, set_step = solara.use_state(None)
    solara.Style(CSS)
    with solara.Column(style={"padding": "12px"}, classes=["ecosystem-sweep-page"]):
        solara.HTML(tag="h3", unsafe_innerHTML="A sweep: many runs at once",
                    style={"margin": "0"})
        solara.InputText("Sweep folder", value=path, on_value=set_path,
                         continuous_update=False).meta(ref="sweep-folder")
        if isinstance(loaded, str):
            solara.Error(loaded).meta(ref="sweep-error")
            return
        data: SweepData = loaded
        _note(data.describe())
        chosen = metric if metric in data.metrics else _first_metric(data)
        at = step if step is not None and data.first_step <= step <= data.last_step \
            else data.last_step
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.Select("Measure", values=list(data.metrics), value=chosen,
                          on_value=set_metric).meta(ref="metric")
            solara.InputInt(f"Step ({data.first_step} … {data.last_step})", value=at,
                            on_value=set_step).meta(ref="step")
        if step is not None and not data.first_step <= step <= data.last_step:
            solara.Warning(f"Step: {step} is outside {data.first_step} … {data.last_step}; "
                           f"showing step {at}.", dense=True)
        LinesPanel(data, chosen)
        with solara.ColumnsResponsive(12, large=[5, 7]):
            RankingPanel(data, chosen, at)
            DiscoveryPanel(data, chosen, at)


def _first_metric(data: SweepData) -> str:
    for preferred in ("tail_mass", "model_entropy", "model_richness"):
        if preferred in data.metrics:
            return preferred
    return data.metrics[0]


@solara.component
def Page():
    """The sweep page alone (``solara run viz.sweeps``), opening ``$ECOSYSTEM_SWEEP_FOLDER``."""
    SweepPage(folder=os.environ.get(SWEEP_ENV, ""))
