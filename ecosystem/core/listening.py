"""One pass over the social graph for everything a person takes in from neighbours in a step.

:func:`ecosystem.core.contagion.heard_rates_pair` (marker words heard) and
:func:`ecosystem.core.opinion.bounded_confidence` (opinions) each gather one value per graph
entry from arrays as long as the population. Once those arrays outgrow the processor's caches
(a few million people), every gather is a trip to memory, so :func:`listen_pass` does both in
one loop over the neighbour lists, with each person's four values (what they say, its AI-profile
part, their stance, how many posts they uploaded) side by side in one 32-byte record: one cache
line fetched per entry. Every sum is taken in the same order as in the two kernels, so the
results are bit for bit theirs (tests/core/test_listening.py).

Each person's sums depend only on their own neighbour list, so large populations are split
between the processor's cores (:mod:`ecosystem.core.threads`): the results are the same bit for
bit with any number of threads.
"""

from __future__ import annotations

import numba
import numpy as np

from ecosystem.core.threads import parallel_for


def aligned_empty(shape: tuple[int, ...], dtype=np.float64, alignment: int = 64) -> np.ndarray:
    """An uninitialised C-ordered array whose first element starts a cache line."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(nbytes + alignment, dtype=np.uint8)
    start = -raw.ctypes.data % alignment
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def listen_pass(
    indptr: np.ndarray,
    indices: np.ndarray,
    rate: np.ndarray,
    ai_part: np.ndarray,
    post_count: np.ndarray,
    post_rate_sum: np.ndarray,
    post_ai_sum: np.ndarray,
    stance: np.ndarray,
    confidence: float,
    influence: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Marker words heard and the bounded-confidence stance update, in one pass.

    Parameters are those of :func:`~ecosystem.core.contagion.heard_rates_pair` and
    :func:`~ecosystem.core.opinion.bounded_confidence`.

    Returns
    -------
    words, ai_words, items : ndarray of float64 (n,)
        As :func:`~ecosystem.core.contagion.heard_rates_pair`.
    new_stance : ndarray (n,)
        As :func:`~ecosystem.core.opinion.bounded_confidence` (``stance`` itself when
        ``influence`` is 0 or nobody has a neighbour).
    """
    n = rate.shape[0]
    words, ai_words, items = np.empty(n), np.empty(n), np.empty(n)
    # each person's record: what they say and post, its AI-profile part, their stance (exact:
    # the kernel takes it back to the stance's precision) and their posts (exact integers)
    record = aligned_empty((n, 4))
    np.add(rate, post_rate_sum, out=record[:, 0])
    np.add(ai_part, post_ai_sum, out=record[:, 1])
    record[:, 2] = stance
    record[:, 3] = post_count
    opinions = not (influence == 0 or indices.size == 0)
    new_stance = np.empty_like(stance) if opinions else stance
    kernel = _listen_parallel if parallel_for(n) else _listen
    kernel(indptr, indices.astype(np.int32, copy=False).view(np.uint32), record, stance,
           stance.dtype.type(confidence), float(influence), opinions, words, ai_words, items,
           new_stance)
    return words, ai_words, items, new_stance


@numba.njit(cache=True, error_model="numpy", inline="always")
def _hear(i, indptr, indices, record, stance, limit, influence, opinions, words, ai_words, items,
          new_stance):  # pragma: no cover
    """Person ``i``'s sums over their neighbour list, in list order."""
    own = stance[i]
    total = 0.0
    total_ai = 0.0
    posts = 0.0
    pull = 0.0
    listened = 0.0
    for e in range(indptr[i], indptr[i + 1]):
        j = indices[e]
        total += record[j, 0]
        total_ai += record[j, 1]
        posts += record[j, 3]  # integers: exact in any order
        diff = stance.dtype.type(record[j, 2]) - own  # in the stance's precision
        # a select, not a branch (its outcome is a coin flip a neighbour): adding 0.0 leaves
        # the pull as it is (it starts at +0.0), so the sum is that of the close neighbours
        close = abs(diff) < limit
        pull += np.float64(diff) if close else 0.0
        listened += 1.0 if close else 0.0
    words[i] = total
    ai_words[i] = total_ai
    items[i] = np.float64(indptr[i + 1] - indptr[i]) + posts
    if opinions:
        moved = pull / listened if listened > 0 else 0.0
        new_stance[i] = np.float64(own) + influence * moved


@numba.njit(cache=True, error_model="numpy")
def _listen(indptr, indices, record, stance, limit, influence, opinions, words, ai_words, items,
            new_stance):  # pragma: no cover
    for i in range(words.shape[0]):
        _hear(i, indptr, indices, record, stance, limit, influence, opinions, words, ai_words,
              items, new_stance)


@numba.njit(cache=True, error_model="numpy", parallel=True)
def _listen_parallel(indptr, indices, record, stance, limit, influence, opinions, words,
                     ai_words, items, new_stance):  # pragma: no cover
    for i in numba.prange(words.shape[0]):
        _hear(i, indptr, indices, record, stance, limit, influence, opinions, words, ai_words,
              items, new_stance)
