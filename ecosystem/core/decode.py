"""Decode documents from a fitted AI generation.

Methods, as the article describes them for next-token prediction, lifted to whole documents:

- ``sample``: a type with probability ∝ p^(1/T), a style point from its Gaussian with the spread
  scaled by √T;
- ``greedy``: T → 0, the mode type at its mean point, every time;
- ``top_k`` / ``top_p``: sampling restricted to the k most probable types, or to the smallest set
  of types holding probability ``top_p``;
- ``beam``: mode-seeking between the two: ``beam_width`` sampled candidates, of which the one
  with the highest likelihood under the model (type probability times Gaussian density) is kept.

A custom prompt conditions the model on its author's own style point a, worth ``strength``
documents: p_cond(t | a) ∝ p(t) · N(a | μ_t, σ²_t)^strength, narrow for each prompt, diverse when
many prompts are superposed.
Decoding, and best-of-N's judgement of typicality, act on the conditioned distribution. A type
the model does not know (probability 0) stays at 0: a forgotten style cannot be drawn out by any
prompt.

References
----------
Taori & Hashimoto, "Data feedback loops: model-driven amplification of dataset biases", ICML 2023.
Hataya, Bao & Arai, "Will large-scale generative models corrupt future datasets?", ICCV 2023.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ecosystem.core.corpus import Docs, take_rows
from ecosystem.core.fit import ModelState


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


def weighted_choice(k: int, size: int, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``rng.choice(k, size=size, p=p)``: the same draws and the same numbers, faster.

    NumPy's weighted draw with replacement is an inverse-CDF search of ``size`` uniform draws
    in ``p``'s cumulative sum; the search here goes through :func:`search_right`'s table.
    """
    p = np.asarray(p, dtype=np.float64)
    if p.shape != (k,):
        raise ValueError(f"weighted_choice: p must have {k} weights, not shape {p.shape}")
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return search_right(cdf, rng.random(size), 1).astype(np.int64, copy=False)


def _draw_from_table(table: np.ndarray, n: int, rows: np.ndarray | None,
                     rng: np.random.Generator) -> np.ndarray:
    """Inverse-CDF draws of column indices, row ``rows[i]`` of ``table`` for draw i."""
    # Inverse-CDF sampling of all rows at once: row r's CDF is shifted to [r, r + 1].
    cdf = np.cumsum(table, axis=1)
    cdf /= cdf[:, -1:]
    cdf += np.arange(table.shape[0])[:, None]
    flat = cdf.ravel()
    if rows is None:  # one distribution: rows are all 0
        picks = search_right(flat, rng.random(n), 1)
        return np.minimum(picks, flat.size - 1)
    u = rng.random(n) + rows
    picks = search_right(flat, u, table.shape[0])
    picks = np.minimum(picks, flat.size - 1)
    return picks - rows * table.shape[1]


def conditioned_log_weights(
    state: ModelState, points: np.ndarray, strength: float
) -> tuple[np.ndarray, np.ndarray]:
    """Log-weights of the model conditioned on prompts written in the authors' own styles.

    A custom prompt shows the model the author's style point a, with the weight of ``strength``
    documents written there; the model conditions on it as a Bayesian would, by its own
    likelihood: log w(t | a) = log p(t) + strength · log N(a | μ_t, diag σ²_t) over the types it
    knows (p > 0). So p_cond(t | a) ∝ p(t) · N(a | μ_t, σ²_t)^strength: narrow around the
    author's style, the narrower the stronger; a style the model knows but rarely writes can
    be drawn by a prompt in it, and types with p = 0 are left out: no prompt can draw out a
    forgotten style.

    Parameters
    ----------
    state : ModelState
    points : ndarray (m, dims)
        The authors' style points.
    strength : float
        The prompt's weight, in documents (≥ 0; 0 is the default prompt).

    Returns
    -------
    known : ndarray of int (k,)
        The types the model knows, the columns of ``log_weights``.
    log_weights : ndarray (m, k)
        Unnormalised; subtract a row's log-sum-exp for log p_cond.
    """
    known = np.flatnonzero(state.probs > 0)
    means = state.means[known]
    variances = np.maximum(state.variances[known], 1e-12)  # as log_likelihood floors them
    log_weights = np.broadcast_to(
        np.log(state.probs[known]) - 0.5 * strength * np.log(2 * np.pi * variances).sum(axis=1),
        (points.shape[0], known.size),
    ).copy()
    for j in range(means.shape[1]):
        log_weights -= (0.5 * strength) * (np.square(points[:, j : j + 1] - means[None, :, j])
                                            / variances[None, :, j])
    return known, log_weights


