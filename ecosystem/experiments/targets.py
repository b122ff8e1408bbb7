"""Targets files: the observed figures a calibration fits, checked against their scenario.

A targets file (TOML) names the scenario, the scenario keys to fit with their priors
(``[parameters]``), the observed figures (``[[targets]]``: a model output at one step with its
standard error) and the size and seed of the calibration (``[calibration]``). Everything is
checked before anything runs; every problem is reported with the key that causes it. See
:mod:`ecosystem.experiments.calibrate` for the calibration itself.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ecosystem.scenario import SECTIONS, Scenario, ScenarioError, Sweep, flat_keys, load_scenario

__all__ = [
    "WORD_COLUMNS",
    "Calibration",
    "CalibrationSettings",
    "Prior",
    "Target",
    "TargetsError",
    "horizon",
    "load_targets",
    "target_series",
]

WORD_COLUMNS = ("rate_ai", "rate_users", "rate_nonusers")
"""Per-word columns of ``words.parquet`` a target can name (with ``word``)."""


class TargetsError(ScenarioError):
    """A targets file that cannot be used; ``messages`` holds one line per problem."""


# -- the targets file ---------------------------------------------------------------------------
class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Prior(_Table):
    """The prior of one fitted key: ``uniform`` on [low, high], or ``loguniform`` (low > 0)."""

    prior: Literal["uniform", "loguniform"] = "uniform"
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Prior:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"needs finite low and high, got low = {self.low}, "
                             f"high = {self.high}")
        if not self.low < self.high:
            raise ValueError(f"needs low < high, got low = {self.low}, high = {self.high}")
        if self.prior == "loguniform" and self.low <= 0:
            raise ValueError(f'prior "loguniform" needs low > 0, got low = {self.low}')
        return self

    def median(self) -> float:
        """The prior's median."""
        if self.prior == "loguniform":
            return math.sqrt(self.low * self.high)
        return 0.5 * (self.low + self.high)

    def quantile(self, q: float) -> float:
        """The prior's ``q`` quantile."""
        if self.prior == "loguniform":
            return math.exp(math.log(self.low) + q * (math.log(self.high) - math.log(self.low)))
        return self.low + q * (self.high - self.low)


class Target(_Table):
    """One observed figure: a model output at one step, with its standard error."""

    column: str = Field(min_length=1)
    word: str = ""
    step: int = Field(ge=0)
    relative_to_step: int | None = Field(None, ge=0)
    divided_by: str = ""
    value: float
    sd: float = Field(gt=0.0)
    label: str = ""
    source: str = ""

    def describe(self) -> str:
        """A short name, e.g. ``rate_users[delve] @18 / @0``."""
        name = self.column + (f"[{self.word}]" if self.word else "")
        text = f"{name} @{self.step}"
        if self.relative_to_step is not None:
            text += f" / @{self.relative_to_step}"
        if self.divided_by:
            text += f" / {self.divided_by}" + (f"[{self.word}]" if self.word and
                                                self.divided_by in WORD_COLUMNS else "")
        return text


class CalibrationSettings(_Table):
    """``[calibration]``: the size and seed of the ABC-SMC run."""

    populations: int = Field(8, ge=1, le=1000, description="ABC-SMC populations (generations)")
    particles: int = Field(100, ge=2, le=1_000_000, description="accepted particles each")
    seeds_per_particle: int = Field(
        1, ge=1, le=1000, description="replicate runs per particle; targets are their mean")
    seed: int = Field(0, ge=0, description="root seed of proposals and model seeds")
    quantile: float = Field(
        0.5, gt=0.0, lt=1.0, description="each threshold is this quantile of the last distances")
    min_acceptance_rate: float = Field(
        0.0, ge=0.0, lt=1.0, description="stop when a population's acceptance falls below")
    predictive_draws: int = Field(
        40, ge=0, le=100_000, description="posterior-predictive runs for the report")


class TargetsFile(_Table):
    """A whole targets file."""

    scenario: str = ""
    description: str = ""
    parameters: dict[str, Prior] = Field(min_length=1)
    targets: list[Target] = Field(min_length=1)
    calibration: CalibrationSettings = CalibrationSettings()


_TABLES = {"": TargetsFile, "parameters": Prior, "targets": Target,
           "calibration": CalibrationSettings}


def _format_targets_error(err: Mapping[str, Any]) -> str:
    loc = list(err["loc"])
    parts: list[str] = []
    table = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            parts[-1] += f"[{part}]"
        elif i == 1 and loc[0] == "parameters":
            parts.append(f'"{part}"')
        else:
            parts.append(str(part))
            if i == 0:
                table = str(part)
    where = ".".join(parts) or "targets file"
    kind = err["type"]
    if kind == "extra_forbidden":
        owner = "" if len(loc) == 1 else table
        model = _TABLES.get(owner, TargetsFile)
        allowed = ", ".join(model.model_fields)
        inside = "the top level" if not owner else (
            "[[targets]]" if owner == "targets" else
            "a parameter's prior" if owner == "parameters" else f"[{owner}]")
        return f"{where}: unknown key; keys of {inside} are: {allowed}"
    message = err["msg"].removeprefix("Value error, ")
    value = err.get("input")
    shown = "" if isinstance(value, dict | list) or kind == "missing" else f" (got {value!r})"
    return f"{where}: {message}{shown}"


