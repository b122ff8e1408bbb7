"""Reproductions of published results through the real model (``ecosystem validate``).

Each check runs small scenarios through :class:`~ecosystem.model.EcosystemModel` over fixed
seeds and compares what the simulation gives with what the theory predicts, with a tolerance of
four standard errors over independent replicates:

==========================  ==============================================================
check                       reproduces
==========================  ==============================================================
``wright-fisher``           Gini–Simpson shrinks as (1 − 1/N)^t; fixation ∝ initial share
``gaussian-variance``       E[ln σ²_t] − ln σ²_0 = t·(ψ((N−1)/2) + ln(2/N)) (Shumailov)
``mean-error``              accumulation keeps the mean's error below (π²/6)σ²/N; replacement
                            walks away as σ²(1 − ((N−1)/N)^t) (Gerstgrasser, Kazdan)
``regression``              linear regression: replace n·σ²d/(T−d−1), accumulate ≤ π²/6 ×
                            the first fit (Gerstgrasser)
``sampling-bias``           variance settles at p/(1 − (1 − p)λ) (Alemohammad)
``greedy``                  greedy decoding: majority 100 % in one round; sampling keeps it
                            (Taori & Hashimoto)
``best-of-n``               best-of-N: order statistics of one round; the eccentric style
                            goes extinct, the safe one survives
``prompts``                 custom prompts keep more diversity than default prompts, less
                            than natural data (Hataya)
``levers``                  every what-if control of the dashboard moves the full people
                            model the article's way (paired seeds, > 2 SE)
==========================  ==============================================================

>>> from ecosystem.validate import run_checks             # doctest: +SKIP
>>> rows = run_checks(quick=True, only=["greedy"])        # doctest: +SKIP
>>> all(row.passed for row in rows)                       # doctest: +SKIP
True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from ecosystem.validate import (
    gaussian,
    levers,
    prompts,
    regression,
    sampling_bias,
    selection,
    wright_fisher,
)
from ecosystem.validate.base import Budget, Check, Row, Z

__all__ = ["CHECKS", "Budget", "Check", "Row", "Z", "check_names", "run_checks"]

CHECKS: tuple[Check, ...] = (
    wright_fisher.CHECK,
    gaussian.VARIANCE,
    gaussian.MEAN_ERROR,
    regression.CHECK,
    sampling_bias.CHECK,
    selection.DECODING,
    selection.BEST_OF_N,
    prompts.CHECK,
    levers.CHECK,
)
"""Every check, in the order of the table."""


def check_names() -> list[str]:
    """Names accepted by ``run_checks(only=...)`` and ``ecosystem validate --only``."""
    return [check.name for check in CHECKS]


def run_checks(
    quick: bool = False,
    only: Iterable[str] | None = None,
    on_check: Callable[[Check], None] | None = None,
) -> list[Row]:
    """Run the validation checks and return their rows.

    Parameters
    ----------
    quick : bool
        Fewer replicates (about a minute in all) instead of the full run (a few minutes).
    only : iterable of str, optional
        Names of the checks to run (see :func:`check_names`); all when None.
    on_check : callable, optional
        Called with each check before it runs (for progress messages).

    Returns
    -------
    list of Row
        In table order; ``row.passed`` says whether the simulation agrees with the theory.

    Raises
    ------
    ValueError
        If ``only`` names a check that does not exist.
    """
    chosen = list(CHECKS)
    if only is not None:
        wanted = list(dict.fromkeys(only))
        unknown = [name for name in wanted if name not in check_names()]
        if unknown:
            raise ValueError(f"unknown check {', '.join(map(repr, unknown))}; "
                             f"checks are: {', '.join(check_names())}")
        chosen = [check for check in CHECKS if check.name in wanted]
    budget = Budget(quick=quick)
    rows: list[Row] = []
    for check in chosen:
        if on_check is not None:
            on_check(check)
        clock = time.perf_counter()
        produced = check.run(budget)
        seconds = time.perf_counter() - clock
        for row in produced:
            row.seconds = seconds
        rows.extend(produced)
    return rows
