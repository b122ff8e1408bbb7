"""Reports: plots of a run or a sweep, and the numbers behind a sweep's bands."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import polars as pl
import pytest

import ecosystem
from ecosystem.cli import main
from ecosystem.experiments.sweep import run_sweep
from ecosystem.report import BAND, ReportError, report, summarise_sweep
from tests.conftest import ROOT, chain

PNG = b"\x89PNG\r\n\x1a\n"
CELLS = ["replace", "accumulate"]  # deliberately not in sorted order


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report") / "sweep"
    sc = ecosystem.load_scenario(chain(
        scenario={"steps": 4}, content={"types": 8, "initial_docs": 200},
        ai={"outputs_per_generation": 200},
        sweep={"replicates": 3, "grid": {"ai.data_regime": CELLS}},
    ))
    run_sweep(sc, folder)
    return folder


def test_sweep_bands_are_the_mean_and_quantiles_over_replicates(sweep_folder):
    summary = summarise_sweep(sweep_folder, ["drift", "model_richness"])
    results = pl.read_parquet(sweep_folder / "results.parquet")
    assert summary["ai.data_regime"].unique(maintain_order=True).to_list() == CELLS
    assert summary.height == len(CELLS) * 5
    for row in summary.iter_rows(named=True):
        runs = results.filter((pl.col("ai.data_regime") == row["ai.data_regime"])
                              & (pl.col("step") == row["step"]))
        assert row["runs"] == 3
        for metric in ("drift", "model_richness"):
            values = runs[metric].to_numpy().astype(float)
            assert row[f"{metric}_mean"] == pytest.approx(values.mean())
            assert row[f"{metric}_low"] == pytest.approx(np.quantile(values, BAND[0]))
            assert row[f"{metric}_high"] == pytest.approx(np.quantile(values, BAND[1]))


def test_report_of_a_sweep_writes_pngs_beside_the_data(sweep_folder, capsys):
    assert main(["report", str(sweep_folder)]) == 0
    out = capsys.readouterr().out
    plots = sweep_folder / "plots"
    assert f"in {plots}:" in out
    files = sorted(plots.glob("*.png"))
    assert {p.name for p in files} >= {"overview.png", "model_richness.png", "drift.png"}
    # Measured at one step only in a pure chain (the human corpus at step 0): nothing to draw.
    assert not (plots / "quality_human.png").exists()
    for path in files:
        assert path.read_bytes()[:8] == PNG
        assert str(path) in out


def test_report_of_a_run_folder(tmp_path):
    run = ecosystem.simulate(ecosystem.load_scenario(chain(scenario={"steps": 3})))
    folder = run.save(tmp_path / "run")
    drawn = report(folder, ["tail_mass", "drift"])
    assert drawn.kind == "run"
    assert drawn.files == [folder / "plots" / name
                           for name in ("overview.png", "tail_mass.png", "drift.png")]
    assert (folder / "plots" / "tail_mass.png").read_bytes()[:8] == PNG


def test_report_of_an_interrupted_sweep_draws_its_finished_runs(sweep_folder, tmp_path):
    import shutil

    copy = tmp_path / "interrupted"
    shutil.copytree(sweep_folder, copy)
    (copy / "results.parquet").unlink()
    for part in sorted((copy / "parts").glob("run-*.parquet"))[2:]:
        part.unlink()
    drawn = report(copy, ["drift"])
    assert drawn.runs == 2
    assert (copy / "plots" / "drift.png").is_file()


def test_bad_folders_are_clear_errors(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
    assert "neither a run folder nor a sweep folder" in capsys.readouterr().err
    run = ecosystem.simulate(ecosystem.load_scenario(chain(scenario={"steps": 2})))
    folder = run.save(tmp_path / "run")
    assert main(["report", str(folder), "--metric", "nope"]) == 2
    assert "--metric 'nope': not a measure of the timeseries; measures are: generation" in (
        capsys.readouterr().err)
    empty = tmp_path / "empty-sweep"
    sc = ecosystem.load_scenario(chain(scenario={"steps": 1}, sweep={"replicates": 2}))
    run_sweep(sc, empty)
    (empty / "results.parquet").unlink()
    for part in (empty / "parts").glob("*.parquet"):
        part.unlink()
    with pytest.raises(ReportError, match="no run of this sweep has finished"):
        report(empty)
    assert not (empty / "plots").exists()


def test_the_model_layers_never_import_matplotlib():
    code = ("import sys, ecosystem, ecosystem.model, ecosystem.run, ecosystem.experiments.sweep, "
            "ecosystem.experiments.sensitivity; print('matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False"
