"""The field's estimators of how much of the web is AI text, run on the simulated web.

The model knows the true AI share of every step's uploads (``ai_share``); no study can observe
that. These are the three ways the field measures it, applied to a crawl sample of the uploads
with the marker words each document contains (:func:`ecosystem.core.words.word_occurrence`):

- :func:`classifier_share`: a detector labels each document (Graphite's Common Crawl study);
- :func:`excess_vocabulary`: the excess of marker-word frequencies over a counterfactual
  projected from before AI, a lower bound on the share of documents processed by AI (Kobak et
  al. 2025);
- :func:`distributional_mle`: the maximum-likelihood mixture weight of an AI and a human
  reference distribution of word occurrence (Liang et al. 2024), with a bootstrap standard
  error.

Each has a slow, obvious reference beside it for the tests. Their known biases are in
``docs/measurement.md``.

References
----------
Graphite, "More articles are now created by AI than humans", 2024 (Common Crawl sample; the
classifier's false-positive rate 4.2 % and false-negative rate 0.6 %).
Kobak, González-Márquez, Horvát & Lause, "Delving into LLM-assisted writing in biomedical
publications through excess vocabulary", Science Advances 2025.
Liang et al., "Monitoring AI-modified content at scale: a case study on the impact of ChatGPT on
AI conference peer reviews", ICML 2024.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# -- the classifier ------------------------------------------------------------------------------


def classify(
    is_ai: np.ndarray, false_positive: float, false_negative: float, rng: np.random.Generator
) -> np.ndarray:
    """Label each document as AI (True) or human, as a detector with these error rates does.

    A human document is called AI with probability ``false_positive``; an AI document is
    called human with probability ``false_negative``.
    """
    u = rng.random(is_ai.shape[0])
    return np.where(is_ai, u >= false_negative, u < false_positive)


def classifier_share(labels: np.ndarray) -> float | None:
    """Share of documents labelled AI (None for no documents): Graphite's reported figure.

    Its expectation is ``fp + (1 − fp − fn) · s`` for a true AI share s: a human-only web reads
    ``fp``, and the figure is not corrected for the error rates.
    """
    return float(np.count_nonzero(labels) / labels.size) if labels.size else None


# -- excess vocabulary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """How many documents of a period contain each marker word, and any of them.

    Attributes
    ----------
    docs : int
        Documents measured.
    words : ndarray of int64 (V,)
        Documents containing each word at least once.
    any_word : int
        Documents containing at least one of the words (Kobak et al.'s word group).
    """

    docs: int
    words: np.ndarray
    any_word: int

    @classmethod
    def of(cls, present: np.ndarray) -> Occurrence:
        """Summarise a (documents × words) occurrence matrix (or count matrix)."""
        present = np.asarray(present) > 0
        return cls(docs=int(present.shape[0]),
                   words=np.count_nonzero(present, axis=0).astype(np.int64),
                   any_word=int(np.count_nonzero(present.any(axis=1))))

    @classmethod
    def pool(cls, periods: list[Occurrence], n_words: int) -> Occurrence:
        """Add up several periods (a window of steps)."""
        words = np.zeros(n_words, dtype=np.int64)
        for period in periods:
            words += period.words
        return cls(docs=sum(p.docs for p in periods), words=words,
                   any_word=sum(p.any_word for p in periods))

    def frequencies(self) -> np.ndarray:
        """Share of documents containing each word, then any word: shape (V + 1,)."""
        return np.append(self.words, self.any_word) / self.docs


def counterfactual(
    earlier: Occurrence | None, later: Occurrence, periods_ahead: float
) -> tuple[np.ndarray, np.ndarray]:
    """Kobak et al.'s projected frequency of each word (and the word group) without AI.

    With two reference periods the frequency is extrapolated linearly from them, and only
    upward (``q = p₂ + g · max(p₂ − p₁, 0)`` for a period ``g`` reference periods after the
    later one): a projection that never lowers the counterfactual keeps the bound a lower
    bound. With one reference period (no trend to see) the projection is its frequency.

    Returns
    -------
    q : ndarray (V + 1,)
        Projected document frequencies.
    variance : ndarray (V + 1,)
        Their binomial sampling variance.
    """
    p2 = later.frequencies()
    var2 = p2 * (1 - p2) / later.docs
    if earlier is None:
        return p2, var2
    p1 = earlier.frequencies()
    var1 = p1 * (1 - p1) / earlier.docs
    rising = p2 > p1
    g = periods_ahead
    q = p2 + g * np.where(rising, p2 - p1, 0.0)
    variance = np.where(rising, (1 + g) ** 2 * var2 + g**2 * var1, var2)
    return q, variance


def excess_vocabulary(
    observed: Occurrence, q: np.ndarray, q_variance: np.ndarray
) -> tuple[float | None, float | None]:
    """Kobak et al.'s lower bound on the share of documents processed by AI.

    For each word (and the group "any of the words"), a document processed by AI contains it
    with some probability ``s ≤ 1``, so the observed frequency is ``p = (1 − α) q + α s`` and
    ``α = (p − q) / (s − q) ≥ (p − q) / (1 − q)``. The bound is the largest of these over the
    words and the group.

    Parameters
    ----------
    observed : Occurrence
        The period measured.
    q, q_variance : ndarray (V + 1,)
        The counterfactual frequencies and their variance (:func:`counterfactual`).

    Returns
    -------
    bound : float or None
        ``max over candidates of (p − q) / (1 − q)``; None without documents.
    se : float or None
        The delta-method standard error of the winning candidate.
    """
    if observed.docs == 0:
        return None, None
    p = observed.frequencies()
    gap = 1.0 - np.minimum(q, 1.0 - 1e-12)
    bounds = (p - q) / gap
    best = int(np.argmax(bounds))
    variance = p[best] * (1 - p[best]) / observed.docs + q_variance[best]
    return float(bounds[best]), float(math.sqrt(variance) / gap[best])


def excess_vocabulary_reference(
    observed_counts: list[list[int]], baseline_counts: list[list[int]]
) -> float:
    """Slow, obvious version of :func:`excess_vocabulary` with a one-period counterfactual."""
    def shares(rows):
        n = len(rows)
        words = [sum(1 for row in rows if row[w] > 0) / n for w in range(len(rows[0]))]
        return [*words, sum(1 for row in rows if any(c > 0 for c in row)) / n]

    p, q = shares(observed_counts), shares(baseline_counts)
    return max((pc - qc) / (1 - qc) for pc, qc in zip(p, q, strict=True))


# -- distributional maximum likelihood -------------------------------------------------------------


def occurrence_probabilities(rates: np.ndarray, document_words: int) -> np.ndarray:
    """Chance that a document contains each word at least once: ``1 − exp(−L · rate / 1000)``.

    ``rates`` are per 1,000 words; counts are Poisson
    (:func:`ecosystem.core.words.word_occurrence`).
    """
    return -np.expm1(-np.asarray(rates, dtype=np.float64) * (document_words / 1000.0))


def _log_ratios(patterns: np.ndarray, p_human: np.ndarray, q_ai: np.ndarray) -> np.ndarray:
    """Log Q(x) / P(x) of each occurrence pattern under independent words."""
    eps = 1e-300
    present = np.log(np.maximum(q_ai, eps)) - np.log(np.maximum(p_human, eps))
    absent = np.log1p(-np.minimum(q_ai, 1 - 1e-15)) - np.log1p(-np.minimum(p_human, 1 - 1e-15))
    return np.where(patterns, present, absent).sum(axis=1)


def _score(alpha: np.ndarray, excess: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """d/dα of Σ w log((1 − α) P + α Q), per row of ``weights`` (rows: resamples).

    ``excess`` is ``Q/P − 1`` of each pattern: the score is ``Σ w (R − 1) / (1 + α (R − 1))``.
    """
    return (weights * (excess / (1.0 + alpha[:, None] * excess))).sum(axis=1)


def _solve(log_ratio: np.ndarray, weights: np.ndarray, iterations: int = 50) -> np.ndarray:
    """The maximising α in [0, 1] for each row of ``weights`` (bisection on the score).

    The score decreases in α (the log-likelihood is concave), so α = 0 if it is ≤ 0 there,
    α = 1 if it is ≥ 0 there, else its root, to 2⁻⁵⁰.
    """
    # a likelihood ratio past e^700 is as decisive as infinity and stays finite
    excess = np.expm1(np.clip(log_ratio, -700.0, 700.0))
    rows = weights.shape[0]
    low, high = np.zeros(rows), np.ones(rows)
    at_zero = _score(low, excess, weights) <= 0
    at_one = _score(high, excess, weights) >= 0
    for _ in range(iterations):
        mid = 0.5 * (low + high)
        up = _score(mid, excess, weights) > 0
        low = np.where(up, mid, low)
        high = np.where(up, high, mid)
    return np.where(at_zero, 0.0, np.where(at_one, 1.0, 0.5 * (low + high)))


def _patterns(present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a boolean matrix and how often each occurs.

    Rows are packed into bytes and compared as one opaque record each (``np.unique`` along an
    axis is many times slower).
    """
    n_words = present.shape[1]
    packed = np.packbits(present, axis=1)
    width = packed.shape[1]
    if width <= 8:
        # up to 64 words: each row is one 64-bit integer, and integers sort fast
        padded = np.zeros((packed.shape[0], 8), dtype=np.uint8)
        padded[:, :width] = packed
        keys, counts = np.unique(padded.view(np.uint64).reshape(-1), return_counts=True)
        rows = keys.view(np.uint8).reshape(-1, 8)[:, :width]
    else:
        record = np.ascontiguousarray(packed).view(np.dtype((np.void, width)))
        keys, counts = np.unique(record.reshape(-1), return_counts=True)
        rows = keys.view(np.uint8).reshape(-1, width)
    return np.unpackbits(rows, axis=1, count=n_words).astype(bool), counts


def distributional_mle(
    present: np.ndarray,
    p_human: np.ndarray,
    q_ai: np.ndarray,
    bootstrap: int,
    rng: np.random.Generator,
) -> tuple[float | None, float | None]:
    """Liang et al.'s estimate of the AI-modified fraction α of a set of documents.

    Each document is its pattern of word occurrence ``x`` (which marker words it contains);
    under the human reference distribution ``P`` and the AI one ``Q`` the words occur
    independently with probabilities ``p_human`` and ``q_ai``. The estimate maximises
    ``Σ_docs log((1 − α) P(x) + α Q(x))`` over α in [0, 1] (the log-likelihood is concave in α;
    its score is solved by bisection). Documents are grouped by pattern, so a bootstrap
    resample is a multinomial draw of pattern counts.

    Parameters
    ----------
    present : ndarray of bool (n, V)
    p_human, q_ai : ndarray (V,)
        Chance that a human / AI document contains each word.
    bootstrap : int
        Resamples for the standard error (0: no standard error).
    rng : numpy.random.Generator

    Returns
    -------
    alpha, se : float or None
        The estimate and its bootstrap standard error (None without documents; se None
        without resamples).
    """
    n = present.shape[0]
    if n == 0:
        return None, None
    patterns, counts = _patterns(np.asarray(present, dtype=bool))
    log_ratio = _log_ratios(patterns, p_human, q_ai)
    alpha = float(_solve(log_ratio, counts[None, :].astype(np.float64))[0])
    if bootstrap < 2:
        return alpha, None
    resampled = rng.multinomial(n, counts / n, size=bootstrap).astype(np.float64)
    estimates = _solve(log_ratio, resampled)
    return alpha, float(estimates.std(ddof=1))


def distributional_mle_reference(
    present: list[list[bool]], p_human: list[float], q_ai: list[float]
) -> float:
    """Slow, obvious version of :func:`distributional_mle`, without the standard error.

    Per-document likelihoods, maximised by golden-section search (the log-likelihood is concave
    in α).
    """
    def likelihood(row, probs):
        value = 1.0
        for x, pr in zip(row, probs, strict=True):
            value *= pr if x else 1 - pr
        return value

    pairs = [(likelihood(row, p_human), likelihood(row, q_ai)) for row in present]

    def loglik(alpha):
        return sum(math.log((1 - alpha) * p + alpha * q) for p, q in pairs)

    low, high = 0.0, 1.0
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(80):
        a = high - ratio * (high - low)
        b = low + ratio * (high - low)
        if loglik(a) < loglik(b):
            low = a
        else:
            high = b
    return 0.5 * (low + high)
