"""Fit an AI generation to its training documents.

The model is a categorical distribution over style types (maximum likelihood: the counts) with a
Gaussian per type (maximum likelihood: mean and *biased* variance, as the collapse theory assumes),
limited by a finite capacity and a minimum number of sightings. Quality, marker-word rate and
stance are learned from the training data; the AI's house style and its pull toward neutral are
parameters. Training error (``fit_noise``) perturbs the fitted means and adds artifacts; artifacts
already in the training data are learned and amplified by ``artifact_gain``.

References
----------
Shumailov et al., "AI models collapse when trained on recursively generated data", Nature 2024.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecosystem.core.corpus import HUMAN, Docs


@dataclass(frozen=True)
class FitParams:
    """What the lab's training does, besides the data (scenario sections ``[ai]`` and others).

    Attributes
    ----------
    capacity : int or None
        Most types the model can hold (the most frequent are kept); None for no limit.
    min_count : int
        Types seen fewer times are not learned.
    fit_noise : float
        Standard deviation of the error added to each fitted mean, and artifact added per fit.
    artifact_gain : float
        Factor on the mean artifact of the training data that the model learns.
    artifact_quality_cost : float
        Quality points lost per unit of artifact the model adds beyond its training data.
    house_rate : float
        The AI's own marker-word rate per 1,000 words (all of it in the AI word profile).
    house_weight : float
        How much the model's rate follows its house style rather than its training data.
    neutral_pull : float
        How far the model's stance is pulled toward neutral (0: none, 1: always neutral).
    """

    capacity: int | None = None
    min_count: int = 1
    fit_noise: float = 0.0
    artifact_gain: float = 1.0
    artifact_quality_cost: float = 5.0
    house_rate: float = 5.0
    house_weight: float = 0.5
    neutral_pull: float = 0.5


@dataclass(frozen=True)
class ModelState:
    """The fitted parameters of one AI generation.

    Arrays are indexed by style type; a type with ``probs == 0`` is unknown to the model and
    cannot be generated (its mean and variance are 0 and meaningless).
    """

    generation: int
    probs: np.ndarray
    means: np.ndarray
    variances: np.ndarray
    quality: np.ndarray
    quality_std: float
    quality_shift: float
    artifact: float
    gpt_rate: float
    stance_mean: float
    stance_std: float
    train_docs: int
    train_ai_share: float
    gpt_ai: float = 0.0
    """The part of ``gpt_rate`` in the AI word profile (:mod:`ecosystem.core.words`)."""

    @property
    def types(self) -> int:
        """Length of the type axis (known and unknown types)."""
        return int(self.probs.shape[0])

    @property
    def known(self) -> np.ndarray:
        """Boolean mask of the types the model can generate."""
        return self.probs > 0


def learned_types(counts: np.ndarray, capacity: int | None, min_count: int) -> np.ndarray:
    """Return the counts the model keeps after its capacity and minimum-sightings limits.

    Types seen fewer than ``min_count`` times are dropped; of the rest, only the ``capacity``
    most frequent are kept (ties go to the lower type index).
    """
    kept = np.where(counts >= min_count, counts, 0)
    if capacity is not None and np.count_nonzero(kept) > capacity:
        order = np.argsort(-kept, kind="stable")
        kept = kept.copy()
        kept[order[capacity:]] = 0
    return kept


def fit(
    docs: Docs,
    n_types: int,
    params: FitParams,
    rng: np.random.Generator,
    generation: int = 0,
) -> ModelState:
    """Fit one AI generation to its training documents by maximum likelihood.

    Parameters
    ----------
    docs : Docs
        The training set (at least one document).
    n_types : int
        Length of the type axis (types that exist in the world so far).
    params : FitParams
        Capacity, noise and house-style parameters.
    rng : numpy.random.Generator
        Source of the training error.
    generation : int
        The generation number this fit produces.

    Returns
    -------
    ModelState
    """
    n = len(docs)
    if n == 0:
        raise ValueError("cannot fit a model to an empty training set")
    types = docs.type.astype(np.intp)  # bincount and lookups work in native-width indices
    seen = np.bincount(types, minlength=n_types)
    counts = learned_types(seen, params.capacity, params.min_count)
    total = counts.sum()
    if total == 0:
        raise ValueError("no type in the training set is seen min_count times")
    probs = counts / total
    known = counts > 0

    dims = docs.dims
    means = np.zeros((n_types, dims))
    variances = np.zeros((n_types, dims))
    raw_counts = np.maximum(seen, 1)
    for j in range(dims):
        column = docs.x[:, j].astype(np.float64)
        mean_j = np.bincount(types, weights=column, minlength=n_types) / raw_counts
        centred = np.subtract(column, np.take(mean_j, types), out=column)
        squares = np.bincount(types, weights=np.square(centred, out=centred), minlength=n_types)
        variances[:, j] = squares / raw_counts
        means[:, j] = mean_j
    means[~known] = 0.0
    variances[~known] = 0.0
    if params.fit_noise > 0:
        means[known] += rng.normal(0.0, params.fit_noise, size=(int(known.sum()), dims))

    quality64 = docs.quality.astype(np.float64)
    q_type = np.bincount(types, weights=quality64, minlength=n_types) / raw_counts
    in_model = np.take(known, types)
    if in_model.all():
        residual = quality64 - np.take(q_type, types)
    else:
        residual = quality64[in_model] - q_type[types[in_model]]
    quality_std = float(np.sqrt(np.mean(residual * residual))) if residual.size else 0.0
    q_type[~known] = 0.0

    train_artifact = float(docs.artifact.mean(dtype=np.float64))
    artifact = params.artifact_gain * train_artifact + params.fit_noise
    quality_shift = -params.artifact_quality_cost * (artifact - train_artifact)

    learned_rate = float(docs.gpt_rate.mean(dtype=np.float64))
    gpt_rate = (1 - params.house_weight) * learned_rate + params.house_weight * params.house_rate
    learned_ai = float(docs.gpt_ai.mean(dtype=np.float64))
    gpt_ai = (1 - params.house_weight) * learned_ai + params.house_weight * params.house_rate
    stance = docs.stance.astype(np.float64)
    keep = 1.0 - params.neutral_pull

    return ModelState(
        generation=generation,
        probs=probs,
        means=means,
        variances=variances,
        quality=q_type,
        quality_std=quality_std,
        quality_shift=quality_shift,
        artifact=artifact,
        gpt_rate=gpt_rate,
        stance_mean=keep * float(stance.mean()),
        stance_std=keep * float(stance.std()),
        train_docs=n,
        train_ai_share=float(np.mean(docs.origin != HUMAN)),
        gpt_ai=gpt_ai,
    )


def fit_reference(docs: Docs, n_types: int, params: FitParams) -> ModelState:
    """Slow, obvious per-type version of :func:`fit` without training noise, for tests."""
    counts = [int(np.sum(docs.type == k)) for k in range(n_types)]
    kept = [c if c >= params.min_count else 0 for c in counts]
    if params.capacity is not None:
        ranked = sorted(range(n_types), key=lambda k: (-kept[k], k))
        for k in ranked[params.capacity:]:
            kept[k] = 0
    total = sum(kept)
    dims = docs.dims
    probs = np.zeros(n_types)
    means = np.zeros((n_types, dims))
    variances = np.zeros((n_types, dims))
    quality = np.zeros(n_types)
    squared = []
    for k in range(n_types):
        if kept[k] == 0:
            continue
        rows = docs.type == k
        probs[k] = kept[k] / total
        means[k] = docs.x[rows].astype(float).mean(axis=0)
        variances[k] = docs.x[rows].astype(float).var(axis=0)  # biased, ddof = 0
        quality[k] = docs.quality[rows].astype(float).mean()
        squared.extend((docs.quality[rows].astype(float) - quality[k]) ** 2)
    train_artifact = float(np.mean(docs.artifact.astype(float)))
    artifact = params.artifact_gain * train_artifact
    rate = (1 - params.house_weight) * float(np.mean(docs.gpt_rate.astype(float)))
    return ModelState(
        generation=0,
        probs=probs,
        means=means,
        variances=variances,
        quality=quality,
        quality_std=float(np.sqrt(np.mean(squared))),
        quality_shift=-params.artifact_quality_cost * (artifact - train_artifact),
        artifact=artifact,
        gpt_rate=rate + params.house_weight * params.house_rate,
        stance_mean=(1 - params.neutral_pull) * float(np.mean(docs.stance.astype(float))),
        stance_std=(1 - params.neutral_pull) * float(np.std(docs.stance.astype(float))),
        train_docs=len(docs),
        train_ai_share=float(np.mean([o != HUMAN for o in docs.origin])),
        gpt_ai=(1 - params.house_weight) * float(np.mean(docs.gpt_ai.astype(float)))
        + params.house_weight * params.house_rate,
    )
