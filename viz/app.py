# Solara components are named like classes (the server looks for `Page`).
# ruff: noqa: N802
"""The Solara page: settings on the left (on top on a narrow screen), the runs on the right.

Start it with ``ecosystem dashboard [SCENARIO]`` (or ``solara run viz.app`` with
``ECOSYSTEM_DASHBOARD_SCENARIO`` naming the file to open).

Pages: :data:`routes` lists the pages the server offers (Solara routes): the what-if page at
``/`` and the sweep explorer (:mod:`viz.sweeps`) at ``/sweeps``; :func:`Layout` shows a tab
per page. Another page is mounted by adding a route.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from pathlib import Path

import solara
from solara.components.input import use_change

from viz import frontend
from viz.controls import REPLICATES, WHATIF, WORLD, Control
from viz.plots import (
    CONFIG,
    NETWORK_CAPTION,
    NETWORK_TITLE,
    PANELS,
    TYPES_CAPTION,
    TYPES_TITLE,
    FigureUpdate,
    LiveChart,
)
from viz.runs import BAND_NAME, CONFIDENCE, LARGER, replicates_for
from viz.state import Dashboard

TITLE = "Human–AI content ecosystem: what if…"
INTRO = (
    "Two simulated webs with the same people and the same luck. Dashed lines: the scenario as "
    "picked. Solid lines: the same world with your changes. Each side runs several times "
    f"(replicates, paired by seed); lines are their mean and the shaded bands {BAND_NAME} "
    "(two standard errors of that mean). The table of effects says which gaps are larger than "
    "chance. AI models are trained on the web, write for it, and the next model is trained on "
    "what they wrote."
)
COMMIT_EVENTS = ("focusout", "keyup.enter")
"""Browser events on which a number field's text is read."""
ANSWERS = ("_js2py_traceDeltas", "_js2py_layoutDelta")
"""What plotly's widget sends back once its browser has drawn an update."""
NETWORK_INTERVAL = 1.0
"""Least seconds between two redraws of the network (hundreds of dots, the costliest chart to
draw); the month shown last is always drawn."""
COLOR_LABELS = {"gpt_rate": "marker words", "stance": "stance"}

CSS = """
.ecosystem-page { max-width: 100%; overflow-x: hidden; box-sizing: border-box; }
.ecosystem-page .v-card__title, .ecosystem-page .v-card-title { word-break: normal;
  overflow-wrap: anywhere; white-space: normal; font-size: 1.05rem; line-height: 1.35; }
.ecosystem-page .v-label { white-space: normal; }
.ecosystem-plot .js-plotly-plot { width: 100%; }
.ecosystem-page .js-plotly-plot, .ecosystem-page .plot-container { max-width: 100%; }
.ecosystem-page .v-col-12, .ecosystem-page .v-col { min-width: 0; }
.ecosystem-effects { border-collapse: collapse; width: 100%; font-size: 0.85em; }
.ecosystem-effects th, .ecosystem-effects td { padding: 2px 6px; border-bottom: 1px solid #eee;
  text-align: right; }
.ecosystem-effects th:first-child, .ecosystem-effects td:first-child { text-align: left; }
.ecosystem-effects .larger { color: #c92a2a; font-weight: 600; }
.ecosystem-effects .within { color: #555; }
.ecosystem-table-wrap { overflow-x: auto; max-width: 100%; contain: inline-size; }
.ecosystem-setting .v-input__slider { min-width: 120px; }
.ecosystem-page .v-btn { max-width: 100%; height: auto !important; min-height: 36px; }
.ecosystem-page .v-btn__content { white-space: normal; text-align: left; }
/* Solara's corner banner (off when started by `ecosystem dashboard`) would cover a chart. */
div:has(> b > a[href="https://solara.dev"]) { display: none !important; }
.ecosystem-page { padding-bottom: 48px !important; }
@media (max-width: 600px) {
  .ecosystem-page { padding: 6px !important; }
  .ecosystem-page h2 { font-size: 1.2rem; }
}
"""


def _file_labels(paths: list[Path]) -> dict[str, Path]:
    """Picker labels: the file name, or the whole path where two folders share a name."""
    names = Counter(path.name for path in paths)
    return {path.name if names[path.name] == 1 else str(path): path for path in paths}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@solara.component
