"""When the compiled passes split their work between the processor's cores.

A pass over people (the listening pass, :mod:`ecosystem.core.listening`) or over the
Barabási–Albert graph's blocks (:func:`ecosystem.social.barabasi_albert`) runs on
:func:`numba.get_num_threads` threads for populations of :data:`PARALLEL_MIN_PEOPLE` and more.
Each thread computes whole rows or blocks in the one-core order, so the numbers are the same bit
for bit with any number of threads. Set the threads with ``numba.set_num_threads`` or the
``NUMBA_NUM_THREADS`` environment variable; a sweep's worker processes share the cores between
them (:mod:`ecosystem.experiments.executors`).

Threads run on Intel's TBB (the ``tbb`` package), numba's only threading layer that is safe both
for calls from several threads at once (the dashboard steps its runs in a worker thread) and in
a process forked after a parallel pass (``ecosystem validate --jobs``; GNU OpenMP kills such a
process). Without TBB every pass stays on one core.
"""

from __future__ import annotations

import threading

import numba

PARALLEL_MIN_PEOPLE: int | None = 100_000
"""Populations from this size on split their passes between threads; None keeps every pass on
one core. Below it a pass takes a few milliseconds and threads would only add their start-up."""

_TBB: bool | None = None
_CHOOSING = threading.Lock()


def threads_available() -> bool:
    """Whether a parallel pass can run: TBB present and more than one thread allowed.

    The first call selects TBB as numba's threading layer, unless the user chose another one
    (then every pass stays on one core).
    """
    global _TBB
    if _TBB is None:
        with _CHOOSING:  # the first calls may come from several threads at once
            if _TBB is None:
                _TBB = _choose_tbb()
    return _TBB and numba.get_num_threads() > 1


def _choose_tbb() -> bool:
    from numba.np.ufunc import parallel

    chosen = numba.config.THREADING_LAYER
    if chosen == "default" and not parallel._is_initialized:
        numba.config.THREADING_LAYER = "tbb"
    try:
        parallel._launch_threads()  # loads the layer now (numba would at the first pass)
        return numba.threading_layer() == "tbb"
    except Exception:  # no TBB, or an incompatible one: numba raises ValueError
        numba.config.THREADING_LAYER = chosen
        return False


def share_cores(workers: int) -> None:
    """In one of ``workers`` processes on this machine: its passes get their share of the cores.

    The cores this process may use (``NUMBA_DEFAULT_NUM_THREADS``, which follows the CPU
    affinity) over the workers, at least one, and no more than ``NUMBA_NUM_THREADS``.
    """
    share = numba.config.NUMBA_DEFAULT_NUM_THREADS // max(int(workers), 1)
    numba.set_num_threads(max(1, min(numba.config.NUMBA_NUM_THREADS, share)))


def parallel_for(people: int) -> bool:
    """Whether a pass over ``people`` people runs on several threads."""
    threshold = PARALLEL_MIN_PEOPLE
    return threshold is not None and people >= threshold and threads_available()
