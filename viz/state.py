"""One browser session's dashboard: its settings, its runs, and what the buttons do.

The state lives in Solara reactive variables, so the page redraws when it changes; the actions
are plain methods, so tests drive them with or without a rendered page. A bad setting never
stops anything: its message is shown and the runs keep the last valid settings.

The runs belong to one worker thread per page (:meth:`Dashboard.start_worker`). The buttons and
settings only leave requests (play, pause, one step, new settings) and return at once; the
worker builds new runs, steps them and publishes snapshots. So the page answers while a large
population steps or is being built:

* a change of settings while playing restarts both sides from month 0 and keeps playing; a
  build in progress for older settings is abandoned;
* Pause always wins: the worker checks it before every step, also right after a restart;
* without a worker (tests that call methods directly) :meth:`Dashboard.wait` does the same work
  in the caller's thread.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import solara

from ecosystem import Scenario, ScenarioError
from viz.controls import (
    LOOP_KEY,
    REPLICATES,
    WHATIF,
    WORLD,
    build_scenarios,
    check_replicates,
    describe_changes,
    loop_overrides,
    open_scenario,
    scenario_files,
    values_of,
    whatif_scenario,
)
from viz.plots import FigureSet
from viz.runs import (
    DEFAULT_REPLICATES,
    PEOPLE_RUNS_PER_SIDE,
    Cancelled,
    RunSet,
    Snapshot,
    replicates_for,
)

SCENARIO_ENV = "ECOSYSTEM_DASHBOARD_SCENARIO"
"""Environment variable naming the scenario file the page opens on (set by the command)."""

PROJECT_SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
"""The project's ready scenarios, offered by the picker."""

FRAME_SECONDS = 0.1
"""Least time between two published months while playing."""

BROWSER_WAIT = 15.0
"""Most seconds playing waits for a browser to draw the charts of new runs (a browser on a busy
2-core machine has taken over 5 s to draw the seven new figures; one that never answers, a
closed tab, costs a run this wait once)."""



def default_scenario() -> Path:
    """The file the page opens on: the command's choice, else ``scenarios/baseline.toml``."""
    chosen = os.environ.get(SCENARIO_ENV)
    return Path(chosen) if chosen else PROJECT_SCENARIOS / "baseline.toml"


def replicates_note(people: int, asked: int) -> str | None:
    """What the page says when the population is too large for the replicates asked."""
    used = replicates_for(people, asked)
    if used >= asked:
        return None
    return (f"At {people:,} people each side runs {used} replicate{'s' if used > 1 else ''} "
            f"instead of {asked}, so a month takes well under a second (at most "
            f"{PEOPLE_RUNS_PER_SIDE:,} simulated people per side)."
            + (" With one replicate there is no band and no verdict on the effects."
               if used == 1 else ""))