def prompt_points(state: ModelState, style_type: np.ndarray, style_x: np.ndarray) -> np.ndarray:
    """Where custom prompts sit in style space: the authors' own styles as the model knows them.

    A prompt written in a style the model knows reads to it as that style: the model's mean of
    the author's type. A style it does not know (forgotten, or invented after it was trained) it
    can only read at the author's own point, and so approximate by the known styles near it.

    Parameters
    ----------
    state : ModelState
    style_type : ndarray of int (m,)
        The authors' style types.
    style_x : ndarray (m, dims)
        The authors' own style points.

    Returns
    -------
    ndarray (m, dims), float64
    """
    style_type = np.asarray(style_type, dtype=np.int64)
    points = np.asarray(style_x, dtype=np.float64).copy()
    inside = style_type < state.types
    known = np.zeros(style_type.shape, dtype=bool)
    known[inside] = state.probs[style_type[inside]] > 0
    points[known] = state.means[style_type[known]]
    return points


def decoded_rows(log_weights: np.ndarray, params: DecodingParams) -> np.ndarray:
    """Row-wise :func:`decoded_distribution` of conditioned distributions given as log-weights.

    Greedy: one-hot on each row's mode. Otherwise p_cond^(1/T), restricted per row to its k
    most probable types (top-k) or its smallest set holding ``top_p`` (top-p), renormalised.
    """
    m, k = log_weights.shape
    shifted = log_weights - log_weights.max(axis=1, keepdims=True)
    if params.method == "greedy":
        out = np.zeros_like(shifted)
        out[np.arange(m), np.argmax(shifted, axis=1)] = 1.0
        return out
    keep = np.ones_like(shifted, dtype=bool)
    if params.method == "top_k" and k > params.top_k:
        order = np.argsort(-shifted, axis=1, kind="stable")
        keep = np.zeros_like(keep)
        np.put_along_axis(keep, order[:, : params.top_k], True, axis=1)
    elif params.method == "top_p":
        order = np.argsort(-shifted, axis=1, kind="stable")
        probs = np.exp(np.take_along_axis(shifted, order, axis=1))
        probs /= probs.sum(axis=1, keepdims=True)
        before = np.cumsum(probs, axis=1) - probs  # mass of the types ranked above
        inside = before < params.top_p - 1e-12
        keep = np.zeros_like(keep)
        np.put_along_axis(keep, order, inside, axis=1)
    tempered = np.where(keep, np.exp(shifted / params.temperature), 0.0)
    return tempered / tempered.sum(axis=1, keepdims=True)


_CHUNK = 1 << 20
"""Entries (prompts × known types) of conditioned distributions built at once."""


