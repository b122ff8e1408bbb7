"""The compiled neighbour kernels against plain whole-array versions: equal bit for bit."""

import numpy as np
import pytest
from scipy import sparse

from ecosystem.core.contagion import heard_rates
from ecosystem.core.opinion import bounded_confidence
from ecosystem.social import barabasi_albert, from_edges


def whole_array_bounded_confidence(stance, indices, rows, confidence, influence):
    """The plain whole-array kernel (bincount over all edges)."""
    diff = stance[indices] - stance[rows]
    close = np.abs(diff) < stance.dtype.type(confidence)
    n = stance.shape[0]
    pull = np.bincount(rows, weights=np.where(close, diff, 0.0), minlength=n)
    listened = np.bincount(rows, weights=close, minlength=n)
    moved = np.divide(pull, listened, out=np.zeros(n), where=listened > 0)
    return (stance + influence * moved).astype(stance.dtype)


def whole_array_heard(graph, rate, post_count, post_rate_sum):
    """The plain whole-array sums: a scipy adjacency product and a bincount."""
    n = graph.size
    matrix = sparse.csr_array(
        (np.ones(graph.indices.size), graph.indices, graph.indptr), shape=(n, n)
    )
    words = matrix @ (rate + post_rate_sum)
    items = matrix @ post_count.astype(float) + np.diff(graph.indptr)
    return words, items


def graphs():
    rng = np.random.default_rng(3)
    yield barabasi_albert(2000, 4, rng)
    # isolated people, at the start and the end too
    yield from_edges(50, np.array([3, 3, 10, 20]), np.array([4, 10, 11, 21]))


@pytest.mark.parametrize("rate_dtype", [np.float32, np.float64])
def test_heard_rates_equal_scipy_bit_for_bit(rate_dtype):
    rng = np.random.default_rng(0)
    for graph in graphs():
        n = graph.size
        rate = rng.lognormal(size=n).astype(rate_dtype)
        for mean in (0.0, 0.3, 3.0):
            post_count = rng.poisson(mean, n)
            post_rate_sum = np.where(post_count > 0, rng.lognormal(size=n) * post_count, 0.0)
            words, items = heard_rates(graph.indptr, graph.indices, rate, post_count,
                                       post_rate_sum)
            plain_words, plain_items = whole_array_heard(graph, rate, post_count, post_rate_sum)
            assert words.dtype == items.dtype == np.float64
            assert np.array_equal(words, plain_words)
            assert np.array_equal(items, plain_items)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("confidence", [0.05, 0.3, 0.7, 2.0])
def test_bounded_confidence_equals_whole_array_bit_for_bit(dtype, confidence):
    rng = np.random.default_rng(1)
    for graph in graphs():
        stance = rng.uniform(-1, 1, graph.size).astype(dtype)
        stance[::7] = 0.0  # equal stances: differences of exactly 0
        plain = whole_array_bounded_confidence(stance, graph.indices, graph.rows, confidence, 0.3)
        fast = bounded_confidence(stance, graph.indptr, graph.indices, confidence, 0.3)
        assert fast.dtype == stance.dtype
        assert np.array_equal(fast, plain)