class Dashboard:
    """Settings, runs and actions of one dashboard page.

    Parameters
    ----------
    path : str or Path
        The scenario file to open.
    folders : sequence of Path, optional
        Folders whose ``*.toml`` files the picker offers (default: the project's
        ``scenarios/`` and the folder of ``path``).
    replicates : int
        Replicates per side to start with.

    Raises
    ------
    ScenarioError
        If ``path`` cannot be opened (the command checks it before starting the server).
    """

    def __init__(self, path: str | Path, folders: tuple[Path, ...] | None = None,
                 replicates: int = DEFAULT_REPLICATES):
        path = Path(path).resolve()
        folders = (PROJECT_SCENARIOS, path.parent) if folders is None else folders
        self.files = scenario_files(*folders, include=path)
        base, notes = open_scenario(path)
        self.file = solara.reactive(path)
        self.base = solara.reactive(base)
        self.notes = solara.reactive(notes)
        self.world = solara.reactive(values_of(base, WORLD))
        self.whatif = solara.reactive(values_of(base, WHATIF))
        self.replicates = solara.reactive(int(replicates))
        self.errors = solara.reactive([])
        self.drafts = solara.reactive({})
        """Text typed into a number field that could not be used, by key."""
        self.changes = solara.reactive({})
        self.playing = solara.reactive(False)
        self.starting = solara.reactive(True)
        self.color_by = solara.reactive("gpt_rate")
        self.figures = FigureSet()

        self._cond = threading.Condition()
        self._wanted = 0  # version of the settings asked for
        self._built = -1  # version of the runs in self.runs
        self._request: tuple[Scenario, Scenario, int] | None = None
        self._play = False
        self._steps = 0  # single steps asked for
        self._closed = False
        self._worker: threading.Thread | None = None
        self.runs: RunSet | None = None
        self.charts: dict[int, Any] = {}
        """The page's charts (:class:`viz.plots.LiveChart`), by widget id."""

        baseline, intervention, _ = build_scenarios(base, self.world.value, self.whatif.value)
        self.scenarios = solara.reactive({"baseline": baseline, "intervention": intervention})
        self.snapshot: solara.Reactive[Snapshot | None] = solara.reactive(None)
        self._ask(baseline, intervention)

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
        if path not in self.files:
            self.files = sorted([*self.files, path], key=lambda p: (p.parent.as_posix(), p.name))
        self.file.set(path)
        self.base.set(base)
        self.notes.set(notes)
        self.drafts.set({})
        self.world.set(values_of(base, WORLD))
        self.whatif.set(values_of(base, WHATIF))
        self.apply()

    def set_world(self, key: str, value: Any) -> None:
        """Change a setting of both sides."""
        self._forget_draft(key)
        self.world.set({**self.world.value, key: value})
        self.apply()

    def set_whatif(self, key: str, value: Any) -> None:
        """Change a setting of the intervention side.

        Picking the loop that reuses the original human corpus also moves the reserve slider
        to the share that loop uses, so the slider shows what the runs use.
        """
        self._forget_draft(key)
        values = {**self.whatif.value, key: value}
        if key == LOOP_KEY and value == "fixed-real":
            baseline = self.scenarios.value["baseline"]
            reserve = loop_overrides(value, baseline, 0.0)["interventions.human_data_reserve"]
            values["interventions.human_data_reserve"] = reserve
        self.whatif.set(values)
        self.apply()

    def set_replicates(self, value: Any) -> None:
        """Change the replicates per side."""
        self._forget_draft(REPLICATES.key)
        self.replicates.set(value)
        self.apply()

    def reject_entry(self, key: str, text: str, message: str) -> None:
        """Keep what was typed in a field that cannot be used, and say why on the page."""
        self.drafts.set({**self.drafts.value, key: (text, message)})
        self._show_errors()

    def _forget_draft(self, key: str) -> None:
        if key in self.drafts.value:
            self.drafts.set({k: v for k, v in self.drafts.value.items() if k != key})

    def _show_errors(self, settings: list[str] | None = None) -> None:
        typed = [message for _, message in self.drafts.value.values()]
        lines = typed + (settings or [])
        if lines:
            lines.append("Not applied: the runs keep the last valid settings.")
        self.errors.set(lines)

    def apply(self) -> bool:
        """Restart both sides from the settings; on bad settings show why and keep the runs.

        Returns
        -------
        bool
            Whether the settings were valid (and the runs restart).
        """
        try:
            replicates = check_replicates(self.replicates.value)
            baseline, intervention, changes = build_scenarios(
                self.base.value, self.world.value, self.whatif.value
            )
        except ScenarioError as exc:
            self._show_errors(list(exc.messages))
            return False
        self._show_errors()
        self.changes.set(changes)
        self.scenarios.set({"baseline": baseline, "intervention": intervention})
        self._ask(baseline, intervention, replicates)
        return True

    def _ask(self, baseline: Scenario, intervention: Scenario,
             replicates: int | None = None) -> None:
        """Ask for new runs (built by the worker, or by :meth:`wait`)."""
        asked = self.replicates.value if replicates is None else replicates
        used = replicates_for(baseline.population.humans, asked)
        note = replicates_note(baseline.population.humans, asked)
        self.notes.set([n for n in self.notes.value if "replicate" not in n]
                       + ([note] if note else []))
        with self._cond:
            self._wanted += 1
            self._request = (baseline, intervention, used)
            self._steps = 0
            self._cond.notify_all()
        self.starting.set(True)

    # -- running ------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance every run one month (after any restart asked for)."""
        with self._cond:
            self._steps += 1
            self._cond.notify_all()

    def reset(self) -> None:
        """Start both sides again from month 0 with the current settings."""
        scenarios = self.scenarios.value
        self._ask(scenarios["baseline"], scenarios["intervention"])

    def play(self) -> None:
        """Step repeatedly until paused or finished; from month 0 if the runs had finished."""
        snapshot = self.snapshot.value
        if snapshot is not None and snapshot.finished and not self.starting.value:
            self.reset()
        with self._cond:
            self._play = True
            self._cond.notify_all()
        self.playing.set(True)

    def pause(self) -> None:
        """Stop before the next step (a step already under way still shows)."""
        with self._cond:
            self._play = False
            self._steps = 0
            self._cond.notify_all()
        self.playing.set(False)

    def start_worker(self) -> None:
        """Run the requests in a background thread from now on (the page calls this)."""
        with self._cond:
            if self._worker is not None or self._closed:
                return
            self._worker = threading.Thread(target=self._work, daemon=True,
                                            name="ecosystem-dashboard-runs")
            self._worker.start()

    def close(self) -> None:
        """Stop the worker (the page is gone)."""
        with self._cond:
            self._closed = True
            self._play = False
            self._cond.notify_all()
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout=10)

    def _next_job(self, block: bool) -> str | None:
        """The worker's next job: "build", "step", "finished" or None (nothing, or closed)."""
        with self._cond:
            while True:
                if self._closed:
                    return None
                if self._wanted != self._built:
                    return "build"
                if self.runs is not None and not self.runs.finished and (
                        self._play or self._steps):
                    if not self._play:
                        self._steps -= 1
                    return "step"
                if self._play and self.runs is not None and self.runs.finished:
                    self._play = False
                    return "finished"
                if not block:
                    return None
                self._cond.wait(timeout=1.0)

    def _work(self) -> None:
        while self._do_one(block=True):
            pass

    def wait(self, timeout: float = 120.0) -> None:
        """Do what was asked in this thread, until only playing is left (tests, no worker).

        Raises
        ------
        TimeoutError
            If the work takes longer than ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        if self._worker is not None:
            while True:
                with self._cond:
                    idle = self._wanted == self._built and not self._steps and not self._play
                if idle:
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError("the dashboard's runs did not finish in time")
                time.sleep(0.02)
        while self._do_one(block=False):
            if time.monotonic() > deadline:
                raise TimeoutError("the dashboard's runs did not finish in time")

    def _do_one(self, block: bool) -> bool:
        job = self._next_job(block)
        if job is None:
            return False
        try:
            if job == "build":
                self._build()
            elif job == "finished":
                self.playing.set(False)
            else:
                self._advance()
        except Exception as exc:  # keep the server up and say what went wrong
            traceback.print_exc()
            with self._cond:
                self._play = False
                self._steps = 0
                self._built = self._wanted
            self.playing.set(False)
            self.starting.set(False)
            self.errors.set([f"The simulation stopped with an error: {exc}"])
        return True

    def _build(self) -> None:
        with self._cond:
            version, (baseline, intervention, replicates) = self._wanted, self._request
        try:
            runs = RunSet(baseline, intervention, replicates,
                          cancelled=lambda: self._wanted != version or self._closed)
        except Cancelled:
            return
        snapshot = runs.snapshot()
        with self._cond:
            if self._wanted != version:
                return  # newer settings arrived while building: build those instead
            self.runs, self._built = runs, version
        self.snapshot.set(snapshot)
        self.starting.set(False)

    def settling(self) -> bool:
        """Whether a browser is still drawing the charts of new runs (see LiveChart.settling)."""
        return any(chart.settling() for chart in list(self.charts.values()))

    def _advance(self) -> None:
        # The months go on at the simulation's pace (at most one a FRAME_SECONDS); each chart
        # draws the latest month its browser can keep up with (viz.plots.LiveChart). Only new
        # runs wait (at most BROWSER_WAIT) until their charts are drawn, so playing shows them
        # from their first months.
        deadline = time.monotonic() + BROWSER_WAIT
        while self._play and self.settling() and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        runs = self.runs
        snapshot = runs.advance()
        with self._cond:
            current = self.runs is runs and self._wanted == self._built
        if current:
            self.snapshot.set(snapshot)
        if self._play:
            time.sleep(max(0.0, FRAME_SECONDS - (time.monotonic() - started)))

    # -- views and export ---------------------------------------------------------------------
    def change_lines(self) -> list[str]:
        """The what-if changes in plain language."""
        return describe_changes(self.changes.value, self.scenarios.value["baseline"])

    def scenario_toml(self) -> str:
        """The current settings as a scenario file (the intervention side's scenario)."""
        scenarios = self.scenarios.value
        return whatif_scenario(scenarios["intervention"], scenarios["baseline"],
                               self.changes.value).to_toml()

    def scenario_filename(self) -> str:
        """File name for :meth:`scenario_toml`."""
        name = self.scenarios.value["baseline"].scenario.name
        return f"{name}-whatif.toml" if self.changes.value else f"{name}.toml"

    def export(self, fmt: str) -> bytes:
        """Every replicate's tables, the bands and the effects: a zip of csv or parquet."""
        if self.runs is None:
            raise RuntimeError("the runs are still being built")
        return self.runs.export(fmt)

    def effects_csv(self) -> bytes:
        """The effect panel at the current month as CSV."""
        snapshot = self.snapshot.value
        if snapshot is None:
            return b""
        return snapshot.effects_table().write_csv().encode("utf-8")
