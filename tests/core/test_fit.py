import numpy as np
import pytest

from ecosystem.core.corpus import Docs
from ecosystem.core.fit import FitParams, fit, fit_reference, learned_types


def random_docs(rng, n=400, types=7, dims=3):
    t = rng.integers(0, types, size=n)
    t[t == 5] = 4  # one type never seen
    return Docs.build(
        type=t, x=rng.normal(size=(n, dims)) * (1 + t[:, None]), quality=rng.uniform(0, 100, n),
        artifact=rng.exponential(0.5, n), gpt_rate=rng.exponential(1, n),
        stance=rng.uniform(-1, 1, n), origin=rng.integers(-1, 3, n), author=np.full(n, -1),
        step=np.zeros(n),
    )


@pytest.mark.parametrize(
    "params",
    [FitParams(), FitParams(capacity=3), FitParams(min_count=60, artifact_gain=1.7),
     FitParams(capacity=2, min_count=10, house_weight=0.2, neutral_pull=0.9)],
)
def test_fit_agrees_with_reference(params):
    rng = np.random.default_rng(3)
    docs = random_docs(rng)
    fast = fit(docs, 7, params, rng)
    slow = fit_reference(docs, 7, params)
    np.testing.assert_allclose(fast.probs, slow.probs)
    known = slow.probs > 0
    np.testing.assert_allclose(fast.means[known], slow.means[known], rtol=1e-6)
    np.testing.assert_allclose(fast.variances[known], slow.variances[known], rtol=1e-6)
    np.testing.assert_allclose(fast.quality[known], slow.quality[known], rtol=1e-6)
    for name in ("quality_std", "artifact", "quality_shift", "gpt_rate", "stance_mean",
                 "stance_std", "train_ai_share"):
        assert getattr(fast, name) == pytest.approx(getattr(slow, name), rel=1e-6), name


def test_variance_is_the_biased_maximum_likelihood_estimate():
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    docs = Docs.build(type=np.zeros(4), x=x, quality=np.full(4, 50.0), artifact=np.zeros(4),
                      gpt_rate=np.zeros(4), stance=np.zeros(4), origin=np.full(4, -1),
                      author=np.full(4, -1), step=np.zeros(4))
    state = fit(docs, 1, FitParams(), np.random.default_rng(0))
    assert state.variances[0, 0] == pytest.approx(1.25)  # ddof = 0, not 5/3


def test_capacity_keeps_the_most_frequent_and_min_count_drops_rare():
    counts = np.array([5, 50, 1, 20, 20, 3])
    assert learned_types(counts, None, 4).tolist() == [5, 50, 0, 20, 20, 0]
    assert learned_types(counts, 2, 1).tolist() == [0, 50, 0, 20, 0, 0]


def test_fit_noise_moves_means_and_adds_artifacts():
    rng = np.random.default_rng(1)
    docs = random_docs(rng)
    clean = fit(docs, 7, FitParams(), np.random.default_rng(2))
    noisy = fit(docs, 7, FitParams(fit_noise=0.5), np.random.default_rng(2))
    assert noisy.artifact == pytest.approx(clean.artifact + 0.5)
    assert not np.allclose(noisy.means[clean.known], clean.means[clean.known])
    assert noisy.quality_shift < clean.quality_shift