def _draw_types(
    state: ModelState,
    n: int,
    params: DecodingParams,
    rng: np.random.Generator,
    prompts: np.ndarray | None,
    strength: float,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Draw ``n`` types, each from the decoded distribution conditioned on its prompt.

    Returns
    -------
    types : ndarray of int (n,)
    log_conditioned : ndarray (n,) or None
        log p_cond(type | prompt) for each draw (log p(type) under the default prompt); None
        when no draw has a custom prompt.
    typicality : ndarray (n,) or None
        p_cond(type | prompt) / max p_cond(· | prompt), typicality within the prompt; None when
        no draw has a custom prompt.
    """
    prompted = (np.zeros(n, dtype=bool) if prompts is None or strength == 0
                else ~np.isnan(prompts[:, 0]))
    base = decoded_distribution(state.probs, params)
    if not prompted.any():
        picks = _draw_from_table(base[None, :], n, None, rng)
        # never land on a zero-probability type through floating ties
        return np.clip(picks, 0, state.types - 1), None, None
    types = np.empty(n, dtype=np.int64)
    with np.errstate(divide="ignore"):
        log_conditioned = np.log(state.probs)
    top = state.probs.max()
    free = np.flatnonzero(~prompted)
    types[free] = np.clip(_draw_from_table(base[None, :], free.size, None, rng), 0,
                          state.types - 1)
    log_p = log_conditioned[types[free]]
    logs = np.empty(n)
    typical = np.empty(n)
    logs[free] = log_p
    typical[free] = state.probs[types[free]] / top
    asked = np.flatnonzero(prompted)
    known_count = int(np.count_nonzero(state.probs > 0))
    step = max(1, _CHUNK // max(known_count, 1))
    for start in range(0, asked.size, step):
        rows = asked[start : start + step]
        known, log_weights = conditioned_log_weights(state, prompts[rows], strength)
        table = decoded_rows(log_weights, params)
        picks = _draw_from_table(table, rows.size, np.arange(rows.size), rng)
        picks = np.clip(picks, 0, known.size - 1)
        types[rows] = known[picks]
        drawn = np.take_along_axis(log_weights, picks[:, None], axis=1)[:, 0]
        row_max = log_weights.max(axis=1)
        log_total = row_max + np.log(np.exp(log_weights - row_max[:, None]).sum(axis=1))
        logs[rows] = drawn - log_total
        typical[rows] = np.exp(drawn - row_max)
    return types, logs, typical


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
    prompts: np.ndarray | None = None,
    prompt_strength: float = 0.0,
    author: np.ndarray | int = -1,
    step: int = 0,
) -> Docs:
    """Generate ``n`` documents from a fitted generation.

    A custom prompt conditions the model on its author's own style point a, worth
    ``prompt_strength`` documents: p_cond(t | a) ∝ p(t) · N(a | μ_t, σ²_t)^strength, the
    model's own posterior over styles given the prompt (see :func:`conditioned_log_weights`);
    the style point is then drawn from the chosen type's Gaussian, as without a prompt. Each
    prompt's distribution is narrow; many different
    prompts superposed cover many styles. A type the model has forgotten (p = 0) stays at 0, so
    no prompt draws it out; a type it knows but rarely writes can be drawn by a prompt near it.
    Decoding acts on the conditioned distribution: temperature as p_cond^(1/T), greedy takes
    its mode, top-k / top-p cut its own tail, and beam search ranks candidates by their
    likelihood under it. A row of NaN (or no ``prompts`` at all) is the default prompt: the
    model's unconditioned distribution.

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
    prompts : ndarray (n, dims), optional
        Each document's prompt: its author's style point, or NaN for the default prompt.
    prompt_strength : float
        How many documents of the author's style a custom prompt is worth (0: no
        conditioning); ``prompts.strength`` in a scenario.
    author, step : int or ndarray
        Recorded on the documents.

    Returns
    -------
    Docs
    """
    return decode_with_typicality(state, n, params, rng, prompts, prompt_strength, author,
                                  step)[0]


def decode_with_typicality(
    state: ModelState,
    n: int,
    params: DecodingParams,
    rng: np.random.Generator,
    prompts: np.ndarray | None,
    strength: float,
    author: np.ndarray | int,
    step: int,
) -> tuple[Docs, np.ndarray | None]:
    """:func:`decode`, also returning each document's typicality within its prompt.

    The typicality is p_cond(type | prompt) / max p_cond(· | prompt), or None when no document
    has a custom prompt (the curator then judges by the model's own probabilities).
    """
    greedy = params.method == "greedy"
    if params.method == "beam":
        beam = params.beam_width
        candidate_prompts = None if prompts is None else np.repeat(prompts, beam, axis=0)
        sampling = DecodingParams("sample", params.temperature)
        types, log_conditioned, typical = _draw_types(state, n * beam, sampling, rng,
                                                      candidate_prompts, strength)
        x = _style_points(state, types, params.temperature, rng)
        likelihood = log_likelihood(state, types, x)
        if log_conditioned is not None:  # the prompt's likelihood, not the default one's
            with np.errstate(divide="ignore"):
                likelihood += log_conditioned - np.log(state.probs[types])
        best = likelihood.reshape(n, beam).argmax(axis=1)
        chosen = np.arange(n) * beam + best
        types, x = types[chosen], x[chosen]
        typical = None if typical is None else typical[chosen]
    else:
        types, _, typical = _draw_types(state, n, params, rng, prompts, strength)
        x = _style_points(state, types, 0.0 if greedy else params.temperature, rng)
    noise = 0.0 if greedy else rng.standard_normal(n)
    quality = state.quality[types] + state.quality_std * noise + state.quality_shift
    stance_noise = 0.0 if greedy else rng.standard_normal(n)
    stance = state.stance_mean + state.stance_std * stance_noise
    docs = Docs.build(
        type=types,
        x=x,
        quality=np.clip(quality, 0.0, 100.0),
        artifact=state.artifact,
        gpt_rate=state.gpt_rate,
        gpt_ai=state.gpt_ai,
        stance=np.clip(stance, -1.0, 1.0),
        origin=state.generation,
        author=author,
        step=step,
    )
    return docs, typical


def decode_reference(
    state: ModelState,
    params: DecodingParams,
    rng: np.random.Generator,
    prompt: np.ndarray | None = None,
    prompt_strength: float = 0.0,
) -> tuple[int, np.ndarray]:
    """Slow, obvious one-document version of :func:`decode` (type and style point), for tests."""
    probs = _conditioned_reference(state, prompt, prompt_strength)
    if params.method != "beam":
        return _draw_reference(state, probs, params, rng)
    # beam_width sampled candidates; keep the likeliest under the (conditioned) model
    sampling = DecodingParams("sample", params.temperature)
    best = None
    for _ in range(params.beam_width):
        k, x = _draw_reference(state, probs, sampling, rng)
        score = math.log(probs[k])
        for value, mean, variance in zip(x, state.means[k], state.variances[k], strict=True):
            variance = max(float(variance), 1e-12)
            score -= 0.5 * ((value - mean) ** 2 / variance + math.log(2 * math.pi * variance))
        if best is None or score > best[0]:
            best = (score, k, x)
    return best[1], best[2]


def _draw_reference(
    state: ModelState, probs: list[float], params: DecodingParams, rng: np.random.Generator
) -> tuple[int, np.ndarray]:
    """One document from type probabilities ``probs`` by ``params`` (not beam), slowly."""
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


def _conditioned_reference(
    state: ModelState, prompt: np.ndarray | None, prompt_strength: float
) -> list[float]:
    """Type probabilities under a prompt, type by type (the model's own for none or NaN)."""
    probs = [float(p) for p in state.probs]
    if prompt is not None and prompt_strength > 0 and not math.isnan(float(prompt[0])):
        log_weights = {}
        for t, p in enumerate(probs):
            if p > 0:
                density = 0.0
                for mean, variance, a in zip(state.means[t], state.variances[t], prompt,
                                             strict=True):
                    variance = max(float(variance), 1e-12)
                    density += (-0.5 * (float(a) - float(mean)) ** 2 / variance
                                - 0.5 * np.log(2 * np.pi * variance))
                log_weights[t] = np.log(p) + prompt_strength * density
        top = max(log_weights.values())
        probs = [float(np.exp(log_weights[t] - top)) if t in log_weights else 0.0
                 for t in range(len(probs))]
    total = sum(probs)
    return [p / total for p in probs]
