"""Plotly figures of a :class:`~viz.runs.Snapshot`: both sides, mean and band, on shared axes.

Every time-series panel draws each measure in one colour per side pair: a dashed line for the
baseline (the scenario as picked) and a solid line for the intervention (with the page's
changes), each the mean over the replicates, with a shaded band of ± 2 standard errors of that
mean. Hovering a month shows every line's value and band.

A :class:`FigureSet` turns a snapshot into one :class:`FigureUpdate` per figure: a ``key`` that
says what the figure is drawn on (its traces and axes), a ``build`` function for a new figure,
and the new data of each trace. The page builds a figure only when its key changes and
otherwise moves the existing traces to the new data (``viz.app.LiveFigure``), so a step sends
the numbers, not a new picture.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from viz.runs import BAND_NAME, RUN_LABELS, RUNS, Snapshot

COLOURS = ("#1f6fb4", "#d9480f", "#2b8a3e", "#7048e8")
RUN_DASH = {"baseline": "dash", "intervention": "solid"}
RUN_WIDTH = {"baseline": 1.6, "intervention": 2.4}
RUN_BAND_ALPHA = {"baseline": 0.10, "intervention": 0.20}
ROW_HEIGHT = 150
"""Pixels per row of axes."""
MARGIN = {"l": 56, "r": 12, "t": 10, "b": 10}
FONT = {"size": 11}
CONFIG = {"displaylogo": False, "responsive": True}


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


TYPES_TITLE = "Styles the AI writes vs. the original culture"
TYPES_CAPTION = (
    "Probability of each style, commonest first. Grey: the original human culture; lines: the "
    "current AI of each side (mean over replicates). Rare styles on the right are the first "
    "to be cut."
)
NETWORK_TITLE = "The social network (a sample of people)"
NETWORK_CAPTION = ("Each dot is a person of the first replicate, lines are who hears whom; "
                   "ringed dots use AI.")

_FROM_ZERO_EXCEPT = {"quality (0–100)"}
"""Axes scaled to their data; the others start at zero, so chance wiggles do not look like
collapse and a fall looks like one."""

_PEOPLE_COLUMNS = {"gpt_rate_users", "gpt_rate_nonusers", "neutral_share_users",
                   "neutral_share_nonusers", "stance_std"}


@dataclass(frozen=True, eq=False)
class FigureUpdate:
    """One figure's new state: what it is drawn on, how to build it, and its traces' data.

    Attributes
    ----------
    name : str
    key : tuple
        Equal keys mean the same traces and axes: the page only moves the data.
    build : callable
        Returns a new :class:`plotly.graph_objects.Figure` with the data.
    data : list of dict
        Per trace, in order: the properties that change with the data (``x``, ``y``, ...).
    layout : dict
        Layout properties that change with the data (may be empty).

    Two updates are equal only if they are the same object: each snapshot's update is new
    data for the page to send.
    """

    name: str
    key: tuple = field(repr=False)
    build: Callable[[], go.Figure] = field(repr=False)
    data: list[dict[str, Any]] = field(repr=False)
    layout: dict[str, Any] = field(default_factory=dict, repr=False)

    def figure(self) -> go.Figure:
        """The complete figure (built, then given the data)."""
        fig = self.build()
        for trace, patch in zip(fig.data, self.data, strict=True):
            trace.update({key: _jsonable(value) for key, value in patch.items()})
        if self.layout:
            fig.update_layout(self.layout)
        return fig


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i: i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _base_layout(fig: go.Figure, height: int) -> None:
    fig.update_layout(
        height=height, autosize=True, margin=MARGIN, font=FONT, hovermode="x unified",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "font": {"size": 10}},
        plot_bgcolor="white", paper_bgcolor="white", uirevision="keep",
    )
    fig.update_xaxes(gridcolor="#eee", zeroline=False, showline=True, linecolor="#bbb")
    fig.update_yaxes(gridcolor="#eee", zeroline=False, showline=True, linecolor="#bbb")


def _band_xy(months: np.ndarray, low: np.ndarray, high: np.ndarray):
    """A closed outline of the band over the months where it is defined."""
    keep = np.isfinite(low) & np.isfinite(high)
    x, lo, hi = months[keep], low[keep], high[keep]
    return np.concatenate([x, x[::-1]]), np.concatenate([hi, lo[::-1]])


class TimeseriesChart:
    """A panel's measures over the months: per side, the mean line and its band."""

    def __init__(self, panel: Panel):
        self.panel = panel
        self.traces: list[tuple[str, str]] = []  # (column, run), band then line, per trace pair
        for _, columns in panel.axes:
            for column, _ in columns:
                for run in RUNS:
                    self.traces.append((column, run))

    def key(self, snapshot: Snapshot) -> tuple:
        """What the figure is drawn on: the panel and the run's length."""
        return ("timeseries", self.panel.name, snapshot.total_steps)

    def build(self, total_steps: int) -> go.Figure:
        """A new figure with every trace, empty."""
        panel = self.panel
        rows = len(panel.axes)
        fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06)
        for row, (ylabel, columns) in enumerate(panel.axes, start=1):
            for colour, (_column, label) in zip(COLOURS, columns, strict=False):
                for run in RUNS:
                    name = f"{label} · {RUN_LABELS[run]}"
                    fig.add_trace(go.Scatter(
                        x=[], y=[], mode="lines", fill="toself", line={"width": 0},
                        fillcolor=_rgba(colour, RUN_BAND_ALPHA[run]), hoverinfo="skip",
                        showlegend=False, legendgroup=name, name=f"{name} band",
                    ), row=row, col=1)
                    fig.add_trace(go.Scatter(
                        x=[], y=[], mode="lines", name=name, legendgroup=name,
                        line={"color": colour, "dash": RUN_DASH[run], "width": RUN_WIDTH[run]},
                        hovertemplate=(f"{name}: %{{y:.3~g}} ({BAND_NAME} "
                                       "%{customdata[0]:.3~g} – %{customdata[1]:.3~g})"
                                       "<extra></extra>"),
                    ), row=row, col=1)
            fig.update_yaxes(title_text=ylabel, title_font={"size": 10}, row=row, col=1,
                             rangemode="normal" if ylabel in _FROM_ZERO_EXCEPT else "tozero")
        fig.update_xaxes(range=[0, max(total_steps, 1)])
        fig.update_xaxes(title_text="month", title_font={"size": 10}, row=rows, col=1)
        _base_layout(fig, ROW_HEIGHT * rows + 90)
        return fig

    def data(self, snapshot: Snapshot) -> list[dict[str, Any]]:
        """Per trace, in order: band outline, then mean line with its band as hover data."""
        months = np.arange(snapshot.step + 1)
        out = []
        for column, run in self.traces:
            mean, low, high = snapshot.band(run, column)
            bx, by = _band_xy(months, low, high)
            # The same keys as the lines, so the page sends one restyle for the whole figure.
            out.append({"x": bx, "y": by, "customdata": None})
            out.append({"x": months, "y": mean, "customdata": np.column_stack([low, high])})
        return out

    def update(self, snapshot: Snapshot) -> FigureUpdate:
        """The figure's update for a snapshot."""
        total = snapshot.total_steps
        return FigureUpdate(self.panel.name, self.key(snapshot), lambda: self.build(total),
                            self.data(snapshot))


