"""Matplotlib figures of a :class:`~viz.runs.Snapshot`: baseline and intervention on shared axes.

Every time-series panel draws each measure twice in one colour: dashed for the baseline (the
scenario as picked), solid for the intervention (with the page's changes), so the effect of a
policy is the gap between a dashed and a solid line.

A :class:`FigureSet` builds the figures once per pair of runs and afterwards only moves their
lines and recolours their dots: building axes costs about as much as drawing them, so updating
in place halves the redraw time of a step. Figures are :class:`matplotlib.figure.Figure` objects
(no pyplot), so sessions and threads share no global figure state.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import polars as pl
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from viz.runs import RUNS, Snapshot

RUN_LABELS = {"baseline": "scenario as picked", "intervention": "with your changes"}
RUN_STYLE = {
    "baseline": {"linestyle": (0, (4, 2)), "linewidth": 1.4, "alpha": 0.75},
    "intervention": {"linestyle": "-", "linewidth": 2.2, "alpha": 1.0},
}
COLOURS = ("#1f6fb4", "#d9480f", "#2b8a3e", "#7048e8")
WIDTH, HEIGHT, DPI = 5.6, 2.5, 100


@dataclass(frozen=True)
class Panel:
    """A time-series panel: one axes per group of measures sharing a unit.

    Attributes
    ----------
    name : str
        Key of the figure (``"diversity"``, ...).
    title : str
        Plain-language heading shown above the figure.
    caption : str
        One sentence on what to look for.
    axes : tuple of (y label, ((column, legend label), ...))
    """

    name: str
    title: str
    caption: str
    axes: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


PANELS: tuple[Panel, ...] = (
    Panel(
        "diversity", "Diversity of what the AI writes",
        "Styles the model can still write, how evenly (entropy), and the probability it puts "
        "on the rare styles of the original culture. Falling lines are model collapse.",
        (
            ("styles it can write", (("model_richness", "styles"),)),
            ("entropy (nats)", (("model_entropy", "entropy"),)),
            ("rare-style share", (("tail_mass", "tail mass"),)),
        ),
    ),
    Panel(
        "quality", "Quality and artifacts",
        "Quality (0–100) of what AI and people upload, and the training artifacts the model "
        "has accumulated (they compound when models learn from models).",
        (
            ("quality (0–100)", (("quality_ai", "AI uploads"), ("quality_human", "human uploads"))),
            ("artifacts", (("artifact", "artifacts"),)),
        ),
    ),
    Panel(
        "ai_share", "AI share of the web",
        "Share of each month's uploads written by AI (today's web: roughly 30–50 %).",
        (("share of new uploads", (("ai_share", "AI share"),)),),
    ),
    Panel(
        "gpt_words", "Marker words (\u201cdelve\u201d) in people's speech",
        "Marker words per 1,000 words: AI users pick them up from the AI; non-users catch them "
        "from the people around them.",
        (("per 1,000 words", (("gpt_rate_users", "AI users"),
                              ("gpt_rate_nonusers", "non-users"))),),
    ),
    Panel(
        "neutral", "Opinions drawn to neutral",
        "Share of people with a neutral stance on a contested question: co-writing with an AI "
        "that leans neutral pulls its users' opinions toward the middle.",
        (("neutral share", (("neutral_share_users", "AI users"),
                            ("neutral_share_nonusers", "non-users"))),),
    ),
)

TYPES_TITLE = "Styles the AI writes vs. the original culture"
TYPES_CAPTION = (
    "Probability of each style, commonest first. Grey: the original human culture; lines: the "
    "current AI of each run. Rare styles on the right are the first to be cut."
)
NETWORK_TITLE = "The social network (a sample of people)"
NETWORK_CAPTION = "Each dot is a person, lines are who hears whom; ringed dots use AI."


def _series(snapshot: Snapshot) -> dict[str, pl.DataFrame]:
    parts = snapshot.timeseries.partition_by("run", as_dict=True, maintain_order=True)
    return {key[0]: frame for key, frame in parts.items()}


def _new_figure(columns: int = 1, height: float = HEIGHT):
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    axes = np.atleast_1d(fig.subplots(1, columns))
    # Fixed margins: matplotlib's automatic layouts redraw the figure several times.
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.2, top=0.86, wspace=0.55)
    return fig, axes


def _style_axes(ax, ylabel: str, ticks: int = 6) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(nbins=ticks, integer=True))
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_xlabel("month", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.25)


def _legend(fig: Figure, measures: list[tuple[str, str]]) -> None:
    """One row above the axes: the colour of each measure, then the line style of each run."""
    handles = [Line2D([], [], color=colour, linewidth=2.2) for colour, _ in measures]
    handles += [Line2D([], [], color="#444", **RUN_STYLE[run]) for run in RUNS]
    labels = [label for _, label in measures] + [RUN_LABELS[run] for run in RUNS]
    fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.0, 1.0), fontsize=8,
               frameon=False, ncol=len(labels), handlelength=2.2, columnspacing=0.9,
               handletextpad=0.4)


_FREE_AXES = {"quality (0–100)": 5.0}
"""Axes scaled to their data rather than from zero, with their least half-height."""

_PEOPLE_COLUMNS = {"gpt_rate_users", "gpt_rate_nonusers", "neutral_share_users",
                   "neutral_share_nonusers", "stance_std"}


class TimeseriesPlot:
    """A panel's measures over the steps, both runs on the same axes."""

    def __init__(self, panel: Panel, total_steps: int):
        self.panel = panel
        self.figure, axes = _new_figure(len(panel.axes))
        self.lines: list[tuple[object, str, str, object]] = []
        self.empty = []
        measures = []
        for ax, (ylabel, columns) in zip(axes, panel.axes, strict=True):
            for colour, (column, label) in zip(COLOURS, columns, strict=False):
                if len(columns) > 1:
                    measures.append((colour, label))
                for run in RUNS:
                    (line,) = ax.plot([], [], color=colour, **RUN_STYLE[run])
                    self.lines.append((ax, column, run, line))
            people = columns[0][0] in _PEOPLE_COLUMNS
            self.empty.append((ax, ax.text(
                0.5, 0.5, "no people in this scenario" if people else "nothing to measure yet",
                ha="center", va="center", transform=ax.transAxes, fontsize=8, color="#777",
                visible=False)))
            ax.set_xlim(0, max(total_steps, 1))
            _style_axes(ax, ylabel, ticks=6 if len(panel.axes) == 1 else 3)
        _legend(self.figure, measures)

    def set_total_steps(self, total_steps: int) -> None:
        """Span the x axes over a run's length."""
        for ax, _ in self.empty:
            ax.set_xlim(0, max(total_steps, 1))

    def update(self, snapshot: Snapshot) -> None:
        """Move the lines to the snapshot's data."""
        series = _series(snapshot)
        drawn = dict.fromkeys((ax for ax, _ in self.empty), False)
        for ax, column, run, line in self.lines:
            frame = series.get(run)
            if frame is None:
                line.set_data([], [])
                continue
            values = frame[column].to_numpy().astype(float)  # nulls become NaN: gaps
            line.set_data(frame["step"].to_numpy(), values)
            drawn[ax] = drawn[ax] or bool(np.isfinite(values).any())
        for (ax, text), (ylabel, _) in zip(self.empty, self.panel.axes, strict=True):
            text.set_visible(not drawn[ax])
            ax.relim()
            ax.autoscale_view(scalex=False)
            low, high = ax.get_ylim()
            if ylabel in _FREE_AXES:
                # At least a few points tall, so sampling noise does not look like a trend.
                middle, half = (low + high) / 2, max((high - low) / 2, _FREE_AXES[ylabel])
                ax.set_ylim(middle - half, middle + half, auto=True)
            else:
                # From zero, so chance wiggles do not look like collapse and a fall looks like one.
                ax.set_ylim(0.0, high if high > 0 else 1.0, auto=True)


