"""Custom prompts as conditioning: narrow each, diverse superposed, below natural data."""

import numpy as np

import ecosystem
from ecosystem.model import EcosystemModel
from tests.conftest import mean_and_se

Z = 4.0
"""Tolerance in standard errors of the paired (same-seed) difference over the seeds."""
SEEDS = range(12)
ZIPF_CULTURE = {
    "scenario": {"name": "prompts-zipf", "steps": 25},
    "population": {"humans": 1500, "creators": 0.5, "ai_users": 0.8, "innovation": 0.0,
                   "posts_per_step": 3.0},
    "content": {"types": 300, "zipf_exponent": 1.0, "initial_docs": 3000},
    "ai": {"data_regime": "replace", "retrain_every": 1},
    "curation": {"best_of_n": 2, "typicality_weight": 3.0},
    "prompts": {"custom_share": 0.0, "strength": 1.0},
}
ARMS = {"default prompts": {}, "custom prompts": {"prompts.custom_share": 1.0},
        "human only": {"population.ai_users": 0.0}}


def settled(arm):
    """Per seed, model entropy and richness averaged over the last 8 generations."""
    sc = ecosystem.load_scenario(ZIPF_CULTURE, overrides=ARMS[arm])
    out = []
    for seed in SEEDS:
        ts = ecosystem.simulate(sc, seed=seed).timeseries
        out.append([ts["model_entropy"][-8:].mean(), ts["model_richness"][-8:].mean()])
    return np.array(out)


def test_custom_prompts_keep_more_diversity_than_default_prompts_less_than_human_data():
    """Zipf culture of 300 styles, replace regime, 80 % AI users: default < custom < human."""
    arms = {arm: settled(arm) for arm in ARMS}
    for better, worse in (("custom prompts", "default prompts"),
                          ("human only", "custom prompts")):
        for column, name in enumerate(("entropy", "richness")):
            gap = arms[better][:, column] - arms[worse][:, column]
            mean, se = mean_and_se(gap)
            assert mean - Z * se > 0, f"{name}: {better} − {worse} = {mean:.3f} ± {se:.3f}"


def test_a_forgotten_style_never_reappears_through_a_prompt():
    """Everyone writes with AI through custom prompts: the known styles only ever shrink."""
    sc = ecosystem.load_scenario(ZIPF_CULTURE, overrides={
        "population.ai_users": 1.0, "prompts.custom_share": 1.0, "prompts.strength": 50.0,
        "scenario.steps": 12})
    model = EcosystemModel(sc, seed=1)
    known = model.current.state.probs > 0
    lost = 0
    for _ in range(sc.scenario.steps):
        model.step()
        now = model.current.state.probs[: known.size] > 0
        assert not np.any(now & ~known)
        lost += np.count_nonzero(known & ~now)
        known = now
    assert lost > 0  # the claim was put to the test: styles were forgotten