def NumberField(control: Control, value, on_value, on_reject, draft=None, label=None):
    """A typed number: shows the value the runs use, or what was typed and could not be used.

    What is typed is read when the field is left or Enter is pressed; text that is not a number
    goes to ``on_reject(text, message)`` with a message naming the control. Until then the
    field keeps what is being typed, also when the page redraws for a new month while playing
    (a redraw sets every field to the text its component renders).
    """
    shown = draft[0] if draft else control.to_text(value)
    typing = solara.use_reactive(None)  # text typed and not yet read, or None
    text = shown if typing.value is None else typing.value

    def commit(typed):
        typing.set(None)
        typed = "" if typed is None else str(typed)
        if typed == shown:
            return  # left without a change
        try:
            parsed = control.parse(typed)
        except ValueError as exc:
            on_reject(typed, str(exc))
            return
        on_value(parsed)

    message = draft[1] if draft else None
    field = solara.v.TextField(
        v_model=text, on_v_model=typing.set, label=label or control.label,
        error=bool(message), messages=[message] if message else [], hide_details="auto",
    ).meta(ref=control.key)
    use_change(field, commit, update_events=list(COMMIT_EVENTS))
    return field


@solara.component
def Setting(control: Control, value, on_value, dash: Dashboard, changed: bool = False):
    """One control with its plain-language label and a tooltip saying what it models.

    The widget carries ``meta(ref=<dotted key>)``, so tests find it by the key it sets.
    """
    label = f"{control.label} (changed)" if changed else control.label
    draft = dash.drafts.value.get(control.key)
    with solara.Tooltip(control.help), solara.Column(gap="0px", classes=["ecosystem-setting"]):
        if control.kind == "choice":
            solara.Select(
                label, values=[name for _, name in control.choices],
                value=control.label_of(value),
                on_value=lambda name: on_value(control.value_of(name)),
            ).meta(ref=control.key)
        elif control.kind == "share":
            solara.Text(f"{label}: {value:.0%}", style={"font-size": "0.9em"})
            solara.SliderFloat("", value=float(value), min=0.0, max=1.0, step=0.05,
                               on_value=on_value, thumb_label=False).meta(ref=control.key)
        else:
            NumberField(control, value, on_value,
                        lambda text, message: dash.reject_entry(control.key, text, message),
                        draft=draft, label=label)


@solara.component
def Settings(dash: Dashboard):
    """The scenario picker, the world settings, the replicates and the what-if settings."""
    labels = _file_labels(dash.files)
    current = next(label for label, path in labels.items() if path == dash.file.value)
    with solara.Card("Scenario", margin=0):
        solara.Select("Scenario file", values=list(labels),
                      value=current,
                      on_value=lambda label: dash.pick(labels[label])).meta(ref="scenario-file")
        solara.HTML(tag="div", unsafe_innerHTML=_escape(dash.base.value.scenario.description),
                    style="color: #555")
        solara.HTML(tag="div", unsafe_innerHTML="The same for both sides:",
                    style="font-weight: 500")
        for control in WORLD:
            if control.key == "network.kind" and dash.world.value[control.key] != "edgelist":
                # An edge list needs a file; only a scenario that names one can use it.
                control = Control(control.key, control.label, control.help, control.kind,
                                  tuple(c for c in control.choices if c[0] != "edgelist"))
            Setting(control, dash.world.value[control.key],
                    lambda value, key=control.key: dash.set_world(key, value), dash)
        Setting(REPLICATES, dash.replicates.value, dash.set_replicates, dash)
    with solara.Card("What if… (changes the solid lines only)", margin=0,
                     style={"margin-top": "12px"}):
        changed = dash.changes.value
        for control in WHATIF:
            Setting(control, dash.whatif.value[control.key],
                    lambda value, key=control.key: dash.set_whatif(key, value), dash,
                    changed=control.key in changed)


@solara.component
def RunButtons(dash: Dashboard):
    """Play, pause, step and reset, and where the runs are."""
    snapshot = dash.snapshot.value
    playing = dash.playing.value
    starting = dash.starting.value
    scenarios = dash.scenarios.value
    total = scenarios["baseline"].scenario.steps
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        if playing:
            solara.Button("Pause", icon_name="mdi-pause", color="primary",
                          on_click=dash.pause).meta(ref="pause")
        else:
            solara.Button("Play", icon_name="mdi-play", color="primary",
                          on_click=dash.play).meta(ref="play")
        solara.Button("Step", icon_name="mdi-step-forward", on_click=dash.step,
                      disabled=playing or (snapshot is not None and snapshot.finished
                                           and not starting)).meta(ref="step")
        solara.Button("Reset", icon_name="mdi-restart", on_click=dash.reset).meta(ref="reset")
        if starting or snapshot is None:
            people = scenarios["baseline"].population.humans
            runs = 2 * replicates_for(people, dash.replicates.value)
            text = (f"Month 0 of {total} · starting {runs} runs of {people:,} people"
                    + (" (then playing)…" if playing else "…"))
        else:
            generations = snapshot.generation
            text = (f"Month {snapshot.step} of {snapshot.total_steps} · AI generation "
                    f"{generations['baseline']} (as picked) / {generations['intervention']} "
                    f"(with your changes) · {snapshot.replicates} replicate"
                    f"{'s' if snapshot.replicates > 1 else ''} a side")
        solara.Text(text, classes=["ecosystem-status"])


