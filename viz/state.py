"""One browser session's dashboard: its settings, its two runs, and what the buttons do.

The state lives in Solara reactive variables, so the page redraws when it changes; the actions
are plain methods, so tests drive them with or without a rendered page. A bad setting never
stops anything: its message is shown and the runs keep the last valid settings.
"""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path
from typing import Any

import solara

from ecosystem import ScenarioError
from viz.controls import (
    WHATIF,
    WORLD,
    build_scenarios,
    describe_changes,
    open_scenario,
    scenario_files,
    values_of,
    whatif_scenario,
)
from viz.plots import FigureSet
from viz.runs import RunPair

SCENARIO_ENV = "ECOSYSTEM_DASHBOARD_SCENARIO"
"""Environment variable naming the scenario file the page opens on (set by the command)."""

PROJECT_SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
"""The project's ready scenarios, offered by the picker."""

PLAY_PAUSE = 0.05
"""Seconds between steps while playing, so clicks and redraws get their turn."""


def default_scenario() -> Path:
    """The file the page opens on: the command's choice, else ``scenarios/baseline.toml``."""
    chosen = os.environ.get(SCENARIO_ENV)
    return Path(chosen) if chosen else PROJECT_SCENARIOS / "baseline.toml"


class Dashboard:
    """Settings, runs and actions of one dashboard page.

    Parameters
    ----------
    path : str or Path
        The scenario file to open.
    folders : sequence of Path, optional
        Folders whose ``*.toml`` files the picker offers (default: the project's
        ``scenarios/`` and the folder of ``path``).

    Raises
    ------
    ScenarioError
        If ``path`` cannot be opened (the command checks it before starting the server).
    """

    def __init__(self, path: str | Path, folders: tuple[Path, ...] | None = None):
        path = Path(path).resolve()
        folders = (PROJECT_SCENARIOS, path.parent) if folders is None else folders
        self.files = scenario_files(*folders, include=path)
        base, notes = open_scenario(path)
        self.file = solara.reactive(path)
        self.base = solara.reactive(base)
        self.notes = solara.reactive(notes)
        self.world = solara.reactive(values_of(base, WORLD))
        self.whatif = solara.reactive(values_of(base, WHATIF))
        self.errors = solara.reactive([])
        self.changes = solara.reactive({})
        self.playing = solara.reactive(False)
        self.color_by = solara.reactive("gpt_rate")
        self.figures = FigureSet()
        self._loop: object | None = None
        baseline, intervention, _ = build_scenarios(base, self.world.value, self.whatif.value)
        pair = RunPair(baseline, intervention)
        self.pair = solara.reactive(pair)
        self.snapshot = solara.reactive(pair.snapshot())

    @classmethod
    def from_environment(cls) -> Dashboard:
        """The dashboard the server's page opens (see :data:`SCENARIO_ENV`).

        If the file stopped being valid after the server started, the page opens the project's
        baseline instead and says why.
        """
        chosen = default_scenario()
        try:
            return cls(chosen)
        except ScenarioError as exc:
            fallback = PROJECT_SCENARIOS / "baseline.toml"
            if chosen.resolve() == fallback.resolve():
                raise
            dash = cls(fallback, folders=(PROJECT_SCENARIOS, chosen.resolve().parent))
            dash.errors.set([f"{chosen.name} cannot be used:", *exc.messages,
                             f"Opened {fallback.name} instead."])
            return dash

    # -- settings -----------------------------------------------------------------------------
    def pick(self, path: str | Path) -> None:
        """Open another scenario file; its values replace every setting."""
        path = Path(path).resolve()
        try:
            base, notes = open_scenario(path)
        except ScenarioError as exc:
            self.errors.set([f"{path.name} cannot be used:", *exc.messages,
                             f"The runs keep {self.file.value.name}."])
            return
        self.file.set(path)
        self.base.set(base)
        self.notes.set(notes)
        self.world.set(values_of(base, WORLD))
        self.whatif.set(values_of(base, WHATIF))
        self.apply()

    def set_world(self, key: str, value: Any) -> None:
        """Change a setting of both runs."""
        self.world.set({**self.world.value, key: value})
        self.apply()

    def set_whatif(self, key: str, value: Any) -> None:
        """Change a setting of the intervention run."""
        self.whatif.set({**self.whatif.value, key: value})
        self.apply()

    def apply(self) -> bool:
        """Rebuild both runs from the settings; on bad settings show why and keep the runs.

        Returns
        -------
        bool
            Whether the settings were valid (and the runs restarted).
        """
        try:
            baseline, intervention, changes = build_scenarios(
                self.base.value, self.world.value, self.whatif.value
            )
        except ScenarioError as exc:
            self.errors.set([*exc.messages,
                             "Not applied: the runs keep the last valid settings."])
            return False
        self.errors.set([])
        self.changes.set(changes)
        self._start(RunPair(baseline, intervention))
        return True

    def _start(self, pair: RunPair) -> None:
        self.pair.set(pair)
        self.snapshot.set(pair.snapshot())

    # -- running ------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance both runs one step."""
        pair = self.pair.value
        snapshot = pair.advance()
        if self.pair.value is pair:  # not replaced by a reset while stepping
            self.snapshot.set(snapshot)

    def reset(self) -> None:
        """Start both runs again from step 0 with the current settings."""
        pair = self.pair.value
        self._start(RunPair(pair.scenarios["baseline"], pair.scenarios["intervention"]))

    def play(self) -> None:
        """Step repeatedly until paused or finished (see :meth:`run_loop`)."""
        if self.pair.value.finished:
            self.reset()
        self.playing.set(True)

    def pause(self) -> None:
        """Stop after the current step."""
        self.playing.set(False)

    def run_loop(self) -> None:
        """Step while playing; run by the page in a thread whenever playing starts.

        A newer loop (Pause then Play while a step was still running) takes over from an
        older one, so the runs never step twice as fast.
        """
        token = self._loop = object()
        try:
            while self.playing.value and self._loop is token:
                if self.pair.value.finished:
                    break
                self.step()
                time.sleep(PLAY_PAUSE)
        except Exception as exc:  # keep the server up and say what went wrong
            traceback.print_exc()
            self.errors.set([f"The simulation stopped with an error: {exc}"])
        finally:
            if self._loop is token:
                self.playing.set(False)

    # -- views and export ---------------------------------------------------------------------
    def change_lines(self) -> list[str]:
        """The what-if changes in plain language."""
        return describe_changes(self.changes.value, self.pair.value.scenarios["baseline"])

    def scenario_toml(self) -> str:
        """The current settings as a scenario file (the intervention run's scenario)."""
        pair = self.pair.value
        return whatif_scenario(pair.scenarios["intervention"], pair.scenarios["baseline"],
                               self.changes.value).to_toml()

    def scenario_filename(self) -> str:
        """File name for :meth:`scenario_toml`."""
        name = self.pair.value.scenarios["baseline"].scenario.name
        return f"{name}-whatif.toml" if self.changes.value else f"{name}.toml"

    def export(self, fmt: str) -> bytes:
        """Both runs' tables as a zip of ``csv`` or ``parquet`` files."""
        return self.pair.value.export(fmt)
