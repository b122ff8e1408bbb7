"""Where a sweep's runs run: in this process, on a local process pool, on any Executor.

A run never raises out of :func:`run_one`: its error comes back as data, so the sweep records
it and goes on. The local pool (:class:`_OwnedPool`) is this module's own: a worker that dies
fails only the run it was running (:func:`_on_executor` runs the runs beside it again, one at a
time), the workers end when the sweep's main process is gone, and :meth:`_OwnedPool.stop` ends
them at once when the sweep is interrupted.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ecosystem.scenario import load_scenario

__all__ = ["run_one"]


def run_one(scenario: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Simulate one run of a sweep, in whichever process or worker it lands.

    Never raises for a failing run: the error comes back as data, so the sweep can record it
    and go on.

    Parameters
    ----------
    scenario : mapping
        The run's resolved scenario as plain data (see :meth:`Plan.run_scenario`).
    seed : int
        The run's seed.

    Returns
    -------
    dict
        ``timeseries`` (polars DataFrame) and ``wall_seconds``, or ``error`` and
        ``traceback``; ``host`` in both cases.
    """
    from ecosystem.run import simulate

    host = socket.gethostname()
    try:
        run = simulate(load_scenario(scenario), seed=seed, progress=False)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(),
                "host": host}
    return {"timeseries": run.timeseries, "wall_seconds": run.wall_seconds, "host": host}


def _lost(exc: BaseException) -> dict[str, Any]:
    """The outcome of a run whose worker failed before it could report (crash, lost worker)."""
    text = "".join(traceback.format_exception(exc))
    return {"error": f"{type(exc).__name__}: {exc}", "traceback": text, "host": None}


def _sequential(tasks: Iterator[tuple[int, dict, int]]) -> Iterator[tuple[int, dict]]:
    for run, scenario, seed in tasks:
        yield run, run_one(scenario, seed)


def _on_executor(
    executor: cf.Executor,
    tasks: Iterator[tuple[int, dict, int]],
    window: int,
    renew: Callable[[], cf.Executor] | None = None,
    function: Callable[[Mapping[str, Any], int], dict[str, Any]] = run_one,
) -> Iterator[tuple[int, dict]]:
    """Run tasks on an executor, at most ``window`` in flight, yielding outcomes as they end.

    ``renew`` (for a pool this module owns) replaces a pool whose worker process died. Which of
    the runs in flight killed it cannot be told, so each of them is run again alone in the
    fresh pool: a run that breaks the pool while alone in it is the one that fails (and a
    resume runs it again); the others finish.
    """
    pending: dict[cf.Future, int] = {}
    suspects: list[tuple[int, dict, int]] = []
    alone: set[int] = set()  # suspects now running with nothing beside them
    scenarios: dict[int, tuple[int, dict, int]] = {}
    queue = iter(tasks)

    def submit(task: tuple[int, dict, int]) -> dict[str, Any] | None:
        nonlocal executor
        run, scenario, seed = task
        try:
            future = executor.submit(function, scenario, seed)
        except cf.process.BrokenProcessPool:
            if renew is None:
                raise
            executor = renew()
            future = executor.submit(function, scenario, seed)
        except Exception as exc:  # e.g. a task the executor cannot send
            return _lost(exc)
        pending[future] = run
        if renew is not None:
            scenarios[run] = task
        return None

    def fill() -> Iterator[tuple[int, dict]]:
        if suspects:  # one at a time, alone in the pool, until every suspect is cleared
            if not pending:
                task = suspects.pop(0)
                alone.add(task[0])
                refused = submit(task)
                if refused is not None:
                    yield task[0], refused
            return
        while len(pending) < window:
            task = next(queue, None)
            if task is None:
                return
            refused = submit(task)
            if refused is not None:
                yield task[0], refused

    try:
        yield from fill()
        while pending:
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            broken: list[int] = []
            for future in done:
                run = pending.pop(future)
                try:
                    outcome = future.result()
                except cf.process.BrokenProcessPool as exc:
                    if renew is None or run in alone:
                        alone.discard(run)
                        scenarios.pop(run, None)
                        yield run, _lost(exc)
                    else:
                        broken.append(run)
                    continue
                except Exception as exc:  # the worker was lost (e.g. a Dask worker), not a raise
                    outcome = _lost(exc)
                alone.discard(run)
                scenarios.pop(run, None)
                yield run, outcome
            if broken:
                # the pool is gone: every run still in it is a suspect too
                for future, run in list(pending.items()):
                    future.cancel()
                    del pending[future]
                    broken.append(run)
                suspects.extend(scenarios.pop(run) for run in sorted(broken))
                executor = renew()
            yield from fill()
    finally:
        for future in pending:
            future.cancel()


def _watch_parent(parent: int, workers: int = 1) -> None:
    """In a worker: exit when the sweep's main process is gone (killed, even by SIGKILL).

    The worker's runs also get their share of the cores for the listening pass's threads
    (:mod:`ecosystem.core.threads`): the cores over the workers, at least one, so that the
    workers' threads do not outnumber the cores.
    """
    from ecosystem.core.threads import share_cores

    share_cores(workers)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
    # the main process decides about interruptions; a worker ignores the terminal's Ctrl-C
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _OwnedPool:
    """A local process pool this module starts, renews if a worker dies, and shuts down."""

    def __init__(self, workers: int):
        self.workers = workers
        self.pool: cf.ProcessPoolExecutor | None = None

    def start(self) -> cf.ProcessPoolExecutor:
        if self.pool is not None:
            self.stop()
        # "spawn": fresh interpreters, safe with polars' and numpy's threads (fork is not),
        # and the same on every platform; children inherit sys.path, so a source tree works.
        self.pool = cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_watch_parent, initargs=(os.getpid(), self.workers),
        )
        return self.pool

    def stop(self) -> None:
        """Stop the workers now, runs in flight included (an interruption, a broken pool)."""
        if self.pool is None:
            return
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        self.pool = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


