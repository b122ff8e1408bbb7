import numpy as np
import pytest

from ecosystem.core.contagion import heard_rates, update_rates, update_rates_reference
from ecosystem.social import barabasi_albert


@pytest.mark.parametrize("exposure", [0.0, 0.4, 1.0])
def test_vectorised_rates_agree_with_reference(exposure):
    rng = np.random.default_rng(0)
    graph = barabasi_albert(300, 2, rng)
    n = graph.size
    rate = rng.exponential(1.0, n)
    ai_user = rng.random(n) < 0.3
    posts = [list(rng.exponential(2.0, rng.poisson(0.7))) for _ in range(n)]
    count = np.array([len(p) for p in posts])
    rate_sum = np.array([sum(p) for p in posts])
    words, items = heard_rates(graph.indptr, graph.indices, rate, count, rate_sum)
    fast = update_rates(rate, words, items, ai_user, 5.0, exposure, 0.1)
    neighbours = [list(graph.neighbours(i)) for i in range(n)]
    slow = update_rates_reference(list(rate), neighbours, posts, list(ai_user), 5.0, exposure, 0.1)
    np.testing.assert_allclose(fast, slow, rtol=1e-9)


def test_isolated_people_keep_their_rate_unless_they_use_ai():
    rate = np.array([1.0, 1.0])
    new = update_rates(rate, np.zeros(2), np.zeros(2), np.array([False, True]), 5.0, 0.5, 0.1)
    assert new[0] == 1.0 and new[1] == pytest.approx(1.4)


def whole_array_update_rates(rate, words, items, ai_user, ai_rate, ai_exposure, adoption):
    """The plain NumPy expression the compiled kernel replaced."""
    heard = items > 0
    target = np.divide(words, items, out=np.zeros(words.shape[0]), where=heard)
    mixed = target * (1.0 - ai_exposure)
    mixed += ai_exposure * ai_rate
    np.copyto(mixed, ai_rate, where=~heard)
    np.copyto(target, mixed, where=ai_user)
    target -= rate
    target *= adoption
    target += rate
    new = rate.copy()
    np.copyto(new, target, casting="same_kind", where=heard | ai_user)
    return new


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ai_rate", [5.0, np.float32(2.7), np.float64(0.3)])
def test_update_rates_equal_whole_array_bit_for_bit(dtype, ai_rate):
    rng = np.random.default_rng(5)
    n = 5000
    rate = rng.exponential(1.0, n).astype(dtype)
    items = rng.poisson(3.0, n).astype(float)  # some heard nothing
    words = items * rng.exponential(1.0, n)
    ai_user = rng.random(n) < 0.4
    for exposure, adoption in ((0.0, 0.1), (0.37, 0.23), (1.0, np.float32(0.3))):
        fast = update_rates(rate, words, items, ai_user, ai_rate, exposure, adoption)
        plain = whole_array_update_rates(rate, words, items, ai_user, ai_rate, exposure, adoption)
        assert fast.dtype == rate.dtype
        assert np.array_equal(fast, plain)
