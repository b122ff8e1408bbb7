"""Sweeps: many runs of one scenario, on this machine or a Dask cluster, into one table.

A sweep expands a scenario's ``[sweep]`` table into runs: every cell of the full-factorial
``grid``, times every point of a SALib sampling design over ``ranges`` (``latin``, ``sobol`` or
``morris``), times ``replicates``. One root :class:`numpy.random.SeedSequence` per sweep (from
``[scenario] seed``) spawns one child per run; the child's integer seed is recorded with the run,
so ``ecosystem run --seed N`` with the run's swept values reproduces it alone.

A sweep folder holds

- ``scenario.toml``: the fully resolved scenario, ``[sweep]`` table included;
- ``plan.json``: the swept keys, the grid cells, the design points and every run's seed;
- ``manifest.json``: versions, timing of every session, the runs done and the failures;
- ``parts/run-NNNNNN.parquet``: each finished run, written atomically (temporary file, then
  rename) the moment it finishes, so a part that exists is complete;
- ``failures/run-NNNNNN.json``: each run that raised, with its error and traceback;
- ``results.parquet``: every part in run order, assembled by streaming at the end:
  ``run``, ``replicate``, ``seed``, one column per swept key, then the timeseries columns.

An interrupted sweep loses only the runs in flight: :func:`resume_sweep` (``ecosystem sweep
--resume FOLDER``) runs the runs without a part, failed ones included, and keeps the rest.
Results travel back from the workers to this process, which alone writes the folder, so a
Dask cluster needs no shared file system.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import socket
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ecosystem.experiments.plan import Plan, plan_sweep
from ecosystem.folders import check_output_folder, staged_file, staged_folder, utc_now
from ecosystem.scenario import Scenario, load_scenario

__all__ = [
    "Plan",
    "SweepError",
    "SweepSummary",
    "is_sweep_folder",
    "plan_sweep",
    "resume_sweep",
    "run_one",
    "run_sweep",
    "sweep",
]

MANIFEST = "manifest.json"
PLAN = "plan.json"
SCENARIO = "scenario.toml"
RESULTS = "results.parquet"
PARTS = "parts"
FAILURES = "failures"

SUBMIT_WINDOW = 256
"""Most runs handed to a caller's executor at once (more on a Dask cluster with more than
half as many threads), so memory stays flat for any sweep size."""


class SweepError(ValueError):
    """A sweep that cannot start or resume (a bad folder, a bad executor setting)."""


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is either absent or complete."""
    with staged_file(path) as staging:
        staging.write_bytes(data)


def _write_json(path: Path, content: Any) -> None:
    _write_atomic(path, (json.dumps(content, indent=2) + "\n").encode("utf-8"))


