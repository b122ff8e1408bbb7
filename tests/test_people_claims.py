"""The human side of the article, as the model reproduces it (fixed seeds, SE tolerances)."""

import numpy as np

import ecosystem
from tests.conftest import mean_and_se

Z = 4.0
SEEDS = range(8)


def runs(scenario, seeds=SEEDS, **overrides):
    sc = ecosystem.load_scenario(scenario, overrides=overrides)
    return [ecosystem.simulate(sc, seed=seed).timeseries for seed in seeds]


PEOPLE = {"scenario": {"steps": 20}, "population": {"humans": 2000, "ai_users": 0.4},
          "content": {"types": 20, "initial_docs": 2000}}


def test_gpt_words_reach_non_users_only_when_people_use_ai():
    with_ai = runs(PEOPLE)
    rise = np.array([ts["gpt_rate_nonusers"][-1] - ts["gpt_rate_nonusers"][0] for ts in with_ai])
    mean, se = mean_and_se(rise)
    baseline = with_ai[0]["gpt_rate_nonusers"][0]
    assert mean - Z * se > 0.1 * baseline  # tens of percent, calibrated in docs/calibration.md
    gap = np.array([ts["gpt_rate_users"][-1] - ts["gpt_rate_nonusers"][-1] for ts in with_ai])
    mean, se = mean_and_se(gap)
    assert mean - Z * se > 0
    without = runs(PEOPLE, **{"population.ai_users": 0.0})
    change = np.array([ts["gpt_rate_nonusers"][-1] - ts["gpt_rate_nonusers"][0]
                       for ts in without])
    mean, se = mean_and_se(change)
    assert abs(mean) <= Z * se
    assert all(ts["gpt_rate_users"].null_count() == ts.height for ts in without)


def test_ai_users_end_more_often_neutral():
    gap = np.array([ts["neutral_share_users"][-1] - ts["neutral_share_nonusers"][-1]
                    for ts in runs(PEOPLE)])
    mean, se = mean_and_se(gap)
    assert mean - Z * se > 0


def test_custom_prompts_keep_more_types_than_default_but_fewer_than_no_ai():
    prompts = {"scenario": {"steps": 30},
               "population": {"humans": 2000, "creators": 0.5, "ai_users": 0.8},
               "content": {"types": 40, "zipf_exponent": 1.2, "initial_docs": 2000},
               "ai": {"data_regime": "replace", "min_count": 3},
               "curation": {"best_of_n": 2, "typicality_weight": 3.0},
               "prompts": {"custom_share": 0.8, "strength": 8.0}}

    def richness(**overrides):
        return np.array([ts["model_richness"][-1]
                         for ts in runs(prompts, seeds=range(6), **overrides)], dtype=float)

    custom = richness()
    default = richness(**{"prompts.custom_share": 0.0})
    natural = richness(**{"population.ai_users": 0.0})
    for better, worse in ((custom, default), (natural, custom)):
        diff = better.mean() - worse.mean()
        se = np.hypot(*(mean_and_se(x)[1] for x in (better, worse)))
        assert diff > Z * se and diff > 0


def test_innovation_raises_the_corpus_richness():
    def richness(innovation):
        return np.array([ts["corpus_richness"][-1] for ts in
                         runs(PEOPLE, seeds=range(4), **{"population.innovation": innovation})],
                        dtype=float)

    creative, plain = richness(0.01), richness(0.0)
    se = np.hypot(mean_and_se(creative)[1], mean_and_se(plain)[1])
    assert creative.mean() - plain.mean() > Z * se
