import json

import polars as pl
import pytest

import ecosystem
from ecosystem.model import TIMESERIES_SCHEMA
from tests.conftest import SCENARIOS, chain


def test_same_seed_same_tables_and_other_seed_differs():
    sc = ecosystem.load_scenario(chain(scenario={"steps": 8}, decoding={"method": "top_p"},
                                       curation={"best_of_n": 3, "typicality_weight": 2.0},
                                       ai={"fit_noise": 0.1, "outputs_per_generation": 300},
                                       interventions={"detector_recall": 0.5,
                                                      "human_data_reserve": 0.2}))
    a, b = ecosystem.simulate(sc, seed=11), ecosystem.simulate(sc, seed=11)
    assert a.timeseries.equals(b.timeseries) and a.generations.equals(b.generations)
    assert not ecosystem.simulate(sc, seed=12).timeseries.equals(a.timeseries)


def test_timeseries_columns_and_nulls():
    run = ecosystem.simulate(chain(scenario={"steps": 3}), seed=0)
    ts = run.timeseries
    assert ts.columns == list(TIMESERIES_SCHEMA)
    assert ts["step"].to_list() == [0, 1, 2, 3]
    assert ts["gpt_rate_users"].null_count() == ts.height  # no people: null, not 0
    assert ts["quality_ai"][0] is None and ts["ai_share"][0] == 0.0
    assert run.generations.height == 4


def test_run_save_writes_a_complete_folder(tmp_path):
    run = ecosystem.simulate(chain(scenario={"steps": 2}), seed=3)
    folder = run.save(tmp_path / "r")
    assert sorted(p.name for p in folder.iterdir()) == [
        "generations.parquet", "humans.parquet", "manifest.json", "scenario.toml",
        "timeseries.parquet", "words.parquet"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["wall_seconds"] >= 0
    assert pl.read_parquet(folder / "timeseries.parquet").equals(run.timeseries)
    assert ecosystem.load_scenario(folder / "scenario.toml") == run.scenario


def test_cli_run_prints_folder_and_summary(cli, tmp_path):
    out = tmp_path / "run"
    result = cli("run", str(SCENARIOS / "collapse.toml"), "--out", str(out), "--steps", "5",
                 "--seed", "2", "--set", "content.types=5")
    assert result.returncode == 0, result.stderr
    assert f"run folder: {out}" in result.stdout and "types the model can write" in result.stdout
    ts = pl.read_parquet(out / "timeseries.parquet")
    assert ts.height == 6 and ts["model_richness"][0] <= 5
    cli("run", str(SCENARIOS / "collapse.toml"), "--out", str(tmp_path / "again"),
                "--steps", "5", "--seed", "2", "--set", "content.types=5")
    assert pl.read_parquet(tmp_path / "again" / "timeseries.parquet").equals(ts)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "ai.nope=1"], "ai.nope: unknown key"),
        (["--set", "ai.data_regime=sometimes"], "'replace', 'accumulate'"),
        (["--set", "content.types=3", "--set", "content.type_weights=[1,2]"], "type_weights"),
        (["--set", "decoding.temperature=-1"], "decoding.temperature"),
        (["--set", "novalue"], "expected KEY=VALUE"),
        (["--steps", "-3"], "--steps"),
        (["--set", "network.kind=lattice"], "'barabasi_albert', 'watts_strogatz'"),
        (["--set", "population.creators=2"], "population.creators"),
        (["--set", "opinion.nope=1"], "keys of [opinion] are"),
        (["--set", "network.kind=edgelist", "--set", "population.humans=5"], "network.path"),
    ],
)
def test_cli_bad_input_exits_2_without_traceback_or_folder(cli, tmp_path, args, needle):
    out = tmp_path / "never"
    result = cli("run", str(SCENARIOS / "collapse.toml"), "--out", str(out), *args)
    assert result.returncode == 2
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_cli_bad_files(cli, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[ai\ndata_regime = 'replace'\n")
    for path, needle in [(broken, "not valid TOML"), (tmp_path / "missing.toml", "no such")]:
        result = cli("run", str(path), "--out", str(tmp_path / "out"))
        assert result.returncode == 2 and needle in result.stderr
        assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()
    check = cli("check", str(broken))
    assert check.returncode == 2


def test_cli_check_prints_resolved_parameters(cli):
    result = cli("check", str(SCENARIOS / "collapse.toml"))
    assert result.returncode == 0
    assert 'data_regime = "replace"' in result.stdout and "[decoding]" in result.stdout


def test_cli_refuses_to_overwrite_a_foreign_folder(cli, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = cli("run", str(SCENARIOS / "collapse.toml"), "--out", str(tmp_path), "--steps", "1")
    assert result.returncode == 2 and (tmp_path / "keep.txt").read_text() == "mine"


def test_save_never_destroys_a_foreign_folder(tmp_path):
    from ecosystem.folders import OutputFolderError

    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter.txt").write_text("years of work")
    run = ecosystem.simulate(chain(scenario={"steps": 1}), seed=0)
    with pytest.raises(OutputFolderError, match="is not empty"):
        run.save(mine)
    with pytest.raises(OutputFolderError, match="removes only files the program wrote"):
        run.save(mine, overwrite=True)
    assert (mine / "chapter.txt").read_text() == "years of work"
    run.save(tmp_path / "r")
    with pytest.raises(OutputFolderError, match="--overwrite"):
        run.save(tmp_path / "r")
    run.save(tmp_path / "r", overwrite=True)  # an earlier run folder is replaced


def test_saved_scenario_reproduces_the_run(tmp_path):
    run = ecosystem.simulate(chain(scenario={"steps": 3}), seed=42)
    folder = run.save(tmp_path / "r")
    again = ecosystem.simulate(ecosystem.load_scenario(folder / "scenario.toml"))
    assert again.seed == 42 and again.timeseries.equals(run.timeseries)


def test_cli_errors_found_before_simulating(cli, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    result = cli("run", str(SCENARIOS / "collapse.toml"), "--out", str(blocker / "run"))
    assert result.returncode == 2 and "is a file, not a folder" in result.stderr
    result = cli("run", str(SCENARIOS / "baseline.toml"), "--steps", "1",
                 "--set", "ai.min_count=1000000", "--out", str(tmp_path / "never"))
    assert result.returncode == 2 and "ai.min_count = 1000000" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "never").exists()


def test_nothing_uploaded_is_null_not_zero():
    ts = ecosystem.simulate(chain(scenario={"steps": 4},
                                  ai={"outputs_per_generation": 2, "retrain_every": 4}),
                            seed=0).timeseries
    quiet = ts.filter(pl.col("step").is_in([1, 3]))
    assert quiet["corpus_richness"].null_count() == 2 and quiet["ai_share"].null_count() == 2
