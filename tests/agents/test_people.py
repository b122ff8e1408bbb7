"""The vectorised people step against the per-agent Mesa reference, and the Mesa views."""

import numpy as np
import pytest

import ecosystem
from ecosystem.agents import people as people_module
from ecosystem.agents.people import Creator, Listener
from ecosystem.model import EcosystemModel
from tests.conftest import mean_and_se

Z = 4.0

SMALL = {
    "scenario": {"steps": 6},
    "population": {"humans": 200, "creators": 0.4, "ai_users": 0.5, "innovation": 0.02,
                   "style_conformity": 0.1, "adoption_steps": 3},
    "content": {"types": 12, "initial_docs": 400},
    "ai": {"outputs_per_generation": 50, "retrain_every": 2},
    "network": {"m": 3},
    "curation": {"best_of_n": 2, "typicality_weight": 3.0, "upload_threshold": 45.0},
    "prompts": {"custom_share": 0.5},
}
COLUMNS = ("gpt_rate_users", "gpt_rate_nonusers", "neutral_share_users",
           "neutral_share_nonusers", "stance_std", "ai_share", "corpus_richness",
           "model_entropy", "gpt_ai_mean")


def final_rows(people_step, seeds):
    sc = ecosystem.load_scenario(SMALL)
    rows = []
    for seed in seeds:
        model = EcosystemModel(sc, seed, people_step=people_step)
        for _ in range(sc.scenario.steps):
            model.step()
        rows.append({**model.timeseries().row(-1, named=True),
                     # the AI-profile part of marker words (the per-word state)
                     "gpt_ai_mean": float(model.people.gpt_ai.mean(dtype=np.float64))})
    return {c: np.array([r[c] for r in rows], dtype=float) for c in COLUMNS}


def test_vectorised_people_step_agrees_with_per_agent_reference():
    fast = final_rows("vectorised", range(40))
    slow = final_rows("per_agent", range(100, 140))
    for column in COLUMNS:
        m1, se1 = mean_and_se(fast[column])
        m2, se2 = mean_and_se(slow[column])
        assert abs(m1 - m2) <= Z * np.hypot(se1, se2), column


def test_people_runs_are_deterministic():
    sc = ecosystem.load_scenario(SMALL)
    a, b = ecosystem.simulate(sc, seed=5), ecosystem.simulate(sc, seed=5)
    assert a.timeseries.equals(b.timeseries) and a.humans.equals(b.humans)
    assert not ecosystem.simulate(sc, seed=6).humans.equals(a.humans)


def test_mesa_views_show_the_arrays():
    model = EcosystemModel(ecosystem.load_scenario(SMALL), seed=1)
    model.step()
    creators = model.agents_by_type[Creator]
    listeners = model.agents_by_type[Listener]
    assert len(creators) == int(model.people.creator.sum())
    assert len(creators) + len(listeners) == model.people.size
    agent = next(iter(creators))
    assert agent.gpt_rate == pytest.approx(float(model.people.gpt_rate[agent.person]))
    assert agent.posts == int(model.people.posts[agent.person])
    assert set(agent.neighbours()) == set(model.people.graph.neighbours(agent.person))


def test_large_populations_build_no_agent_per_person(monkeypatch):
    monkeypatch.setattr(people_module, "VIEW_LIMIT", 50)
    monkeypatch.setattr("ecosystem.model.VIEW_LIMIT", 50)
    model = EcosystemModel(ecosystem.load_scenario(SMALL), seed=1)
    assert Creator not in model.agents_by_type and Listener not in model.agents_by_type
    model.step()
    assert model.humans().height == 200


def test_humans_table():
    run = ecosystem.simulate(SMALL, seed=2)
    humans = run.humans
    assert humans.columns == ["id", "creator", "ai_user", "custom_prompt", "style_type",
                              "gpt_rate", "stance", "degree", "posts"]
    assert humans.height == 200
    assert humans.filter(~humans["creator"])["posts"].sum() == 0
    assert humans["posts"].sum() > 0
    assert humans["stance"].abs().max() <= 1.0


def test_per_person_memory_is_small():
    model = EcosystemModel(ecosystem.load_scenario(SMALL), seed=1)
    assert model.people.nbytes / model.people.size <= 300
