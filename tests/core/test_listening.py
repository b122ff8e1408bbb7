"""The fused listening pass equals the marker-word and opinion kernels bit for bit."""

import numpy as np
import pytest

from ecosystem.core.contagion import heard_rates_pair
from ecosystem.core.listening import listen_pass
from ecosystem.core.opinion import bounded_confidence
from ecosystem.social import barabasi_albert, from_edges


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("influence", [0.0, 0.3])
def test_listen_pass_equals_the_two_kernels(dtype, influence):
    rng = np.random.default_rng(5)
    for graph in (barabasi_albert(3000, 4, rng),
                  from_edges(60, np.array([3, 3, 10, 20]), np.array([4, 10, 11, 21]))):
        n = graph.size
        rate = rng.lognormal(0, 1, n).astype(np.float32)
        ai = (rate * rng.random(n)).astype(np.float32)
        count = rng.poisson(0.3, n)
        rate_sum = count * rng.random(n)
        ai_sum = rate_sum * rng.random(n)
        stance = rng.uniform(-1, 1, n).astype(dtype)
        words, ai_words, items, new = listen_pass(graph.indptr, graph.indices, rate, ai, count,
                                                  rate_sum, ai_sum, stance, 0.4, influence)
        expected = heard_rates_pair(graph.indptr, graph.indices, rate, ai, count, rate_sum,
                                    ai_sum)
        for got, want in zip((words, ai_words, items), expected, strict=True):
            np.testing.assert_array_equal(got, want)
        want = bounded_confidence(stance, graph.indptr, graph.indices, 0.4, influence)
        assert new.dtype == want.dtype
        np.testing.assert_array_equal(new, want)