@solara.component
def Messages(dash: Dashboard):
    """Notes, the what-if changes in effect, and errors in the settings."""
    for note in dash.notes.value:
        solara.Warning(note, dense=True, classes=["ecosystem-note"])
    errors = dash.errors.value
    if errors:
        with solara.Error(icon=True, classes=["ecosystem-error"]):
            for line in errors:
                solara.HTML(tag="div", unsafe_innerHTML=_escape(line))
    lines = dash.change_lines()
    if lines:
        solara.Info("Your changes: " + "; ".join(lines) + ".", dense=True)
    else:
        solara.Info("No changes yet: both sides are the same. Change a what-if setting to "
                    "see its effect.", dense=True)


def _number(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.3g}"


def effects_html(snapshot) -> str:
    """The effect panel's table as HTML."""
    head = ("<tr><th>measure</th><th>as picked</th><th>with your changes</th>"
            f"<th>difference ({CONFIDENCE:.0%} interval)</th><th>verdict</th></tr>")
    rows = []
    for e in snapshot.effects():
        interval = ("" if not math.isfinite(e.low) else
                    f" ({_number(e.low)} to {_number(e.high)})")
        css = "larger" if e.verdict == LARGER else "within"
        rows.append(f"<tr><td>{_escape(e.label)}</td><td>{_number(e.baseline)}</td>"
                    f"<td>{_number(e.intervention)}</td><td>{_number(e.difference)}{interval}"
                    f"</td><td class='{css}'>{_escape(e.verdict)}</td></tr>")
    return (f"<div class='ecosystem-table-wrap'><table class='ecosystem-effects'>{head}"
            f"{''.join(rows)}</table></div>")


@solara.component
def EffectsDownload(dash: Dashboard):
    """The effects at the month shown, as CSV (the file is made when clicked)."""
    solara.FileDownload(dash.effects_csv, filename="effects.csv",
                        label="Download these effects (CSV)", mime_type="text/csv")


@solara.component
def Effects(dash: Dashboard):
    """The effect of the changes at the current month, judged from the paired replicates."""
    snapshot = dash.snapshot.value
    title = "Effects of your changes" + (f" at month {snapshot.step}" if snapshot else "")
    with solara.Card(title, margin=0, classes=["ecosystem-effects-card"]):
        if snapshot is None:
            solara.Text("Starting the runs…")
            return
        solara.Text(
            f"Difference = with your changes − as picked, averaged over {snapshot.replicates} "
            f"paired replicates, with its {CONFIDENCE:.0%} interval (t-interval of the paired "
            "differences). \u201cLarger than chance\u201d: the interval leaves out zero.",
            style={"font-size": "0.85em", "color": "#555"})
        solara.HTML(tag="div", unsafe_innerHTML=effects_html(snapshot))
        EffectsDownload(dash)


@functools.cache
def figure_widget_class():
    """Plotly's figure widget, loading its browser code from the cache when it can.

    See :mod:`viz.frontend`: one cached copy of plotly's code for every chart, instead of
    5 MB sent with each. Where the cache cannot be written, plotly's own widget is used.
    """
    from plotly.graph_objs._figurewidget import FigureWidget

    class DashboardFigureWidget(FigureWidget):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # Responsive: the chart takes its card's width and follows window resizes.
            self._config = dict(CONFIG)

    if frontend.install_plotly_bundle():
        DashboardFigureWidget._esm = frontend.plotly_loader()
    return DashboardFigureWidget


@solara.component
def LiveFigure(update: FigureUpdate, dash: Dashboard | None = None, min_interval: float = 0.0):
    """A plotly chart that builds its figure once and then only moves its traces' data.

    Updates reach the browser no faster than it draws them (:class:`~viz.plots.LiveChart`):
    while it is still drawing a month, only the latest month waits. With ``dash`` the chart is
    registered with the page (``dash.charts``); ``min_interval`` is the least seconds between
    two updates sent, for a chart that is costly to draw.
    """
    element = figure_widget_class().element()
    feed = solara.use_ref(None)

    def register():
        widget = solara.get_widget(element)
        live = feed.current = feed.current or LiveChart(widget, min_interval)
        for name in ANSWERS:
            widget.observe(live.on_answer, name)
        if dash is not None:
            dash.charts[id(widget)] = live

        def forget():
            for name in ANSWERS:
                widget.unobserve(live.on_answer, name)
            live.close()
            if dash is not None:
                dash.charts.pop(id(widget), None)

        return forget

    def bring_up_to_date():
        widget = solara.get_widget(element)
        feed.current = feed.current or LiveChart(widget, min_interval)
        feed.current.offer(update)

    solara.use_effect(register, [])
    solara.use_effect(bring_up_to_date, [update])
    return element