# -- one run, anywhere --------------------------------------------------------------------------
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

    ``renew`` (for a pool this module owns) replaces a pool whose worker process died: the runs
    in flight in it are recorded as failed (which of them killed it cannot be told), and the
    others go on in a fresh pool.
    """
    # Each future remembers the pool it went to: when a pool breaks, all its futures fail, but
    # only the first of them to come back may renew the pool.
    pending: dict[cf.Future, tuple[int, int]] = {}
    queue = iter(tasks)
    pool = 0

    def submit(run: int, scenario: dict, seed: int) -> dict[str, Any] | None:
        nonlocal executor, pool
        try:
            pending[executor.submit(function, scenario, seed)] = (run, pool)
        except cf.process.BrokenProcessPool:
            if renew is None:
                raise
            executor, pool = renew(), pool + 1
            pending[executor.submit(function, scenario, seed)] = (run, pool)
        except Exception as exc:  # e.g. a task the executor cannot send
            return _lost(exc)
        return None

    def fill() -> Iterator[tuple[int, dict]]:
        while len(pending) < window:
            task = next(queue, None)
            if task is None:
                return
            refused = submit(*task)
            if refused is not None:
                yield task[0], refused

    try:
        yield from fill()
        while pending:
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            broken = False
            for future in done:
                run, origin = pending.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:  # the worker died or was lost, not the run raising
                    if isinstance(exc, cf.process.BrokenProcessPool) and origin == pool:
                        broken = True
                    outcome = _lost(exc)
                yield run, outcome
            if broken and renew is not None:
                crashed = cf.process.BrokenProcessPool(
                    "a worker process died while this run was in flight")
                for future, (run, origin) in list(pending.items()):
                    if origin == pool:
                        del pending[future]
                        yield run, _lost(crashed)
                executor, pool = renew(), pool + 1
            yield from fill()
    finally:
        for future in pending:
            future.cancel()


class _OwnedPool:
    """A local process pool this module starts, renews if a worker dies, and shuts down."""

    def __init__(self, workers: int):
        self.workers = workers
        self.pool: cf.ProcessPoolExecutor | None = None

    def start(self) -> cf.ProcessPoolExecutor:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        # "spawn": fresh interpreters, safe with polars' and numpy's threads (fork is not),
        # and the same on every platform; children inherit sys.path, so a source tree works.
        self.pool = cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
        )
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


# -- the sweep folder ---------------------------------------------------------------------------
def _part_name(run: int) -> str:
    return f"run-{run:06d}"


def is_sweep_folder(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a sweep (finished or interrupted)."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(manifest, dict) and manifest.get("kind") == "sweep"
            and (folder / PLAN).is_file() and (folder / SCENARIO).is_file())


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """The ``manifest.json`` of a sweep folder."""
    return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))


def load_plan(folder: str | os.PathLike) -> Plan:
    """The plan of a sweep folder (its scenario and ``plan.json``)."""
    folder = Path(folder)
    if not is_sweep_folder(folder):
        raise SweepError(f"{folder}: not a sweep folder (no sweep manifest.json, plan.json "
                         "and scenario.toml)")
    scenario = load_scenario(folder / SCENARIO)
    return Plan.from_json(scenario, json.loads((folder / PLAN).read_text(encoding="utf-8")))


def _finished_parts(folder: Path, plan: Plan, verify: bool = False) -> set[int]:
    """Runs with a part in the folder.

    With ``verify`` (when a session starts), parts that cannot be read are removed, so their
    runs are run again, and so are the temporary files an interrupted session left behind.
    """
    if verify:
        for place in (folder, folder / PARTS, folder / FAILURES):
            for stale in place.glob(".*.tmp"):
                stale.unlink(missing_ok=True)
    done = set()
    for path in (folder / PARTS).glob("run-*.parquet"):
        try:
            run = int(path.stem.removeprefix("run-"))
            if verify:
                pl.read_parquet_schema(path)
        except (ValueError, OSError, pl.exceptions.PolarsError):
            if verify:
                path.unlink(missing_ok=True)
            continue
        if 0 <= run < plan.n_runs:
            done.add(run)
    return done


def _failures(folder: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted((folder / FAILURES).glob("run-*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        record.pop("traceback", None)
        out.append(record)
    return out


def _start_folder(out: Path, plan: Plan) -> None:
    """Create a sweep folder holding the plan, atomically (a staging sibling renamed)."""
    from ecosystem.run import manifest_base

    with staged_folder(out, replace=False) as staging:  # an existing out is empty
        (staging / SCENARIO).write_text(plan.scenario.to_toml(), encoding="utf-8")
        _write_json(staging / PLAN, plan.to_json())
        (staging / PARTS).mkdir()
        (staging / FAILURES).mkdir()
        _write_json(staging / MANIFEST, {
            "kind": "sweep",
            **manifest_base(),
            "scenario": plan.scenario.scenario.name,
            "root_seed": plan.scenario.scenario.seed,
            "design": plan.design,
            "samples": plan.scenario.sweep.samples if plan.design != "grid" else None,
            "replicates": plan.replicates,
            "grid_keys": list(plan.grid_keys),
            "range_keys": list(plan.range_keys),
            "cells": len(plan.cells),
            "points": plan.n_points,
            "runs": plan.n_runs,
            "steps": plan.scenario.scenario.steps,
            "status": "running",
            "created": utc_now(),
            "sessions": [],
        })


def _write_part(folder: Path, plan: Plan, run: int, timeseries: pl.DataFrame) -> None:
    schema = plan.schema()
    ids = pl.DataFrame(
        [pl.Series(name, [value] * timeseries.height, dtype=schema[name])
         for name, value in plan.columns(run).items()]
    )
    expected = {name: schema[name] for name in timeseries.columns}
    if timeseries.schema != expected or timeseries.columns != list(schema)[ids.width:]:
        timeseries = timeseries.select(pl.col(name).cast(dtype)
                                       for name, dtype in schema.items() if name not in ids)
    path = folder / PARTS / f"{_part_name(run)}.parquet"
    # Parts are read once, when results.parquet is assembled: light compression, no statistics.
    with staged_file(path) as staging:
        pl.concat([ids, timeseries], how="horizontal").write_parquet(
            staging, compression="lz4", statistics=False)


def _write_failure(folder: Path, plan: Plan, run: int, outcome: dict[str, Any]) -> None:
    _, _, replicate = plan.locate(run)
    _write_json(folder / FAILURES / f"{_part_name(run)}.json", {
        "run": run,
        "replicate": replicate,
        "seed": plan.seeds[run],
        "values": plan.overrides(run),
        "error": outcome["error"],
        "host": outcome.get("host"),
        "traceback": outcome.get("traceback"),
    })


def assemble(folder: str | os.PathLike, plan: Plan | None = None,
             runs: set[int] | None = None) -> Path:
    """Stream the finished parts, in run order, into ``results.parquet``.

    Memory stays flat: polars reads and writes the parts batch by batch, never the whole table.
    ``runs`` are the runs with a part (by default those found in the folder).
    """
    folder = Path(folder)
    plan = plan or load_plan(folder)
    runs = _finished_parts(folder, plan) if runs is None else runs
    paths = [folder / PARTS / f"{_part_name(run)}.parquet" for run in sorted(runs)]
    target = folder / RESULTS
    with staged_file(target) as staging:
        if paths:
            pl.scan_parquet(paths).sink_parquet(staging)
        else:
            pl.DataFrame(schema=plan.schema()).write_parquet(staging)
    return target


# -- running ------------------------------------------------------------------------------------
@dataclass
class SweepSummary:
    """What a sweep session did.

    Attributes
    ----------
    folder, results : pathlib.Path
        The sweep folder and its ``results.parquet``.
    runs : int
        Runs in the sweep.
    done : int
        Runs finished, over every session.
    skipped : int
        Runs already finished when this session started.
    ran, failed : int
        Runs this session ran (finished or failed), and those of them that failed.
    failures : list of dict
        Every run without a result: run, replicate, seed, swept values, error.
    wall_seconds, run_seconds : float
        This session's wall time, and the sum of its runs' own times.
    executor : str
        Where the runs ran.
    """

    folder: Path
    results: Path
    runs: int
    done: int
    skipped: int
    ran: int
    failed: int
    failures: list[dict[str, Any]]
    wall_seconds: float
    run_seconds: float
    executor: str


def _tasks(plan: Plan, runs: list[int]) -> Iterator[tuple[int, dict, int]]:
    """``(run, scenario, seed)`` of each run; replicates share one scenario, built once."""
    slot, scenario = None, None
    for run in runs:
        if run // plan.replicates != slot:
            slot, scenario = run // plan.replicates, plan.run_scenario(run)
        yield run, scenario, plan.seeds[run]


def _window(executor: cf.Executor) -> int:
    """Runs to keep in flight on a caller's executor: enough to keep a Dask cluster busy."""
    client = getattr(executor, "_client", None)  # a dask.distributed ClientExecutor
    try:
        threads = sum(client.nthreads().values()) if client is not None else 0
    except Exception:  # not a Dask client after all, or the cluster cannot tell
        threads = 0
    return max(SUBMIT_WINDOW, 2 * threads)


