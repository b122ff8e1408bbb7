"""Decode documents from a fitted AI generation.

Methods, as the article describes them for next-token prediction, lifted to whole documents:

- ``sample``: a type with probability ∝ p^(1/T), a style point from its Gaussian with the spread
  scaled by √T;
- ``greedy``: T → 0, the mode type at its mean point, every time;
- ``top_k`` / ``top_p``: sampling restricted to the k most probable types, or to the smallest set
  of types holding probability ``top_p``;
- ``beam``: mode-seeking between the two: ``beam_width`` sampled candidates, of which the one
  with the highest likelihood under the model (type probability times Gaussian density) is kept.

A custom prompt conditions the model on the user's own style type: its probability is multiplied
by e^strength before decoding. A type the model does not know (probability 0) stays at 0: a
forgotten style cannot be drawn out by any prompt.

References
----------
Taori & Hashimoto, "Data feedback loops: model-driven amplification of dataset biases", ICML 2023.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ecosystem.core.corpus import Docs, take_rows
from ecosystem.core.fit import ModelState

NO_PROMPT = -1
"""Prompt type meaning the default prompt."""


@dataclass(frozen=True)
class DecodingParams:
    """How a model's distribution is turned into documents (scenario section ``[decoding]``)."""

    method: str = "sample"
    temperature: float = 1.0
    top_k: int = 5
    top_p: float = 0.9
    beam_width: int = 4


def decoded_distribution(probs: np.ndarray, params: DecodingParams) -> np.ndarray:
    """Return the distribution over types that decoding actually draws from.

    Parameters
    ----------
    probs : ndarray (K,)
        The model's type probabilities (zeros for unknown types).
    params : DecodingParams

    Returns
    -------
    ndarray (K,)
        Greedy: one-hot on the mode. Otherwise p^(1/T), restricted for top-k / top-p,
        renormalised.
    """
    probs = np.asarray(probs, dtype=float)
    if params.method == "greedy":
        out = np.zeros_like(probs)
        out[int(np.argmax(probs))] = 1.0
        return out
    keep = probs > 0
    if params.method == "top_k" and np.count_nonzero(keep) > params.top_k:
        order = np.argsort(-probs, kind="stable")
        keep = np.zeros_like(keep)
        keep[order[: params.top_k]] = True
    elif params.method == "top_p":
        order = np.argsort(-probs, kind="stable")
        cumulative = np.cumsum(probs[order])
        # the smallest prefix whose mass reaches top_p (tolerate rounding in the sum)
        last = int(np.searchsorted(cumulative, params.top_p - 1e-12))
        keep = np.zeros_like(keep)
        keep[order[: last + 1]] = True
        keep &= probs > 0
    tempered = np.zeros_like(probs)
    # subtract the maximum before dividing by T, so a tiny T tends to the mode, never NaN
    logp = np.log(probs[keep])
    tempered[keep] = np.exp((logp - logp.max()) / params.temperature)
    return tempered / tempered.sum()


def search_right(sorted_values: np.ndarray, u: np.ndarray, span: int) -> np.ndarray:
    """``np.searchsorted(sorted_values, u, side="right")`` for ``u`` in [0, span], through a table.

    The range is cut into equal buckets (a power of two per unit, so a value's bucket is exact);
    a bucket that no sorted value falls strictly inside has one answer for all its values, read
    from the table; values in the few other buckets are searched. Exactly the same result,
    several times faster for many values and a short sorted array (a decoded distribution).
    """
    per_unit = 1 << max(10, int(np.ceil(np.log2(4 * sorted_values.size / max(span, 1) + 1))))
    buckets = span * per_unit + 1
    if buckets > 4 * u.size or buckets > 1 << 22:
        return np.searchsorted(sorted_values, u, side="right")
    edges = np.arange(buckets + 1) / per_unit
    low = np.searchsorted(sorted_values, edges[:-1], side="right")
    # sorted values strictly inside (edge b, edge b + 1): none means one answer, low[b]
    inside = np.searchsorted(sorted_values, edges[1:], side="left") > low
    answer = np.where(inside, -1, low)
    bucket = u * per_unit
    picks = answer[bucket.astype(np.intp)]
    unsure = np.flatnonzero(picks < 0)
    picks[unsure] = np.searchsorted(sorted_values, u[unsure], side="right")
    return picks


