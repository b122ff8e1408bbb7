"""One pass over the social graph for everything a person takes in from neighbours in a step.

:func:`ecosystem.core.contagion.heard_rates_pair` (marker words heard) and
:func:`ecosystem.core.opinion.bounded_confidence` (opinions) each gather one value per graph
entry from arrays as long as the population. Once those arrays outgrow the processor's caches
(a few million people), every gather is a trip to memory, so :func:`listen_pass` does both in
one loop over the neighbour lists, with each person's three values (what they say, its AI-profile
part, their stance) side by side in one record: one cache line fetched per entry instead of
three. Every sum is taken in the same order as in the two kernels, so the results are bit for
bit theirs (tests/core/test_listening.py).
"""

from __future__ import annotations

import numba
import numpy as np


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
    # each person's record: what they say and post, its AI-profile part, their stance
    record = np.empty((n, 3))
    np.add(rate, post_rate_sum, out=record[:, 0])
    np.add(ai_part, post_ai_sum, out=record[:, 1])
    record[:, 2] = stance  # exact: the kernel takes it back to the stance's precision
    opinions = not (influence == 0 or indices.size == 0)
    new_stance = np.empty_like(stance) if opinions else stance
    _listen(indptr, indices.astype(np.int32, copy=False).view(np.uint32), record,
            np.asarray(post_count, dtype=np.int64), stance, stance.dtype.type(confidence),
            float(influence), opinions, words, ai_words, items, new_stance)
    return words, ai_words, items, new_stance


@numba.njit(cache=True, error_model="numpy")
def _listen(indptr, indices, record, post_count, stance, limit, influence, opinions, words,
            ai_words, items, new_stance):  # pragma: no cover
    for i in range(words.shape[0]):
        own = stance[i]
        total = 0.0
        total_ai = 0.0
        pull = 0.0
        listened = 0
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            total += record[j, 0]
            total_ai += record[j, 1]
            diff = stance.dtype.type(record[j, 2]) - own  # in the stance's precision
            if abs(diff) < limit:
                pull += np.float64(diff)
                listened += 1
        words[i] = total
        ai_words[i] = total_ai
        items[i] = indptr[i + 1] - indptr[i]
        if opinions:
            moved = pull / listened if listened > 0 else 0.0
            new_stance[i] = np.float64(own) + influence * moved
    # posts heard: each poster passes their count to their neighbours (integer sums, any order)
    for j in range(words.shape[0]):
        count = post_count[j]
        if count:
            for e in range(indptr[j], indptr[j + 1]):
                items[indices[e]] += count