def _held_inventions(snapshot: Snapshot) -> np.ndarray:
    """Style types invented by people that a current model can write, in type order."""
    original = snapshot.culture.size
    width = max([original] + [p.size for p in snapshot.type_probs.values()])
    held = np.zeros(width - original, dtype=bool)
    for probs in snapshot.type_probs.values():
        held[: probs.size - original] |= probs[original:] > 0
    return original + np.flatnonzero(held)


class TypesChart:
    """The current models' style distributions against the original human culture.

    Styles people invented during the run are shown only while a model can write them: most
    never reach a model, and drawing each would squeeze the original culture out of view.
    """

    name = "types"

    def _order(self, snapshot: Snapshot) -> tuple[np.ndarray, np.ndarray]:
        culture = snapshot.culture
        order = np.argsort(-culture, kind="stable")
        inventions = _held_inventions(snapshot)
        return np.concatenate([order, inventions]), inventions

    def update(self, snapshot: Snapshot) -> FigureUpdate:
        """The figure's update for a snapshot."""
        order, inventions = self._order(snapshot)
        culture = snapshot.culture.copy()
        key = ("types", culture.tobytes(), inventions.tobytes())
        width = order.size
        x = np.arange(1, width + 1)

        def build() -> go.Figure:
            heights = np.zeros(width)
            heights[: culture.size] = culture[np.argsort(-culture, kind="stable")]
            fig = go.Figure()
            fig.add_trace(go.Bar(x=x, y=heights, marker_color="#ced4da", name="original culture",
                                 hovertemplate="style %{x}: %{y:.3f}<extra>culture</extra>"))
            for run, colour in zip(RUNS, ("#495057", "#d9480f"), strict=True):
                fig.add_trace(go.Scatter(
                    x=x, y=np.zeros(width), mode="lines", line_shape="hvh",
                    name=f"AI, {RUN_LABELS[run]}",
                    line={"color": colour, "dash": RUN_DASH[run], "width": RUN_WIDTH[run]},
                    hovertemplate=f"AI, {RUN_LABELS[run]}: %{{y:.3f}}<extra></extra>"))
            tail = culture < np.median(culture)
            if tail.any():
                first = int(np.flatnonzero(tail[np.argsort(-culture, kind="stable")])[0]) + 1
                fig.add_vrect(x0=first - 0.5, x1=culture.size + 0.5, fillcolor="#fff3bf",
                              opacity=0.6, line_width=0, layer="below",
                              annotation_text="rare styles", annotation_position="top left",
                              annotation_font={"size": 10, "color": "#8d6e00"})
            if inventions.size:
                fig.add_vrect(x0=culture.size + 0.5, x1=width + 0.5, fillcolor="#e7f5ff",
                              line_width=0, layer="below")
            fig.update_xaxes(range=[0.5, width + 0.5], title_text="style, commonest first"
                             + (" (blue: invented by people)" if inventions.size else ""),
                             title_font={"size": 10})
            fig.update_yaxes(title_text="probability", title_font={"size": 10},
                             rangemode="tozero")
            _base_layout(fig, 300)
            fig.update_layout(hovermode="x unified", bargap=0)
            return fig

        data = [{}]
        for run in RUNS:
            own = snapshot.type_probs[run]
            probs = np.zeros(max(own.size, int(order.max(initial=0)) + 1))
            probs[: own.size] = own
            data.append({"y": probs[order]})
        return FigureUpdate(self.name, key, build, data)


