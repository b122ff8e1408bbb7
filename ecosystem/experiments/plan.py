"""The plan of a sweep: which runs a ``[sweep]`` table makes, with which values and seeds.

Runs are every cell of the full-factorial ``grid``, times every point of a SALib sampling design
over ``ranges`` (``latin``, ``sobol`` with Saltelli's scheme, ``morris``), times ``replicates``.
One root :class:`numpy.random.SeedSequence` per sweep, from ``[scenario] seed``, spawns one child
per run, whose integer seed is recorded; a further child seeds SALib's sampler.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl

from ecosystem.scenario import Scenario, ScenarioError, Sweep, load_scenario

__all__ = ["MORRIS_LEVELS", "Plan", "plan_sweep", "salib_problem"]

MORRIS_LEVELS = 4
"""Grid levels of a Morris design (SALib's default)."""


def _design_size(design: str, samples: int, dims: int) -> int:
    """Points a SALib design of ``samples`` base samples over ``dims`` ranges draws."""
    if design == "grid":
        return 1
    if design == "latin":
        return samples
    if design == "morris":
        return samples * (dims + 1)
    return samples * (dims + 2)  # Saltelli's scheme without second-order indices


def salib_problem(sweep_table: Sweep) -> dict[str, Any]:
    """The SALib problem (names and bounds) of a sweep's ranges."""
    names = list(sweep_table.ranges)
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [list(sweep_table.ranges[name]) for name in names],
    }


