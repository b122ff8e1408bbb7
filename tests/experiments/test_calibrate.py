"""Calibration (ABC-SMC): recovery of known values, determinism, resume, bad targets files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import tomli_w

import ecosystem
from ecosystem.cli import main
from ecosystem.experiments import calibrate as calibrate_module
from ecosystem.experiments.calibrate import (
    Target,
    TargetsError,
    calibrate,
    load_targets,
    particle_seeds,
    resume_calibration,
    target_series,
    weighted_quantile,
)

SMALL = {
    "scenario": {"name": "small", "steps": 12, "seed": 3},
    "population": {"humans": 400},
    "content": {"initial_docs": 400},
    "measurement": {"bootstrap": 0},
}
"""A small world: one simulation takes a few hundredths of a second."""

PRIORS = {
    "gpt_words.adoption": {"prior": "uniform", "low": 0.0, "high": 0.3},
    "population.ai_users": {"prior": "uniform", "low": 0.1, "high": 0.9},
}

TARGET_SHAPES = [
    {"column": "gpt_rate_users", "step": 12, "relative_to_step": 0},
    {"column": "gpt_rate_nonusers", "step": 12, "relative_to_step": 0},
    {"column": "ai_share", "step": 12},
]


def write(folder: Path, targets: list[dict], calibration: dict | None = None,
          parameters: dict | None = None, **top) -> Path:
    (folder / "small.toml").write_text(tomli_w.dumps(SMALL))
    data = {"scenario": "small.toml", **top, "parameters": parameters or PRIORS,
            "targets": targets}
    if calibration:
        data["calibration"] = calibration
    path = folder / "targets.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def quick_targets() -> list[dict]:
    return [{**TARGET_SHAPES[0], "value": 3.0, "sd": 0.1},
            {**TARGET_SHAPES[2], "value": 0.5, "sd": 0.07}]


# -- recovery -----------------------------------------------------------------------------------
@pytest.mark.long
def test_recovery_known_values_lie_in_the_90_percent_interval_and_the_posterior_narrows(
        tmp_path):
    """Targets simulated at known values are calibrated back.

    The observed values are the means of 12 runs at the known values; each target's sd is the
    standard deviation of those runs, i.e. the scatter of the single run a particle is judged
    by (derived, not tuned). ABC-SMC with 4 populations of 40 particles must then put each
    known value inside its 90 % posterior interval, and each interval must be narrower than
    the prior's.
    """
    truth = {"gpt_words.adoption": 0.12, "population.ai_users": 0.5}
    sc = ecosystem.load_scenario(SMALL, overrides=truth)
    shapes = [Target(**shape, value=0.0, sd=1.0) for shape in TARGET_SHAPES]
    runs = np.array([[target_series(ecosystem.simulate(sc, seed=1000 + i), t)[t.step]
                      for t in shapes] for i in range(12)])
    targets = [{**shape, "value": float(runs[:, i].mean()), "sd": float(runs[:, i].std(ddof=1))}
               for i, shape in enumerate(TARGET_SHAPES)]
    path = write(tmp_path, targets, {"populations": 4, "particles": 40, "seed": 5,
                                     "predictive_draws": 8})
    result = calibrate(path, tmp_path / "out", progress=False)

    assert result.complete and len(result.history) == 4
    for row in result.summary.iter_rows(named=True):
        assert row["q05"] <= truth[row["key"]] <= row["q95"], row
        assert row["q95"] - row["q05"] < row["prior_q95"] - row["prior_q05"], row
    # the folder holds what the contract names
    posterior = pl.read_parquet(tmp_path / "out" / "posterior.parquet")
    assert posterior.columns == [*truth, "weight"]
    assert posterior.height == 40
    assert posterior["weight"].sum() == pytest.approx(1.0)
    populations = pl.read_parquet(tmp_path / "out" / "populations.parquet")
    assert sorted(populations["population"].unique()) == [0, 1, 2, 3]
    calibrated = ecosystem.load_scenario(tmp_path / "out" / "calibrated.toml")
    for row in result.summary.iter_rows(named=True):
        assert calibrated.get(row["key"]) == pytest.approx(row["median"])
    report = (tmp_path / "out" / "report.md").read_text()
    assert "marginals.png" in report and "fit.png" in report
    assert (tmp_path / "out" / "marginals.png").stat().st_size > 0
    assert (tmp_path / "out" / "fit.png").stat().st_size > 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert [p["population"] for p in manifest["populations"]] == [0, 1, 2, 3]


# -- determinism and resume ---------------------------------------------------------------------
def tiny(tmp_path: Path) -> Path:
    return write(tmp_path, quick_targets(), {"populations": 3, "particles": 8, "seed": 9,
                                             "predictive_draws": 2})


def test_same_seed_same_posterior_in_one_process_and_on_two_workers(tmp_path):
    problem = load_targets(tiny(tmp_path)).with_settings(populations=2, particles=6)
    one = calibrate(problem, tmp_path / "one", progress=False)
    two = calibrate(problem, tmp_path / "two", workers=2, progress=False)
    assert one.populations.equals(two.populations)
    assert one.posterior.equals(two.posterior)
    assert one.history == two.history
    other = calibrate(problem.with_settings(seed=10, populations=1), tmp_path / "other",
                      progress=False)
    first = one.populations.filter(pl.col("population") == 0)
    assert not first.equals(other.populations)


def test_same_posterior_on_a_dask_cluster_with_threads(tmp_path):
    """Threads share NumPy's global generator: the posterior must not depend on them."""
    from distributed import Client, LocalCluster

    problem = load_targets(tiny(tmp_path)).with_settings(populations=2, particles=6)
    one = calibrate(problem, tmp_path / "one", progress=False)
    with LocalCluster(n_workers=1, threads_per_worker=3, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        dask = calibrate(problem, tmp_path / "dask", executor=client.get_executor(pure=False),
                         progress=False)
    assert dask.populations.equals(one.populations)


def test_an_interrupted_calibration_resumes_to_the_same_posterior(tmp_path, monkeypatch, capsys):
    path = tiny(tmp_path)
    whole = calibrate(path, tmp_path / "whole", progress=False)
    first_population = whole.history[0]["simulations"] + 8  # prior sample: 8 simulations

    calls = {"n": 0}
    real = calibrate_module.ParticleModel.__call__

    def interrupting(self, parameters):
        calls["n"] += 1
        if calls["n"] > first_population + 3:  # inside the second population
            raise KeyboardInterrupt
        return real(self, parameters)

    monkeypatch.setattr(calibrate_module.ParticleModel, "__call__", interrupting)
    with pytest.raises(KeyboardInterrupt):
        calibrate(path, tmp_path / "cut", progress=False)
    manifest = json.loads((tmp_path / "cut" / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert [p["population"] for p in manifest["populations"]] == [0]
    assert not (tmp_path / "cut" / "posterior.parquet").exists()

    monkeypatch.setattr(calibrate_module.ParticleModel, "__call__", real)
    assert main(["calibrate", "--resume", str(tmp_path / "cut")]) == 0
    assert "3 populations" in capsys.readouterr().out
    resumed = pl.read_parquet(tmp_path / "cut" / "posterior.parquet")
    assert resumed.equals(whole.posterior)
    # resuming a finished calibration keeps it
    again = resume_calibration(tmp_path / "cut", progress=False)
    assert again.posterior.equals(whole.posterior)


def test_a_calibration_stops_when_acceptance_falls_below_the_minimum(tmp_path, capsys):
    path = write(tmp_path, quick_targets(), {"populations": 4, "particles": 6, "seed": 1,
                                             "min_acceptance_rate": 0.9,
                                             "predictive_draws": 1})
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 0
    assert "stopped before its last population" in capsys.readouterr().out
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "stopped"
    rates = [p["acceptance_rate"] for p in manifest["populations"]]
    assert len(rates) < 4 and rates[-1] < 0.9 and all(r >= 0.9 for r in rates[:-1])
    assert (tmp_path / "out" / "posterior.parquet").is_file()
    resumed = resume_calibration(tmp_path / "out", progress=False)  # stays stopped
    assert len(resumed.history) == len(rates) and not resumed.complete


def test_one_words_preference_ratio_can_be_calibrated(tmp_path):
    """``gpt_words.ai_preference.WORD`` is a parameter; the simulation uses the ratio."""
    path = write(tmp_path, [{"column": "rate_ai", "word": "adept", "step": 2, "value": 1.0,
                             "sd": 0.1}],
                 parameters={"gpt_words.ai_preference.adept": {"low": 5.0, "high": 50.0}})
    problem = load_targets(path)
    assert problem.keys == ["gpt_words.ai_preference.adept"]
    model = calibrate_module.ParticleModel(problem)
    low, high = (model({"p0": ratio})["target0"] for ratio in (5.0, 50.0))
    assert high > 2 * low  # the AI writes "adept" more often the more it prefers it
    sc = problem.scenario.with_overrides(problem.scenario_values(
        {"gpt_words.ai_preference.adept": 20.0}))
    assert sc.gpt_words.ai_preference["adept"] == 20.0
    bad = write(tmp_path, quick_targets(),
                parameters={"gpt_words.ai_preference.dwell": {"low": 5.0, "high": 50.0}})
    with pytest.raises(TargetsError, match="dwell"):
        load_targets(bad)


def test_model_seeds_come_from_the_particle():
    assert particle_seeds(1, [0.1, 0.5], 3) == particle_seeds(1, [0.1, 0.5], 3)
    seeds = particle_seeds(1, [0.1, 0.5], 3)
    assert len(set(seeds)) == 3 and all(0 <= s < 2**63 for s in seeds)
    assert particle_seeds(2, [0.1, 0.5], 1) != particle_seeds(1, [0.1, 0.5], 1)
    assert particle_seeds(1, [0.1, np.nextafter(0.5, 1)], 1) != particle_seeds(1, [0.1, 0.5], 1)


def test_weighted_quantile_matches_repeated_values():
    values = np.array([3.0, 1.0, 2.0])
    weights = np.array([1.0, 1.0, 2.0])
    repeated = np.array([1.0, 2.0, 2.0, 3.0])
    for q in (0.3, 0.5, 0.7):
        assert weighted_quantile(values, weights, q) == pytest.approx(
            weighted_quantile(repeated, np.ones(4), q))
    assert weighted_quantile(values, weights, 0.5) == 2.0


def test_target_quantities_relative_and_divided():
    run = ecosystem.simulate(ecosystem.load_scenario(SMALL), seed=1)
    ts = run.timeseries
    relative = target_series(run, Target(column="gpt_rate_users", step=5, relative_to_step=0,
                                         value=1, sd=1))
    assert relative[5] == pytest.approx(ts["gpt_rate_users"][5] / ts["gpt_rate_users"][0])
    ratio = target_series(run, Target(column="neutral_share_users", step=7,
                                      divided_by="neutral_share_nonusers", value=1, sd=1))
    assert ratio[7] == pytest.approx(ts["neutral_share_users"][7]
                                     / ts["neutral_share_nonusers"][7])


# -- bad targets files --------------------------------------------------------------------------
BAD = [
    ("unknown column", {"targets": [{"column": "gpt_rate_everyone", "step": 3, "value": 1,
                                     "sd": 1}]}, "targets[0].column"),
    ("unknown divisor", {"targets": [{"column": "ai_share", "divided_by": "nope", "step": 3,
                                      "value": 1, "sd": 1}]}, "targets[0].divided_by"),
    ("unknown parameter key", {"parameters": {"gpt_words.adopt": {"low": 0, "high": 1}}},
     "gpt_words.adopt"),
    ("unknown section", {"parameters": {"words.adoption": {"low": 0, "high": 1}}},
     "words.adoption"),
    ("low above high", {"parameters": {"gpt_words.adoption": {"low": 0.3, "high": 0.1}}},
     "gpt_words.adoption"),
    ("prior outside the key's range", {"parameters": {"population.ai_users":
                                                      {"low": 0.1, "high": 1.5}}},
     "population.ai_users"),
    ("not numeric", {"parameters": {"ai.data_regime": {"low": 0, "high": 1}}}, "ai.data_regime"),
    ("step past the end", {"targets": [{"column": "ai_share", "step": 13, "value": 1,
                                        "sd": 1}]}, "targets[0].step"),
    ("relative step past the end", {"targets": [{"column": "ai_share", "step": 3,
                                                 "relative_to_step": 40, "value": 1, "sd": 1}]},
     "targets[0].relative_to_step"),
    ("unknown target key", {"targets": [{"column": "ai_share", "step": 3, "value": 1, "sd": 1,
                                         "stepp": 2}]}, "targets[0].stepp"),
    ("unknown calibration key", {"calibration": {"generations": 3}}, "calibration.generations"),
    ("unknown top-level key", {"priors": {}}, "priors"),
    ("word not in the vocabulary", {"targets": [{"column": "rate_users", "word": "dwell",
                                                 "step": 3, "value": 1, "sd": 1}]},
     "targets[0].word"),
    ("word rate without a word", {"targets": [{"column": "rate_users", "step": 3, "value": 1,
                                               "sd": 1}]}, "targets[0].word"),
    ("word on a timeseries column", {"targets": [{"column": "ai_share", "word": "delve",
                                                  "step": 3, "value": 1, "sd": 1}]},
     "targets[0].word"),
    ("unknown prior kind", {"parameters": {"gpt_words.adoption": {"prior": "beta", "low": 0,
                                                                   "high": 1}}},
     "gpt_words.adoption"),
    ("sd not positive", {"targets": [{"column": "ai_share", "step": 3, "value": 1, "sd": 0}]},
     "targets[0].sd"),
    ("no targets", {"targets": []}, "targets"),
    ("missing value", {"targets": [{"column": "ai_share", "step": 3, "sd": 1}]},
     "targets[0].value"),
]


@pytest.mark.parametrize(("case", "change", "key"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_targets_file_is_refused_up_front(tmp_path, capsys, case, change, key):
    data = {"scenario": "small.toml", "parameters": PRIORS, "targets": quick_targets(),
            "calibration": {"populations": 1, "particles": 2}, **change}
    (tmp_path / "small.toml").write_text(tomli_w.dumps(SMALL))
    path = tmp_path / "targets.toml"
    path.write_text(tomli_w.dumps(data))
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert key in err, err
    assert "Traceback" not in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.toml", "targets.toml"]
    with pytest.raises(TargetsError):
        load_targets(path)


def test_missing_scenario_and_bad_arguments_exit_2(tmp_path, capsys):
    path = write(tmp_path, quick_targets())
    assert main(["calibrate", str(path), "--scenario", str(tmp_path / "none.toml"),
                 "--out", str(tmp_path / "o")]) == 2
    assert "none.toml" in capsys.readouterr().err
    assert main(["calibrate", str(path), "--workers", "0"]) == 2
    assert main(["calibrate", str(path), "--workers", "2", "--scheduler", "tcp://x:1"]) == 2
    assert main(["calibrate"]) == 2
    assert main(["calibrate", "--resume", str(tmp_path)]) == 2
    assert "not a calibration folder" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_scenario_option_overrides_the_file_and_steps_are_checked_against_it(tmp_path):
    path = write(tmp_path, [{"column": "ai_share", "step": 20, "value": 0.5, "sd": 0.1}])
    with pytest.raises(TargetsError, match=r"targets\[0\].step"):
        load_targets(path)
    longer = tmp_path / "longer.toml"
    longer.write_text(tomli_w.dumps({**SMALL, "scenario": {"steps": 24}}))
    assert load_targets(path, longer).scenario.scenario.steps == 24


def test_runs_stop_at_the_last_target_step_without_changing_its_values():
    """Simulations stop at the last step a target reads: the steps before are unchanged."""
    sc = ecosystem.load_scenario(SMALL)
    whole = ecosystem.simulate(sc, seed=4)
    cut = ecosystem.simulate(sc, seed=4, steps=7)
    assert cut.timeseries.equals(whole.timeseries.head(8))
    assert cut.words.equals(whole.words.filter(pl.col("step") <= 7))


def test_word_targets_read_the_per_word_rates():
    run = ecosystem.simulate(ecosystem.load_scenario(SMALL), seed=2)
    target = Target(column="rate_nonusers", word="delve", step=9, relative_to_step=0,
                    value=1, sd=1)
    rows = run.words.filter(pl.col("word") == "delve").sort("step")["rate_nonusers"]
    assert target_series(run, target)[9] == pytest.approx(rows[9] / rows[0])
    ratio = Target(column="rate_users", word="realm", step=4, divided_by="rate_nonusers",
                   value=1, sd=1)
    realm = run.words.filter((pl.col("word") == "realm") & (pl.col("step") == 4))
    assert target_series(run, ratio)[4] == pytest.approx(
        realm["rate_users"][0] / realm["rate_nonusers"][0])


@pytest.mark.long
def test_ctrl_c_on_the_command_keeps_every_stored_population(tmp_path):
    """SIGINT to the command and its workers: exit 130, no traceback, populations kept."""
    import os
    import selectors
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    path = write(tmp_path, quick_targets(), {"populations": 5, "particles": 6, "seed": 2,
                                             "predictive_draws": 2})
    out = tmp_path / "out"
    # a background shell starts commands with SIGINT ignored; a terminal's Ctrl-C does not
    code = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler);"
            f" sys.argv = ['ecosystem', 'calibrate', {str(path)!r}, '--workers', '2', "
            f"'--out', {str(out)!r}]; runpy.run_module('ecosystem', run_name='__main__')")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", code], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    err = ""
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline = time.time() + 600
    while "population 1/" not in err and time.time() < deadline and process.poll() is None:
        if selector.select(timeout=1):
            err += process.stderr.readline()
    os.killpg(process.pid, signal.SIGINT)
    _, rest = process.communicate(timeout=300)
    err += rest
    assert process.returncode == 130, err
    assert "Traceback" not in err and "--resume" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    kept = [p["population"] for p in manifest["populations"]]
    assert kept and kept == list(range(len(kept)))
    assert main(["calibrate", "--resume", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert pl.read_parquet(out / "populations.parquet")["population"].max() == 4


def test_calibration_workers_share_the_cores_between_their_threads():
    """The workers a calibration starts take their share of the cores, as a sweep's do."""
    import concurrent.futures as cf
    import multiprocessing

    import numba

    from ecosystem.experiments import calibrate
    from tests.conftest import worker_threads

    with cf.ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"),
                                initializer=calibrate._worker_start, initargs=(2,)) as pool:
        threads = set(pool.map(worker_threads, range(4)))
    cores = numba.config.NUMBA_DEFAULT_NUM_THREADS
    assert threads == {max(1, min(numba.config.NUMBA_NUM_THREADS, cores // 2))}
