"""The machinery every validation check shares: rows, budgets, replicate runs, tolerances.

A *check* runs small scenarios through the real model (:class:`~ecosystem.model.EcosystemModel`)
over fixed seeds and returns one or more *rows*: a claim from the literature, the theory's
figure, the simulated figure (mean ± standard error over independent replicates), the
tolerance derived from that standard error, and whether the simulation agrees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecosystem.model import EcosystemModel
from ecosystem.scenario import Scenario, load_scenario

Z = 4.0
"""Tolerance in standard errors. For a normal mean, a false failure has probability ~6e-5."""


@dataclass(frozen=True)
class Budget:
    """How much work a validation run may do: ``quick`` (about a minute) or full.

    Parameters
    ----------
    quick : bool
        Fewer replicates, for continuous integration.
    """

    quick: bool = False

    def pick(self, quick: int, full: int) -> int:
        """Return ``quick`` or ``full`` (replicates, chains, ...) for this budget."""
        return quick if self.quick else full


@dataclass
class Row:
    """One line of the validation table.

    Attributes
    ----------
    key : str
        Short identifier, also the name of the row's figure.
    claim : str
        What the literature says, in a few words.
    source : str
        Short citation shown in the table; ``reference`` holds the full one.
    reference : str
        Full citation for the report.
    theory : float
        The theory's figure.
    simulated : float
        Mean over replicates.
    se : float
        Standard error of ``simulated`` (of the compared difference where the check is paired).
    tolerance : float
        Largest deviation that passes, derived from ``se`` (plus any stated, computed
        approximation bound).
    passed : bool
    relation : {"=", ">"}
        How simulated and theory are compared: equal within the tolerance, or above by more
        than the tolerance.
    replicates : str
        What the spread is over, e.g. ``"400 runs"``.
    setting : str
        The scenario, as the dotted keys it sets.
    method : str
        What is measured and how the tolerance is made, for the report.
    plot : callable
        Draws the row's figure on a matplotlib ``Axes``.
    theory_text, simulated_text : str, optional
        Replace the default number formatting in the table.
    seconds : float
        Wall time of the check that produced the row (shared by its rows).
    """

    key: str
    claim: str
    source: str
    reference: str
    theory: float
    simulated: float
    se: float
    tolerance: float
    passed: bool
    relation: str
    replicates: str
    setting: str
    method: str
    plot: Callable[[Any], None] = field(repr=False)
    theory_text: str = ""
    simulated_text: str = ""
    seconds: float = 0.0

    def theory_label(self) -> str:
        """The theory's figure as printed in the table."""
        prefix = {"=": "", ">": "> "}[self.relation]
        return self.theory_text or f"{prefix}{self.theory:.4g}"

    def simulated_label(self) -> str:
        """The simulated figure as printed in the table: mean ± SE."""
        return self.simulated_text or f"{self.simulated:.4g} ± {self.se:.2g}"

    def tolerance_label(self) -> str:
        """The tolerance as printed in the table.

        A claim that must hold in every run, whose replicates do not vary, prints as "exact".
        """
        if self.se == 0:
            return "exact"
        if self.relation == "=":
            return f"± {self.tolerance:.2g}"
        return f"{self.tolerance:.2g} margin"


@dataclass(frozen=True)
class Check:
    """A validation check: one run of small scenarios that yields one or more rows.

    Attributes
    ----------
    name : str
        Identifier used by ``ecosystem validate --only``.
    title : str
        One line on what it reproduces.
    run : callable
        ``run(budget) -> list[Row]``.
    """

    name: str
    title: str
    run: Callable[[Budget], list[Row]]


# -- statistics ----------------------------------------------------------------------------------
def mean_and_se(values: Iterable[float] | np.ndarray) -> tuple[float, float]:
    """Mean and standard error of the mean of independent replicate values."""
    values = np.asarray(values, dtype=float).ravel()
    if values.size < 2:
        raise ValueError("a standard error needs at least two replicates")
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


