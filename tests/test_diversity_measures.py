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


@pytest.mark.parametrize("people_step", ["vectorised", "per_agent"])
def test_cowriters_take_on_the_style_of_what_they_cowrote(people_step):
    """``population.cowrite_style = 1``: every co-writer now holds their last AI post's style."""
    from ecosystem.model import EcosystemModel

    sc = ecosystem.load_scenario({
        "scenario": {"steps": 1}, "content": {"types": 15, "initial_docs": 500},
        "population": {"humans": 200, "creators": 0.6, "ai_users": 1.0, "cowrite_style": 1.0,
                       "style_conformity": 0.0}})
    model = EcosystemModel(sc, seed=2, people_step=people_step)
    model.step()
    docs = model.corpus.docs
    mine = np.flatnonzero((docs.step == 1) & (docs.author >= 0))
    last = {int(docs.author[i]): i for i in mine}  # upload order: the last post wins
    assert len(last) > 50
    for author, i in last.items():
        assert model.people.style_type[author] == docs.type[i]


def test_writing_with_ai_homogenises_people():
    """``population.cowrite_style`` up lowers ``people_entropy`` (paired seeds, 4 SE).

    Half the people post and most use AI, so that many co-write.
    """
    many = {"population.creators": 0.5, "population.ai_users": 0.8}
    loss = (settled(many, "people_entropy")
            - settled({**many, "population.cowrite_style": 1.0}, "people_entropy"))
    mean, se = mean_and_se(loss)
    assert mean - Z * se > 0
