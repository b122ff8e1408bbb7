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