def _describe_executor(workers: int, executor: cf.Executor | None) -> str:
    if executor is not None:
        client = getattr(executor, "_client", None)
        scheduler = getattr(getattr(client, "scheduler", None), "address", None)
        return f"dask {scheduler}" if scheduler else type(executor).__name__
    return "this process" if workers == 1 else f"{workers} local processes"


def _execute(
    folder: Path, plan: Plan, workers: int, executor: cf.Executor | None,
    progress: bool | None,
) -> SweepSummary:
    from tqdm.auto import tqdm

    started, clock = utc_now(), time.perf_counter()
    done_before = _finished_parts(folder, plan, verify=True)
    finished = set(done_before)
    todo = [run for run in range(plan.n_runs) if run not in done_before]
    failed_before = {int(path.stem.removeprefix("run-"))
                     for path in (folder / FAILURES).glob("run-*.json")}
    tasks = _tasks(plan, todo)
    label = _describe_executor(workers, executor)

    owned = _OwnedPool(workers) if executor is None and workers > 1 else None
    if owned is not None:
        outcomes = _on_executor(owned.start(), tasks, 4 * workers, renew=owned.start)
    elif executor is not None:
        outcomes = _on_executor(executor, tasks, _window(executor))
    else:
        outcomes = _sequential(tasks)

    ran = failed = 0
    run_seconds = 0.0
    bar = tqdm(total=plan.n_runs, initial=len(done_before), desc=plan.scenario.scenario.name,
               unit="run", disable=None if progress is None else not progress, leave=False)
    try:
        bar.set_postfix(failed=0)
        for run, outcome in outcomes:
            ran += 1
            if "error" in outcome:
                failed += 1
                _write_failure(folder, plan, run, outcome)
                bar.set_postfix(failed=failed)
            else:
                run_seconds += float(outcome["wall_seconds"])
                _write_part(folder, plan, run, outcome["timeseries"])
                finished.add(run)
                if run in failed_before:  # it failed in an earlier session, not any more
                    (folder / FAILURES / f"{_part_name(run)}.json").unlink(missing_ok=True)
            bar.update(1)
        bar.refresh()  # the final count, whatever the refresh interval skipped
    finally:
        bar.close()
        if owned is not None:
            owned.close()

    results = assemble(folder, plan, finished)
    done = len(finished)
    failures = _failures(folder)
    wall = time.perf_counter() - clock
    manifest = read_manifest(folder)
    sessions = [*manifest.get("sessions", []), {
        "started": started, "finished": utc_now(), "wall_seconds": round(wall, 3),
        "run_seconds": round(run_seconds, 3), "executor": label,
        "skipped": len(done_before), "ran": ran, "failed": failed,
    }]
    manifest.update({
        "status": "complete" if done == plan.n_runs else "incomplete",
        "done": done,
        "failed": len(failures),
        "finished": utc_now(),
        "wall_seconds": round(sum(s["wall_seconds"] for s in sessions), 3),
        "sessions": sessions,
        "failures": failures,
    })
    _write_json(folder / MANIFEST, manifest)
    return SweepSummary(folder=folder, results=results, runs=plan.n_runs, done=done,
                        skipped=len(done_before), ran=ran, failed=failed, failures=failures,
                        wall_seconds=wall, run_seconds=run_seconds, executor=label)


