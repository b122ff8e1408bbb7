"""Opinions: bounded-confidence influence between neighbours, and co-writing with AI.

Each step a person moves a fraction ``influence`` toward the mean stance of the neighbours whose
stance is within ``confidence`` of their own (Hegselmann–Krause); neighbours farther away are
ignored. AI outputs are pulled toward neutral (see :mod:`ecosystem.core.fit`); a person who
co-writes with AI or reads its output moves a fraction ``absorb`` toward the AI's stance, so heavy
AI users end up more often neutral. Stubbornness pulls everyone back toward their own initial
view (Friedkin–Johnsen), so opinions settle rather than all merging.

References
----------
Friedkin & Johnsen, "Social influence and opinions", J. Math. Sociology 1990.
Hegselmann & Krause, "Opinion dynamics and bounded confidence", JASSS 2002.
Jakesch et al., "Co-writing with opinionated language models affects users' views", CHI 2023.
Abdulhai et al., "LLM use and opinion neutrality in essay writing", arXiv 2026.
"""

from __future__ import annotations

import numba
import numpy as np


def bounded_confidence(
    stance: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    confidence: float,
    influence: float,
) -> np.ndarray:
    """One synchronous bounded-confidence update of everyone's stance.

    Parameters
    ----------
    stance : ndarray (n,)
    indptr, indices : ndarray
        The graph's CSR neighbour lists: person i's neighbours are
        ``indices[indptr[i]:indptr[i + 1]]``.
    confidence : float
        Neighbours whose stance differs by less than this are listened to.
    influence : float
        Fraction of the way toward their mean moved per step.

    Notes
    -----
    A compiled loop over people and their neighbours (:func:`_bounded_confidence`): differences
    are taken in the stance's own precision and summed per person in float64, in CSR order, so
    the result is bit for bit that of the whole-array NumPy expression (``bincount`` over the
    edges; see the tests).
    """
    if influence == 0 or indices.size == 0:
        return stance
    out = np.empty_like(stance)
    # unsigned indices: the compiled code skips the check for negative (from the end) indices
    _bounded_confidence(stance, indptr, indices.astype(np.int32, copy=False).view(np.uint32),
                        stance.dtype.type(confidence), float(influence), out)
    return out


@numba.njit(cache=True, error_model="numpy")
def _bounded_confidence(stance, indptr, indices, limit, influence, out):  # pragma: no cover
    for i in range(stance.shape[0]):
        own = stance[i]
        pull = 0.0
        listened = 0
        for e in range(indptr[i], indptr[i + 1]):
            diff = stance[indices[e]] - own  # in the stance's precision
            if abs(diff) < limit:
                pull += np.float64(diff)
                listened += 1
        moved = pull / listened if listened > 0 else 0.0
        out[i] = np.float64(own) + influence * moved


def bounded_confidence_reference(
    stance: list[float], neighbours: list[list[int]], confidence: float, influence: float
) -> list[float]:
    """Slow, obvious per-person version of :func:`bounded_confidence`."""
    new = []
    for i, own in enumerate(stance):
        close = [stance[j] for j in neighbours[i] if abs(stance[j] - own) < confidence]
        if close:
            new.append(own + influence * (sum(close) / len(close) - own))
        else:
            new.append(own)
    return new


def absorb(stance: np.ndarray, towards: np.ndarray, weight: np.ndarray | float) -> np.ndarray:
    """Move stances a fraction ``weight`` toward ``towards`` (co-writing or reading AI)."""
    return (stance + weight * (towards - stance)).astype(stance.dtype)