def _draw_types(
    state: ModelState,
    n: int,
    params: DecodingParams,
    rng: np.random.Generator,
    prompt_types: np.ndarray | None,
    prompt_strength: float,
) -> np.ndarray:
    """Draw ``n`` types, each from the decoded distribution conditioned on its prompt."""
    base = decoded_distribution(state.probs, params)
    if prompt_types is None or prompt_strength == 0:
        rows = np.zeros(n, dtype=np.int64)
        table = base[None, :]
    else:
        prompted = np.asarray(prompt_types, dtype=np.int64)
        valid = (prompted >= 0) & (prompted < state.types)
        valid[valid] = state.probs[prompted[valid]] > 0
        # the distinct prompts, sorted, and each draw's row among them (np.unique, in O(n))
        keys = np.where(valid, prompted, NO_PROMPT) - NO_PROMPT
        present = np.bincount(keys, minlength=state.types + 1) > 0
        distinct = np.flatnonzero(present) + NO_PROMPT
        inverse = (np.cumsum(present) - 1)[keys]
        table = np.empty((distinct.size, state.types))
        boost = np.exp(prompt_strength)
        for row, prompt in enumerate(distinct):
            if prompt == NO_PROMPT:
                table[row] = base
            else:
                conditioned = state.probs.copy()
                conditioned[prompt] *= boost
                table[row] = decoded_distribution(conditioned / conditioned.sum(), params)
        rows = inverse.reshape(-1)
    # Inverse-CDF sampling of all rows at once: row r's CDF is shifted to [r, r + 1].
    cdf = np.cumsum(table, axis=1)
    cdf /= cdf[:, -1:]
    cdf += np.arange(table.shape[0])[:, None]
    flat = cdf.ravel()
    if table.shape[0] == 1:  # one distribution: rows are all 0
        picks = search_right(flat, rng.random(n), 1)
        types = np.minimum(picks, flat.size - 1)
    else:
        u = rng.random(n) + rows
        picks = search_right(flat, u, table.shape[0])
        picks = np.minimum(picks, flat.size - 1)
        types = picks - rows * state.types
    # never land on a zero-probability type through floating ties
    return np.clip(types, 0, state.types - 1)


def _style_points(
    state: ModelState, types: np.ndarray, spread: float, rng: np.random.Generator
) -> np.ndarray:
    mean = take_rows(state.means, types)
    if spread == 0:
        return mean
    scale = np.sqrt(state.variances * spread)  # per type, then looked up per document
    noise = rng.standard_normal(mean.shape)
    noise *= take_rows(scale, types)
    mean += noise
    return mean


