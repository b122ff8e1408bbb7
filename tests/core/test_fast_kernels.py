"""Fast array helpers against the plain NumPy expressions they replace: equal bit for bit."""

import numpy as np
import pytest

from ecosystem.core.corpus import put_rows, take_rows
from ecosystem.core.decode import search_right, weighted_choice


@pytest.mark.parametrize("dims", [1, 2, 3, 5])
def test_take_rows_and_put_rows_equal_fancy_indexing(dims):
    rng = np.random.default_rng(dims)
    array = rng.random((500, dims)).astype(np.float32)
    index = rng.integers(0, 500, 300)  # with repeats: the last write wins, as with []
    assert np.array_equal(take_rows(array, index), array[index])
    mask = rng.random(500) < 0.3
    assert np.array_equal(take_rows(array, mask), array[mask])
    values = rng.random((300, dims))  # float64 values cast to the array's float32
    plain, fast = array.copy(), array.copy()
    plain[index] = values
    put_rows(fast, index, values)
    assert np.array_equal(fast, plain)
    put_rows(fast, index[:1], values[0])  # one row, broadcast
    plain[index[:1]] = values[0]
    assert np.array_equal(fast, plain)


def test_search_right_equals_searchsorted_on_awkward_values():
    rng = np.random.default_rng(0)
    for _ in range(200):
        rows, types = int(rng.integers(1, 6)), int(rng.integers(1, 80))
        table = rng.random((rows, types)) * (rng.random((rows, types)) < 0.7)
        table[:, 0] += 1e-9
        cdf = np.cumsum(table, axis=1)
        cdf /= cdf[:, -1:]
        cdf += np.arange(rows)[:, None]
        flat = cdf.ravel()
        u = rng.random(int(rng.integers(1, 20_000))) + rng.integers(0, rows, 1)
        edges = np.arange(rows * 1024 + 1) / 1024
        special = np.concatenate([flat, np.nextafter(flat, 0), np.nextafter(flat, 10), edges,
                                  [0.0, float(rows)]])
        u = np.concatenate([u, special[(special >= 0) & (special <= rows)]])
        assert np.array_equal(search_right(flat, u, rows),
                              np.searchsorted(flat, u, side="right"))


@pytest.mark.parametrize("k", [1, 3, 50, 2000])
def test_weighted_choice_is_numpys_weighted_choice(k):
    # the same uniform draws searched in the same cumulative sum: the same picks, and the
    # generator left in the same state
    for seed in range(5):
        weights = np.random.default_rng(seed).pareto(1.0, k) + 1e-12
        weights /= weights.sum()
        ours_rng, numpy_rng = np.random.default_rng(seed), np.random.default_rng(seed)
        ours = weighted_choice(k, 20_000, weights, ours_rng)
        theirs = numpy_rng.choice(k, size=20_000, p=weights)
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
        assert ours_rng.random() == numpy_rng.random()
