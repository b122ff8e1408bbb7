"""Scenario discovery: which ranges of the swept keys lead to an outcome (PRIM).

The outcome is one measure of a sweep at one step (by default the last) below or above a
threshold, e.g. ``tail_mass`` below 0.05: a policy failure. Every finished run is one case; its
swept values (grid keys and design ranges) are the inputs. PRIM, the Patient Rule Induction
Method of Friedman & Fisher (1999) as implemented for scenario discovery by the EMA workbench
(Kwakkel 2017), peels thin slices off the box of all cases, one key at a time, while the share of
cases of interest inside (the *density*) grows, then pastes back what it peeled too eagerly.
Each box is a set of ranges, one per restricted numeric key, and a set of values for a
categorical key (a data regime, a decoding method). A box is judged by

- *coverage*: the share of all cases of interest that lie inside it;
- *density*: the share of the cases inside it that are of interest;
- *mass*: the share of all cases inside it.

Peeling trades coverage for density; the peeling trajectory lists every box along the way, so
a box with more coverage and less density can be chosen. After a box is found its cases are set
aside and PRIM searches the rest for the next box, until a box would be less dense than
``min_density``. Quasi-p values (a one-sided binomial test per restricted limit, Bryant &
Lempert 2010) say whether a limit is more than chance: large ones mark a limit PRIM could drop.

:func:`discover` computes and returns the tables (polars); :func:`write_discovery` writes them
with a figure into a folder, all at once or not at all.

References
----------
Friedman & Fisher, "Bump hunting in high-dimensional data", Statistics and Computing 9 (1999).
Bryant & Lempert, "Thinking inside the box: a participatory, computer-assisted approach to
scenario discovery", Technological Forecasting and Social Change 77 (2010).
Kwakkel, "The Exploratory Modeling Workbench", Environmental Modelling & Software 96 (2017).
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ecosystem.experiments.plan import Plan
from ecosystem.experiments.sweep import RESULTS, is_sweep_folder, load_plan
from ecosystem.folders import check_output_folder, staged_folder, utc_now

__all__ = [
    "BOXES",
    "TRAJECTORY",
    "DiscoverError",
    "Discovery",
    "discover",
    "format_discovery",
    "write_discovery",
]

BOXES = "boxes.parquet"
TRAJECTORY = "trajectory.parquet"
FIGURE = "discover.png"
MANIFEST = "manifest.json"

IDENTIFYING = ("run", "replicate", "seed", "step")

BOX_SCHEMA: dict[str, pl.DataType] = {
    "box": pl.Int64(),
    "key": pl.String(),
    "kind": pl.String(),
    "low": pl.Float64(),
    "high": pl.Float64(),
    "values": pl.List(pl.String()),
    "all_low": pl.Float64(),
    "all_high": pl.Float64(),
    "all_values": pl.List(pl.String()),
    "qp_low": pl.Float64(),
    "qp_high": pl.Float64(),
    "coverage": pl.Float64(),
    "density": pl.Float64(),
    "mass": pl.Float64(),
    "runs": pl.Int64(),
    "of_interest": pl.Int64(),
}
"""Columns of ``boxes.parquet``: one row per box and restricted key.

