"""Marker-word contagion: people's rate of "GPT words" moves toward what they read and hear.

Each step a person hears each neighbour speak once (the neighbour's current rate) and reads each
post a neighbour uploaded this step (the post's rate). An AI user also reads AI output: a share
``ai_exposure`` of what they take in comes from the model, at the model's rate. Their own rate
moves a fraction ``adoption`` of the way toward the mean of what they took in. So people who use
AI pick up the model's marker words, and people who never use it catch them from neighbours.

The rule is linear, with the same weights for every marker word, so it runs on the two numbers
that hold a person's per-word rates (:mod:`ecosystem.core.words`): the total rate and its part in
the AI's word profile, both in one pass over the graph (:func:`heard_rates_pair`).

References
----------
Yakura et al., "Empirical evidence of large language model's influence on human spoken
communication", arXiv 2024.
"""

from __future__ import annotations

import numba
import numpy as np


def heard_rates(
    indptr: np.ndarray,
    indices: np.ndarray,
    rate: np.ndarray,
    post_count: np.ndarray,
    post_rate_sum: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Total marker words and items each person heard from neighbours' speech and posts.

    Parameters
    ----------
    indptr, indices : ndarray
        The graph's CSR neighbour lists: person i's neighbours are
        ``indices[indptr[i]:indptr[i + 1]]`` (undirected: j lists i if i lists j).
    rate : ndarray (n,)
        Everyone's current rate (what neighbours hear them speak).
    post_count, post_rate_sum : ndarray (n,)
        How many posts each person uploaded this step, and the sum of their rates.

    Returns
    -------
    words : ndarray (n,)
        Sum of the rates of everything heard: each neighbour's ``rate + post_rate_sum`` (in
        float64), summed in CSR order, bit for bit the sparse adjacency product.
    items : ndarray (n,)
        How many things were heard (neighbours, plus their posts), as float64.
    """
    n = rate.shape[0]
    words = np.empty(n)
    items = np.empty(n)
    spoken = rate + post_rate_sum  # float64: what a neighbour says and posts
    # unsigned indices: the compiled code skips the check for negative (from the end) indices
    _heard(indptr, indices.astype(np.int32, copy=False).view(np.uint32), spoken,
           np.asarray(post_count, dtype=np.int64), words, items)
    return words, items


@numba.njit(cache=True)
def _heard(indptr, indices, spoken, post_count, words, items):  # pragma: no cover
    for i in range(words.shape[0]):
        total = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            total += spoken[indices[e]]
        words[i] = total
        items[i] = indptr[i + 1] - indptr[i]
    # posts heard: each poster passes their count to their neighbours (the graph is undirected);
    # integer sums are exact in any order, and this reads only the few posters' lists
    for j in range(words.shape[0]):
        count = post_count[j]
        if count:
            for e in range(indptr[j], indptr[j + 1]):
                items[indices[e]] += count


def heard_rates_pair(
    indptr: np.ndarray,
    indices: np.ndarray,
    rate: np.ndarray,
    ai_part: np.ndarray,
    post_count: np.ndarray,
    post_rate_sum: np.ndarray,
    post_ai_sum: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`heard_rates` for the total rate and its AI-profile part at once.

    One pass over the neighbour lists sums both; ``words`` and ``items`` are bit for bit those
    of :func:`heard_rates` on ``rate``, and ``ai_words`` those of :func:`heard_rates` on
    ``ai_part`` (the same sums in the same order).

    Returns
    -------
    words, ai_words, items : ndarray (n,)
    """
    n = rate.shape[0]
    words = np.empty(n)
    ai_words = np.empty(n)
    items = np.empty(n)
    spoken = rate + post_rate_sum
    spoken_ai = ai_part + post_ai_sum
    _heard_pair(indptr, indices.astype(np.int32, copy=False).view(np.uint32), spoken, spoken_ai,
                np.asarray(post_count, dtype=np.int64), words, ai_words, items)
    return words, ai_words, items


@numba.njit(cache=True)
def _heard_pair(indptr, indices, spoken, spoken_ai, post_count, words, ai_words,
                items):  # pragma: no cover
    for i in range(words.shape[0]):
        total = 0.0
        total_ai = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            total += spoken[j]
            total_ai += spoken_ai[j]
        words[i] = total
        ai_words[i] = total_ai
        items[i] = indptr[i + 1] - indptr[i]
    for j in range(words.shape[0]):
        count = post_count[j]
        if count:
            for e in range(indptr[j], indptr[j + 1]):
                items[indices[e]] += count


def update_rates(
    rate: np.ndarray,
    words: np.ndarray,
    items: np.ndarray,
    ai_user: np.ndarray,
    ai_rate: float,
    ai_exposure: float,
    adoption: float,
) -> np.ndarray:
    """New marker-word rates after one step of listening.

    A person who heard nothing keeps their rate, unless they use AI: then what they read is all
    AI output. A compiled loop over people (:func:`_update_rates`), value for value the NumPy
    expression ``(1 - exposure) * social + exposure * ai_rate`` then ``rate + adoption *
    (target - rate)`` in float64, as the tests check bit for bit.
    """
    new = np.empty_like(rate)
    # the constants as NumPy would take them (a float32 ai_rate multiplies in float32)
    _update_rates(rate, words, items, ai_user, float(ai_rate), float(1.0 - ai_exposure),
                  float(ai_exposure * ai_rate), float(adoption), new)
    return new


@numba.njit(cache=True, error_model="numpy")
def _update_rates(rate, words, items, ai_user, ai_rate, keep, from_ai, adoption,
                  new):  # pragma: no cover
    for i in range(rate.shape[0]):
        heard = items[i] > 0
        if not (heard or ai_user[i]):
            new[i] = rate[i]
            continue
        target = words[i] / items[i] if heard else 0.0
        if ai_user[i]:
            # a share ai_exposure of what they read is AI output (all of it if they heard nobody)
            target = target * keep + from_ai if heard else ai_rate
        own = np.float64(rate[i])
        new[i] = (target - own) * adoption + own


def update_rates_reference(
    rate: list[float],
    neighbours: list[list[int]],
    posts: list[list[float]],
    ai_user: list[bool],
    ai_rate: float,
    ai_exposure: float,
    adoption: float,
) -> list[float]:
    """Slow, obvious per-person version of :func:`heard_rates` + :func:`update_rates`.

    ``posts[j]`` lists the rates of the posts person j uploaded this step.
    """
    new = []
    for i, own in enumerate(rate):
        heard = []
        for j in neighbours[i]:
            heard.append(rate[j])
            heard.extend(posts[j])
        if not heard and not ai_user[i]:
            new.append(own)
            continue
        if not heard:
            target = ai_rate
        elif ai_user[i]:
            target = (1 - ai_exposure) * sum(heard) / len(heard) + ai_exposure * ai_rate
        else:
            target = sum(heard) / len(heard)
        new.append(own + adoption * (target - own))
    return new