COLOR_BY = {
    "gpt_rate": ("marker words per 1,000", "Magma_r"),
    "stance": ("stance (−1 … 1)", "RdBu_r"),
}


class NetworkChart:
    """The sampled people of both sides side by side, coloured by marker words or stance."""

    name = "network"

    def update(self, snapshot: Snapshot, color_by: str = "gpt_rate") -> FigureUpdate:
        """The figure's update for a snapshot."""
        if color_by not in COLOR_BY:
            raise ValueError(f"color_by must be one of {sorted(COLOR_BY)}, got {color_by!r}")
        views = {run: snapshot.network.get(run) for run in RUNS}
        key = ("network", color_by, *(
            None if v is None else (v.positions.tobytes(), v.edges.tobytes())
            for v in views.values()))
        label, scale = COLOR_BY[color_by]
        if color_by == "gpt_rate":
            # One scale for both sides, so equal colours mean equal rates.
            high = max([float(np.percentile(v.gpt_rate, 98)) for v in views.values()
                        if v is not None and v.gpt_rate.size] + [1e-6])
            low = 0.0
        else:
            low, high = -1.0, 1.0

        def build() -> go.Figure:
            fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.04,
                                subplot_titles=[RUN_LABELS[run] for run in RUNS])
            for col, run in enumerate(RUNS, start=1):
                view = views[run]
                if view is None:
                    fig.add_annotation(text="no people in this scenario", showarrow=False,
                                       xref=f"x{'' if col == 1 else col} domain",
                                       yref=f"y{'' if col == 1 else col} domain",
                                       x=0.5, y=0.5)
                    fig.add_trace(go.Scatter(x=[], y=[], showlegend=False), row=1, col=col)
                    fig.add_trace(go.Scatter(x=[], y=[], showlegend=False), row=1, col=col)
                    continue
                segments = view.positions[view.edges]  # (E, 2, 2)
                ex = np.column_stack([segments[:, :, 0], np.full(len(segments), np.nan)])
                ey = np.column_stack([segments[:, :, 1], np.full(len(segments), np.nan)])
                fig.add_trace(go.Scatter(
                    x=ex.ravel(), y=ey.ravel(), mode="lines", hoverinfo="skip",
                    line={"color": "#adb5bd", "width": 0.5}, showlegend=False), row=1, col=col)
                fig.add_trace(go.Scatter(
                    x=view.positions[:, 0], y=view.positions[:, 1], mode="markers",
                    showlegend=False, name=RUN_LABELS[run],
                    marker={"size": 7, "colorscale": scale, "cmin": low, "cmax": high,
                            "line": {"color": "#212529"},
                            "showscale": col == 2,
                            "colorbar": {"title": {"text": label, "side": "right"},
                                         "thickness": 10, "len": 0.8}},
                    hovertemplate=f"{label}: %{{marker.color:.2f}}<extra></extra>"),
                    row=1, col=col)
            fig.update_xaxes(visible=False)
            fig.update_yaxes(visible=False)
            _base_layout(fig, 320)
            fig.update_layout(hovermode="closest", margin={"l": 5, "r": 5, "t": 30, "b": 5})
            return fig

        data = []
        for run in RUNS:
            view = views[run]
            data.append({})
            if view is None:
                data.append({})
                continue
            data.append({"marker.color": getattr(view, color_by),
                         "marker.cmin": low, "marker.cmax": high,
                         "marker.line.width": np.where(view.ai_user, 1.2, 0.0)})
        return FigureUpdate(self.name, key, build, data)