``kind`` is "range" (``low`` … ``high`` of a numeric key, inside ``all_low`` … ``all_high``,
the values the runs took) or "set" (``values`` of a categorical key, among ``all_values``).
``qp_low`` / ``qp_high`` are the quasi-p values of the lower and upper limit (null where the
limit is not restricted). ``coverage``, ``density``, ``mass``, ``runs`` (cases in the box) and
``of_interest`` (cases of interest in it) describe the box and repeat on each of its rows."""

TRAJECTORY_SCHEMA: dict[str, pl.DataType] = {
    "box": pl.Int64(),
    "position": pl.Int64(),
    "coverage": pl.Float64(),
    "density": pl.Float64(),
    "mass": pl.Float64(),
    "restricted": pl.Int64(),
    "runs": pl.Int64(),
    "of_interest": pl.Int64(),
    "chosen": pl.Boolean(),
}
"""Columns of ``trajectory.parquet``: every box along each box's peeling and pasting
trajectory (``position`` 0 is all remaining cases); ``chosen`` marks the box reported."""


class DiscoverError(ValueError):
    """Scenario discovery that cannot run on a sweep folder, and why."""


@dataclass
class Discovery:
    """The boxes PRIM found for one outcome of a sweep.

    Attributes
    ----------
    boxes : polars.DataFrame
        One row per box and restricted key (:data:`BOX_SCHEMA`).
    trajectory : polars.DataFrame
        The peeling trajectory of each box (:data:`TRAJECTORY_SCHEMA`).
    summary : polars.DataFrame
        One row per box: ``box``, ``coverage``, ``density``, ``mass``, ``runs``,
        ``of_interest``, ``restricted`` (keys restricted).
    metric, direction : str
        The measure and ``"below"`` or ``"above"``.
    threshold : float
        The outcome is ``metric <= threshold`` (below) or ``metric >= threshold`` (above).
    step, runs, of_interest : int
        The step analysed, the runs with a value there, and how many of them are of interest.
    keys : tuple of str
        The swept keys PRIM could restrict.
    min_density : float
        The least density a box must reach to be reported.
    folder : pathlib.Path
        The sweep folder.
    missing : int
        Runs recorded at the step without a value of the metric, left out.
    path : pathlib.Path or None
        Where :func:`write_discovery` wrote the tables.
    """

    boxes: pl.DataFrame
    trajectory: pl.DataFrame
    summary: pl.DataFrame
    metric: str
    direction: str
    threshold: float
    step: int
    runs: int
    of_interest: int
    keys: tuple[str, ...]
    min_density: float
    folder: Path
    missing: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def condition(self) -> str:
        """The outcome in words, e.g. ``tail_mass below 0.05``."""
        return f"{self.metric} {self.direction} {self.threshold:g}"

    @property
    def uncovered(self) -> int:
        """Cases of interest in no box."""
        return self.of_interest - int(self.summary["of_interest"].sum())


def metric_columns(plan: Plan) -> list[str]:
    """The measures of a sweep's results: every column but identifiers and swept keys."""
    return [c for c in plan.schema() if c not in IDENTIFYING and c not in plan.swept_keys]


def _cases(folder: Path, plan: Plan, metric: str, step: int | None):
    """The swept values and the metric of every run at the step: (frame, step)."""
    results = folder / RESULTS
    if not results.is_file():
        raise DiscoverError(f"{folder}: no {RESULTS} yet; complete the sweep with "
                            f"ecosystem sweep --resume {folder}")
    table = pl.scan_parquet(results)
    last = table.select(pl.col("step").max()).collect().item()
    if last is None:
        raise DiscoverError(f"{folder}: no run finished; see manifest.json for failures")
    step = last if step is None else step
    first = table.select(pl.col("step").min()).collect().item()
    if not first <= step <= last:
        raise DiscoverError(f"--step {step}: out of range; the runs have steps {first} … {last}")
    frame = (table.filter(pl.col("step") == step)
             .select("run", *plan.swept_keys, pl.col(metric).cast(pl.Float64))
             .sort("run").collect())
    if frame.height == 0:
        raise DiscoverError(f"--step {step}: no run recorded this step")
    recorded = frame.height
    frame = frame.filter(pl.col(metric).is_not_null() & pl.col(metric).is_not_nan())
    if frame.height == 0:
        raise DiscoverError(f"--metric {metric!r}: no run has a value at step {step} (nothing to "
                            "measure in these runs)")
    return frame, step, recorded - frame.height


def _to_pandas(frame: pl.DataFrame, keys: tuple[str, ...], dtypes: dict[str, pl.DataType]):
    """The swept values as the pandas table PRIM reads.

    Numbers stay numbers; the rest are Python objects, which PRIM treats as categories and
    peels as sets.
    """
    import pandas as pd

    columns = {}
    for key in keys:
        series = frame[key]
        if dtypes[key] in (pl.Float64(), pl.Int64()):
            # Integer keys go in as floats: the workbench pastes half-way limits (e.g. 30.5)
            # into an integer column, which pandas refuses.
            columns[key] = series.to_numpy().astype(np.float64)
        else:
            columns[key] = np.asarray(series.to_list(), dtype=object)
    return pd.DataFrame(columns)


def _prim_module():
    with warnings.catch_warnings():  # optional extras of the workbench it warns about
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    return prim


def _texts(values) -> list[str]:
    return sorted(str(v) for v in values)


def _qp(value: float) -> float | None:
    return None if value is None or value < 0 else float(value)