def log_likelihood(state: ModelState, types: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Log-likelihood of documents under the model: log p(type) + log N(x | mean, variance)."""
    variances = np.maximum(take_rows(state.variances, types), 1e-12)
    z = (x - take_rows(state.means, types)) ** 2 / variances
    gauss = -0.5 * np.sum(z + np.log(2 * np.pi * variances), axis=1)
    with np.errstate(divide="ignore"):
        return np.log(state.probs[types]) + gauss


def decode(
    state: ModelState,
    n: int,
    params: DecodingParams,
    rng: np.random.Generator,
    *,
    prompt_types: np.ndarray | None = None,
    prompt_strength: float = 0.0,
    author: np.ndarray | int = -1,
    step: int = 0,
) -> Docs:
    """Generate ``n`` documents from a fitted generation.

    Parameters
    ----------
    state : ModelState
        The generation that writes.
    n : int
        Documents to generate.
    params : DecodingParams
        Method and its settings.
    rng : numpy.random.Generator
        Source of every draw.
    prompt_types : ndarray of int (n,), optional
        The style type each document's prompt asks for (``NO_PROMPT`` for the default prompt).
    prompt_strength : float
        Log-odds boost a custom prompt gives its type.
    author, step : int or ndarray
        Recorded on the documents.

    Returns
    -------
    Docs
    """
    greedy = params.method == "greedy"
    if params.method == "beam":
        width = params.beam_width
        candidate_prompts = None if prompt_types is None else np.repeat(prompt_types, width)
        sampling = DecodingParams("sample", params.temperature)
        types = _draw_types(state, n * width, sampling, rng, candidate_prompts, prompt_strength)
        x = _style_points(state, types, params.temperature, rng)
        best = log_likelihood(state, types, x).reshape(n, width).argmax(axis=1)
        chosen = np.arange(n) * width + best
        types, x = types[chosen], x[chosen]
    else:
        types = _draw_types(state, n, params, rng, prompt_types, prompt_strength)
        x = _style_points(state, types, 0.0 if greedy else params.temperature, rng)
    noise = 0.0 if greedy else rng.standard_normal(n)
    quality = state.quality[types] + state.quality_std * noise + state.quality_shift
    stance_noise = 0.0 if greedy else rng.standard_normal(n)
    stance = state.stance_mean + state.stance_std * stance_noise
    return Docs.build(
        type=types,
        x=x,
        quality=np.clip(quality, 0.0, 100.0),
        artifact=state.artifact,
        gpt_rate=state.gpt_rate,
        stance=np.clip(stance, -1.0, 1.0),
        origin=state.generation,
        author=author,
        step=step,
    )


def decode_reference(
    state: ModelState,
    params: DecodingParams,
    rng: np.random.Generator,
    prompt_type: int = NO_PROMPT,
    prompt_strength: float = 0.0,
) -> tuple[int, np.ndarray]:
    """Slow, obvious one-document version of :func:`decode` (type and style point), for tests."""
    if params.method == "beam":
        # beam_width sampled candidates; keep the likeliest under the (unprompted) model
        sampling = DecodingParams("sample", params.temperature)
        best = None
        for _ in range(params.beam_width):
            k, x = decode_reference(state, sampling, rng, prompt_type, prompt_strength)
            score = math.log(state.probs[k])
            for value, mean, variance in zip(x, state.means[k], state.variances[k], strict=True):
                variance = max(float(variance), 1e-12)
                score -= 0.5 * ((value - mean) ** 2 / variance + math.log(2 * math.pi * variance))
            if best is None or score > best[0]:
                best = (score, k, x)
        return best[1], best[2]
    probs = [float(p) for p in state.probs]
    if prompt_type != NO_PROMPT and probs[prompt_type] > 0:
        probs[prompt_type] *= float(np.exp(prompt_strength))
    total = sum(probs)
    probs = [p / total for p in probs]
    if params.method == "greedy":
        k = max(range(len(probs)), key=lambda i: (probs[i], -i))
        return k, state.means[k].copy()
    allowed = [i for i, p in enumerate(probs) if p > 0]
    ranked = sorted(allowed, key=lambda i: (-probs[i], i))
    if params.method == "top_k":
        allowed = ranked[: params.top_k]
    elif params.method == "top_p":
        allowed, mass = [], 0.0
        for i in ranked:
            allowed.append(i)
            mass += probs[i]
            if mass >= params.top_p - 1e-12:
                break
    weights = [probs[i] ** (1.0 / params.temperature) for i in allowed]
    u = rng.random() * sum(weights)
    k = allowed[-1]
    for i, w in zip(allowed, weights, strict=True):
        if u < w:
            k = i
            break
        u -= w
    spread = np.sqrt(state.variances[k] * params.temperature)
    return k, state.means[k] + spread * rng.standard_normal(state.means.shape[1])
