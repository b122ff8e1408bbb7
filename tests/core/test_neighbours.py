"""The blocked neighbour sums against plain whole-array versions: equal bit for bit."""

import numpy as np
import pytest
from scipy import sparse

from ecosystem.core.neighbours import Neighbourhood
from ecosystem.core.opinion import bounded_confidence
from ecosystem.social import barabasi_albert, from_edges


def whole_array_bounded_confidence(stance, indices, rows, confidence, influence):
    """The plain whole-array kernel the blocked one replaced (bincount over all edges)."""
    diff = stance[indices] - stance[rows]
    close = np.abs(diff) < confidence
    n = stance.shape[0]
    pull = np.bincount(rows, weights=np.where(close, diff, 0.0), minlength=n)
    listened = np.bincount(rows, weights=close, minlength=n)
    moved = np.divide(pull, listened, out=np.zeros(n), where=listened > 0)
    return (stance + influence * moved).astype(stance.dtype)


def graphs():
    rng = np.random.default_rng(3)
    yield barabasi_albert(2000, 4, rng)
    # isolated people, at the start and the end too
    yield from_edges(50, np.array([3, 3, 10, 20]), np.array([4, 10, 11, 21]))


@pytest.mark.parametrize("block_entries", [1, 7, 64, 1 << 17])
def test_neighbour_sums_equal_scipy_bit_for_bit(block_entries):
    rng = np.random.default_rng(0)
    for graph in graphs():
        n = graph.size
        operator = Neighbourhood(graph.indptr, graph.indices, block_entries)
        matrix = sparse.csr_array(
            (np.ones(graph.indices.size), graph.indices, graph.indptr), shape=(n, n)
        )
        values = rng.lognormal(size=n)
        assert np.array_equal(operator @ values, matrix @ values)
        stacked = rng.random((n, 3))
        assert np.array_equal(operator @ stacked, matrix @ stacked)
        counts = rng.poisson(0.3, n)
        assert np.array_equal(operator.spread(counts), matrix @ counts.astype(float))
        many = rng.poisson(3.0, n)  # most people give: the fallback
        assert np.array_equal(operator.spread(many), matrix @ many.astype(float))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("confidence", [0.05, 0.3, 0.7, 2.0])
def test_blocked_bounded_confidence_equals_whole_array_bit_for_bit(dtype, confidence):
    rng = np.random.default_rng(1)
    for graph in graphs():
        stance = rng.uniform(-1, 1, graph.size).astype(dtype)
        plain = whole_array_bounded_confidence(stance, graph.indices, graph.rows, confidence, 0.3)
        for block_entries in (1, 13, 1 << 17):
            operator = Neighbourhood(graph.indptr, graph.indices, block_entries)
            fast = bounded_confidence(stance, graph.indices, graph.rows, confidence, 0.3,
                                      neighbourhood=operator)
            assert fast.dtype == stance.dtype
            assert np.array_equal(fast, plain)
        assert np.array_equal(
            bounded_confidence(stance, graph.indices, graph.rows, confidence, 0.3), plain
        )


def test_neighbours_among_a_group_equal_the_full_product():
    rng = np.random.default_rng(4)
    for graph in graphs():
        n = graph.size
        operator = Neighbourhood(graph.indptr, graph.indices, 64)
        matrix = sparse.csr_array(
            (np.ones(graph.indices.size), graph.indices, graph.indptr), shape=(n, n)
        )
        for share in (0.0, 0.3, 1.0):
            members = np.flatnonzero(rng.random(n) < share)
            counts = np.zeros(n, dtype=np.int64)
            counts[members] = rng.poisson(1.5, members.size)
            among = operator.among(members)
            assert np.array_equal(among.sums(counts[members]), matrix @ counts.astype(float))