class FigureSet:
    """The page's figures: one :class:`FigureUpdate` per figure for each snapshot."""

    def __init__(self):
        self.charts = {panel.name: TimeseriesChart(panel) for panel in PANELS}
        self.types = TypesChart()
        self.network = NetworkChart()

    def update(self, snapshot: Snapshot, color_by: str = "gpt_rate") -> dict[str, FigureUpdate]:
        """Every figure's update for a snapshot, by name."""
        out = {name: chart.update(snapshot) for name, chart in self.charts.items()}
        out["types"] = self.types.update(snapshot)
        out["network"] = self.network.update(snapshot, color_by)
        return out


def figures(snapshot: Snapshot, color_by: str = "gpt_rate") -> dict[str, go.Figure]:
    """Every figure of the page for one snapshot, built afresh."""
    return {name: update.figure()
            for name, update in FigureSet().update(snapshot, color_by).items()}


def _jsonable(value: Any) -> Any:
    """Arrays with missing values as lists with None (JSON has no NaN): gaps in the lines."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and not np.isfinite(
            value).all():
        return np.where(np.isfinite(value), value, None).tolist()
    return value


def apply(widget: Any, update: FigureUpdate, key_holder: dict) -> bool:
    """Bring a plotly figure widget (or Figure) to ``update``; True if it was rebuilt.

    ``key_holder`` remembers the key the widget was last built for. With the same key only the
    changing properties are sent (one batched message); otherwise its traces and layout are
    replaced.
    """
    if key_holder.get("key") != update.key or len(widget.data) != len(update.data):
        fig = update.figure()
        with widget.batch_update():
            widget.data = ()
            widget.layout = fig.layout
            widget.add_traces(fig.data)
        key_holder["key"] = update.key
        return True
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, patch in enumerate(update.data):
        if patch:
            groups.setdefault(tuple(patch), []).append(index)
    for keys, indexes in groups.items():
        # One restyle per group of traces with the same changing properties: plotly's own
        # message for "these traces' data changed", without revalidating every trace.
        widget.plotly_restyle(
            {key: [_jsonable(update.data[i][key]) for i in indexes] for key in keys},
            trace_indexes=indexes)
    if update.layout:
        widget.plotly_relayout(update.layout)
    return False


class LiveChart:
    """Feeds one plotly figure widget its updates, never faster than its browser draws them.

    A browser answers every update of a chart once it has drawn it (plotly's widget reports the
    redraw). Until then a newer update waits, and only the latest waiting one is sent when the
    answer comes: each update carries the whole series, so skipping one loses nothing, and the
    chart always moves to the latest month instead of working through a queue of old ones.
    A chart no browser has answered yet (tests, a page still loading) gets every update at
    once; a browser that stays silent for ``patience`` seconds is sent the latest update anyway.

    Parameters
    ----------
    widget : plotly FigureWidget
    min_interval : float
        Least seconds between two updates of the data sent (for a chart that is costly to
        draw); the latest update is always sent in the end, and a new figure (new runs, another
        colouring) at once.
    patience : float
        Seconds to wait for an answer before sending anyway.
    clock : callable
        Monotonic clock (tests pass their own).
    """

    def __init__(self, widget: Any, min_interval: float = 0.0, patience: float = 2.0,
                 clock: Callable[[], float] | None = None):
        self.widget = widget
        self.min_interval = min_interval
        self.patience = patience
        self.clock = clock or time.monotonic
        self.built: dict = {}
        self.answered = False
        self.pending: FigureUpdate | None = None
        self.sent_at = -float("inf")
        self.sent = 0
        """Updates sent to the widget (the others were skipped for a newer one)."""
        self.fresh = False  # the last update sent built a new figure

        self._lock = threading.RLock()
        self._timer: threading.Timer | None = None

    def busy(self) -> bool:
        """Whether the browser has not yet drawn the last update sent."""
        widget = self.widget
        return self.answered and bool(getattr(widget, "_trace_edit_in_process", False)
                                      or getattr(widget, "_layout_edit_in_process", False))

    def settling(self) -> bool:
        """Whether a new figure (new runs, another colouring) is on its way to the browser.

        Drawing every trace afresh takes a browser a while; playing waits for it, so the new
        runs' first months are shown, not skipped.
        """
        with self._lock:
            if not self.answered:
                return False
            waiting = self.pending is not None and self.pending.key != self.built.get("key")
            return waiting or (self.fresh and self.busy())

    def offer(self, update: FigureUpdate) -> bool:
        """Send ``update`` now, or keep it until it may be sent (replacing an older one).

        Returns
        -------
        bool
            Whether it was sent now.
        """
        with self._lock:
            self.pending = update
            return self._send_pending()

    def on_answer(self, _change: Any = None) -> None:
        """The browser reported a redraw: send the update that waited, if it may be sent."""
        with self._lock:
            self.answered = True
            self._send_pending()

    def close(self) -> None:
        """Stop the timer of a waiting update (the chart is gone)."""
        with self._lock:
            self.pending = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _send_pending(self) -> bool:
        if self.pending is None:
            return False
        since = self.clock() - self.sent_at
        if self.busy() and since < self.patience:
            self._wake_in(self.patience - since)  # unless the browser answers first
            return False
        if since < self.min_interval and self.pending.key == self.built.get("key"):
            self._wake_in(self.min_interval - since)
            return False
        update, self.pending = self.pending, None
        self.fresh = apply(self.widget, update, self.built)
        self.sent_at = self.clock()
        self.sent += 1
        return True

    def _wake_in(self, seconds: float) -> None:
        if self._timer is not None:
            return

        def wake():
            with self._lock:
                self._timer = None
                self._send_pending()

        self._timer = threading.Timer(max(seconds, 0.0), wake)
        self._timer.daemon = True
        self._timer.start()
