import numpy as np
import pytest

from ecosystem.core.curate import (
    CurationParams,
    best_of_n,
    best_of_n_reference,
    curated_outputs,
    detect,
)
from ecosystem.core.decode import DecodingParams
from tests.core.test_decode import state


def test_best_of_n_keeps_each_groups_best_draft():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=60)
    fast = scores.reshape(-1, 4).argmax(axis=1) + np.arange(15) * 4
    assert fast.tolist() == best_of_n_reference(scores, 4)


def test_best_of_n_posts_have_the_highest_scores_and_favour_typical_styles():
    s = state([0.6, 0.4])
    plain, _ = best_of_n(s, 20_000, DecodingParams(), CurationParams(best_of_n=1),
                         np.random.default_rng(1))
    curated, scores = best_of_n(s, 20_000, DecodingParams(),
                                CurationParams(best_of_n=4, typicality_weight=5.0),
                                np.random.default_rng(1))
    assert np.mean(curated.type == 1) < np.mean(plain.type == 1) - 0.05
    assert curated.quality.mean() > plain.quality.mean()
    assert scores.min() >= curated.quality.min()


def test_upload_threshold_only_posts_good_drafts():
    s = state([0.5, 0.5])
    posts = curated_outputs(s, 1000, DecodingParams(), CurationParams(upload_threshold=72.0),
                            np.random.default_rng(2))
    assert len(posts) == 1000
    assert posts.quality.min() >= 72.0


def test_detector_rates():
    rng = np.random.default_rng(3)
    origin = np.repeat([-1, 2], 50_000)
    kept = detect(origin, recall=0.9, false_positive=0.05, rng=rng)
    assert np.mean(~kept[origin == 2]) == pytest.approx(0.9, abs=0.01)
    assert np.mean(~kept[origin == -1]) == pytest.approx(0.05, abs=0.005)


def _reward_state(probs, reward):
    from ecosystem.core.fit import ModelState

    probs = np.asarray(probs, dtype=float)
    k = probs.size
    return ModelState(
        generation=1, probs=probs, means=np.zeros((k, 1)), variances=np.ones((k, 1)),
        quality=np.asarray(reward, dtype=float), quality_std=0.0, quality_shift=0.0,
        artifact=0.0, gpt_rate=0.0, stance_mean=0.0, stance_std=0.0, train_docs=1,
        train_ai_share=0.0,
    )


def test_bradley_terry_choice_agrees_with_the_slow_reference_in_distribution():
    from scipy import stats

    from ecosystem.core.curate import bradley_terry_reference

    scores = np.tile([1.0, 0.0, -0.5, 2.0], 20_000)
    rng = np.random.default_rng(4)
    ranked = scores + rng.gumbel(size=scores.size)
    fast = ranked.reshape(-1, 4).argmax(axis=1)
    slow = np.array(bradley_terry_reference(scores, 4, np.random.default_rng(5))) % 4
    table = np.array([np.bincount(fast, minlength=4), np.bincount(slow, minlength=4)])
    assert stats.chi2_contingency(table).pvalue > 1e-3


def test_bradley_terry_curation_moves_types_as_p_times_expected_choice_weight():
    """p'(t) = p(t) · E[choice weight]: each type's share within 4 binomial standard errors."""
    from ecosystem.core.curate import bradley_terry_law

    probs, reward = np.array([0.5, 0.3, 0.2]), np.array([0.0, 1.0, 2.0])
    s = _reward_state(probs, reward)
    n = 60_000
    posts, _ = best_of_n(s, n, DecodingParams(), CurationParams(best_of_n=3,
                                                                choice="bradley-terry"),
                         np.random.default_rng(6))
    law = bradley_terry_law(probs, reward, 3)
    assert law.sum() == pytest.approx(1.0)
    share = np.bincount(posts.type, minlength=3) / n
    np.testing.assert_array_less(np.abs(share - law), 4 * np.sqrt(law * (1 - law) / n))
    # deterministic best-of-3 is the limit of a much larger reward scale
    assert law[2] < 1 - (1 - 0.2) ** 3


def test_bradley_terry_expected_reward_never_falls():
    from ecosystem.core.curate import bradley_terry_law

    rng = np.random.default_rng(7)
    for _ in range(40):
        k = int(rng.integers(2, 5))
        probs = rng.dirichlet(np.ones(k))
        reward = rng.normal(0.0, 2.0, k)
        for _generation in range(5):
            following = bradley_terry_law(probs, reward, int(rng.integers(2, 4)))
            assert following @ reward >= probs @ reward - 1e-12
            probs = following
    # without real data it concentrates on the best style
    probs = np.array([0.4, 0.4, 0.2])
    for _ in range(60):
        probs = bradley_terry_law(probs, np.array([0.0, 0.5, 1.0]), 2)
    assert probs[2] > 0.99
