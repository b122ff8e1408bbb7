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
- ``checksums.sha256``: the SHA-256 of every part as written (``sha256sum -c`` reads it);
- ``failures/run-NNNNNN.json``: each run that raised, with its error and traceback;
- ``results.parquet``: every part in run order, assembled by streaming at the end:
  ``run``, ``replicate``, ``seed``, one column per swept key, then the timeseries columns;
- ``.lock``: held by the session running the sweep, so two sessions cannot run it at once.

An interrupted sweep loses only the runs in flight: :func:`resume_sweep` (``ecosystem sweep
--resume FOLDER``) runs the runs without a part, failed ones included, and keeps the rest.
Results travel back from the workers to this process, which alone writes the folder, so a
Dask cluster needs no shared file system.

Every part carries the sweep's identity in its Parquet metadata: a hash of the resolved plan
and of its run's scenario and seed. A session starts by checking the folder: a changed
``scenario.toml`` or ``plan.json`` is refused (naming the keys that changed); a part of another
sweep, or one whose bytes differ from the checksum recorded when it was written, is moved to
``rejected/`` and its run run again.
A full disk or another write error, SIGTERM and Ctrl-C stop the workers and leave the manifest
saying ``"interrupted"`` with the reason; resuming completes the sweep.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import signal
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ecosystem.experiments.executors import (
    _on_executor,
    _OwnedPool,
    _sequential,
    run_one,
)
from ecosystem.experiments.integrity import (
    CHECKSUMS,
    FAILURES,
    IDENTITY_KEY,
    LOCK,
    PARTS,
    SweepError,
    _changed_keys,
    _file_digest,
    _Identities,
    _is_panic,
    _SweepLock,
    _verify_parts,
    plan_identity,
)
from ecosystem.experiments.plan import Plan, plan_sweep
from ecosystem.folders import (
    OutputWriteError,
    as_write_error,
    check_output_folder,
    staged_file,
    staged_folder,
    utc_now,
)
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

WRITTEN = [SCENARIO, PLAN, MANIFEST, RESULTS, CHECKSUMS, f"{PARTS}/run-*.parquet",
           f"{FAILURES}/run-*.json", LOCK, "plots/*.png", "sensitivity.parquet"]
"""What a sweep writes in its folder (recorded in its manifest: what --overwrite removes)."""

SUBMIT_WINDOW = 256
"""Most runs handed to a caller's executor at once (more on a Dask cluster with more than
half as many threads), so memory stays flat for any sweep size."""


class SweepInterrupted(KeyboardInterrupt):
    """SIGTERM or SIGINT stopped a sweep (its workers are stopped, its manifest says so)."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)


def _io_error(exc: BaseException, path: Path) -> OutputWriteError | None:
    """A write error naming ``path`` if ``exc`` is the disk failing (polars or the OS)."""
    return as_write_error(exc, path)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is either absent or complete."""
    with staged_file(path) as staging:
        staging.write_bytes(data)


def _write_json(path: Path, content: Any) -> None:
    _write_atomic(path, (json.dumps(content, indent=2) + "\n").encode("utf-8"))


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


def load_plan(folder: str | os.PathLike, *, verify: bool = False) -> Plan:
    """The plan of a sweep folder (its scenario and ``plan.json``).

    With ``verify`` (before a session runs more runs into the folder), a ``scenario.toml``
    changed since the sweep started is refused, naming the keys that changed.
    """
    folder = Path(folder)
    if not is_sweep_folder(folder):
        raise SweepError(f"{folder}: not a sweep folder (no sweep manifest.json, plan.json "
                         "and scenario.toml)")
    scenario = load_scenario(folder / SCENARIO)
    try:
        data = json.loads((folder / PLAN).read_text(encoding="utf-8"))
        plan = Plan.from_json(scenario, data)
    except (ValueError, KeyError, TypeError) as exc:
        raise SweepError(f"{folder / PLAN}: damaged ({type(exc).__name__}); the sweep cannot "
                         "be resumed, start it again into a new folder") from None
    if verify and isinstance(data.get("scenario"), dict):
        changed = _changed_keys(data["scenario"], scenario.to_dict())
        if changed:
            raise SweepError(
                f"{folder / SCENARIO}: changed since the sweep started ({'; '.join(changed)}); "
                "a resume must run the scenario its finished runs ran: undo the change, or "
                "start a new sweep of the changed scenario into another folder"
            )
    return plan