def discover(
    folder: str | os.PathLike,
    metric: str,
    *,
    below: float | None = None,
    above: float | None = None,
    step: int | None = None,
    min_density: float = 0.8,
    min_coverage: float | None = None,
    max_boxes: int = 3,
    significance: float | None = 0.05,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> Discovery:
    """Find the boxes of swept values where a measure of a sweep is below or above a threshold.

    Parameters
    ----------
    folder : path
        A sweep folder (``ecosystem sweep``), grid or design.
    metric : str
        A timeseries column, e.g. ``"tail_mass"``.
    below, above : float
        Exactly one: the outcome of interest is ``metric <= below`` or ``metric >= above``.
    step : int, optional
        The step to analyse; by default the last.
    min_density : float
        A box is reported only if at least this share of its runs are of interest.
    min_coverage : float, optional
        Report, on each box's peeling trajectory, the densest box covering at least this share
        of the cases of interest; by default PRIM's final box (the densest).
    max_boxes : int
        Most boxes to find.
    significance : float or None
        Drop, one by one (the least significant first), the restrictions whose quasi-p value
        exceeds this: limits no better than chance, which PRIM picks up by peeling noise,
        as long as the box stays at least ``min_density`` dense. The box without them is added
        to the trajectory and reported. None keeps every limit.
    peel_alpha, paste_alpha, mass_min : float
        PRIM's share of cases peeled or pasted per step, and the least mass of a box.

    Returns
    -------
    Discovery

    Raises
    ------
    DiscoverError
        For a folder that is not a sweep or has no results, an unknown metric (the message
        lists them), a step out of range, both or neither of ``below`` / ``above``, a
        threshold that no run or every run meets, or bad PRIM settings.
    """
    folder = Path(folder)
    if not is_sweep_folder(folder):
        raise DiscoverError(f"{folder}: not a sweep folder (run ecosystem sweep first)")
    if (below is None) == (above is None):
        raise DiscoverError("give exactly one of --below X or --above X: the outcome of "
                            "interest is the metric at or below X, or at or above X")
    _check_settings(min_density, min_coverage, max_boxes, peel_alpha, paste_alpha, mass_min)
    if significance is not None and not (isinstance(significance, int | float)
                                         and 0 < significance <= 1):
        raise DiscoverError(f"--significance must be a number in (0, 1], got {significance!r}")
    plan = load_plan(folder)
    metrics = metric_columns(plan)
    if metric not in metrics:
        raise DiscoverError(f"--metric {metric!r}: not a measure of the results; measures "
                            f"are: {', '.join(metrics)}")
    keys = plan.swept_keys
    if not keys:
        raise DiscoverError(f"{folder}: the sweep varies no key (replicates only); discovery "
                            "needs a [sweep.grid] or [sweep.ranges]")
    frame, step, missing = _cases(folder, plan, metric, step)
    direction, threshold = ("below", float(below)) if below is not None else ("above",
                                                                              float(above))
    values = frame[metric].to_numpy()
    y = values <= threshold if direction == "below" else values >= threshold
    of_interest = int(y.sum())
    spread = (f"{metric} at step {step} ranges {values.min():g} … {values.max():g} over the "
              f"{values.size} runs")
    flag = "--below" if direction == "below" else "--above"
    if of_interest == 0:
        raise DiscoverError(f"{flag} {threshold:g}: no run has {metric} {direction} "
                            f"{threshold:g} at step {step}; {spread}")
    if of_interest == values.size:
        raise DiscoverError(f"{flag} {threshold:g}: every run has {metric} {direction} "
                            f"{threshold:g} at step {step}, so there is nothing to tell "
                            f"apart; {spread}")
    varied = tuple(k for k in keys if frame[k].n_unique() > 1)
    if not varied:
        raise DiscoverError(f"{folder}: every finished run has the same swept values; "
                            "nothing for a box to restrict")

    prim = _prim_module()
    x = _to_pandas(frame, varied, plan.key_dtypes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas FutureWarnings inside the workbench
        finder = prim.Prim(x, y.astype(int), threshold=min_density, peel_alpha=peel_alpha,
                           paste_alpha=paste_alpha, mass_min=mass_min)
        box_rows, trajectory_rows, summary_rows = [], [], []
        for number in range(1, max_boxes + 1):
            box = finder.find_box()
            if box is None or box.mean < min_density or box.res_dim == 0:
                break
            chosen = _choose(box, min_coverage)
            box.select(chosen)
            if significance is not None:
                chosen = _drop_insignificant(box, significance, min_density)
            trajectory_rows += _trajectory_rows(number, box, chosen)
            box_rows += _box_rows(number, box, chosen, finder, plan.key_dtypes)
            row = box.peeling_trajectory.iloc[chosen]
            summary_rows.append({"box": number, "coverage": float(row["coverage"]),
                                 "density": float(row["density"]), "mass": float(row["mass"]),
                                 "runs": int(row["n"]), "of_interest": int(row["k"]),
                                 "restricted": int(row["res_dim"])})
    summary = pl.DataFrame(summary_rows, schema={
        "box": pl.Int64, "coverage": pl.Float64, "density": pl.Float64, "mass": pl.Float64,
        "runs": pl.Int64, "of_interest": pl.Int64, "restricted": pl.Int64}, orient="row")
    return Discovery(
        boxes=pl.DataFrame(box_rows, schema=BOX_SCHEMA, orient="row"),
        trajectory=pl.DataFrame(trajectory_rows, schema=TRAJECTORY_SCHEMA, orient="row"),
        summary=summary, metric=metric, direction=direction, threshold=threshold, step=step,
        runs=int(values.size), of_interest=of_interest, keys=varied, min_density=min_density,
        folder=folder, missing=missing,
        settings={"min_density": min_density, "min_coverage": min_coverage,
                  "max_boxes": max_boxes, "significance": significance, "peel_alpha": peel_alpha,
                  "paste_alpha": paste_alpha, "mass_min": mass_min},
    )


def _check_settings(min_density, min_coverage, max_boxes, peel_alpha, paste_alpha,
                    mass_min) -> None:
    def share(name: str, value, low_open: bool = True) -> None:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and (
            (0 < value <= 1) if low_open else (0 <= value <= 1))
        if not ok:
            raise DiscoverError(f"{name} must be a number in {'(0' if low_open else '[0'}, 1], "
                                f"got {value!r}")

    share("--min-density", min_density)
    if min_coverage is not None:
        share("--min-coverage", min_coverage, low_open=False)
    if isinstance(max_boxes, bool) or not isinstance(max_boxes, int) or max_boxes < 1:
        raise DiscoverError(f"--boxes must be an integer ≥ 1, got {max_boxes!r}")
    for name, value in (("peel_alpha", peel_alpha), ("paste_alpha", paste_alpha),
                        ("mass_min", mass_min)):
        if not isinstance(value, int | float) or not 0 < value < 1:
            raise DiscoverError(f"{name} must be a number in (0, 1), got {value!r}")


def _drop_insignificant(box, significance: float, min_density: float) -> int:
    """Drop the selected box's restrictions that are not significant; the box's position.

    The least significant goes first, one at a time; a drop that leaves the box less than
    ``min_density`` dense is undone (limits that are weak alone may matter together) and the
    next is tried.
    """
    tried: set[str] = set()
    while True:
        kept = box._cur_box
        qp = box.qp[kept]
        weak = sorted((key for key in qp if max(qp[key]) > significance and key not in tried),
                      key=lambda key: -max(qp[key]))
        if not weak or len(qp) < 2:
            return kept
        tried.add(weak[0])
        box.drop_restriction(weak[0])
        if box.density < min_density:
            box.select(kept)


def _choose(box, min_coverage: float | None) -> int:
    """Position on the trajectory to report: the last, or the densest with enough coverage."""
    trajectory = box.peeling_trajectory
    last = len(trajectory) - 1
    if min_coverage is None:
        return last
    coverage = trajectory["coverage"].to_numpy()
    density = trajectory["density"].to_numpy()
    candidates = np.flatnonzero(coverage >= min_coverage - 1e-12)
    if candidates.size == 0:
        return 0
    best = density[candidates].max()
    # the densest; among equally dense boxes, the one with most coverage, then the earliest
    tied = candidates[density[candidates] >= best - 1e-12]
    return int(tied[np.argmax(coverage[tied])])


def _trajectory_rows(number: int, box, chosen: int) -> list[dict[str, Any]]:
    trajectory = box.peeling_trajectory
    return [{"box": number, "position": i, "coverage": float(row["coverage"]),
             "density": float(row["density"]), "mass": float(row["mass"]),
             "restricted": int(row["res_dim"]), "runs": int(row["n"]),
             "of_interest": int(row["k"]), "chosen": i == chosen}
            for i, (_, row) in enumerate(trajectory.iterrows())]


def _box_rows(number: int, box, chosen: int, finder, dtypes) -> list[dict[str, Any]]:
    limits, initial = box.box_lims[chosen], finder.box_init
    qp = box.qp[chosen]
    stats = box.peeling_trajectory.iloc[chosen]
    common = {"coverage": float(stats["coverage"]), "density": float(stats["density"]),
              "mass": float(stats["mass"]), "runs": int(stats["n"]),
              "of_interest": int(stats["k"])}
    rows = []
    for key in limits.columns:
        if key not in qp:  # not restricted
            continue
        qp_low, qp_high = (_qp(v) for v in qp[key])
        if dtypes[key] in (pl.Float64(), pl.Int64()):
            rows.append({"box": number, "key": key, "kind": "range",
                         "low": float(limits.at[0, key]), "high": float(limits.at[1, key]),
                         "values": None, "all_low": float(initial.at[0, key]),
                         "all_high": float(initial.at[1, key]), "all_values": None,
                         "qp_low": qp_low, "qp_high": qp_high, **common})
        else:
            rows.append({"box": number, "key": key, "kind": "set", "low": None, "high": None,
                         "values": _texts(limits.at[0, key]), "all_low": None,
                         "all_high": None, "all_values": _texts(initial.at[0, key]),
                         "qp_low": qp_low, "qp_high": qp_high, **common})
    # the most restricted key first: the smallest share of its range (or values) kept
    def kept(row):
        if row["kind"] == "set":
            return len(row["values"]) / len(row["all_values"])
        width = row["all_high"] - row["all_low"]
        return (row["high"] - row["low"]) / width if width > 0 else 1.0

    return sorted(rows, key=kept)


# -- text ---------------------------------------------------------------------------------------
def _number(value: float) -> str:
    return f"{value:.3g}"


def _range_text(row: dict[str, Any]) -> str:
    """A box's range of a key in words: only the restricted limits count."""
    if row["qp_low"] is None and row["qp_high"] is not None:
        return f"at most {_number(row['high'])}"
    if row["qp_high"] is None and row["qp_low"] is not None:
        return f"at least {_number(row['low'])}"
    return f"{_number(row['low'])} … {_number(row['high'])}"


def format_discovery(result: Discovery) -> str:
    """The boxes as text: for each box its coverage, density and the ranges it keeps."""
    share = result.of_interest / result.runs
    lines = [f"PRIM on {result.condition} at step {result.step}: {result.of_interest} of "
             f"{result.runs} runs ({share:.0%}) are of interest; keys: {', '.join(result.keys)}"]
    if result.missing:
        lines.append(f"  ({result.missing} runs without a value of {result.metric} at step "
                     f"{result.step} are left out)")
    if result.summary.height == 0:
        lines.append(f"  no box reaches a density of {result.min_density:g}: no combination of "
                     "swept ranges singles these runs out (try a lower --min-density)")
        return "\n".join(lines)
    width = max(len(k) for k in result.boxes["key"])
    for box in result.summary.iter_rows(named=True):
        lines.append(f"box {box['box']}: coverage {box['coverage']:.2f}, density "
                     f"{box['density']:.2f}, mass {box['mass']:.2f} ({box['of_interest']} of "
                     f"its {box['runs']} runs are of interest)")
        for row in result.boxes.filter(pl.col("box") == box["box"]).iter_rows(named=True):
            if row["kind"] == "set":
                kept = "{" + ", ".join(row["values"]) + "}"
                among = "of {" + ", ".join(row["all_values"]) + "}"
            else:
                kept = _range_text(row)
                among = f"of {_number(row['all_low'])} … {_number(row['all_high'])}"
            qps = [q for q in (row["qp_low"], row["qp_high"]) if q is not None]
            qp = f"  quasi-p {max(qps):.2g}" if qps else ""
            lines.append(f"  {row['key']:<{width}}  {kept}  ({among}){qp}")
    uncovered = result.uncovered
    if uncovered:
        lines.append(f"{uncovered} of the {result.of_interest} runs of interest lie in no box")
    return "\n".join(lines)


# -- files --------------------------------------------------------------------------------------
def default_out(folder: str | os.PathLike, metric: str) -> Path:
    """Where ``ecosystem discover`` writes by default: ``FOLDER/discover-METRIC``."""
    return Path(folder) / f"discover-{metric}"


def is_discovery_folder(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds the output of :func:`write_discovery`."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("kind") == "discover"


def check_out(out: str | os.PathLike, overwrite: bool = False) -> None:
    """Refuse a non-empty output folder, unless ``overwrite`` replaces an earlier discovery.

    Only the files an earlier discovery wrote there are removed.
    """
    from ecosystem.folders import OutputFolderError

    try:
        check_output_folder(out, is_discovery_folder, "discovery folder", overwrite=overwrite)
    except OutputFolderError as exc:
        raise DiscoverError(f"--out {exc}") from None


def write_discovery(result: Discovery, out: str | os.PathLike | None = None,
                    overwrite: bool = False) -> Path:
    """Write ``boxes.parquet``, ``trajectory.parquet``, ``manifest.json`` and ``discover.png``.

    The folder appears complete or not at all. The default folder, ``FOLDER/discover-METRIC``
    inside the sweep, replaces an earlier discovery of the same metric there; another ``out``
    that is not empty needs ``overwrite``. Only files a discovery wrote are ever removed.
    """
    if out is None:
        out, overwrite = default_out(result.folder, result.metric), True
    out = Path(out)
    check_out(out, overwrite)
    with staged_folder(out, overwrite=overwrite) as staging:
        result.boxes.write_parquet(staging / BOXES)
        result.trajectory.write_parquet(staging / TRAJECTORY)
        (staging / MANIFEST).write_text(json.dumps({
            "kind": "discover", "sweep": str(result.folder), "metric": result.metric,
            "direction": result.direction, "threshold": result.threshold, "step": result.step,
            "runs": result.runs, "missing": result.missing, "of_interest": result.of_interest,
            "keys": list(result.keys),
            "boxes": result.summary.to_dicts(), "settings": result.settings,
            "created": utc_now(),
        }, indent=2) + "\n", encoding="utf-8")
        figure = draw_discovery(result)
        figure.savefig(staging / FIGURE, format="png", dpi=110, bbox_inches="tight")
    result.path = out
    return out


def draw_discovery(result: Discovery):
    """A matplotlib figure: the coverage–density trade-off, and each box's limits.

    Left, every box along each peeling trajectory (coverage against density), the chosen box
    ringed. Right, one row per box and restricted key: the kept part of the key's range (or the
    kept share of its values) as a bar over the whole range, scaled 0 … 1.
    """
    from matplotlib.figure import Figure

    rows = result.boxes.height
    figure = Figure(figsize=(11, max(3.6, 1.2 + 0.42 * rows)), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=[1, 1.3])
    colours = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"]
    for group in result.trajectory.partition_by("box", maintain_order=True):
        number = group["box"][0]
        colour = colours[(number - 1) % len(colours)]
        left.plot(group["coverage"].to_numpy(), group["density"].to_numpy(), "o",
                  color=colour, markersize=3, label=f"box {number}")
        chosen = group.filter(pl.col("chosen"))
        left.scatter(chosen["coverage"].to_numpy(), chosen["density"].to_numpy(), s=120,
                     facecolors="none", edgecolors=colour, linewidths=2)
    left.axhline(result.min_density, color="grey", linestyle=":", linewidth=1)
    left.set_xlim(-0.02, 1.02)
    left.set_ylim(-0.02, 1.02)
    left.set_xlabel("coverage (share of the runs of interest inside)")
    left.set_ylabel("density (share of the box's runs of interest)")
    left.set_title("peeling trajectory: coverage vs density", fontsize=10)
    left.grid(alpha=0.3)
    if result.summary.height:
        left.legend(fontsize=8, loc="lower left")

    labels = []
    for i, row in enumerate(result.boxes.iter_rows(named=True)):
        colour = colours[(row["box"] - 1) % len(colours)]
        y = rows - 1 - i
        right.barh(y, 1.0, color="lightgrey", height=0.6)
        if row["kind"] == "set":
            share = len(row["values"]) / len(row["all_values"])
            right.barh(y, share, color=colour, height=0.6)
            text = "{" + ", ".join(row["values"]) + "}"
        else:
            width = row["all_high"] - row["all_low"]
            low = (row["low"] - row["all_low"]) / width if width > 0 else 0.0
            high = (row["high"] - row["all_low"]) / width if width > 0 else 1.0
            right.barh(y, high - low, left=low, color=colour, height=0.6)
            text = _range_text(row)
        right.text(0.5, y, text, ha="center", va="center", fontsize=8)
        labels.append(f"box {row['box']}: {row['key']}")
    right.set_yticks(range(rows - 1, -1, -1), labels, fontsize=8)
    right.set_xlim(0, 1)
    right.set_xlabel("share of each key's swept range (or values) kept")
    right.set_title("box limits", fontsize=10)
    if not rows:
        right.text(0.5, 0.5, f"no box reaches density {result.min_density:g}", ha="center",
                   va="center")
        right.set_yticks([])
    figure.suptitle(f"{result.condition} at step {result.step}: {result.of_interest} of "
                    f"{result.runs} runs", fontsize=10)
    return figure
