"""One run: simulate a scenario in memory, and save it as a run folder.

A run folder holds ``scenario.toml`` (fully resolved), ``manifest.json`` (version, seed, git
commit, start, end, wall seconds, platform) and ``timeseries.parquet``, ``generations.parquet``,
``humans.parquet``, ``words.parquet``. It is written to a temporary sibling and renamed into
place, so a folder that exists is complete.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from tqdm.auto import tqdm

from ecosystem.folders import check_output_folder, staged_folder, utc_now
from ecosystem.model import WORDS_SCHEMA, EcosystemModel
from ecosystem.scenario import Scenario, load_scenario

__all__ = ["Run", "is_run_folder", "manifest_base", "simulate"]


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def manifest_base() -> dict[str, Any]:
    """Version, git commit and platform facts shared by run and sweep manifests.

    ``wordfreq_version`` is there because the marker words' human base rates are read from the
    installed ``wordfreq`` package.
    """
    from importlib.metadata import PackageNotFoundError, version

    from ecosystem import __version__

    try:
        wordfreq_version = version("wordfreq")
    except PackageNotFoundError:  # pragma: no cover - a dependency
        wordfreq_version = None
    return {
        "ecosystem_version": __version__,
        "wordfreq_version": wordfreq_version,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }


@dataclass
class Run:
    """The result of one simulated run, held in memory.

    Attributes
    ----------
    scenario : Scenario
        The fully resolved scenario.
    seed : int
        The root seed used.
    timeseries, generations, humans, words : polars.DataFrame
        The tables described in DESIGN.md §4 (``words``: one row per step and marker word).
    started, finished : str
        ISO 8601 times.
    wall_seconds : float
    """

    scenario: Scenario
    seed: int
    timeseries: pl.DataFrame
    generations: pl.DataFrame
    humans: pl.DataFrame
    started: str = ""
    finished: str = ""
    wall_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    words: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=WORDS_SCHEMA))

    def manifest(self) -> dict[str, Any]:
        """The run's ``manifest.json`` content."""
        return {
            **manifest_base(),
            "scenario": self.scenario.scenario.name,
            "seed": self.seed,
            "steps": int(self.timeseries.height - 1),
            "started": self.started,
            "finished": self.finished,
            "wall_seconds": round(self.wall_seconds, 3),
            **self.extra,
        }

    def save(self, folder: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the run folder.

        Parameters
        ----------
        folder : path
            The folder to write: missing or empty, or (with ``overwrite``) an earlier run
            folder. A symbolic link is followed.
        overwrite : bool
            Replace the files an earlier run wrote there (recorded in its ``manifest.json``);
            files anyone else put there are kept.

        Returns
        -------
        pathlib.Path
            The folder written.

        Raises
        ------
        ecosystem.folders.OutputFolderError
            If ``folder`` is not empty and may not be overwritten (nothing is removed or
            written).
        ecosystem.folders.OutputWriteError
            If the disk refuses the write (nothing is left behind).
        """
        target = check_output_folder(folder, is_run_folder, "run folder", overwrite=overwrite)
        with staged_folder(target, overwrite=overwrite) as staging:
            (staging / "scenario.toml").write_text(self.scenario.to_toml(), encoding="utf-8")
            (staging / "manifest.json").write_text(
                json.dumps(self.manifest(), indent=2) + "\n", encoding="utf-8"
            )
            self.timeseries.write_parquet(staging / "timeseries.parquet")
            self.generations.write_parquet(staging / "generations.parquet")
            self.humans.write_parquet(staging / "humans.parquet")
            self.words.write_parquet(staging / "words.parquet")
        return target


def is_run_folder(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a saved run."""
    folder = Path(folder)
    return (folder / "manifest.json").is_file() and (folder / "timeseries.parquet").is_file()


def simulate(
    scenario: Scenario | str | os.PathLike | dict,
    seed: int | None = None,
    *,
    steps: int | None = None,
    progress: bool | None = False,
) -> Run:
    """Run a scenario in memory; nothing is written.

    Parameters
    ----------
    scenario : Scenario, path or dict
        The scenario (loaded with :func:`ecosystem.load_scenario` if not a Scenario).
    seed : int, optional
        Root seed; None uses the scenario's ``[scenario] seed``.
    steps : int, optional
        Periods to simulate after step 0; None uses the scenario's ``[scenario] steps``.
    progress : bool or None
        Show a progress bar (None: only on a terminal).

    Returns
    -------
    Run
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if steps is not None:
        sc = sc.with_overrides({"scenario.steps": int(steps)})
    if seed is not None and seed != sc.scenario.seed:
        # the saved scenario.toml must reproduce this run on its own
        sc = sc.with_overrides({"scenario.seed": int(seed)})
    started, clock = utc_now(), time.perf_counter()
    model = EcosystemModel(sc, seed=seed)
    disable = None if progress is None else not progress
    # the bar appears only for runs that last more than a moment
    for _ in tqdm(range(sc.scenario.steps), desc=sc.scenario.name, unit="step",
                  disable=disable, leave=False, delay=0.5):
        model.step()
    return Run(
        scenario=sc,
        seed=model.seed,
        timeseries=model.timeseries(),
        generations=model.generations(),
        humans=model.humans(),
        words=model.words(),
        started=started,
        finished=utc_now(),
        wall_seconds=time.perf_counter() - clock,
    )
