"""Reproductions of published results through the real model (``ecosystem validate``).

Each check runs small scenarios through :class:`~ecosystem.model.EcosystemModel` over fixed
seeds and compares what the simulation gives with what the theory predicts, with a tolerance of
four standard errors over independent replicates:

==========================  ==============================================================
check                       reproduces
==========================  ==============================================================
``wright-fisher``           Gini–Simpson shrinks as (1 − 1/N)^t; fixation ∝ initial share
``seddik``                  collision probability 1 − (1 − 1/n)^m (1 − S₀); collapse onto
                            type i with probability p_i (Seddik et al., Thm 1)
``seddik-real``             a fixed real corpus plus n synthetic keeps the collision
                            probability at its limit, bounded whatever n (Thm 2's loop)
``tails``                   a fit on T documents knows Σ 1 − (1 − p_i)^T styles and misses
                            Σ p_i (1 − p_i)^T; retraining never recovers them (Hutter;
                            Dohmatob et al.)
``gaussian-variance``       E[ln σ²_t] − ln σ²_0 = t·(ψ((N−1)/2) + ln(2/N)) (Shumailov)
``gaussian-w2``             E[W₂²] of the refitted Gaussian, (3/2)σ²Σ1/M_i to first order;
                            exact for the ML fit (Shumailov, SI)
``mean-error``              accumulation keeps the mean's error below (π²/6)σ²/N; replacement
                            walks away as σ²(1 − ((N−1)/N)^t) (Gerstgrasser, Kazdan)
``regression``              linear regression: replace n·σ²d/(T−d−1), accumulate ≤ π²/6 ×
                            the first fit (Gerstgrasser)
``sampling-bias``           variance settles at p/(1 − (1 − p)λ) (Alemohammad)
``greedy``                  greedy decoding: majority 100 % in one round; sampling keeps it;
                            temperature T gives p^(1/T) (Taori & Hashimoto)
``best-of-n``               best-of-N: order statistics of one round; at the article's
                            contrast one style is lost, which one set by the bonus
``bradley-terry``           Bradley–Terry curation: its one-round law, the expected reward
                            never falls, a real share keeps it bounded (Ferbach et al.)
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

from threadpoolctl import threadpool_limits

from ecosystem.validate import (
    gaussian,
    levers,
    preference,
    prompts,
    regression,
    sampling_bias,
    seddik,
    selection,
    tails,
    wright_fisher,
)
from ecosystem.validate.base import Budget, Check, Row, Z

__all__ = ["CHECKS", "Budget", "Check", "Row", "Z", "check_names", "run_checks"]

CHECKS: tuple[Check, ...] = (
    wright_fisher.CHECK,
    seddik.FULL_SYNTHESIS,
    seddik.REAL_CORPUS,
    tails.CHECK,
    gaussian.VARIANCE,
    gaussian.WASSERSTEIN,
    gaussian.MEAN_ERROR,
    regression.CHECK,
    sampling_bias.CHECK,
    selection.DECODING,
    selection.BEST_OF_N,
    preference.CHECK,
    prompts.CHECK,
    levers.CHECK,
)
"""Every check, in the order of the table."""


def check_names() -> list[str]:
    """Names accepted by ``run_checks(only=...)`` and ``ecosystem validate --only``."""
    return [check.name for check in CHECKS]


def _run_check(name: str, quick: bool) -> bytes:
    """Run one check in a worker process; its rows (figures' closures included) pickled."""
    import cloudpickle

    check = next(check for check in CHECKS if check.name == name)
    with threadpool_limits(limits=1, user_api="blas"):
        clock = time.perf_counter()
        produced = check.run(Budget(quick=quick))
        seconds = time.perf_counter() - clock
    for row in produced:
        row.seconds = seconds
    return cloudpickle.dumps(produced)


def run_checks(
    quick: bool = False,
    only: Iterable[str] | None = None,
    on_check: Callable[[Check], None] | None = None,
    jobs: int = 1,
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
    jobs : int
        Checks run at once, each in its own process (forked, so the caller's state, test
        patches included, carries over); 1 runs them in this process, one after another. Each
        check's seeds are fixed, so the rows do not depend on ``jobs``.

    Returns
    -------
    list of Row
        In table order; ``row.passed`` says whether the simulation agrees with the theory.

    Raises
    ------
    ValueError
        If ``only`` names a check that does not exist, or ``jobs`` is below 1.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    chosen = list(CHECKS)
    if only is not None:
        wanted = list(dict.fromkeys(only))
        unknown = [name for name in wanted if name not in check_names()]
        if unknown:
            raise ValueError(f"unknown check {', '.join(map(repr, unknown))}; "
                             f"checks are: {', '.join(check_names())}")
        chosen = [check for check in CHECKS if check.name in wanted]
    if jobs > 1 and len(chosen) > 1:
        return _run_in_processes(chosen, quick, on_check, min(jobs, len(chosen)))
    budget = Budget(quick=quick)
    rows: list[Row] = []
    # The checks solve many small linear-algebra problems (least squares of a few thousand rows),
    # where BLAS threads only add contention: on a loaded machine they made the regression
    # check twenty times slower. One thread each.
    with threadpool_limits(limits=1, user_api="blas"):
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


def _run_in_processes(chosen: list[Check], quick: bool,
                      on_check: Callable[[Check], None] | None, jobs: int) -> list[Row]:
    """Run ``chosen`` in ``jobs`` forked processes; rows in table order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import cloudpickle

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = []
        for check in chosen:  # in table order: the longest checks come first
            if on_check is not None:
                on_check(check)
            futures.append(pool.submit(_run_check, check.name, quick))
        return [row for future in futures for row in cloudpickle.loads(future.result())]