def _check_workers(workers: int, executor: cf.Executor | None) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SweepError(f"workers must be an integer ≥ 1, got {workers!r}")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise SweepError(f"executor must be a concurrent.futures.Executor, got {executor!r}")


def run_sweep(
    scenario: Scenario | str | os.PathLike | Mapping[str, Any],
    out: str | os.PathLike,
    *,
    workers: int = 1,
    executor: cf.Executor | None = None,
    progress: bool | None = None,
    resume: bool = False,
) -> SweepSummary:
    """Run a sweep into a sweep folder without holding its table in memory.

    Parameters
    ----------
    scenario : Scenario, path or mapping
        The scenario with its ``[sweep]`` table.
    out : path
        The sweep folder to write; it must not exist, be empty, or (with ``resume``) hold an
        interrupted sweep of the same scenario.
    workers : int
        1 runs in this process; more start a local process pool of that size.
    executor : concurrent.futures.Executor, optional
        Runs on it instead (e.g. ``dask.distributed.Client(...).get_executor()``); ``workers``
        is then ignored. The executor is not shut down.
    progress : bool or None
        Show a progress bar (None: only on a terminal).
    resume : bool
        If ``out`` holds a sweep of the same scenario, run only its missing runs.

    Returns
    -------
    SweepSummary

    Raises
    ------
    ScenarioError
        If the scenario or one of its runs is invalid; nothing is written.
    SweepError
        If ``out`` cannot be used, or ``workers`` is wrong; nothing is written.
    """
    _check_workers(workers, executor)
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    out = Path(out)
    if is_sweep_folder(out):
        if not resume:
            raise SweepError(f"{out}: holds a sweep already; resume it (ecosystem sweep "
                             "--resume FOLDER, or resume=True) or choose another folder")
        existing = load_plan(out)
        if existing.scenario.to_dict() != sc.to_dict():
            raise SweepError(f"{out}: holds a sweep of a different scenario; resume it as it "
                             "is (ecosystem sweep --resume FOLDER) or choose another folder")
        return _execute(out, existing, workers, executor, progress)
    check_output_folder(out, lambda _: False, "sweep folder")
    plan = plan_sweep(sc)
    _start_folder(out, plan)
    return _execute(out, plan, workers, executor, progress)


