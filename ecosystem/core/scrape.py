"""Scrape the web into the next generation's training set, by data regime.

Regimes:

- ``replace``: only what was uploaded since the last retraining (each generation trains on the
  previous one's world; the classic collapse chain);
- ``accumulate``: everything uploaded so far, the original human corpus included;
- ``accumulate-subsample``: a fixed-size random sample of everything uploaded so far;
- ``window``: what was uploaded in the last ``window`` steps.

Then the lab's AI-text detector removes what it catches, and the training set is assembled.

The reserve contract: with ``human_data_reserve = r`` and ``training_docs = M`` the set holds
round(r·M) distinct documents of the original human corpus (all of it if it is smaller), then
``fresh_docs`` newly collected human documents (added by the caller, see
:meth:`ecosystem.model.EcosystemModel.retrain`), then M − round(r·M) − ``fresh_docs`` documents
drawn from the regime's candidates (all of them if there are fewer). An original document enters
the set once, through the reserve or the regime. With ``training_docs`` unset ("all"), M is the
number of candidates the regime offers, and the fresh documents come on top.

The papers' training loops, each a scenario (README, "Training loops"):

- fully synthetic: ``replace``;
- accumulate everything: ``accumulate`` (``training_docs = "all"``);
- accumulate-subsample: ``accumulate-subsample`` with ``training_docs = M``;
- a fixed real corpus reused every generation plus the latest synthetic outputs (Seddik et al.
  2024, Thm 2; Bertrand et al. 2024's λ; Alemohammad et al.'s synthetic augmentation loop):
  ``replace``, ``training_docs = N + n``, ``human_data_reserve = N / (N + n)`` and
  ``content.initial_docs = N``: the same N originals every generation, plus n synthetic;
- fresh real data every generation plus synthetic (Alemohammad et al.'s fresh data loop):
  ``replace`` with ``interventions.fresh_human_docs = F``.

References
----------
Gerstgrasser et al., "Is model collapse inevitable? Breaking the curse of recursion by
accumulating real and synthetic data", COLM 2024.
Seddik et al., "How bad is training on synthetic data? A statistical analysis of language model
collapse", COLM 2024.
Bertrand et al., "On the stability of iterative retraining of generative models on their own
data", ICLR 2024.
Alemohammad et al., "Self-consuming generative models go MAD", ICLR 2024.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecosystem.core.curate import detect


@dataclass(frozen=True)
class ScrapeParams:
    """What the lab scrapes (``[ai]`` and ``[interventions]`` keys)."""

    data_regime: str = "accumulate"
    window: int = 5
    training_docs: int | None = None
    human_data_reserve: float = 0.0
    detector_recall: float = 0.0
    detector_false_positive: float = 0.0
    fresh_docs: int = 0


def reserve_size(params: ScrapeParams, available: int, n_original: int) -> tuple[int, int]:
    """Originals drawn through the reserve, and documents wanted from the regime.

    Parameters
    ----------
    params : ScrapeParams
    available : int
        Candidates the regime offers (after the detector).
    n_original : int
        Size of the original human corpus.

    Returns
    -------
    reserve, regime : int
        ``min(round(r·M), n_original)`` and ``M − round(r·M) − fresh_docs`` (at least 0), where
        M is ``training_docs`` or, if unset, ``available``; the regime's share is then capped
        by what it offers.
    """
    total = available if params.training_docs is None else params.training_docs
    wanted = round(params.human_data_reserve * total)
    regime = total - wanted
    if params.training_docs is not None:
        regime = max(0, regime - params.fresh_docs)
    return min(wanted, n_original), regime


def regime_range(step: np.ndarray, now: int, last_retrain: int, params: ScrapeParams) -> slice:
    """Positions of the documents a regime considers, before detection and sampling.

    ``step`` is the upload step of every document in upload order (non-decreasing), so each
    regime's candidates form one contiguous range.
    """
    if params.data_regime == "replace":
        start = int(np.searchsorted(step, last_retrain, side="right"))
    elif params.data_regime == "window":
        start = int(np.searchsorted(step, now - params.window, side="right"))
    elif params.data_regime in ("accumulate", "accumulate-subsample"):
        start = 0
    else:
        raise ValueError(f"unknown data_regime {params.data_regime!r}")
    return slice(start, step.shape[0])


def _sorted_choice(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``np.sort(rng.choice(n, size, replace=False))``, sorted by marking (O(n), not a sort)."""
    picked = np.zeros(n, dtype=bool)
    picked[rng.choice(n, size=size, replace=False)] = True
    return np.flatnonzero(picked)


def _subsample(index: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A sorted random sample of ``size`` of the increasing positions ``index``."""
    if index.size <= size:
        return index
    # rng.choice(index, ...) draws as rng.choice(index.size, ...) does, then looks them up
    return index[_sorted_choice(index.size, size, rng)]


def scrape(
    step: np.ndarray,
    origin: np.ndarray,
    now: int,
    last_retrain: int,
    n_original: int,
    params: ScrapeParams,
    rng: np.random.Generator,
) -> slice | np.ndarray:
    """Choose the next training set.

    Parameters
    ----------
    step, origin : ndarray
        Upload step and origin of every document in the corpus, in upload order.
    now : int
        The current step.
    last_retrain : int
        The step at which the current generation was trained.
    n_original : int
        The original human corpus is the first ``n_original`` documents.
    params : ScrapeParams
    rng : numpy.random.Generator

    Returns
    -------
    slice or ndarray of int
        Positions in the corpus (a slice when the whole range is used, so nothing is copied).
    """
    candidates: slice | np.ndarray = regime_range(step, now, last_retrain, params)
    filtered = params.detector_recall > 0 or params.detector_false_positive > 0
    if filtered:
        positions = np.arange(candidates.start, candidates.stop)
        kept = detect(origin[candidates], params.detector_recall,
                      params.detector_false_positive, rng)
        candidates = positions[kept]
    available = (
        candidates.stop - candidates.start if isinstance(candidates, slice) else candidates.size
    )
    reserve, size = reserve_size(params, available, n_original)
    if not reserve:
        size = min(size, available)
    if size == available and reserve == 0:
        return candidates
    if not reserve and isinstance(candidates, slice):  # size < available: a sample of a range
        return candidates.start + _sorted_choice(available, size, rng)
    as_index = (
        np.arange(candidates.start, candidates.stop)
        if isinstance(candidates, slice)
        else candidates
    )
    if not reserve:
        return _subsample(as_index, size, rng)
    originals = _sorted_choice(n_original, reserve, rng)
    # an original document enters the training set once, through the reserve or the regime
    rest = as_index[~np.isin(as_index, originals, assume_unique=True)]
    return np.concatenate([originals, _subsample(rest, size, rng)])


def scrape_reference(
    step: np.ndarray,
    origin: np.ndarray,
    now: int,
    last_retrain: int,
    params: ScrapeParams,
) -> list[int]:
    """Slow, obvious candidate list of a regime (no detector, cap or reserve), for tests."""
    chosen = []
    for i, s in enumerate(step):
        regime = params.data_regime
        replace = regime == "replace" and s > last_retrain
        window = regime == "window" and s > now - params.window
        if replace or window or regime in ("accumulate", "accumulate-subsample"):
            chosen.append(i)
    return chosen