def _finished_parts(folder: Path, plan: Plan) -> set[int]:
    """Runs with a part in the folder (not checked; see :func:`_verify_parts`)."""
    done = set()
    for path in (folder / PARTS).glob("run-*.parquet"):
        try:
            run = int(path.stem.removeprefix("run-"))
        except ValueError:
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


def _start_folder(out: Path, plan: Plan, overwrite: bool = False) -> None:
    """Create a sweep folder holding the plan, atomically (a staging sibling moved in place)."""
    from ecosystem.run import manifest_base

    identity = plan_identity(plan)
    with staged_folder(out, overwrite=overwrite) as staging:
        (staging / SCENARIO).write_text(plan.scenario.to_toml(), encoding="utf-8")
        _write_json(staging / PLAN, {**plan.to_json(), "scenario": plan.scenario.to_dict(),
                                     "identity": identity})
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
            "identity": identity,
            "status": "running",
            "created": utc_now(),
            "sessions": [],
            "files": WRITTEN,
        })


def _write_part(folder: Path, plan: Plan, run: int, timeseries: pl.DataFrame,
                identity: str | None = None) -> None:
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
    try:
        with staged_file(path) as staging:
            pl.concat([ids, timeseries], how="horizontal").write_parquet(
                staging, compression="lz4", statistics=False,
                metadata={IDENTITY_KEY: identity} if identity else None)
            checksum = _file_digest(staging)
        if identity:
            # after the part is in place: a kill in between leaves a part without a
            # checksum, which the next session runs again
            with open(folder / CHECKSUMS, "a", encoding="utf-8") as log:
                log.write(f"{checksum}  {PARTS}/{path.name}\n")
    except Exception as exc:
        failure = _io_error(exc, path)
        if failure is not None:
            raise failure from None
        raise


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
    try:
        with staged_file(target) as staging:
            if paths:
                pl.scan_parquet(paths).sink_parquet(staging)
            else:
                pl.DataFrame(schema=plan.schema()).write_parquet(staging)
    except BaseException as exc:
        failure = _io_error(exc, target)
        if failure is not None:
            raise failure from None
        if isinstance(exc, pl.exceptions.PolarsError) or _is_panic(exc):
            raise SweepError(f"{target}: cannot be assembled, a part is damaged; "
                             f"ecosystem sweep --resume {folder} checks every part and runs "
                             "the damaged ones again") from None
        raise
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
    rejected : list of dict
        Parts set aside when this session started (another sweep's, or damaged): ``file``,
        ``reason``, ``moved_to``; their runs were run again.
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
    rejected: list[dict[str, str]] = field(default_factory=list)


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


class _Signals:
    """While a session runs: SIGTERM raises :class:`SweepInterrupted` in the main thread.

    (SIGINT raises KeyboardInterrupt already.) Either way the session stops its workers and
    records the interruption before the process ends.
    """

    def __enter__(self) -> _Signals:
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            def stop(signum, _frame):
                raise SweepInterrupted(signum)

            self.previous = signal.signal(signal.SIGTERM, stop)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def _save_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest; on a full disk, over the old one in place (no new space needed)."""
    try:
        _write_json(folder / MANIFEST, manifest)
    except OSError:
        data = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
        try:
            with open(folder / MANIFEST, "r+b") as handle:
                handle.write(data)
                handle.truncate()
        except OSError:
            pass  # the folder is beyond writing; the error the caller raises says why


def _execute(
    folder: Path, plan: Plan, workers: int, executor: cf.Executor | None,
    progress: bool | None,
) -> SweepSummary:
    with _SweepLock(folder), _Signals():
        return _session(folder, plan, workers, executor, progress)


def _session(
    folder: Path, plan: Plan, workers: int, executor: cf.Executor | None,
    progress: bool | None,
) -> SweepSummary:
    from tqdm.auto import tqdm

    started, clock = utc_now(), time.perf_counter()
    manifest = read_manifest(folder)
    legacy = "identity" not in manifest  # a folder from before parts carried the identity
    identity = None if legacy else _Identities(plan)
    if identity is not None and manifest["identity"] != identity.sweep:
        raise SweepError(f"{folder / PLAN}: changed since the sweep started (its identity "
                         "does not match the manifest); the sweep cannot be resumed, start "
                         "it again into a new folder")
    done_before, rejected = _verify_parts(folder, plan, identity)
    finished = set(done_before)
    todo = [run for run in range(plan.n_runs) if run not in done_before]
    failed_before = {int(path.stem.removeprefix("run-"))
                     for path in (folder / FAILURES).glob("run-*.json")}
    workers = max(1, min(workers, len(todo)))  # no more processes than runs to run
    label = _describe_executor(workers, executor)
    manifest.update({"status": "running", "pid": os.getpid(), "reason": None,
                     "rejected": [*manifest.get("rejected", []), *rejected]})
    _save_manifest(folder, manifest)

    ran = failed = 0
    run_seconds = 0.0

    def record(status: str, reason: str | None) -> dict[str, Any]:
        wall = time.perf_counter() - clock
        sessions = [*manifest.get("sessions", []), {
            "started": started, "finished": utc_now(), "wall_seconds": round(wall, 3),
            "run_seconds": round(run_seconds, 3), "executor": label,
            "skipped": len(done_before), "ran": ran, "failed": failed, "status": status,
            **({"reason": reason} if reason else {}),
        }]
        failures = _failures(folder)
        manifest.update({
            "status": status,
            "reason": reason,
            "done": len(finished),
            "failed": len(failures),
            "finished": utc_now(),
            "wall_seconds": round(sum(s["wall_seconds"] for s in sessions), 3),
            "sessions": sessions,
            "failures": failures,
        })
        manifest.pop("pid", None)
        _save_manifest(folder, manifest)
        return manifest

    owned = _OwnedPool(workers) if executor is None and workers > 1 else None
    bar = tqdm(total=plan.n_runs, initial=len(done_before), desc=plan.scenario.scenario.name,
               unit="run", disable=None if progress is None else not progress, leave=False)
    try:
        tasks = _tasks(plan, todo)
        if owned is not None:
            outcomes = _on_executor(owned.start(), tasks, 4 * workers, renew=owned.start)
        elif executor is not None:
            outcomes = _on_executor(executor, tasks, _window(executor))
        else:
            outcomes = _sequential(tasks)
        bar.set_postfix(failed=0)
        for run, outcome in outcomes:
            ran += 1
            if "error" in outcome:
                failed += 1
                _write_failure(folder, plan, run, outcome)
                bar.set_postfix(failed=failed)
            else:
                run_seconds += float(outcome["wall_seconds"])
                _write_part(folder, plan, run, outcome["timeseries"],
                            identity(run) if identity is not None else None)
                finished.add(run)
                if run in failed_before:  # it failed in an earlier session, not any more
                    (folder / FAILURES / f"{_part_name(run)}.json").unlink(missing_ok=True)
            bar.update(1)
        bar.refresh()  # the final count, whatever the refresh interval skipped
        if owned is not None:
            owned.close()
        results = assemble(folder, plan, finished)
    except KeyboardInterrupt as exc:
        if owned is not None:
            owned.stop()
        signum = getattr(exc, "signum", signal.SIGINT)
        how = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C (SIGINT)"
        record("interrupted", f"stopped by {how}; resume with ecosystem sweep --resume "
                              f"{folder}")
        raise
    except Exception as exc:
        if owned is not None:
            owned.stop()
        failure = _io_error(exc, folder)
        reason = str(failure) if failure is not None else f"{type(exc).__name__}: {exc}"
        record("interrupted", reason)
        if failure is not None:
            raise OutputWriteError(f"{failure}; the sweep is interrupted, its finished runs "
                                   f"are kept: once the disk has room, ecosystem sweep "
                                   f"--resume {folder} completes it") from None
        raise
    finally:
        bar.close()
        if owned is not None:
            owned.stop()

    done = len(finished)
    manifest = record("complete" if done == plan.n_runs else "incomplete", None)
    return SweepSummary(folder=folder, results=results, runs=plan.n_runs, done=done,
                        skipped=len(done_before), ran=ran, failed=failed,
                        failures=manifest["failures"], wall_seconds=time.perf_counter() - clock,
                        run_seconds=run_seconds, executor=label, rejected=rejected)


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
    overwrite: bool = False,
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
    overwrite : bool
        If ``out`` holds an earlier sweep, remove the files it wrote there (recorded in its
        manifest) and start afresh; other files in the folder are kept.

    Returns
    -------
    SweepSummary

    Raises
    ------
    ScenarioError
        If the scenario or one of its runs is invalid, or the sweep cannot fit in this
        machine's memory; nothing is written.
    SweepError
        If ``out`` cannot be used, or ``workers`` is wrong; nothing is written.
    ecosystem.folders.OutputWriteError
        If the disk refuses a write (full, read-only): the manifest says "interrupted" with
        the reason, and a resume completes the sweep once the disk has room.
    SweepInterrupted
        On SIGTERM (a KeyboardInterrupt, as Ctrl-C is): the workers are stopped and the
        manifest says "interrupted".
    """
    from ecosystem.limits import check_memory

    _check_workers(workers, executor)
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    out = Path(out)
    if out.is_symlink():
        out = out.resolve()
    if is_sweep_folder(out) and not overwrite:
        if not resume:
            raise SweepError(f"{out}: holds a sweep already; resume it (ecosystem sweep "
                             "--resume FOLDER, or resume=True), overwrite it, or choose "
                             "another folder")
        existing = load_plan(out, verify=True)
        if existing.scenario.to_dict() != sc.to_dict():
            raise SweepError(f"{out}: holds a sweep of a different scenario; resume it as it "
                             "is (ecosystem sweep --resume FOLDER) or choose another folder")
        return _execute(out, existing, workers, executor, progress)
    out = check_output_folder(out, is_sweep_folder, "sweep folder", overwrite=overwrite)
    check_memory(sc, sweep=True, workers=1 if executor is not None else workers)
    plan = plan_sweep(sc)
    _start_folder(out, plan, overwrite=overwrite)
    return _execute(out, plan, workers, executor, progress)


def resume_sweep(
    folder: str | os.PathLike,
    *,
    workers: int = 1,
    executor: cf.Executor | None = None,
    progress: bool | None = None,
) -> SweepSummary:
    """Complete an interrupted sweep: run only the runs without a finished part.

    Failed runs are tried again; finished runs are kept untouched. The folder is checked
    first: a changed ``scenario.toml`` is refused (:class:`SweepError` naming the keys), parts
    of another sweep or damaged parts are moved to ``rejected/`` and their runs run again, and
    a session already running the sweep is refused. Parameters as :func:`run_sweep`.
    """
    _check_workers(workers, executor)
    folder = Path(folder)
    if not folder.is_dir():
        raise SweepError(f"--resume {folder}: no such folder")
    plan = load_plan(folder, verify=True)
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
