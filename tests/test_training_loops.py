"""The papers' training loops as scenarios, and the human-data reserve contract."""

import numpy as np
import pytest

from ecosystem.core.corpus import HUMAN
from ecosystem.model import EcosystemModel
from ecosystem.scenario import ScenarioError, load_scenario


def chain(**sections):
    base = {
        "scenario": {"name": "loop", "steps": 6},
        "population": {"humans": 0},
        "content": {"types": 10, "initial_docs": 100},
        "ai": {"data_regime": "replace", "outputs_per_generation": 150},
    }
    for section, values in sections.items():
        base[section] = {**base.get(section, {}), **values}
    return load_scenario(base)


def training_sets(scenario, seed=0):
    """Each generation's training set, as corpus positions (originals first) and origins."""
    model = EcosystemModel(scenario, seed=seed)
    sets = []
    select = model.lab.select_training

    def recording(*args):
        chosen = select(*args)
        positions = np.arange(len(model.corpus))[chosen]
        sets.append(positions)
        return chosen

    model.lab.select_training = recording
    for _ in range(scenario.scenario.steps):
        model.step()
    return model, sets


def test_fixed_real_corpus_plus_latest_synthetic_every_generation():
    """N = 100 originals + n = 150 synthetic: exactly, every generation, the same originals."""
    sc = chain(ai={"training_docs": 250}, interventions={"human_data_reserve": 100 / 250})
    model, sets = training_sets(sc)
    assert len(sets) == sc.scenario.steps
    for step, positions in enumerate(sets, start=1):
        assert positions.size == np.unique(positions).size == 250
        assert np.array_equal(positions[positions < 100], np.arange(100))
        synthetic = positions[positions >= 100]
        # the latest synthetic outputs: this step's 150 uploads
        assert synthetic.size == 150
        assert set(model.corpus.docs.step[synthetic].tolist()) == {step}
    generations = model.generations()
    assert generations["train_docs"].to_list()[1:] == [250] * sc.scenario.steps
    assert generations["train_ai_share"].to_list()[1:] == [0.6] * sc.scenario.steps


def test_reserve_draws_round_r_m_distinct_originals_and_the_rest_from_the_regime():
    sc = chain(content={"initial_docs": 400}, ai={"training_docs": 120},
               interventions={"human_data_reserve": 0.25})
    _, sets = training_sets(sc)
    for positions in sets:
        assert positions.size == np.unique(positions).size == 120
        assert np.count_nonzero(positions < 400) == 30  # round(0.25 · 120)
    # fewer only when the corpus has fewer: the regime offers 150, a set of 400 wants 300
    sc = chain(ai={"training_docs": 400}, interventions={"human_data_reserve": 0.25})
    _, sets = training_sets(sc)
    for positions in sets:
        assert np.count_nonzero(positions < 100) == 100  # all the originals (round(r·M) = 100)
        assert np.count_nonzero(positions >= 100) == 150  # all the regime has


def test_fresh_real_data_every_generation():
    """Alemohammad's fresh data loop: F new human documents beside the synthetic ones."""
    sc = chain(interventions={"fresh_human_docs": 50})
    model = EcosystemModel(sc, seed=3)
    for _ in range(sc.scenario.steps):
        model.step()
    generations = model.generations()
    assert generations["train_docs"].to_list()[1:] == [200] * sc.scenario.steps
    assert generations["train_ai_share"].to_list()[1:] == [0.75] * sc.scenario.steps
    # the fresh documents are the lab's, never uploaded to the web
    assert np.count_nonzero(model.corpus.docs.origin == HUMAN) == 100
    # with a fixed size they take the place of regime documents
    sized = chain(ai={"training_docs": 120}, interventions={"fresh_human_docs": 50})
    model = EcosystemModel(sized, seed=3)
    model.step()
    assert model.generations()["train_docs"][1] == 120
    assert model.generations()["train_ai_share"][1] == pytest.approx(70 / 120)


def test_fresh_docs_that_do_not_fit_are_a_scenario_error():
    with pytest.raises(ScenarioError, match=r"interventions\.fresh_human_docs"):
        chain(ai={"training_docs": 100}, interventions={"fresh_human_docs": 80,
                                                        "human_data_reserve": 0.5})


def test_accumulate_means_everything_and_differs_from_accumulate_subsample():
    with pytest.raises(ScenarioError, match="accumulate-subsample"):
        chain(ai={"data_regime": "accumulate", "training_docs": 200})
    everything = EcosystemModel(chain(ai={"data_regime": "accumulate"}), seed=1)
    sample = EcosystemModel(chain(ai={"data_regime": "accumulate-subsample",
                                      "training_docs": 200}), seed=1)
    for _ in range(6):
        everything.step()
        sample.step()
    grown = everything.generations()["train_docs"].to_list()
    assert grown == [100 + 150 * g for g in range(7)]
    assert sample.generations()["train_docs"].to_list()[1:] == [200] * 6


def test_fresh_docs_speak_with_the_vocabularys_human_rates():
    """Fresh human documents take the marker-word rate of the default vocabulary (wordfreq)."""
    sc = load_scenario({
        "scenario": {"name": "fresh-words", "steps": 2},
        "population": {"humans": 0},
        "content": {"types": 5, "initial_docs": 200},
        "ai": {"data_regime": "replace", "outputs_per_generation": 200},
        "interventions": {"fresh_human_docs": 2000},
    })
    with_fresh = EcosystemModel(sc, seed=1)
    with_fresh.step()
    assert with_fresh.generations()["train_docs"][1] == 2200
    without = EcosystemModel(sc.with_overrides({"interventions.fresh_human_docs": 0}), seed=1)
    without.step()
    # human writing dilutes the marker words the model learned from its own outputs
    assert np.isfinite(with_fresh.current.state.gpt_rate)
    assert with_fresh.current.state.gpt_rate < without.current.state.gpt_rate
