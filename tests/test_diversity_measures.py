"""Diversity where it lives: of the web's uploads and of the styles people hold."""

import numpy as np
import pytest

import ecosystem
from ecosystem.core.metrics import style_entropy, style_entropy_reference
from tests.conftest import chain, mean_and_se

Z = 4.0
"""Tolerance in standard errors of the paired difference (a false failure ~3e-5 one-sided)."""
SEEDS = range(8)
BASELINE = {"population.humans": 2000, "content.initial_docs": 4000, "ai.training_docs": 4000,
            "ai.outputs_per_generation": 240, "scenario.steps": 30}


def settled(overrides, column, seeds=SEEDS):
    """Per seed, the mean of ``column`` over the last 6 steps of the scaled baseline."""
    sc = ecosystem.load_scenario("scenarios/baseline.toml", overrides={**BASELINE, **overrides})
    return np.array([ecosystem.simulate(sc, seed=seed).timeseries[column][-6:].mean()
                     for seed in seeds])


@pytest.mark.parametrize("types", [np.array([3, 3, 1, 0, 7, 7, 7]), np.arange(20) % 3,
                                   np.zeros(5, dtype=int)])
def test_style_entropy_agrees_with_reference(types):
    fast, slow = style_entropy(types), style_entropy_reference(types)
    assert fast[0] == pytest.approx(slow[0], abs=1e-12)
    assert fast[1] == slow[1]


def test_nothing_to_measure_is_null():
    assert style_entropy(np.empty(0, dtype=int)) == (None, None)
    ts = ecosystem.simulate(ecosystem.load_scenario(chain(scenario={"steps": 3}))).timeseries
    assert ts["people_entropy"].null_count() == ts["people_richness"].null_count() == ts.height
    assert ts["web_effective_styles"].null_count() == 0
    np.testing.assert_allclose(ts["web_effective_styles"], np.exp(ts["web_entropy"]))


def test_human_creativity_widens_the_web():
    """``population.innovation`` up raises ``web_effective_styles`` (paired seeds)."""
    gain = (settled({"population.innovation": 0.02}, "web_effective_styles")
            - settled({}, "web_effective_styles"))
    mean, se = mean_and_se(gain)
    assert mean - Z * se > 0


def test_ai_use_homogenises_people():
    """More AI use lowers ``people_entropy``: AI users take on the styles of AI output."""
    loss = (settled({"population.ai_users": 0.0}, "people_entropy")
            - settled({"population.ai_users": 0.8}, "people_entropy"))
    mean, se = mean_and_se(loss)
    assert mean - Z * se > 0