def _sample_design(sweep_table: Sweep, seed: int) -> np.ndarray:
    """Draw the design points with SALib's sampler for the sweep's design."""
    problem = salib_problem(sweep_table)
    if sweep_table.design == "latin":
        from SALib.sample import latin

        return latin.sample(problem, sweep_table.samples, seed=seed)
    if sweep_table.design == "morris":
        from SALib.sample import morris

        return morris.sample(problem, sweep_table.samples, num_levels=MORRIS_LEVELS, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(problem, sweep_table.samples, calc_second_order=False, seed=seed)


def _integer_seed(sequence: np.random.SeedSequence) -> int:
    # 63 bits: distinct for any realistic number of runs, and fits a signed Int64 column.
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def _column_dtype(values: Sequence[Any]) -> pl.DataType:
    """One polars type for a grid key's values; mixed or nested values become text."""
    if all(isinstance(v, bool) for v in values):
        return pl.Boolean()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pl.Int64()
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pl.Float64()
    return pl.String()


def _cell_value(value: Any, dtype: pl.DataType) -> Any:
    """A grid value as it appears in its column (text for mixed or nested values)."""
    if dtype == pl.String():
        return value if isinstance(value, str) else json.dumps(value)
    if dtype == pl.Float64():
        return float(value)
    return value


@dataclass(frozen=True)
class Plan:
    """Every run of a sweep: its swept values and its seed.

    Runs are numbered cell by cell, then design point by design point, then replicate by
    replicate: ``run = (cell * n_points + point) * replicates + replicate``.

    Attributes
    ----------
    scenario : Scenario
        The resolved scenario the sweep started from, ``[sweep]`` table included.
    grid_keys, range_keys : tuple of str
        The dotted keys swept by the grid and by the sampling design.
    cells : tuple of dict
        Every grid cell (grid key → value); one empty cell without a grid.
    points : numpy.ndarray
        The design points as SALib drew them, shape ``(n_points, len(range_keys))``; one
        empty point for a grid design. Integer keys are rounded when applied, not here.
    seeds : tuple of int
        The integer seed of every run.
    design_seed : int or None
        The seed SALib drew the design points with.
    """

    scenario: Scenario
    grid_keys: tuple[str, ...]
    range_keys: tuple[str, ...]
    cells: tuple[dict[str, Any], ...]
    points: np.ndarray
    seeds: tuple[int, ...]
    design_seed: int | None = None
    _dtypes: dict[str, pl.DataType] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        dtypes = {key: _column_dtype([cell[key] for cell in self.cells])
                  for key in self.grid_keys}
        for key in self.range_keys:
            dtypes[key] = pl.Int64() if Sweep.range_kind(key) == "int" else pl.Float64()
        self._dtypes.update(dtypes)

    @property
    def design(self) -> str:
        """The sweep's design: "grid", "latin", "sobol" or "morris"."""
        return self.scenario.sweep.design

    @property
    def replicates(self) -> int:
        """Runs of every cell and design point."""
        return self.scenario.sweep.replicates

    @property
    def n_points(self) -> int:
        """Design points per grid cell (1 for a grid design)."""
        return self.points.shape[0]

    @property
    def n_runs(self) -> int:
        """Runs in the sweep."""
        return len(self.seeds)

    @property
    def swept_keys(self) -> tuple[str, ...]:
        """The swept dotted keys, in the order of the result columns."""
        return self.grid_keys + self.range_keys

    @property
    def key_dtypes(self) -> dict[str, pl.DataType]:
        """The polars type of every swept key's column."""
        return dict(self._dtypes)

    def locate(self, run: int) -> tuple[int, int, int]:
        """``(cell, point, replicate)`` of a run."""
        rest, replicate = divmod(run, self.replicates)
        cell, point = divmod(rest, self.n_points)
        return cell, point, replicate

    def overrides(self, run: int) -> dict[str, Any]:
        """The swept values a run applies to the scenario (integer keys rounded)."""
        cell, point, _ = self.locate(run)
        values = dict(self.cells[cell])
        for j, key in enumerate(self.range_keys):
            value = float(self.points[point, j])
            values[key] = round(value) if Sweep.range_kind(key) == "int" else value
        return values

    def columns(self, run: int) -> dict[str, Any]:
        """The identifying columns of a run's rows: run, replicate, seed, swept keys."""
        values = self.overrides(run)
        return {
            "run": run,
            "replicate": self.locate(run)[2],
            "seed": self.seeds[run],
            **{key: _cell_value(values[key], self._dtypes[key]) for key in self.swept_keys},
        }

    @cached_property
    def _base(self) -> dict[str, Any]:
        base = self.scenario.to_dict()
        base.pop("sweep", None)
        return base

    def run_scenario(self, run: int) -> dict[str, Any]:
        """A run's scenario as plain data: the swept values applied, no ``[sweep]`` table."""
        return load_scenario(self._base, overrides=self.overrides(run)).to_dict()

    def schema(self) -> dict[str, pl.DataType]:
        """Columns of ``results.parquet``."""
        from ecosystem.model import TIMESERIES_SCHEMA

        return {"run": pl.Int64(), "replicate": pl.Int64(), "seed": pl.Int64(),
                **self._dtypes, **TIMESERIES_SCHEMA}

    # -- plan.json ------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The plan as plain data for ``plan.json`` (exact: floats round-trip through JSON)."""
        return {
            "design": self.design,
            "replicates": self.replicates,
            "grid_keys": list(self.grid_keys),
            "range_keys": list(self.range_keys),
            "cells": [dict(cell) for cell in self.cells],
            "points": self.points.tolist(),
            "design_seed": self.design_seed,
            "morris_levels": MORRIS_LEVELS if self.design == "morris" else None,
            "seeds": list(self.seeds),
        }

    @classmethod
    def from_json(cls, scenario: Scenario, data: Mapping[str, Any]) -> Plan:
        """Rebuild a plan from ``plan.json`` and the sweep's scenario."""
        range_keys = tuple(data["range_keys"])
        points = np.asarray(data["points"], dtype=np.float64).reshape(
            len(data["points"]), len(range_keys))
        return cls(
            scenario=scenario,
            grid_keys=tuple(data["grid_keys"]),
            range_keys=range_keys,
            cells=tuple(dict(cell) for cell in data["cells"]),
            points=points,
            seeds=tuple(int(seed) for seed in data["seeds"]),
            design_seed=data.get("design_seed"),
        )


def plan_sweep(scenario: Scenario) -> Plan:
    """Expand a scenario's ``[sweep]`` table into runs, and check every run's scenario.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario with a ``[sweep]`` table (defaults: one run).

    Returns
    -------
    Plan

    Raises
    ------
    ScenarioError
        If a grid cell or design point gives an invalid scenario (e.g. a value out of range);
        the message names the cell and the key.
    """
    table = scenario.sweep
    grid_keys = tuple(table.grid)
    range_keys = tuple(table.ranges)
    cells = tuple(dict(zip(grid_keys, combo, strict=True))
                  for combo in itertools.product(*table.grid.values()))
    n_points = _design_size(table.design, table.samples, len(range_keys))
    n_runs = len(cells) * n_points * table.replicates

    root = np.random.SeedSequence(scenario.scenario.seed)
    seeds = tuple(_integer_seed(child) for child in root.spawn(n_runs))
    design_seed = None
    if table.design == "grid":
        points = np.zeros((1, 0))
    else:
        design_seed = _integer_seed(root.spawn(1)[0])
        points = np.asarray(_sample_design(table, design_seed), dtype=np.float64)
        if points.shape != (n_points, len(range_keys)):
            raise RuntimeError(f"SALib drew {points.shape} design points, expected "
                               f"{(n_points, len(range_keys))}")
    plan = Plan(scenario, grid_keys, range_keys, cells, points, seeds, design_seed)
    _check_runs(plan)
    _check_edge_lists(plan)
    return plan


def _check_edge_lists(plan: Plan) -> None:
    """Read every distinct edge list the runs use, so a bad one stops the sweep before it starts."""
    from ecosystem.social import read_edgelist

    keys = ("network.kind", "network.path", "population.humans")
    if not set(keys) & set(plan.swept_keys):
        runs = [0]  # every run uses the scenario's own network
    else:
        runs = [(cell * plan.n_points + point) * plan.replicates
                for cell in range(len(plan.cells)) for point in range(plan.n_points)]
    seen = set()
    for run in runs:
        sc = load_scenario(plan.run_scenario(run)) if run or plan.swept_keys else plan.scenario
        combination = (sc.network.kind, sc.network.path, sc.population.humans)
        if combination in seen or sc.network.kind != "edgelist" or sc.population.humans == 0:
            continue
        seen.add(combination)
        read_edgelist(sc.network.path, sc.population.humans)


def _check_runs(plan: Plan) -> None:
    """Validate the scenario of every distinct run before anything is written."""
    problems: list[str] = []
    for cell in range(len(plan.cells)):
        for point in range(plan.n_points):
            run = (cell * plan.n_points + point) * plan.replicates
            try:
                plan.run_scenario(run)
            except ScenarioError as exc:
                where = ", ".join(f"{k}={v!r}" for k, v in plan.overrides(run).items())
                problems.extend(f"sweep run with {where}: {m}" for m in exc.messages)
            if len(problems) >= 10:
                raise ScenarioError([*problems, "(further runs not checked)"])
    if problems:
        raise ScenarioError(problems)