def _read_targets(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TargetsError(f"{path}: no such targets file") from None
    except IsADirectoryError:
        raise TargetsError(f"{path}: is a folder, not a targets file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetsError(f"{path}: cannot be read ({exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TargetsError(f"{path}: not valid TOML: {exc}") from None


@dataclass(frozen=True)
class Calibration:
    """A checked calibration problem: the scenario, the priors, the targets, the settings.

    Attributes
    ----------
    scenario : Scenario
        The scenario every simulation starts from.
    parameters : dict of str to Prior
        Fitted dotted keys, in file order.
    targets : list of Target
    settings : CalibrationSettings
    kinds : dict of str to str
        ``"int"`` or ``"float"`` per key: integer keys take the rounded value.
    source : dict
        The targets file as read (for the folder's copy).
    """

    scenario: Scenario
    parameters: dict[str, Prior]
    targets: list[Target]
    settings: CalibrationSettings
    kinds: dict[str, str]
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """The fitted dotted keys, in file order."""
        return list(self.parameters)

    def scenario_values(self, values: Mapping[str, float]) -> dict[str, Any]:
        """Scenario overrides for parameter ``values`` (integer keys rounded)."""
        return {key: (round(float(values[key])) if self.kinds[key] == "int"
                      else float(values[key])) for key in self.keys}

    def with_settings(self, **changes: Any) -> Calibration:
        """A copy with some ``[calibration]`` settings replaced (checked again)."""
        try:
            settings = CalibrationSettings.model_validate({**self.settings.model_dump(),
                                                           **changes})
        except ValidationError as exc:
            raise TargetsError([f"calibration.{_format_targets_error(e)}"
                                for e in exc.errors()]) from None
        return Calibration(self.scenario, self.parameters, self.targets, settings, self.kinds,
                           self.source)


def _words_supported() -> bool:
    return "words" in SECTIONS["gpt_words"].model_fields


def _vocabulary(scenario: Scenario) -> list[str]:
    words = getattr(scenario.gpt_words, "words", None)
    return [str(w) for w in words] if words else []


def _timeseries_columns() -> list[str]:
    from ecosystem.model import TIMESERIES_SCHEMA

    return [c for c in TIMESERIES_SCHEMA if c != "step"]


WORD_PREFERENCE = "gpt_words.ai_preference"
"""A parameter ``gpt_words.ai_preference.WORD`` is one word's AI preference ratio."""


def _check_bounds(scenario: Scenario, key: str, prior: Prior, kind: str, where: str,
                  problems: list[str]) -> None:
    """A prior's bounds must be values the scenario accepts for its key."""
    for bound in ("low", "high"):
        value = getattr(prior, bound)
        value = round(value) if kind == "int" else value
        try:
            scenario.with_overrides({key: value})
        except ScenarioError as exc:
            problems.append(f"{where}.{bound} = {getattr(prior, bound)} is not a valid "
                            f"value of the key: {exc.messages[0]}")


def _check_problem(scenario: Scenario, parsed: TargetsFile) -> tuple[list[str], dict[str, str]]:
    """Problems the targets file's types alone cannot catch, against its scenario."""
    problems: list[str] = []
    kinds: dict[str, str] = {}
    known = set(flat_keys())
    words = _vocabulary(scenario)
    for key, prior in parsed.parameters.items():
        where = f'parameters."{key}"'
        section = key.split(".", 1)[0]
        table, _, word = key.rpartition(".")
        if table == WORD_PREFERENCE and key not in known:  # one word's AI preference ratio
            if word not in words:
                problems.append(f"{where}: {word!r} is not in the scenario's vocabulary "
                                f"(gpt_words.words): {', '.join(words)}")
                continue
            kinds[key] = "float"
            _check_bounds(scenario, key, prior, "float", where, problems)
            continue
        if key not in known:
            if section in SECTIONS:
                allowed = ", ".join(SECTIONS[section].model_fields)
                problems.append(f"{where}: not a scenario key; keys of [{section}] are: "
                                f"{allowed}")
            else:
                problems.append(f"{where}: not a scenario key; write section.key, e.g. "
                                f"gpt_words.adoption (sections: "
                                f"{', '.join(s for s in SECTIONS if s != 'sweep')})")
            continue
        if section in ("sweep", "scenario"):
            problems.append(f"{where}: cannot be calibrated (it is not a model parameter)")
            continue
        kind = Sweep.range_kind(key)
        if kind is None:
            problems.append(f"{where}: not a numeric key; only numbers can be calibrated")
            continue
        kinds[key] = kind
        _check_bounds(scenario, key, prior, kind, where, problems)
    columns = _timeseries_columns()
    steps = scenario.scenario.steps
    for i, target in enumerate(parsed.targets):
        where = f"targets[{i}]"
        for name in ("column", "divided_by"):
            column = getattr(target, name)
            if name == "divided_by" and not column:
                continue
            if column in WORD_COLUMNS:
                if not _words_supported():
                    problems.append(f"{where}.{name} = {column!r}: per-word rates need the "
                                    "model's marker-word vocabulary ([gpt_words] words), which "
                                    "this version does not have; use a timeseries column: "
                                    f"{', '.join(columns)}")
                elif not target.word:
                    problems.append(f"{where}.word: {name} = {column!r} is a per-word rate; "
                                    f"name the word, e.g. word = \"delve\"")
            elif column not in columns:
                allowed = ", ".join(columns + [f"{c} (with word)" for c in WORD_COLUMNS])
                problems.append(f"{where}.{name} = {column!r}: unknown column; columns are: "
                                f"{allowed}")
        if target.word:
            uses_words = target.column in WORD_COLUMNS or target.divided_by in WORD_COLUMNS
            if not uses_words:
                problems.append(f"{where}.word = {target.word!r}: a word needs column "
                                f"rate_ai, rate_users or rate_nonusers, not {target.column!r}")
            elif _words_supported() and target.word not in words:
                problems.append(f"{where}.word = {target.word!r}: not in the scenario's "
                                f"vocabulary (gpt_words.words): {', '.join(words)}")
        for name in ("step", "relative_to_step"):
            step = getattr(target, name)
            if step is not None and step > steps:
                problems.append(f"{where}.{name} = {step}: past the scenario's end (it has "
                                f"steps 0 to {steps}; scenario.steps = {steps})")
    return problems, kinds


def load_targets(
    path: str | os.PathLike | Mapping[str, Any],
    scenario: str | os.PathLike | Scenario | None = None,
    *,
    folder: str | os.PathLike | None = None,
) -> Calibration:
    """Read and check a targets file against its scenario; nothing is run or written.

    Parameters
    ----------
    path : path or mapping
        The targets file (TOML), or its content as nested dicts.
    scenario : path or Scenario, optional
        The scenario to calibrate; by default the file's ``scenario``, relative to the file.
    folder : path, optional
        Where a mapping's relative ``scenario`` is found (default: the working folder).

    Returns
    -------
    Calibration

    Raises
    ------
    TargetsError
        One message per problem, each naming the key: an unknown key or column, a prior with
        low ≥ high or outside the key's range, a step past the scenario's end, ...
    ScenarioError
        If the scenario itself cannot be loaded.
    """
    if isinstance(path, Mapping):
        data, base = dict(path), Path(folder or ".")
    else:
        data, base = _read_targets(Path(path)), Path(path).parent
    try:
        parsed = TargetsFile.model_validate(data)
    except ValidationError as exc:
        raise TargetsError([_format_targets_error(e) for e in exc.errors()]) from None
    if scenario is None:
        if not parsed.scenario:
            raise TargetsError("scenario: the targets file names no scenario; write scenario = "
                               '"baseline.toml" (relative to the targets file) or give '
                               "--scenario FILE")
        scenario = base / parsed.scenario
    try:
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    except ScenarioError as exc:
        raise ScenarioError([f"scenario: {m}" for m in exc.messages]) from None
    problems, kinds = _check_problem(sc, parsed)
    if problems:
        raise TargetsError(problems)
    return Calibration(scenario=sc, parameters=dict(parsed.parameters),
                       targets=list(parsed.targets), settings=parsed.calibration, kinds=kinds,
                       source=data)


# -- one simulation -----------------------------------------------------------------------------
def target_series(run: Any, target: Target) -> np.ndarray:
    """The target's quantity at every step of a run (NaN where it is undefined).

    ``column`` (a timeseries column, or a per-word rate of ``word`` read from ``run.words``),
    divided by its value at ``relative_to_step`` and/or by ``divided_by`` at the same step.
    """

    def column(name: str) -> np.ndarray:
        if name in WORD_COLUMNS:
            words = getattr(run, "words", None)
            if words is None:
                raise ValueError(f"target {target.describe()}: the run has no per-word table")
            rows = words.filter(pl.col("word") == target.word).sort("step")
            values = np.full(run.timeseries.height, np.nan)
            values[rows["step"].to_numpy()] = rows[name].cast(pl.Float64).fill_null(
                np.nan).to_numpy()
            return values
        return run.timeseries[name].cast(pl.Float64).fill_null(np.nan).to_numpy()

    with np.errstate(divide="ignore", invalid="ignore"):
        series = column(target.column)
        if target.relative_to_step is not None:
            series = series / series[target.relative_to_step]
        if target.divided_by:
            series = series / column(target.divided_by)
    series = np.array(series, dtype=np.float64)
    series[~np.isfinite(series)] = np.nan
    return series


def horizon(targets: Sequence[Target]) -> int:
    """The last step any target reads: simulations stop there (later steps cannot change it)."""
    return max(max(t.step, t.relative_to_step or 0) for t in targets)
