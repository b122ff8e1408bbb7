"""Sweeps: plans, seeds, executors, nothing lost, failures, resume, bad input."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import tomli_w

import ecosystem
from ecosystem.cli import main
from ecosystem.experiments.sweep import (
    SweepError,
    _on_executor,
    is_sweep_folder,
    plan_sweep,
    resume_sweep,
    run_sweep,
)
from ecosystem.model import TIMESERIES_SCHEMA
from tests.conftest import ROOT, chain, run_cli, worker_threads

GRID = {"ai.data_regime": ["replace", "accumulate"], "ai.fit_noise": [0.0, 0.5]}


def small(steps: int = 4, **sweep) -> ecosystem.Scenario:
    """A tiny chain with a [sweep] table: runs take milliseconds."""
    return ecosystem.load_scenario(chain(
        scenario={"steps": steps, "seed": 11},
        content={"types": 8, "initial_docs": 200},
        ai={"outputs_per_generation": 200},
        sweep=sweep,
    ))


def write_scenario(path: Path, sc_dict: dict) -> Path:
    path.write_text("# a test sweep\n" + tomli_w.dumps(sc_dict))
    return path


# -- the plan -----------------------------------------------------------------------------------
def test_two_by_two_grid_with_three_replicates_gives_twelve_runs():
    steps = 4
    table = ecosystem.sweep(small(steps, replicates=3, grid=GRID))
    assert table.columns == ["run", "replicate", "seed", "ai.data_regime", "ai.fit_noise",
                             *TIMESERIES_SCHEMA]
    assert table.height == 12 * (steps + 1)
    per_run = table.group_by("run").agg(
        pl.len(), pl.col("step").sort(), pl.col("seed").n_unique().alias("seeds"),
        pl.first("replicate", "ai.data_regime", "ai.fit_noise", "seed"),
    ).sort("run")
    assert per_run["run"].to_list() == list(range(12))
    assert per_run["len"].to_list() == [steps + 1] * 12
    assert all(s == list(range(steps + 1)) for s in per_run["step"].to_list())
    assert per_run["seeds"].to_list() == [1] * 12
    assert per_run["seed"].n_unique() == 12
    cells = per_run.group_by("ai.data_regime", "ai.fit_noise").agg(
        pl.col("replicate").sort())
    assert cells.height == 4
    assert all(r == [0, 1, 2] for r in cells["replicate"].to_list())
    assert set(zip(cells["ai.data_regime"], cells["ai.fit_noise"], strict=True)) == {
        (regime, noise) for regime in GRID["ai.data_regime"] for noise in GRID["ai.fit_noise"]}


def test_any_run_is_reproduced_alone_by_its_seed_and_values():
    sc = small(3, replicates=2, grid=GRID)
    table = ecosystem.sweep(sc)
    base = sc.to_dict()
    del base["sweep"]
    for run in (0, 5):
        rows = table.filter(pl.col("run") == run)
        values = {key: rows[key][0] for key in GRID}
        alone = ecosystem.simulate(ecosystem.load_scenario(base, overrides=values),
                                   seed=rows["seed"][0])
        assert rows.select(list(TIMESERIES_SCHEMA)).equals(alone.timeseries)


def test_seeds_follow_the_scenario_seed():
    plan = plan_sweep(small(replicates=4))
    again = plan_sweep(small(replicates=4))
    other = plan_sweep(small(replicates=4).with_overrides({"scenario.seed": 12}))
    assert plan.seeds == again.seeds
    assert len(set(plan.seeds)) == 4
    assert not set(plan.seeds) & set(other.seeds)


@pytest.mark.parametrize(("design", "samples", "size"), [
    ("latin", 7, 7), ("morris", 4, 4 * (2 + 1)), ("sobol", 8, 8 * (2 + 2)),
])
def test_sampling_designs_cover_their_ranges(design, samples, size):
    ranges = {"ai.fit_noise": [0.1, 0.4], "ai.window": [2, 9]}
    sc = small(replicates=2, design=design, samples=samples, ranges=ranges,
               grid={"ai.data_regime": ["window", "replace"]})
    plan = plan_sweep(sc)
    assert plan.n_points == size
    assert plan.n_runs == 2 * size * 2
    assert np.array_equal(plan.points, plan_sweep(sc).points)  # the design is seeded too
    values = [plan.overrides(run) for run in range(plan.n_runs)]
    noise = np.array([v["ai.fit_noise"] for v in values])
    window = [v["ai.window"] for v in values]
    assert noise.min() >= 0.1
    assert noise.max() <= 0.4
    assert all(isinstance(w, int) and 2 <= w <= 9 for w in window)
    assert {v["ai.data_regime"] for v in values} == {"window", "replace"}
    assert plan.key_dtypes["ai.window"] == pl.Int64()


def test_designed_sweep_has_integer_keys_as_integer_columns():
    sc = small(2, design="latin", samples=3, ranges={"ai.window": [1, 4]})
    table = ecosystem.sweep(sc)
    assert table.schema["ai.window"] == pl.Int64
    assert table["run"].n_unique() == 3


def test_mixed_grid_values_become_text():
    table = ecosystem.sweep(small(2, grid={"ai.training_docs": [100, "all"]}))
    assert table.schema["ai.training_docs"] == pl.String
    assert set(table["ai.training_docs"]) == {"100", "all"}


# -- executors ----------------------------------------------------------------------------------
def test_workers_and_a_dask_local_cluster_give_identical_tables():
    from distributed import Client, LocalCluster

    sc = small(4, replicates=3, grid=GRID)
    sequential = ecosystem.sweep(sc, workers=1)
    pooled = ecosystem.sweep(sc, workers=2)
    assert pooled.equals(sequential)
    # Threads in one process: runs of one sweep run side by side and must not share state.
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        on_dask = ecosystem.sweep(sc, executor=client.get_executor(pure=False))
    assert on_dask.equals(sequential)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_a_scheduler_and_worker_in_separate_processes_give_the_same_table(tmp_path):
    """``ecosystem sweep --scheduler`` against ``dask scheduler`` + ``dask worker`` processes."""
    sc_dict = small(4, replicates=3, grid=GRID).to_dict()
    scenario = write_scenario(tmp_path / "sweep.toml", sc_dict)
    expected = ecosystem.sweep(ecosystem.load_scenario(scenario))
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    address_file = tmp_path / "scheduler.json"
    common = {"env": env, "cwd": tmp_path, "stdout": subprocess.DEVNULL,
              "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", "0", "--no-dashboard", "--scheduler-file", str(address_file)], **common)
    workers = []
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            assert scheduler.poll() is None, "the scheduler exited"
            time.sleep(0.1)
        assert address_file.exists(), "the scheduler did not start within 60 s"
        workers = [subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
             str(address_file), "--host", "127.0.0.1", "--no-nanny", "--nthreads", "1",
             "--no-dashboard", "--death-timeout", "60"], **common) for _ in range(2)]
        address = json.loads(address_file.read_text())["address"]
        out = tmp_path / "on-cluster"
        result = run_cli("sweep", str(scenario), "--scheduler", address, "--out", str(out),
                         timeout=120)
        assert result.returncode == 0, result.stderr
        assert f"dask {address}" in result.stdout
        assert pl.read_parquet(out / "results.parquet").equals(expected)
    finally:
        for worker in workers:
            _stop(worker)
        _stop(scheduler)


# -- nothing lost -------------------------------------------------------------------------------
def test_a_sweep_killed_mid_way_and_resumed_equals_one_never_interrupted(tmp_path):
    # Runs of ~10 ms each, so the kill lands with some parts written and others not.
    sc_dict = small(25, replicates=20, grid={"ai.data_regime": ["replace", "accumulate"]}
                    ).to_dict()
    scenario = write_scenario(tmp_path / "sweep.toml", sc_dict)
    uninterrupted = ecosystem.sweep(ecosystem.load_scenario(scenario))
    n_runs = uninterrupted["run"].n_unique()
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "ecosystem", "sweep", str(scenario), "--out", str(out)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if len(list((out / "parts").glob("run-*.parquet"))) >= 5:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, "the sweep ended before it could be killed"
    before = {p.name: p.stat() for p in (out / "parts").glob("run-*.parquet")}
    assert 5 <= len(before) < n_runs
    assert not (out / "results.parquet").exists()
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    # What a kill in the middle of writing a part leaves behind: a temporary file only.
    (out / "parts" / f".run-{n_runs - 1:06d}.parquet.999.tmp").write_bytes(b"PAR1 half")

    result = run_cli("sweep", "--resume", str(out))
    assert result.returncode == 0, result.stderr
    assert f"{len(before)} runs were already done and kept" in result.stdout
    resumed = pl.read_parquet(out / "results.parquet")
    assert resumed.equals(uninterrupted)
    assert resumed.group_by("run").len()["len"].to_list() == [26] * n_runs
    for name, stat in before.items():  # finished runs were not run again
        now = (out / "parts" / name).stat()
        assert (now.st_ino, now.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    session = json.loads((out / "manifest.json").read_text())["sessions"][-1]
    assert (session["skipped"], session["ran"]) == (len(before), n_runs - len(before))
    assert not list((out / "parts").glob(".*.tmp"))


def test_a_failing_run_is_recorded_and_the_others_finish(tmp_path):
    # A minimum count no style reaches in the original corpus is a valid setting, but fitting
    # generation 0 then raises inside the worker process.
    sc = small(3, replicates=2, grid={"ai.min_count": [1, 10**6, 2]})
    out = tmp_path / "sweep"
    failed = r"2 of 6 runs failed: run 2: ScenarioError: ai.min_count"
    with pytest.warns(RuntimeWarning, match=failed):
        table = ecosystem.sweep(sc, workers=2, out=out)
    assert sorted(table["run"].unique()) == [0, 1, 4, 5]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "incomplete"
    assert (manifest["done"], manifest["failed"]) == (4, 2)
    assert [f["run"] for f in manifest["failures"]] == [2, 3]
    assert all(f["values"] == {"ai.min_count": 10**6} for f in manifest["failures"])
    assert "min_count" in manifest["failures"][0]["error"]
    record = json.loads((out / "failures" / "run-000002.json").read_text())
    assert "Traceback" in record["traceback"]

    result = run_cli("sweep", "--resume", str(out))  # failed runs are tried again
    assert result.returncode == 1
    assert "failed: run 2 (replicate 0" in result.stdout
    assert "ai.min_count=1000000" in result.stdout
    assert "4 runs were already done and kept" in result.stdout


def test_a_crashed_worker_process_fails_its_runs_and_the_pool_is_renewed():
    from ecosystem.experiments.sweep import _OwnedPool
    from tests.crashing import die_on_seed_three

    pool = _OwnedPool(2)
    window = 2
    tasks = ((run, {}, run) for run in range(8))
    try:
        outcomes = dict(_on_executor(pool.start(), tasks, window=window, renew=pool.start,
                                     function=die_on_seed_three))
    finally:
        pool.close()
    assert sorted(outcomes) == list(range(8))
    assert "BrokenProcessPool" in outcomes[3]["error"]
    failed = {run for run, outcome in outcomes.items() if "error" in outcome}
    assert len(failed) <= window  # only the runs in flight with the crash are lost


class CountingExecutor(cf.ThreadPoolExecutor):
    """A thread pool that records the most futures it held unfinished at once."""

    def __init__(self):
        super().__init__(max_workers=2)
        self.lock = threading.Lock()
        self.open = self.most = 0

    def submit(self, fn, *args, **kwargs):
        with self.lock:
            self.open += 1
            self.most = max(self.most, self.open)
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._closed)
        return future

    def _closed(self, _):
        with self.lock:
            self.open -= 1


def test_runs_in_flight_are_bounded_so_memory_stays_flat():
    tasks = ((run, {}, run) for run in range(50))
    with CountingExecutor() as executor:
        outcomes = list(_on_executor(executor, tasks, window=3, function=lambda s, seed: {}))
    assert len(outcomes) == 50
    assert executor.most <= 3


def test_progress_bar_shows_runs_and_failures(capsys):
    ecosystem.sweep(small(1, replicates=3), progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err
    assert "failed=0" in err


# -- the folder and the API ---------------------------------------------------------------------
def test_sweep_folder_and_resume_through_the_api(tmp_path):
    sc = small(2, replicates=2)
    out = tmp_path / "s"
    summary = run_sweep(sc, out)
    assert is_sweep_folder(out)
    assert (summary.done, summary.ran, summary.runs) == (2, 2, 2)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["root_seed"] == 11
    assert set(json.loads((out / "plan.json").read_text())["seeds"]) == set(
        pl.read_parquet(out / "results.parquet")["seed"])
    with pytest.raises(SweepError, match="holds a sweep already"):
        run_sweep(sc, out)
    with pytest.raises(SweepError, match="different scenario"):
        run_sweep(sc.with_overrides({"ai.window": 3}), out, resume=True)
    again = resume_sweep(out)
    assert (again.skipped, again.ran) == (2, 0)
    # A part that cannot be read (a disk failure, not a kill: parts are renamed into place
    # complete) is run again on resume.
    table = pl.read_parquet(out / "results.parquet")
    (out / "parts" / "run-000001.parquet").write_bytes(b"not parquet")
    repaired = resume_sweep(out)
    assert (repaired.skipped, repaired.ran) == (1, 1)
    assert pl.read_parquet(out / "results.parquet").equals(table)
    with pytest.raises(SweepError, match="not a sweep folder"):
        resume_sweep(tmp_path)
    with pytest.raises(SweepError, match="workers"):
        run_sweep(sc, tmp_path / "t", workers=0)
    assert not (tmp_path / "t").exists()


def test_ecosystem_sweep_is_the_function_whatever_was_imported_first():
    import ecosystem.experiments.sweep as module

    table = ecosystem.sweep(small(1))
    assert ecosystem.sweep is module.sweep
    assert module.sweep(small(1)).equals(table)


def test_the_ready_scenario_runs_as_a_sweep():
    path = ROOT / "scenarios" / "sweep-data-regimes.toml"
    sc = ecosystem.load_scenario(path, overrides={"scenario.steps": 2, "sweep.replicates": 1})
    plan = plan_sweep(sc)
    assert len(plan.grid_keys) >= 2
    table = ecosystem.sweep(sc)
    assert table["run"].n_unique() == plan.n_runs


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("sweep_table", "message"), [
    ({"grid": {"ai.nope": [1]}}, "'ai.nope' is not a scenario key; keys of [ai] are:"),
    ({"grid": {"nope": [1]}}, "'nope' is not a scenario key"),
    ({"grid": {"ai.window": []}}, "sweep.grid.'ai.window' is empty"),
    ({"design": "latin", "ranges": {"ai.fit_noise": [0.5, 0.1]}}, "needs low < high"),
    ({"design": "sobol", "samples": 12, "ranges": {"ai.fit_noise": [0, 1]}}, "power of 2"),
    ({"design": "latin", "ranges": {"ai.data_regime": [0, 1]}}, "not a numeric key"),
    ({"ranges": {"ai.fit_noise": [0, 1]}}, 'needs sweep.design "latin", "sobol" or "morris"'),
    ({"design": "morris"}, "needs a [sweep.ranges] table"),
    ({"grid": {"scenario.seed": [1, 2]}}, "use sweep.replicates"),
    ({"grid": {"ai.window": [0, 3]}}, "ai.window=0: ai.window: Input should be greater"),
])
def test_bad_sweep_tables_are_clear_errors_and_write_nothing(tmp_path, capsys, sweep_table,
                                                           message):
    sc_dict = chain(sweep=sweep_table)
    scenario = write_scenario(tmp_path / "bad.toml", sc_dict)
    out = tmp_path / "out"
    assert main(["sweep", str(scenario), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("error: ")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.toml"]


def test_bad_command_lines_are_clear_errors(tmp_path, capsys):
    scenario = write_scenario(tmp_path / "ok.toml", small(1).to_dict())
    run_folder = ecosystem.simulate(small(1)).save(tmp_path / "a-run")
    cases = [
        (["sweep"], "give a SCENARIO to sweep, or --resume FOLDER"),
        (["sweep", str(scenario), "--resume", str(run_folder)], "not both"),
        (["sweep", "--resume", str(run_folder)], "not a sweep folder"),
        (["sweep", "--resume", str(tmp_path / "nowhere")], "no such folder"),
        (["sweep", "--resume", str(run_folder), "--set", "ai.window=2"], "--set, --out"),
        (["sweep", str(scenario), "--workers", "0"], "--workers must be ≥ 1"),
        (["sweep", str(scenario), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
         "exclude each other"),
        (["sweep", str(scenario), "--scheduler", "127.0.0.1"], "not a scheduler address"),
        (["sweep", str(scenario), "--out", str(run_folder)], "not empty"),
        (["sweep", str(scenario), "--set", "ai.nope=1"], "ai.nope: unknown key"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err, argv
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-run", "ok.toml"]


def test_the_command_reports_bad_input_without_a_traceback(tmp_path):
    scenario = write_scenario(tmp_path / "bad.toml", chain(sweep={"grid": {"ai.window": []}}))
    result = run_cli("sweep", str(scenario), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error: sweep.grid.'ai.window' is empty" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_existing_sweep_folder_is_not_overwritten(tmp_path, capsys):
    scenario = write_scenario(tmp_path / "ok.toml", small(1).to_dict())
    out = tmp_path / "s"
    assert main(["sweep", str(scenario), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"sweep folder: {out}" in printed
    assert "1 of 1 runs done, 0 failed" in printed
    assert main(["sweep", str(scenario), "--out", str(out)]) == 2
    assert f"ecosystem sweep --resume {out}" in capsys.readouterr().err


def test_pool_workers_share_the_cores_between_their_threads():
    """Each of a sweep's worker processes runs the listening pass on its share of the cores."""
    import numba

    from ecosystem.experiments.executors import _OwnedPool

    owned = _OwnedPool(2)
    try:
        threads = set(owned.start().map(worker_threads, range(4)))
    finally:
        owned.stop()
    cores = numba.config.NUMBA_DEFAULT_NUM_THREADS  # the cores this process may use
    assert threads == {max(1, min(numba.config.NUMBA_NUM_THREADS, cores // 2))}