def _held_inventions(snapshot: Snapshot) -> np.ndarray:
    """Style types invented by people that a current model can write, in type order."""
    original = snapshot.culture.size
    width = max([original] + [p.size for p in snapshot.type_probs.values()])
    held = np.zeros(width - original, dtype=bool)
    for probs in snapshot.type_probs.values():
        held[: probs.size - original] |= probs[original:] > 0
    return original + np.flatnonzero(held)


class TypesPlot:
    """The current models' style distributions against the original human culture.

    Styles people invented during the run are shown only while a model can write them: most
    never reach a model, and drawing each would squeeze the original culture out of view.
    """

    def __init__(self, snapshot: Snapshot):
        self.figure, (ax,) = _new_figure()
        self.figure.subplots_adjust(bottom=0.2, top=0.95)
        culture = self.culture = snapshot.culture
        self.inventions = _held_inventions(snapshot)
        order = np.argsort(-culture, kind="stable")
        self.order = np.concatenate([order, self.inventions])
        self.width = self.order.size
        x = np.arange(1, self.width + 1)
        heights = np.zeros(self.width)
        heights[: culture.size] = culture[order]
        self.bars = ax.bar(x, heights, width=1.0, color="#ced4da", label="original culture")
        tail = culture < np.median(culture)
        if tail.any():
            first = int(np.flatnonzero(tail[order])[0]) + 1
            ax.axvspan(first - 0.5, culture.size + 0.5, color="#fff3bf", alpha=0.6, zorder=0)
            ax.text(first, 0.97, " rare styles", fontsize=8, color="#8d6e00", va="top",
                    transform=ax.get_xaxis_transform())
        if self.inventions.size:
            ax.axvspan(culture.size + 0.5, self.width + 0.5, color="#e7f5ff", zorder=0)
        self.lines = {}
        for run, colour in zip(RUNS, ("#495057", "#d9480f"), strict=True):
            (self.lines[run],) = ax.step(x, np.zeros(self.width), where="mid", color=colour,
                                         label=f"AI, {RUN_LABELS[run]}", **RUN_STYLE[run])
        ax.set_xlim(0.5, self.width + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("style, commonest first" + (" (blue: invented by people)"
                                                  if self.inventions.size else ""), fontsize=9)
        ax.set_ylabel("probability", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=8, frameon=False, loc="upper right")
        self.ax = ax

    def fits(self, snapshot: Snapshot) -> bool:
        """Whether the figure shows the snapshot's culture and exactly its held inventions."""
        return np.array_equal(self.culture, snapshot.culture) and np.array_equal(
            self.inventions, _held_inventions(snapshot))

    def update(self, snapshot: Snapshot) -> None:
        """Redraw the models' probabilities."""
        for run, line in self.lines.items():
            own = snapshot.type_probs[run]
            probs = np.zeros(max(own.size, int(self.order.max(initial=0)) + 1))
            probs[: own.size] = own
            line.set_ydata(probs[self.order])
        self.ax.relim()
        self.ax.autoscale_view(scalex=False)


COLOR_BY = {
    "gpt_rate": ("marker words per 1,000", "magma_r"),
    "stance": ("stance (−1 … 1)", "coolwarm"),
}


class NetworkPlot:
    """The sampled people of both runs side by side, coloured by marker words or stance."""

    def __init__(self, snapshot: Snapshot, color_by: str = "gpt_rate"):
        if color_by not in COLOR_BY:
            raise ValueError(f"color_by must be one of {sorted(COLOR_BY)}, got {color_by!r}")
        self.color_by = color_by
        self.figure, axes = _new_figure(2, HEIGHT + 0.4)
        self.figure.subplots_adjust(left=0.01, right=0.86, bottom=0.02, top=0.9, wspace=0.05)
        label, cmap = COLOR_BY[color_by]
        self.norm = Normalize(-1.0, 1.0) if color_by == "stance" else Normalize(0.0, 1.0)
        self.dots = {}
        self.drawn = dict(snapshot.network)
        for ax, run in zip(axes, RUNS, strict=True):
            ax.set_axis_off()
            ax.set_title(RUN_LABELS[run], fontsize=9)
            view = snapshot.network.get(run)
            if view is None:
                ax.text(0.5, 0.5, "no people in this scenario", ha="center", va="center",
                        transform=ax.transAxes, fontsize=8, color="#777")
                continue
            if view.edges.size:
                ax.add_collection(LineCollection(view.positions[view.edges], colors="#adb5bd",
                                                 linewidths=0.4, alpha=0.6, zorder=1))
            self.dots[run] = ax.scatter(
                view.positions[:, 0], view.positions[:, 1], c=getattr(view, color_by),
                cmap=cmap, norm=self.norm, s=14, edgecolors="#212529", zorder=2,
                linewidths=np.where(view.ai_user, 0.9, 0.0))
            pad = 0.05
            ax.set_xlim(view.positions[:, 0].min() - pad, view.positions[:, 0].max() + pad)
            ax.set_ylim(view.positions[:, 1].min() - pad, view.positions[:, 1].max() + pad)
        if self.dots:
            bar_axes = self.figure.add_axes((0.88, 0.12, 0.02, 0.7))
            bar = self.figure.colorbar(next(iter(self.dots.values())), cax=bar_axes)
            bar.set_label(label, fontsize=9)
            bar.ax.tick_params(labelsize=8)

    def fits(self, snapshot: Snapshot, color_by: str) -> bool:
        """Whether the figure draws the same people in the same places, coloured the same way."""
        if color_by != self.color_by:
            return False
        for run in RUNS:
            view, drawn = snapshot.network.get(run), self.drawn.get(run)
            if (view is None) != (drawn is None):
                return False
            if view is not None and not (np.array_equal(view.positions, drawn.positions)
                                         and np.array_equal(view.edges, drawn.edges)):
                return False
        return True

    def update(self, snapshot: Snapshot) -> None:
        """Recolour the people by their state now."""
        views = {run: snapshot.network.get(run) for run in self.dots}
        if self.color_by == "gpt_rate":
            # One scale for both runs, so equal colours mean equal rates.
            high = max([float(np.percentile(v.gpt_rate, 98)) for v in views.values()
                        if v is not None and v.gpt_rate.size] + [1e-6])
            self.norm.vmax = high
        for run, dots in self.dots.items():
            view = views[run]
            dots.set_array(getattr(view, self.color_by))
            dots.set_linewidths(np.where(view.ai_user, 0.9, 0.0))


class FigureSet:
    """The page's figures, built once and updated in place after each step.

    A figure is rebuilt only when what it is drawn on changes: the types figure when the
    original culture does or people invent styles, the network when other people are drawn or
    the colouring changes. Changing a setting restarts the runs but usually keeps the axes.
    """

    def __init__(self):
        self.plots: dict[str, TimeseriesPlot | TypesPlot | NetworkPlot] = {}
        self._pair = None

    def update(self, snapshot: Snapshot, color_by: str = "gpt_rate") -> dict[str, Figure]:
        """Bring every figure up to the snapshot; returns them by name."""
        if not self.plots:
            self.plots = {panel.name: TimeseriesPlot(panel, snapshot.total_steps)
                          for panel in PANELS}
        if self._pair != snapshot.pair:
            self._pair = snapshot.pair
            for panel in PANELS:
                self.plots[panel.name].set_total_steps(snapshot.total_steps)
        if "types" not in self.plots or not self.plots["types"].fits(snapshot):
            self.plots["types"] = TypesPlot(snapshot)
        if "network" not in self.plots or not self.plots["network"].fits(snapshot, color_by):
            self.plots["network"] = NetworkPlot(snapshot, color_by)
        for plot in self.plots.values():
            plot.update(snapshot)
        return {name: plot.figure for name, plot in self.plots.items()}


def figures(snapshot: Snapshot, color_by: str = "gpt_rate") -> dict[str, Figure]:
    """Every figure of the page for one snapshot, built afresh."""
    return FigureSet().update(snapshot, color_by)


def to_image(fig: Figure, fmt: str = "png") -> bytes:
    """Render a figure to image bytes, as the page shows it."""
    buffer = io.BytesIO()
    # Fast PNG compression: the images go over a local socket, encoding time matters more.
    options = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}
    fig.savefig(buffer, format=fmt, **options)
    return buffer.getvalue()
