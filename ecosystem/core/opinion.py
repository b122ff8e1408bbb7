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

import numpy as np

from ecosystem.core.neighbours import Neighbourhood


def bounded_confidence(
    stance: np.ndarray,
    indices: np.ndarray,
    rows: np.ndarray,
    confidence: float,
    influence: float,
    *,
    neighbourhood: Neighbourhood | None = None,
) -> np.ndarray:
    """One synchronous bounded-confidence update of everyone's stance (vectorised over edges).

    Parameters
    ----------
    stance : ndarray (n,)
    indices, rows : ndarray (2E,)
        The graph's CSR neighbour lists: entry e links ``rows[e]`` to ``indices[e]`` (``rows``
        non-decreasing).
    confidence : float
        Neighbours whose stance differs by less than this are listened to.
    influence : float
        Fraction of the way toward their mean moved per step.
    neighbourhood : Neighbourhood, optional
        The same graph cut into blocks (built from ``indices`` and ``rows`` if not given); pass
        it to reuse its blocks and buffers step after step.

    Notes
    -----
    Neighbours' stances are gathered in one pass over the edge list; differences are then taken
    in the stance's own precision and summed per person in float64, in CSR order, block by
    block, so the per-edge temporaries stay in cache.
    """
    if influence == 0 or indices.size == 0:
        return stance
    n = stance.shape[0]
    if neighbourhood is None:
        neighbourhood = Neighbourhood.from_rows(n, indices, rows)
    limit = stance.dtype.type(confidence)
    pull = np.empty(n)
    listened = np.empty(n)
    neighbour_stance = neighbourhood.gather(stance)
    for block in neighbourhood.blocks():
        diff = neighbour_stance[block.entries]
        diff -= np.repeat(stance[block.rows], block.degree)
        close = np.abs(diff) < limit
        kept = neighbourhood.scratch("kept", np.float64, block.size)
        np.multiply(diff, close, out=kept)  # the differences listened to, 0 for the others
        pull[block.rows] = block.summer @ kept
        listened[block.rows] = block.count(close)
    moved = np.divide(pull, listened, out=np.zeros(n), where=listened > 0)
    return (stance + influence * moved).astype(stance.dtype)


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
