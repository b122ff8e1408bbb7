"""Sensitivity indices of designed sweeps: the one parameter that matters ranks first."""

from __future__ import annotations

import polars as pl
import pytest

import ecosystem
from ecosystem.cli import main
from ecosystem.experiments.sensitivity import SensitivityError, sensitivity
from ecosystem.experiments.sweep import run_sweep
from tests.conftest import chain

# In a pure retraining chain (no people) the opinion and marker-word settings touch nothing,
# while the decoding temperature scales the spread of every generation's output (√T), so the
# model's variance after a few generations depends on the temperature alone (and on chance).
RANGES = {
    "opinion.neutral_band": [0.1, 0.9],
    "decoding.temperature": [0.5, 1.5],
    "gpt_words.adoption": [0.0, 1.0],
}


def designed(design: str, samples: int, **extra) -> ecosystem.Scenario:
    return ecosystem.load_scenario(chain(
        scenario={"steps": 5, "seed": 3},
        content={"types": 8, "initial_docs": 200},
        ai={"outputs_per_generation": 200},
        sweep={"design": design, "samples": samples, "replicates": 2, "ranges": RANGES,
               **extra},
    ))


@pytest.fixture(scope="module")
def sobol_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sensitivity") / "sobol"
    run_sweep(designed("sobol", 16), folder)
    return folder


def test_sobol_ranks_the_only_parameter_that_matters_first(sobol_folder):
    result = sensitivity(sobol_folder, "model_variance", write=False)
    table = result.table
    assert result.method == "sobol"
    assert table["parameter"].to_list()[0] == "decoding.temperature"
    assert table["rank"].to_list() == [1, 2, 3]
    top, others = table.row(0, named=True), table.slice(1)
    # Beyond chance: the lower end of its 95 % interval is above the others' upper ends.
    assert top["ST"] - top["ST_conf"] > (others["ST"] + others["ST_conf"]).max()
    assert table.columns == ["metric", "step", "method", "parameter", "rank",
                             "S1", "S1_conf", "ST", "ST_conf"]
    assert set(table["step"]) == {5}


@pytest.mark.parametrize(("design", "samples", "index"), [("morris", 10, "mu_star"),
                                                          ("latin", 60, "S1")])
def test_morris_and_latin_designs_rank_it_first_too(tmp_path, design, samples, index):
    run_sweep(designed(design, samples), tmp_path / design)
    table = sensitivity(tmp_path / design, "model_variance", write=False).table
    assert table["parameter"][0] == "decoding.temperature"
    top, others = table.row(0, named=True), table.slice(1)
    conf = f"{index}_conf"
    assert top[index] - top[conf] > (others[index] + others[conf]).max()


def test_a_design_with_a_grid_gets_indices_per_cell(tmp_path):
    sc = designed("morris", 6, grid={"ai.data_regime": ["replace", "accumulate"]})
    run_sweep(sc, tmp_path / "s")
    table = sensitivity(tmp_path / "s", "model_variance", write=False).table
    assert table.height == 2 * len(RANGES)
    assert table.columns[3] == "ai.data_regime"
    for _, cell in table.group_by("ai.data_regime"):
        assert sorted(cell["rank"]) == [1, 2, 3]


def test_indices_are_written_and_merged_by_metric_and_step(sobol_folder):
    sensitivity(sobol_folder, "model_variance")
    sensitivity(sobol_folder, "drift", step=2)
    sensitivity(sobol_folder, "model_variance")  # replaces its own rows, keeps the others
    written = pl.read_parquet(sobol_folder / "sensitivity.parquet")
    assert sorted(written.group_by("metric", "step").len().rows()) == [
        ("drift", 2, 3), ("model_variance", 5, 3)]


def test_the_command_prints_the_ranking(sobol_folder, capsys):
    assert main(["sensitivity", str(sobol_folder), "--metric", "model_variance"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "Sobol indices" in lines[0]
    first = next(line for line in lines if line.strip().startswith("1 "))
    assert "decoding.temperature" in first
    assert f"written: {sobol_folder / 'sensitivity.parquet'}" in out


def test_bad_input_is_a_clear_error(sobol_folder, tmp_path, capsys):
    grid = tmp_path / "grid"
    run_sweep(ecosystem.load_scenario(chain(scenario={"steps": 1}, sweep={"replicates": 2})),
              grid)
    cases = [
        ([str(grid), "--metric", "drift"], "a grid sweep has no sampling design"),
        ([str(sobol_folder), "--metric", "nope"],
         "--metric 'nope': not a column of the results; columns are: generation, corpus_docs"),
        ([str(sobol_folder), "--metric", "drift", "--step", "6"],
         "--step 6: out of range; the runs have steps 0 … 5"),
        ([str(sobol_folder), "--metric", "drift", "--step", "-1"], "out of range"),
        ([str(sobol_folder), "--metric", "gpt_rate_users"], "gpt_rate_users has no value"),
        ([str(sobol_folder), "--metric", "corpus_docs"], "no parameter changes it"),
        ([str(tmp_path), "--metric", "drift"], "not a sweep folder"),
        ([str(tmp_path / "nowhere"), "--metric", "drift"], "no such folder"),
    ]
    for argv, message in cases:
        assert main(["sensitivity", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert message in err, (argv, err)
        assert err.startswith("error: ")
    with pytest.raises(SensitivityError):
        sensitivity(grid, "drift")


def test_a_latin_design_too_small_for_rbd_fast_is_refused(tmp_path):
    run_sweep(designed("latin", 12), tmp_path / "small")
    with pytest.raises(SensitivityError, match="RBD-FAST needs at least 42 latin points"):
        sensitivity(tmp_path / "small", "model_variance", write=False)