def resume_sweep(
    folder: str | os.PathLike,
    *,
    workers: int = 1,
    executor: cf.Executor | None = None,
    progress: bool | None = None,
) -> SweepSummary:
    """Complete an interrupted sweep: run only the runs without a finished part.

    Failed runs are tried again; finished runs are kept untouched. Parameters as
    :func:`run_sweep`.
    """
    _check_workers(workers, executor)
    folder = Path(folder)
    if not folder.is_dir():
        raise SweepError(f"--resume {folder}: no such folder")
    plan = load_plan(folder)
    return _execute(folder, plan, workers, executor, progress)


def sweep(
    scenario: Scenario | str | os.PathLike | Mapping[str, Any],
    workers: int = 1,
    executor: cf.Executor | None = None,
    out: str | os.PathLike | None = None,
    progress: bool | None = None,
    resume: bool = False,
) -> pl.DataFrame:
    """Run every run of a scenario's ``[sweep]`` table and return one table.

    Parameters
    ----------
    scenario : Scenario, path or mapping
        The scenario with its ``[sweep]`` table: ``replicates``, a ``grid`` of dotted keys, or
        a ``latin`` / ``sobol`` / ``morris`` design over ``ranges``.
    workers : int
        1 runs sequentially in this process; more run on a local process pool.
    executor : concurrent.futures.Executor, optional
        Any executor instead, such as a Dask cluster's ``client.get_executor()``. The numbers
        do not depend on where a run ran.
    out : path, optional
        Keep the sweep folder there (see the module docstring); by default it is temporary.
    progress : bool or None
        Show a progress bar with runs done, failures and time left (None: only on a terminal).
    resume : bool
        If ``out`` holds an interrupted sweep of this scenario, complete it.

    Returns
    -------
    polars.DataFrame
        The content of ``results.parquet``: ``run``, ``replicate``, ``seed``, one column per
        swept key, then the timeseries columns; one row per run and step. Runs that failed
        have no rows; a :class:`RuntimeWarning` names them.

    Examples
    --------
    >>> import ecosystem
    >>> sc = ecosystem.load_scenario("scenarios/sweep-data-regimes.toml")  # doctest: +SKIP
    >>> table = ecosystem.sweep(sc, workers=2)                             # doctest: +SKIP
    """
    if out is None:
        with tempfile.TemporaryDirectory(prefix="ecosystem-sweep-") as tmp:
            summary = run_sweep(scenario, Path(tmp) / "sweep", workers=workers,
                                executor=executor, progress=progress)
            table = pl.read_parquet(summary.results)
    else:
        summary = run_sweep(scenario, out, workers=workers, executor=executor,
                            progress=progress, resume=resume)
        table = pl.read_parquet(summary.results)
    if summary.failures:
        shown = "; ".join(f"run {f['run']}: {f['error']}" for f in summary.failures[:3])
        more = f" (and {len(summary.failures) - 3} more)" if len(summary.failures) > 3 else ""
        warnings.warn(f"{len(summary.failures)} of {summary.runs} runs failed: {shown}{more}",
                      RuntimeWarning, stacklevel=2)
    return table


def format_seconds(seconds: float) -> str:
    """A duration for people: 0.35 s, 12.4 s, 3 min 05 s, 2 h 10 min."""
    if seconds < 60:
        return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def describe_plan(plan: Plan) -> str:
    """One line on a sweep's shape, e.g. ``12 runs: 4 grid cells × 3 replicates``."""
    parts = []
    if plan.grid_keys:
        parts.append(f"{len(plan.cells)} grid cells")
    if plan.design != "grid":
        parts.append(f"{plan.n_points} {plan.design} points over {len(plan.range_keys)} ranges")
    parts.append(f"{plan.replicates} replicate{'s' if plan.replicates != 1 else ''}")
    return f"{plan.n_runs} run{'s' if plan.n_runs != 1 else ''}: {' × '.join(parts)}"
