"""Measures of an AI generation and of the corpus (the columns of ``timeseries.parquet``).

A value with nothing to measure is ``None`` (null in the tables), never 0.
"""

from __future__ import annotations

import numpy as np

from ecosystem.core.corpus import HUMAN, Culture, Docs
from ecosystem.core.fit import ModelState


def mixture_mean(state: ModelState) -> np.ndarray:
    """The mean point of the model's output at T = 1 (dims,)."""
    return state.probs @ state.means


def model_metrics(state: ModelState, culture: Culture, initial_mean: np.ndarray) -> dict:
    """Diversity, spread and drift of one generation.

    Parameters
    ----------
    state : ModelState
    culture : Culture
        The original human culture (its tail is the types below the median weight).
    initial_mean : ndarray (dims,)
        Mean point of the original human corpus.

    Returns
    -------
    dict
        ``model_richness`` (types with p > 0), ``model_entropy`` (nats), ``model_gini_simpson``
        (1 − Σp²), ``top_share`` (max p), ``tail_mass`` (p on the original tail types, None if
        the culture has no tail), ``model_variance`` (total variance of the output at T = 1,
        averaged over dims) and ``drift`` (distance of the mean point from ``initial_mean``).
    """
    p = state.probs
    nonzero = p[p > 0]
    mean = mixture_mean(state)
    second = p @ (state.variances + state.means**2)
    tail = culture.tail
    return {
        "model_richness": int(nonzero.size),
        "model_entropy": max(0.0, float(-np.sum(nonzero * np.log(nonzero)))),
        "model_gini_simpson": float(1.0 - np.sum(p * p)),
        "top_share": float(p.max()),
        "tail_mass": float(p[: tail.size][tail].sum()) if tail.any() else None,
        "model_variance": float(np.mean(second - mean**2)),
        "drift": float(np.linalg.norm(mean - initial_mean)),
    }


def _mean_or_none(values: np.ndarray) -> float | None:
    return float(values.mean(dtype=np.float64)) if values.size else None


def style_entropy(types: np.ndarray) -> tuple[float | None, int | None]:
    """Entropy (nats) of the style types of a set of documents or people, and their richness.

    Returns ``(None, None)`` for an empty set: nothing to measure.
    """
    if types.size == 0:
        return None, None
    counts = np.bincount(types)
    counts = counts[counts > 0]
    shares = counts / types.size
    return max(0.0, float(-np.sum(shares * np.log(shares)))), int(counts.size)


def style_entropy_reference(types) -> tuple[float | None, int | None]:
    """Slow, obvious version of :func:`style_entropy` (a dictionary of counts), for tests."""
    counts: dict[int, int] = {}
    for t in types:
        counts[int(t)] = counts.get(int(t), 0) + 1
    if not counts:
        return None, None
    n = sum(counts.values())
    return -sum(c / n * np.log(c / n) for c in counts.values()), len(counts)


UPLOAD_COLUMNS = ("ai_share", "corpus_richness", "quality_ai", "quality_human", "web_entropy",
                  "web_effective_styles")


def upload_metrics(uploads: Docs) -> dict:
    """Measures of what was uploaded in one step.

    Returns ``ai_share`` (share of AI documents), ``corpus_richness`` (distinct style types),
    ``quality_ai`` and ``quality_human`` (mean quality of each origin's uploads),
    ``web_entropy`` (entropy of the uploads' style types, nats) and ``web_effective_styles``
    (its exponential, the Hill number of order 1: how many equally common styles would be as
    diverse).
    """
    if len(uploads) == 0:
        return dict.fromkeys(UPLOAD_COLUMNS)
    is_ai = uploads.origin != HUMAN
    entropy, richness = style_entropy(uploads.type)
    return {
        "ai_share": float(is_ai.mean()),
        "corpus_richness": richness,
        "quality_ai": _mean_or_none(uploads.quality[is_ai]),
        "quality_human": _mean_or_none(uploads.quality[~is_ai]),
        "web_entropy": entropy,
        "web_effective_styles": float(np.exp(entropy)),
    }


def neutral_share(stance: np.ndarray, band: float) -> float | None:
    """Share of stances with |stance| < band (None for nobody)."""
    return float(np.mean(np.abs(stance) < band)) if stance.size else None


def people_metrics(
    gpt_rate: np.ndarray,
    stance: np.ndarray,
    ai_user: np.ndarray,
    neutral_band: float,
    style_type: np.ndarray | None = None,
) -> dict:
    """Marker-word rates and opinions of people, split by AI use, and the styles they hold.

    ``people_entropy`` (nats) and ``people_richness`` are the entropy and the number of distinct
    style types people currently hold (``style_type``): how far people themselves have
    homogenised (Anderson et al. 2024; Padmakumar & He 2024).
    """
    entropy, richness = style_entropy(style_type) if style_type is not None else (None, None)
    users, others = ai_user, ~ai_user
    neutral = np.abs(stance) < neutral_band
    n_users = int(np.count_nonzero(users))
    n_others = users.size - n_users
    # a share of a mask is its count over the size (the same number np.mean gives)
    neutral_users = int(np.count_nonzero(neutral & users))
    return {
        "gpt_rate_users": _mean_or_none(gpt_rate[users]),
        "gpt_rate_nonusers": _mean_or_none(gpt_rate[others]),
        "neutral_share_users": neutral_users / n_users if n_users else None,
        "neutral_share_nonusers": (
            (int(np.count_nonzero(neutral)) - neutral_users) / n_others if n_others else None
        ),
        "stance_std": float(stance.std()) if stance.size else None,
        "people_entropy": entropy,
        "people_richness": richness,
    }