def compare_equal(theory: float, simulated: float, se: float, extra: float = 0.0
                  ) -> tuple[float, bool]:
    """Tolerance ``Z·se + extra`` and whether ``|simulated − theory|`` is within it.

    ``extra`` is a computed bound on a known approximation (e.g. finite-sample corrections the
    closed form leaves out), never a tuned margin. A deterministic claim has ``se == 0`` and is
    compared to rounding error only.
    """
    tolerance = Z * se + extra + 1e-12 * max(1.0, abs(theory))
    return tolerance, bool(abs(simulated - theory) <= tolerance)


def compare_above(threshold: float, simulated: float, se: float) -> tuple[float, bool]:
    """Tolerance ``Z·se`` and whether ``simulated`` is significantly above ``threshold``."""
    tolerance = Z * se
    return tolerance, bool(simulated - tolerance > threshold)


def compare_below(bound: float, simulated: float, se: float) -> tuple[float, bool]:
    """Tolerance ``Z·se`` and whether ``simulated`` is significantly below ``bound``.

    A claimed upper bound is asserted on the simulation: the simulated mean plus its tolerance
    must lie below it, so a simulated value above the bound, or too close to it to tell, fails.
    """
    tolerance = Z * se
    return tolerance, bool(simulated + tolerance < bound)


# -- scenarios and replicate runs -----------------------------------------------------------------
def chain_scenario(name: str, steps: int, **sections: Mapping[str, Any]) -> Scenario:
    """A pure retraining chain (no people, content-farm uploads, replacement) with overrides.

    The chains skip the bootstrap of ``ai_share_estimated``'s standard error (no row reads
    it, and it was more than half of a chain's time); a check can ask for it in
    ``measurement``.

    Parameters
    ----------
    name : str
        Scenario name.
    steps : int
        Periods after step 0.
    **sections : mapping
        Keys per section, merged over the chain defaults.
    """
    base: dict[str, dict[str, Any]] = {
        "scenario": {"name": name, "steps": steps},
        "population": {"humans": 0},
        "ai": {"data_regime": "replace", "retrain_every": 1},
        "measurement": {"bootstrap": 0},
    }
    for section, values in sections.items():
        base[section] = {**base.get(section, {}), **values}
    return load_scenario(base)


def setting_text(scenario: Scenario, keys: Sequence[str]) -> str:
    """The scenario keys a check sets, as ``key = value`` pairs for the report."""
    return ", ".join(f"{key} = {scenario.get(key)!r}" for key in keys)


def trajectories(
    scenario: Scenario,
    seeds: Iterable[int],
    probe: Callable[[EcosystemModel], np.ndarray | float],
    *,
    until: Callable[[EcosystemModel], bool] | None = None,
) -> np.ndarray:
    """Step the real model over several seeds, recording ``probe(model)`` after every step.

    Parameters
    ----------
    scenario : Scenario
        Simulated for ``scenario.scenario.steps`` steps after step 0.
    seeds : iterable of int
        One independent run per seed.
    probe : callable
        Reads the measure (a number or an array) from the model.
    until : callable, optional
        Stop a run early once this holds for an absorbing state (e.g. fixation); the rest of
        its trajectory repeats the last value, which is exact for an absorbing state.

    Returns
    -------
    ndarray (runs, steps + 1, ...)
    """
    steps = scenario.scenario.steps
    out = []
    for seed in seeds:
        model = EcosystemModel(scenario, seed=seed)
        values = [np.asarray(probe(model), dtype=float)]
        for _ in range(steps):
            if until is not None and until(model):
                break
            model.step()
            values.append(np.asarray(probe(model), dtype=float))
        values.extend([values[-1]] * (steps + 1 - len(values)))
        out.append(np.stack(values))
    return np.stack(out)


def band(ax, x: np.ndarray, values: np.ndarray, label: str, color: str | None = None) -> None:
    """Draw the replicate mean of ``values`` (runs, len(x)) with a ±Z·SE band."""
    mean = values.mean(axis=0)
    se = values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
    (line,) = ax.plot(x, mean, marker="o", markersize=3, label=label, color=color)
    ax.fill_between(x, mean - Z * se, mean + Z * se, alpha=0.25, color=line.get_color(),
                    linewidth=0)