@solara.component
def Chart(name: str, title: str, caption: str, update: FigureUpdate, dash=None,
          min_interval: float = 0.0):
    """A titled card holding one chart (see :func:`LiveFigure` for ``min_interval``)."""
    with solara.Card(title, margin=0, classes=[f"ecosystem-plot-{name}", "ecosystem-plot"],
                     style={"margin-bottom": "12px"}):
        solara.Text(caption, style={"font-size": "0.85em", "color": "#555"})
        LiveFigure(update, dash, min_interval)


@solara.component
def Plots(dash: Dashboard):
    """Every chart, moved to the new data when the runs step."""
    snapshot = dash.snapshot.value
    color_by = dash.color_by.value
    updates = solara.use_memo(
        lambda: None if snapshot is None else dash.figures.update(snapshot, color_by),
        [snapshot, color_by])
    if updates is None:
        return
    with solara.ColumnsResponsive(12, xlarge=6):
        for panel in PANELS:
            Chart(panel.name, panel.title, panel.caption, updates[panel.name], dash)
        Chart("types", TYPES_TITLE, TYPES_CAPTION, updates["types"], dash)
        with solara.Column(gap="4px"):
            Chart("network", NETWORK_TITLE, NETWORK_CAPTION, updates["network"], dash,
                  min_interval=NETWORK_INTERVAL)
            names = {label: value for value, label in COLOR_LABELS.items()}
            solara.ToggleButtonsSingle(
                value=COLOR_LABELS[color_by], values=list(names),
                on_value=lambda label: dash.color_by.set(names[label]), dense=True,
            ).meta(ref="color-by")


@solara.component
def Export(dash: Dashboard):
    """Save the settings as a scenario file; download every replicate's tables."""
    with solara.Card("Keep the results", margin=0):
        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.FileDownload(dash.scenario_toml, filename=dash.scenario_filename(),
                                label="Save settings as a scenario file (TOML)",
                                mime_type="application/toml")
            solara.FileDownload(lambda: dash.export("csv"), filename="ecosystem-runs-csv.zip",
                                label="Download tables (CSV)", mime_type="application/zip")
            solara.FileDownload(lambda: dash.export("parquet"),
                                filename="ecosystem-runs-parquet.zip",
                                label="Download tables (Parquet)", mime_type="application/zip")
        solara.Text("The scenario file runs the solid lines' first replicate again with "
                    "`ecosystem run FILE`. The tables hold every replicate of both sides (told "
                    "apart by their `run`, `replicate` and `seed` columns), the bands "
                    "(bands.csv) and the effects now (effects.csv).",
                    style={"font-size": "0.85em", "color": "#555"})


@solara.component
def DashboardView(dash: Dashboard, worker: bool = True):
    """The whole dashboard for one session's :class:`~viz.state.Dashboard`.

    With ``worker`` the runs step in the dashboard's background thread, stopped when the page
    goes away; without it the caller does the work (:meth:`Dashboard.wait`).
    """
    def start():
        if worker:
            dash.start_worker()
            return dash.close
        return None

    solara.use_effect(start, [])
    solara.Title("Ecosystem dashboard")
    solara.Style(CSS)
    with solara.Column(style={"padding": "12px"}, classes=["ecosystem-page"]):
        solara.HTML(tag="h2", unsafe_innerHTML=TITLE, style={"margin": "0"})
        solara.Text(INTRO, style={"color": "#333"})
        with solara.ColumnsResponsive(12, large=[4, 8]):
            with solara.Column():
                Settings(dash)
            with solara.Column():
                RunButtons(dash)
                Messages(dash)
                Effects(dash)
                Plots(dash)
                Export(dash)


@solara.component
def Page():
    """The what-if page: a fresh dashboard per browser session."""
    dash = solara.use_memo(Dashboard.from_environment, [])
    DashboardView(dash)


@solara.component
def Layout(children=()):
    """The frame of every page: a tab per page when there is more than one."""
    _current, all_routes = solara.use_route()
    if len(all_routes) > 1:
        with solara.Row(classes=["ecosystem-nav"], style={"flex-wrap": "wrap"}):
            for route in all_routes:
                with solara.Link(solara.resolve_path(route)):
                    solara.Button(route.label, text=True)
    solara.Column(children=list(children), style={"padding": "0"})


@solara.component
def SweepExplorer():
    """The sweep explorer (:mod:`viz.sweeps`): a sweep folder's lines, ranking and PRIM boxes."""
    from viz import sweeps  # its tables and PRIM load only when the page opens

    sweeps.Page()


routes = [
    # The root route's layout frames every page (without it Solara adds its own app bar).
    solara.Route(path="/", component=Page, label="What if…", layout=Layout),
    solara.Route(path="sweeps", component=SweepExplorer, label="Sweep explorer"),
]
"""The pages of the dashboard; append a :class:`solara.Route` to mount another one."""

