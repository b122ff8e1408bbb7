"""Filter AI drafts before they reach the web, and AI text before it reaches training.

Curation, as the article describes it: of several drafts, a person (or a best-of-N pipeline) keeps
the one that scores best, and the score favours broadly acceptable, typical styles: "the safe 80
beats the eccentric 79". Or, as a preference model does (Ferbach et al. 2024), it keeps draft i of
K with the Bradley–Terry (softmax) probability exp(score_i) / Σ_j exp(score_j); without real
data, the type distribution then moves as p'(t) ∝ p(t) · E[K·exp(r(t)) / (exp(r(t)) + Σ_{j≥2}
exp(r(X_j)))], and the expected score never falls. Drafts scoring below an upload threshold are
not posted at all. When the lab scrapes, an AI-text detector removes a share of AI documents
(its recall) and, by mistake, a share of human documents (its false-positive rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecosystem.core.corpus import HUMAN, Docs
from ecosystem.core.decode import DecodingParams, decode
from ecosystem.core.fit import ModelState


@dataclass(frozen=True)
class CurationParams:
    """Which drafts get posted (scenario section ``[curation]``)."""

    best_of_n: int = 1
    typicality_weight: float = 0.0
    upload_threshold: float = 0.0
    choice: str = "best"


def typicality(state: ModelState, types: np.ndarray) -> np.ndarray:
    """How typical (popular) a style is for the model: p(type) / max p, in [0, 1]."""
    return state.probs[types] / state.probs.max()


def score(state: ModelState, docs: Docs, typicality_weight: float) -> np.ndarray:
    """A curator's score of drafts: quality plus a bonus, in quality points, for typical styles."""
    return docs.quality.astype(np.float64) + typicality_weight * typicality(state, docs.type)


def best_of_n(
    state: ModelState,
    n: int,
    decoding: DecodingParams,
    curation: CurationParams,
    rng: np.random.Generator,
    *,
    prompt_types: np.ndarray | None = None,
    prompt_strength: float = 0.0,
    author: np.ndarray | int = -1,
    step: int = 0,
) -> tuple[Docs, np.ndarray]:
    """Write ``n`` posts, each chosen from ``best_of_n`` drafts.

    ``curation.choice = "best"`` keeps the best-scoring draft; ``"bradley-terry"`` keeps draft i
    with probability exp(score_i) / Σ_j exp(score_j) (the Gumbel-max trick: the argmax of the
    scores plus independent standard Gumbel noise has exactly that law).

    References
    ----------
    Ferbach, Bertrand, Bose & Gidel, "Self-consuming generative models with curated data
    provably optimize human preferences", NeurIPS 2024.

    Returns
    -------
    posts : Docs
        The chosen drafts, one per post.
    scores : ndarray (n,)
        Their curator scores (compare with the upload threshold).
    """
    width = curation.best_of_n
    repeat_prompts = None if prompt_types is None else np.repeat(prompt_types, width)
    drafts = decode(
        state, n * width, decoding, rng,
        prompt_types=repeat_prompts, prompt_strength=prompt_strength,
        author=author if np.ndim(author) == 0 else np.repeat(author, width), step=step,
    )
    scores = score(state, drafts, curation.typicality_weight)
    if width == 1:
        return drafts, scores
    ranked = scores
    if curation.choice == "bradley-terry":
        ranked = scores + rng.gumbel(size=scores.shape)
    best = ranked.reshape(n, width).argmax(axis=1) + np.arange(n) * width
    return drafts.take(best), scores[best]


def curated_outputs(
    state: ModelState,
    n: int,
    decoding: DecodingParams,
    curation: CurationParams,
    rng: np.random.Generator,
    *,
    step: int = 0,
    max_rounds: int = 50,
) -> Docs:
    """Posts of a content farm: ``n`` best-of-N posts that pass the upload threshold.

    Drafting repeats until ``n`` posts pass or ``max_rounds`` rounds are spent (a model whose
    drafts never pass uploads fewer documents, rather than looping forever).
    """
    batches, have = [], 0
    for _ in range(max_rounds):
        if have >= n:
            break
        posts, scores = best_of_n(state, n - have, decoding, curation, rng, step=step)
        passed = scores >= curation.upload_threshold
        if not passed.all():
            posts = posts.take(np.flatnonzero(passed))
        batches.append(posts)
        have += len(posts)
    if not batches:
        return decode(state, 0, decoding, rng, step=step)
    return Docs.concat(batches) if len(batches) > 1 else batches[0]


def detect(
    origin: np.ndarray, recall: float, false_positive: float, rng: np.random.Generator
) -> np.ndarray:
    """Return the mask of documents an AI-text detector lets through into training.

    Each AI document is caught with probability ``recall``; each human document is wrongly
    caught with probability ``false_positive``.
    """
    caught_rate = np.where(origin == HUMAN, false_positive, recall)
    return rng.random(origin.shape[0]) >= caught_rate


def best_of_n_reference(scores: np.ndarray, width: int) -> list[int]:
    """Slow, obvious version of the best-of-N choice: the index of each group's best draft."""
    chosen = []
    for start in range(0, len(scores), width):
        group = list(scores[start : start + width])
        chosen.append(start + group.index(max(group)))
    return chosen


def bradley_terry_reference(scores: np.ndarray, width: int, rng: np.random.Generator) -> list[int]:
    """Slow, obvious Bradley–Terry choice: each group's draft i with probability ∝ exp(score_i)."""
    chosen = []
    for start in range(0, len(scores), width):
        group = [float(s) for s in scores[start : start + width]]
        top = max(group)
        weights = [np.exp(s - top) for s in group]
        u = rng.random() * sum(weights)
        pick = width - 1
        for i, w in enumerate(weights):
            if u < w:
                pick = i
                break
            u -= w
        chosen.append(start + pick)
    return chosen


def bradley_terry_law(probs: np.ndarray, reward: np.ndarray, width: int) -> np.ndarray:
    """Exact law of the kept draft's type under Bradley–Terry choice among ``width`` drafts.

    Drafts are independent types drawn from ``probs``; a draft of type t has score ``reward[t]``.
    Returns p'(t) = p(t) · E[width · e^{r(t)} / (e^{r(t)} + Σ_{j=2..width} e^{r(X_j)})], by
    enumerating the other drafts' types (small K and width only; for tests and the theory rows).
    """
    probs = np.asarray(probs, dtype=float)
    weight = np.exp(np.asarray(reward, dtype=float) - np.max(reward))
    types = np.flatnonzero(probs > 0)
    out = np.zeros_like(probs)
    others = [()]
    for _ in range(width - 1):
        others = [(*o, t) for o in others for t in types]
    for t in types:
        expected = 0.0
        for rest in others:
            chance = float(np.prod([probs[j] for j in rest]))
            expected += chance * width * weight[t] / (weight[t] + sum(weight[j] for j in rest))
        out[t] = probs[t] * expected
    return out
