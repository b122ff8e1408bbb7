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
