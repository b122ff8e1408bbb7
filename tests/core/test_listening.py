"""The fused listening pass equals the marker-word and opinion kernels bit for bit."""

import os
import platform

import numpy as np
import pytest

from ecosystem.core import threads
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


@pytest.mark.parametrize("parallel", [False, True])
def test_a_neighbour_without_a_finite_stance_is_never_close(monkeypatch, parallel,
                                                           all_threads):
    # a star whose leaves hold NaN, 0.2, inf and -inf: the bound keeps 0.2 alone, as the
    # opinion kernel does (a product with the bound's 0 or 1 would make the pull NaN)
    monkeypatch.setattr(threads, "PARALLEL_MIN_PEOPLE", 0 if parallel else None)
    graph = from_edges(5, np.zeros(4, dtype=np.int64), np.arange(1, 5))
    stance = np.array([0.0, np.nan, 0.2, np.inf, -np.inf], dtype=np.float32)
    zeros = np.zeros(5)
    new = listen_pass(graph.indptr, graph.indices, zeros, zeros, np.zeros(5, dtype=np.int64),
                      zeros, zeros, stance, 0.5, 0.5)[3]
    want = bounded_confidence(stance, graph.indptr, graph.indices, 0.5, 0.5)
    np.testing.assert_array_equal(new, want)
    assert new[0] == np.float32(0.1)


def _pass_inputs(n, seed=9):
    rng = np.random.default_rng(seed)
    graph = barabasi_albert(n, 5, rng)
    rate = rng.lognormal(0, 1, n)
    ai = rate * rng.random(n)
    count = rng.poisson(0.3, n)
    rate_sum = count * rng.random(n)
    ai_sum = rate_sum * rng.random(n)
    stance = rng.uniform(-1, 1, n).astype(np.float32)
    return (graph.indptr, graph.indices, rate, ai, count, rate_sum, ai_sum, stance, 0.3, 0.2)


def test_threads_give_the_same_numbers(monkeypatch, all_threads):
    """Split between threads, every person's sums are those of the one-core pass, bit for bit."""
    inputs = _pass_inputs(20_000)
    monkeypatch.setattr(threads, "PARALLEL_MIN_PEOPLE", None)
    serial = listen_pass(*inputs)
    monkeypatch.setattr(threads, "PARALLEL_MIN_PEOPLE", 0)
    if not threads.threads_available():
        # TBB is a dependency on x86-64: there, a machine of several cores must use it
        assert platform.machine() not in ("x86_64", "AMD64") or os.cpu_count() == 1, (
            "TBB should give the pass the machine's cores")
        pytest.skip("one thread only: no TBB for this processor, or one core")
    parallel = listen_pass(*inputs)
    for got, want in zip(parallel, serial, strict=True):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def _pass_in_child(queue):
    queue.put(float(listen_pass(*_pass_inputs(5_000))[0].sum()))


def test_a_process_forked_after_a_parallel_pass_can_run_one(monkeypatch, all_threads):
    """``validate --jobs`` forks workers: a parallel pass in the parent must not hang them."""
    import multiprocessing

    monkeypatch.setattr(threads, "PARALLEL_MIN_PEOPLE", 0)
    if not threads.threads_available():
        pytest.skip("one thread only: no parallel pass to fork after")
    expected = float(listen_pass(*_pass_inputs(5_000))[0].sum())
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_pass_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    hung = child.is_alive()
    if hung:
        child.kill()
    assert not hung, "the forked process hung in its parallel pass"
    assert child.exitcode == 0
    assert queue.get(timeout=5) == expected
