"""Paired runs of the vectorised people step and its per-agent reference, for the twin tests.

Both steps start from the same seed, so they share the culture, the corpus, the graph, the
people and generation 0 exactly; only the step's own draws differ (their order differs between
the two). A measure is taken on each run, and the seed-by-seed differences are tested: the
shared start cancels out, which gives the comparison its power.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import ecosystem
from ecosystem.model import EcosystemModel

Z = 4.0
"""Tolerance in standard errors: a false failure has probability about 6e-5 per comparison."""

Z_POWER = 0.8416
"""The normal quantile of 80 %: an effect of (Z + Z_POWER) SE is caught 80 % of the time."""

STEPS = ("vectorised", "per_agent")


def scenario(**sections: dict) -> dict:
    """A small population whose every people-step knob is set explicitly, sections merged over.

    No content farms and no retraining within a test (``ai.retrain_every`` is beyond the steps),
    so the generation people write and read with is generation 0 throughout.
    """
    base = {
        "scenario": {"name": "people-twin", "steps": 4},
        "population": {"humans": 300, "creators": 0.5, "ai_users": 0.5, "adoption_steps": 0,
                       "posts_per_step": 1.0, "innovation": 0.0, "cowrite_share": 0.7,
                       "style_conformity": 0.0, "cowrite_style": 0.0},
        "content": {"types": 12, "initial_docs": 400},
        "ai": {"outputs_per_generation": 0, "retrain_every": 1000},
        "network": {"kind": "barabasi_albert", "m": 3},
        "curation": {"best_of_n": 1, "typicality_weight": 0.0, "upload_threshold": 0.0},
        "prompts": {"custom_share": 0.0, "strength": 5.0},
        "gpt_words": {"adoption": 0.08, "ai_exposure": 0.5},
        "opinion": {"confidence": 0.4, "influence": 0.05, "absorb": 0.08, "stubbornness": 0.05},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return base


@dataclass
class Before:
    """People's state before the steps (copies), and the model's state they write with."""

    style_type: np.ndarray
    style_x: np.ndarray
    gpt_rate: np.ndarray
    stance: np.ndarray
    n_types: int
    now: int


def snapshot(model: EcosystemModel) -> Before:
    """Copy what a measure compares against."""
    people = model.people
    return Before(people.style_type.copy(), people.style_x.copy(), people.gpt_rate.copy(),
                  people.stance.copy(), model.n_types, model.steps + 1)


Measure = Callable[[EcosystemModel, Before], dict[str, float]]


def twin_runs(
    spec: dict, measure: Measure, seeds, steps: int = 1, kinds: tuple[str, ...] = STEPS
) -> dict[str, dict]:
    """Run the people steps from each seed; return ``{step: {quantity: values over seeds}}``.

    ``measure(model, before)`` is called after ``steps`` steps, with the state before them.
    """
    sc = ecosystem.load_scenario(spec)
    values: dict[str, dict[str, list]] = {kind: {} for kind in kinds}
    for seed in seeds:
        for kind in kinds:
            model = EcosystemModel(sc, seed, people_step=kind)
            before = snapshot(model)
            for _ in range(steps):
                model.step()
            for name, value in measure(model, before).items():
                values[kind].setdefault(name, []).append(value)
    return {kind: {name: np.asarray(v, dtype=float) for name, v in quantities.items()}
            for kind, quantities in values.items()}


@dataclass
class Comparison:
    """Seed-by-seed differences of one quantity between the two steps."""

    name: str
    fast: np.ndarray
    slow: np.ndarray

    @property
    def se(self) -> float:
        """Standard error of the mean paired difference."""
        diff = self.fast - self.slow
        return float(diff.std(ddof=1) / np.sqrt(diff.size))

    @property
    def detectable(self) -> float:
        """The smallest difference of means caught with 80 % power at this replicate count."""
        return (Z + Z_POWER) * self.se

    def assert_agree(self) -> None:
        """The mean difference is within Z standard errors of 0."""
        diff = float(np.mean(self.fast - self.slow))
        assert abs(diff) <= Z * self.se, (
            f"{self.name}: vectorised {self.fast.mean():.5g} vs per-agent "
            f"{self.slow.mean():.5g} (difference {diff:.3g}, tolerance {Z * self.se:.3g})"
        )

    def assert_detects(self, without: float | np.ndarray) -> None:
        """Removing the mechanism (the quantity becomes ``without``) is a detectable change.

        ``without`` is the quantity's value with the mechanism switched off (per seed or one
        number); the reference's mean must differ from it by more than :attr:`detectable`.
        """
        effect = abs(float(np.mean(self.slow - without)))
        assert effect > self.detectable, (
            f"{self.name}: the mechanism moves it by {effect:.3g}, below the detectable "
            f"{self.detectable:.3g}: more replicates needed"
        )


def compare(runs: dict[str, dict], name: str) -> Comparison:
    """The paired comparison of one measured quantity."""
    return Comparison(name, runs["vectorised"][name], runs["per_agent"][name])


def posts_of(model: EcosystemModel, now: int):
    """The people's posts uploaded at step ``now`` (content farms excluded)."""
    docs = model.corpus.docs
    return docs.take(np.flatnonzero((docs.step == now) & (docs.author >= 0)))
