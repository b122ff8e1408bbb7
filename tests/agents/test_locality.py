"""The locality order of people is invisible in the outputs (ids, set-up, distribution)."""

from pathlib import Path

import numpy as np
import pytest

import ecosystem
from ecosystem import social
from ecosystem.model import EcosystemModel

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
SMALL = {"population.humans": 2000, "content.initial_docs": 2000, "ai.training_docs": 2000,
         "ai.outputs_per_generation": 200, "population.adoption_steps": 0}


def _model(seed, ordered, monkeypatch, steps=0):
    monkeypatch.setattr(social, "LOCALITY_MIN_PEOPLE", 0 if ordered else 10**12)
    sc = ecosystem.load_scenario(BASELINE, overrides=SMALL)
    model = EcosystemModel(sc, seed=seed)
    for _ in range(steps):
        model.step()
    return model


def test_relabelled_set_up_is_the_same_people(monkeypatch):
    # the initial draws are taken in the people's own order: restored, bit for bit the same
    plain = _model(1, False, monkeypatch)
    ordered = _model(1, True, monkeypatch)
    assert plain.people.order is None and ordered.people.order is not None
    assert not np.array_equal(ordered.people.order, np.arange(ordered.people.size))
    assert ordered.humans().equals(plain.humans())
    # the graph is the same graph under the permutation
    order = ordered.people.order
    g, h = plain.people.graph, ordered.people.graph
    assert set(zip(order[h.rows].tolist(), order[h.indices].tolist(), strict=True)) == set(
        zip(g.rows.tolist(), g.indices.tolist(), strict=True))


def test_relabelled_run_keeps_ids_and_degrees(monkeypatch):
    plain = _model(2, False, monkeypatch, steps=3)
    ordered = _model(2, True, monkeypatch, steps=3)
    a, b = plain.humans(), ordered.humans()
    assert b["id"].to_list() == list(range(2000))
    assert a["degree"].equals(b["degree"]) and a["creator"].equals(b["creator"])
    ids, edges = ordered.network_sample(100, np.random.default_rng(0))
    assert np.all(np.diff(ids) > 0) and edges.max() < ids.size
    pairs = set(zip(ids[edges[:, 0]].tolist(), ids[edges[:, 1]].tolist(), strict=True))
    graph = plain.people.graph
    assert all(b_ in graph.neighbours(a_) for a_, b_ in pairs)


def test_relabelled_runs_agree_in_distribution(monkeypatch):
    """Mean marker-word rate and stance spread after 8 steps, 6 seeds each way.

    The per-step draws fall on people in another order, so runs differ seed by seed; the
    means over seeds must agree within 4 standard errors of their difference (from the
    seed-to-seed spread of both sets).
    """
    measures = {True: [], False: []}
    for ordered in (False, True):
        for seed in range(6):
            model = _model(10 + seed, ordered, monkeypatch, steps=8)
            people = model.people
            measures[ordered].append([people.gpt_rate.mean(), people.stance.std()])
    plain, ordered = np.array(measures[False]), np.array(measures[True])
    se = np.sqrt(plain.var(axis=0, ddof=1) / 6 + ordered.var(axis=0, ddof=1) / 6)
    assert np.all(np.abs(plain.mean(axis=0) - ordered.mean(axis=0)) < 4 * se + 1e-12)
    assert not np.array_equal(plain, ordered)


@pytest.mark.parametrize("step", ["per_agent"])
def test_per_agent_step_is_never_relabelled(monkeypatch, step):
    monkeypatch.setattr(social, "LOCALITY_MIN_PEOPLE", 0)
    sc = ecosystem.load_scenario(BASELINE,
                                 overrides={**SMALL, "population.humans": 200})
    assert EcosystemModel(sc, seed=1, people_step=step).people.order is None
