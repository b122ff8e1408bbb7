# Solara components are named like classes (the server looks for `Page`).
# ruff: noqa: N802
"""The Solara page: settings on the left, the two runs on the right.

Start it with ``ecosystem dashboard [SCENARIO]`` (or ``solara run viz.app`` with
``ECOSYSTEM_DASHBOARD_SCENARIO`` naming the file to open).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import solara
import solara.lab

from viz.controls import WHATIF, WORLD, Control
from viz.plots import (
    NETWORK_CAPTION,
    NETWORK_TITLE,
    PANELS,
    TYPES_CAPTION,
    TYPES_TITLE,
    to_image,
)
from viz.state import Dashboard

TITLE = "Human–AI content ecosystem: what if…"
INTRO = (
    "Two simulated webs with the same people and the same luck. Dashed lines: the scenario as "
    "picked. Solid lines: the same world with your changes. The gap between them is the effect "
    "of your changes. AI models are trained on the web, write for it, and the next model is "
    "trained on what they wrote."
)
COLOR_LABELS = {"gpt_rate": "marker words", "stance": "stance"}


def _file_labels(paths: list[Path]) -> dict[str, Path]:
    """Picker labels: the file name, or the whole path where two folders share a name."""
    names = Counter(path.name for path in paths)
    return {path.name if names[path.name] == 1 else str(path): path for path in paths}


@solara.component
def Setting(control: Control, value, on_value, changed: bool = False):
    """One control with its plain-language label and a tooltip saying what it models.

    The widget carries ``meta(ref=<dotted key>)``, so tests find it by the key it sets.
    """
    label = f"{control.label} (changed)" if changed else control.label
    with solara.Tooltip(control.help), solara.Column(gap="0px", classes=["ecosystem-setting"]):
        if control.kind == "choice":
            widget = solara.Select(
                label, values=[name for _, name in control.choices],
                value=control.label_of(value),
                on_value=lambda name: on_value(control.value_of(name)),
            )
        elif control.kind == "share":
            widget = solara.SliderFloat(
                f"{label}: {value:.0%}", value=float(value), min=0.0, max=1.0, step=0.05,
                on_value=on_value, thumb_label=False,
            )
        elif control.kind == "float":
            widget = solara.InputFloat(label, value=value, on_value=on_value)
        else:
            widget = solara.InputInt(label, value=value, on_value=on_value,
                                     optional=control.kind == "optional_int")
        widget.meta(ref=control.key)


@solara.component
def Settings(dash: Dashboard):
    """The scenario picker, the world settings and the what-if settings."""
    labels = _file_labels(dash.files)
    current = next(label for label, path in labels.items() if path == dash.file.value)
    with solara.Card("Scenario", margin=0):
        solara.Select("Scenario file", values=list(labels),
                      value=current,
                      on_value=lambda label: dash.pick(labels[label])).meta(ref="scenario-file")
        solara.HTML(tag="div", unsafe_innerHTML=_escape(dash.base.value.scenario.description),
                    style="color: #555")
        solara.HTML(tag="div", unsafe_innerHTML="The same for both runs:",
                    style="font-weight: 500")
        for control in WORLD:
            if control.key == "network.kind" and dash.world.value[control.key] != "edgelist":
                # An edge list needs a file; only a scenario that names one can use it.
                control = Control(control.key, control.label, control.help, control.kind,
                                  tuple(c for c in control.choices if c[0] != "edgelist"))
            Setting(control, dash.world.value[control.key],
                    lambda value, key=control.key: dash.set_world(key, value))
    with solara.Card("What if… (changes the solid lines only)", margin=0,
                     style={"margin-top": "12px"}):
        changed = dash.changes.value
        for control in WHATIF:
            Setting(control, dash.whatif.value[control.key],
                    lambda value, key=control.key: dash.set_whatif(key, value),
                    changed=control.key in changed)


@solara.component
def RunButtons(dash: Dashboard):
    """Play, pause, step and reset, and where the runs are."""
    snapshot = dash.snapshot.value
    playing = dash.playing.value
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        if playing:
            solara.Button("Pause", icon_name="mdi-pause", color="primary",
                          on_click=dash.pause).meta(ref="pause")
        else:
            solara.Button("Play", icon_name="mdi-play", color="primary",
                          on_click=dash.play).meta(ref="play")
        solara.Button("Step", icon_name="mdi-step-forward", on_click=dash.step,
                      disabled=playing or snapshot.finished).meta(ref="step")
        solara.Button("Reset", icon_name="mdi-restart", on_click=dash.reset).meta(ref="reset")
        generations = snapshot.generation
        solara.Text(
            f"Month {snapshot.step} of {snapshot.total_steps} · AI generation "
            f"{generations['baseline']} (as picked) / {generations['intervention']} "
            "(with your changes)",
            classes=["ecosystem-status"],
        )


@solara.component
def Messages(dash: Dashboard):
    """Notes, the what-if changes in effect, and errors in the settings."""
    for note in dash.notes.value:
        solara.Warning(note, dense=True)
    errors = dash.errors.value
    if errors:
        with solara.Error(icon=True, classes=["ecosystem-error"]):
            for line in errors:
                solara.HTML(tag="div", unsafe_innerHTML=_escape(line))
    lines = dash.change_lines()
    if lines:
        solara.Info("Your changes: " + "; ".join(lines) + ".", dense=True)
    else:
        solara.Info("No changes yet: both runs are the same. Change a what-if setting on the "
                    "left to see its effect.", dense=True)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@solara.component
def Figure(name: str, title: str, caption: str, figure, dependencies: list):
    """A titled card holding one figure, redrawn only when its ``dependencies`` change."""
    image = solara.use_memo(lambda: to_image(figure), dependencies)
    with solara.Card(title, margin=0, classes=[f"ecosystem-plot-{name}"]):
        solara.Text(caption, style={"font-size": "0.85em", "color": "#555"})
        solara.Image(image, width="100%")


@solara.component
def Plots(dash: Dashboard):
    """Every figure, redrawn when the runs step."""
    snapshot = dash.snapshot.value
    color_by = dash.color_by.value
    key = [snapshot.pair, snapshot.step, color_by]
    figures = solara.use_memo(lambda: dash.figures.update(snapshot, color_by), key)
    with solara.ColumnsResponsive(12, large=6):
        for panel in PANELS:
            Figure(panel.name, panel.title, panel.caption, figures[panel.name], key)
        Figure("types", TYPES_TITLE, TYPES_CAPTION, figures["types"], key)
        with solara.Column(gap="4px"):
            Figure("network", NETWORK_TITLE, NETWORK_CAPTION, figures["network"], key)
            names = {label: value for value, label in COLOR_LABELS.items()}
            solara.ToggleButtonsSingle(
                value=COLOR_LABELS[color_by], values=list(names),
                on_value=lambda label: dash.color_by.set(names[label]), dense=True,
            ).meta(ref="color-by")


@solara.component
def Export(dash: Dashboard):
    """Save the settings as a scenario file; download both runs' tables."""
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
        solara.Text("The scenario file runs the solid lines again with `ecosystem run FILE`; "
                    "the tables hold both runs, told apart by their `run` column.",
                    style={"font-size": "0.85em", "color": "#555"})


@solara.component
def DashboardView(dash: Dashboard):
    """The whole dashboard for one session's :class:`~viz.state.Dashboard`."""
    solara.lab.use_task(dash.run_loop, dependencies=[dash.playing.value], prefer_threaded=True)
    solara.Title("Ecosystem dashboard")
    with solara.Column(style={"padding": "12px"}):
        solara.HTML(tag="h2", unsafe_innerHTML=TITLE, style={"margin": "0"})
        solara.Text(INTRO, style={"color": "#333"})
        with solara.Columns([4, 9]):
            with solara.Column():
                Settings(dash)
            with solara.Column():
                RunButtons(dash)
                Messages(dash)
                Plots(dash)
                Export(dash)


@solara.component
def Page():
    """The page Solara serves: a fresh dashboard per browser session."""
    dash = solara.use_memo(Dashboard.from_environment, [])
    DashboardView(dash)
