"""Scenario discovery (PRIM) finds the box of swept values where an outcome was planted."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

import ecosystem
from ecosystem.experiments.discover import (
    DiscoverError,
    discover,
    format_discovery,
    write_discovery,
)
from ecosystem.experiments.plan import plan_sweep
from ecosystem.experiments.sweep import RESULTS, _start_folder
from ecosystem.model import TIMESERIES_SCHEMA
from tests.conftest import chain

LEVER = "interventions.human_data_reserve"
RANGES = {
    LEVER: [0.0, 0.5],
    "decoding.temperature": [0.5, 1.5],
    "ai.window": [1, 10],
}


def planted_folder(path, outcome, *, samples=80, grid=None, seed=1, replicates=1):
    """A sweep folder laid out as ``ecosystem sweep`` writes it, with made-up results.

    ``outcome(columns, rng)`` gives ``tail_mass`` at the last step from the run's swept values;
    step 0 has the same value, 0.3, everywhere, so only the last step carries the answer.
    ``samples=0`` makes a grid sweep of ``grid`` with ``replicates``.
    """
    if samples:
        sweep = {"design": "latin", "samples": samples, "replicates": 1, "ranges": RANGES}
    else:
        sweep = {"replicates": replicates}
    if grid:
        sweep["grid"] = grid
    plan = plan_sweep(ecosystem.load_scenario(chain(scenario={"steps": 5, "seed": seed},
                                                    sweep=sweep)))
    _start_folder(path, plan)
    rng = np.random.default_rng(seed)
    schema = plan.schema()
    rows = []
    for run in range(plan.n_runs):
        columns = plan.columns(run)
        for step, value in ((0, 0.3), (5, outcome(columns, rng))):
            row = dict.fromkeys(TIMESERIES_SCHEMA)
            row.update(columns, step=step, tail_mass=value)
            rows.append(row)
    pl.DataFrame(rows, schema=schema, orient="row").write_parquet(path / RESULTS)
    return plan


def low_below(cut):
    """tail_mass near 0.02 when the lever is below ``cut``, near 0.3 otherwise; noise ±0.05."""
    def outcome(columns, rng):
        base = 0.02 if columns[LEVER] < cut else 0.3
        return base + rng.uniform(0, 0.05)
    return outcome


def test_the_planted_box_is_found(tmp_path):
    plan = planted_folder(tmp_path / "s", low_below(0.2))
    result = discover(tmp_path / "s", "tail_mass", below=0.1)
    assert result.step == 5
    assert result.runs == plan.n_runs
    box = result.boxes.filter(pl.col("box") == 1)
    assert box["key"].to_list() == [LEVER]  # the noise keys are left free
    row = box.row(0, named=True)
    assert row["coverage"] == 1.0
    assert row["density"] == 1.0
    # The limit lies in the gap between the largest lever value of interest and the smallest
    # other one: the sample cannot place it more precisely than that.
    levers = np.array([plan.overrides(r)[LEVER] for r in range(plan.n_runs)])
    assert levers[levers < 0.2].max() <= row["high"] < levers[levers >= 0.2].min()
    assert row["low"] == levers.min() and row["qp_low"] is None
    assert row["qp_high"] < 0.01
    assert result.uncovered == 0


def test_a_categorical_key_is_restricted_as_a_set(tmp_path):
    """The outcome is planted in one data regime with the lever below 0.3.

    PRIM peels 5 % of a box per step and pastes back only what raises the density, so its last
    peel along the lever may overshoot the cut by one peel: at most ceil(5 % of the box's runs)
    runs of interest lost, i.e. a limit at most that many design points (spacing 0.5 / 60)
    below 0.3.
    """
    def outcome(columns, rng):
        hit = columns["ai.data_regime"] == "replace" and columns[LEVER] < 0.3
        return (0.02 if hit else 0.3) + rng.uniform(0, 0.05)

    planted_folder(tmp_path / "s", outcome, samples=60,
                   grid={"ai.data_regime": ["replace", "window", "accumulate"]})
    result = discover(tmp_path / "s", "tail_mass", below=0.1)
    box = result.boxes.filter(pl.col("box") == 1)
    assert set(box["key"]) == {"ai.data_regime", LEVER}
    regime = box.filter(pl.col("key") == "ai.data_regime").row(0, named=True)
    assert regime["kind"] == "set"
    assert regime["values"] == ["replace"]
    assert regime["all_values"] == ["accumulate", "replace", "window"]
    assert regime["density"] == 1.0
    lost = math.ceil(0.05 * regime["runs"] / 0.95)
    assert regime["of_interest"] >= result.of_interest - lost
    lever = box.filter(pl.col("key") == LEVER).row(0, named=True)
    assert 0.3 - (lost + 1) * 0.5 / 60 <= lever["high"] < 0.3 + 0.5 / 60


def test_an_integer_key_gets_a_range(tmp_path):
    """Planted on an integer key: runs with ai.window of 7 or more (rounded from the design)."""
    def outcome(columns, rng):
        return (0.02 if columns["ai.window"] >= 7 else 0.3) + rng.uniform(0, 0.05)

    planted_folder(tmp_path / "s", outcome, samples=60)
    result = discover(tmp_path / "s", "tail_mass", below=0.1)
    row = result.boxes.row(0, named=True)
    assert row["key"] == "ai.window" and result.boxes.height == 1
    assert row["density"] == 1.0 and row["coverage"] == 1.0
    assert 6 < row["low"] <= 7 and row["qp_high"] is None


def test_above_and_an_earlier_step(tmp_path):
    planted_folder(tmp_path / "s", low_below(0.2))
    result = discover(tmp_path / "s", "tail_mass", above=0.25)
    row = result.boxes.row(0, named=True)
    assert row["key"] == LEVER and row["density"] == 1.0 and row["coverage"] == 1.0
    assert row["low"] >= 0.19
    with pytest.raises(DiscoverError, match=r"every run has tail_mass below 0.5 at step 0"):
        discover(tmp_path / "s", "tail_mass", below=0.5, step=0)


def test_runs_without_a_value_are_left_out_and_counted(tmp_path):
    plant = low_below(0.2)

    def outcome(columns, rng):  # every fifth run measured nothing
        return None if columns["run"] % 5 == 0 else plant(columns, rng)

    plan = planted_folder(tmp_path / "s", outcome)
    result = discover(tmp_path / "s", "tail_mass", below=0.1)
    assert result.missing == len(range(0, plan.n_runs, 5))
    assert result.runs == plan.n_runs - result.missing
    assert f"({result.missing} runs without a value of tail_mass at step 5 are left out)" in (
        format_discovery(result))
    assert result.boxes["key"].to_list() == [LEVER]


def test_written_tables_and_figure(tmp_path):
    planted_folder(tmp_path / "s", low_below(0.2))
    result = discover(tmp_path / "s", "tail_mass", below=0.1)
    out = write_discovery(result)
    assert out == tmp_path / "s" / "discover-tail_mass"
    assert sorted(p.name for p in out.iterdir()) == [
        "boxes.parquet", "discover.png", "manifest.json", "trajectory.parquet"]
    boxes = pl.read_parquet(out / "boxes.parquet")
    assert boxes.equals(result.boxes)
    trajectory = pl.read_parquet(out / "trajectory.parquet")
    assert trajectory.filter(pl.col("chosen")).height == result.summary.height
    assert trajectory.filter(pl.col("position") == 0)["coverage"].to_list()[0] == 1.0


def test_bad_input_names_the_problem(tmp_path):
    planted_folder(tmp_path / "s", low_below(0.2))
    folder = tmp_path / "s"
    with pytest.raises(DiscoverError, match=r"measures are: .*tail_mass"):
        discover(folder, "tail_mas", below=0.1)
    with pytest.raises(DiscoverError, match=r"no run has tail_mass below 0.001"):
        discover(folder, "tail_mass", below=0.001)
    with pytest.raises(DiscoverError, match=r"exactly one of --below"):
        discover(folder, "tail_mass", below=0.1, above=0.2)
    with pytest.raises(DiscoverError, match=r"exactly one of --below"):
        discover(folder, "tail_mass")
    with pytest.raises(DiscoverError, match=r"--step 9: out of range"):
        discover(folder, "tail_mass", below=0.1, step=9)
    with pytest.raises(DiscoverError, match=r"not a sweep folder"):
        discover(tmp_path, "tail_mass", below=0.1)
    with pytest.raises(DiscoverError, match=r"--metric 'model_richness': no run has a value"):
        discover(folder, "model_richness", below=1)


# -- through the command, on a real sweep ----------------------------------------------------
@pytest.fixture(scope="module")
def real_sweep(tmp_path_factory):
    """A tiny real latin sweep of a retraining chain, run by ``ecosystem sweep``."""
    import tomli_w

    from tests.conftest import run_cli

    root = tmp_path_factory.mktemp("discover")
    scenario = chain(
        scenario={"name": "tiny-discover", "steps": 4, "seed": 5},
        content={"types": 8, "initial_docs": 200},
        ai={"outputs_per_generation": 200},
        sweep={"design": "latin", "samples": 16, "replicates": 1,
               "grid": {"ai.data_regime": ["replace", "accumulate"]},
               "ranges": {LEVER: [0.0, 0.8], "decoding.temperature": [0.5, 1.5]}},
    )
    (root / "tiny.toml").write_text(tomli_w.dumps(scenario))
    done = run_cli("sweep", str(root / "tiny.toml"), "--out", str(root / "sweep"))
    assert done.returncode == 0, done.stderr
    return root / "sweep"


def _inside(frame: pl.DataFrame, limits: pl.DataFrame) -> pl.Series:
    inside = pl.Series([True] * frame.height)
    for row in limits.iter_rows(named=True):
        column = frame[row["key"]]
        if row["kind"] == "set":
            inside &= column.cast(pl.String).is_in(row["values"])
        else:
            inside &= (column >= row["low"]) & (column <= row["high"])
    return inside


def test_discover_command_on_a_real_sweep(real_sweep, cli):
    last = pl.read_parquet(real_sweep / "results.parquet").filter(pl.col("step") == 4)
    threshold = float(last["tail_mass"].median())
    done = cli("discover", str(real_sweep), "--metric", "tail_mass", "--below", str(threshold),
               "--min-density", "0.6")
    assert done.returncode == 0, done.stderr
    out = real_sweep / "discover-tail_mass"
    boxes = pl.read_parquet(out / "boxes.parquet")
    assert f"PRIM on tail_mass below {threshold:g} at step 4" in done.stdout
    assert (out / "discover.png").stat().st_size > 0
    assert boxes.height >= 1, done.stdout
    # Recount each box from the results: the written limits hold the runs and the share the
    # table states (later boxes count only the runs earlier boxes left).
    interest = last["tail_mass"] <= threshold
    left = pl.Series([True] * last.height)
    for number, limits in boxes.group_by("box", maintain_order=True):
        row = limits.row(0, named=True)
        inside = _inside(last, limits) & left
        assert inside.sum() == row["runs"]
        assert (inside & interest).sum() == row["of_interest"]
        assert row["coverage"] == pytest.approx(row["of_interest"] / interest.sum())
        assert row["density"] == pytest.approx(row["of_interest"] / row["runs"])
        assert row["density"] >= 0.6
        assert f"box {number[0]}: coverage {row['coverage']:.2f}" in done.stdout
        left &= ~inside


@pytest.mark.parametrize(("args", "message"), [
    (["--metric", "tail", "--below", "0.1"], "--metric 'tail': not a measure of the results"),
    (["--metric", "tail_mass", "--below", "-1"], "--below -1: no run has tail_mass below -1"),
    (["--metric", "tail_mass", "--above", "-1"], "every run has tail_mass above -1"),
    (["--metric", "tail_mass"], "give exactly one of --below X or --above X"),
    (["--metric", "tail_mass", "--below", "0.1", "--step", "99"], "--step 99: out of range"),
    (["--metric", "tail_mass", "--below", "0.1", "--min-density", "2"], "--min-density"),
])
def test_discover_command_bad_input(real_sweep, cli, args, message):
    before = sorted(real_sweep.rglob("*"))
    done = cli("discover", str(real_sweep), *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(real_sweep.rglob("*")) == before  # nothing written


def test_discover_command_not_a_sweep_folder(tmp_path, cli):
    done = cli("discover", str(tmp_path), "--metric", "tail_mass", "--below", "0.1")
    assert done.returncode == 2
    assert "not a sweep folder" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_new_discovery_replaces_the_earlier_one_and_keeps_the_users_files(tmp_path):
    planted_folder(tmp_path / "s", low_below(0.2))
    first = write_discovery(discover(tmp_path / "s", "tail_mass", below=0.1))
    (first / "notes.txt").write_text("mine")
    again = write_discovery(discover(tmp_path / "s", "tail_mass", below=0.05))
    assert again == first
    assert (first / "notes.txt").read_text() == "mine"
    assert json.loads((first / "manifest.json").read_text())["threshold"] == 0.05
    with pytest.raises(DiscoverError, match="not empty"):  # another --out needs --overwrite
        write_discovery(discover(tmp_path / "s", "tail_mass", below=0.1), out=tmp_path / "s")
