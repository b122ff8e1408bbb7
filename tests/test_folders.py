"""Output folders: nothing the program did not write is ever deleted (issue: data loss)."""

from __future__ import annotations

import json
import os

import pytest
import tomli_w

from ecosystem.cli import main
from ecosystem.folders import (
    STAGING_MARK,
    clean_stale_staging,
    remove_written,
    safe_folder_name,
    staged_folder,
)
from tests.conftest import chain


def scenario_file(path, **sections):
    path.write_text(tomli_w.dumps(chain(scenario={"steps": 2}, **sections)))
    return path


def add_user_files(folder):
    (folder / "notes.txt").write_text("my notes")
    (folder / "analysis").mkdir()
    (folder / "analysis" / "thesis.tex").write_text("years of work")


def user_files_intact(folder) -> bool:
    return ((folder / "notes.txt").read_text() == "my notes"
            and (folder / "analysis" / "thesis.tex").read_text() == "years of work")


def test_run_into_an_earlier_run_folder_is_refused_and_overwrite_keeps_user_files(
        tmp_path, capsys):
    scenario = scenario_file(tmp_path / "s.toml")
    out = tmp_path / "r"
    assert main(["run", str(scenario), "--out", str(out)]) == 0
    add_user_files(out)
    before = (out / "manifest.json").read_text()
    capsys.readouterr()
    assert main(["run", str(scenario), "--out", str(out), "--seed", "3"]) == 2
    err = capsys.readouterr().err
    assert "--overwrite" in err and "Traceback" not in err
    assert user_files_intact(out) and (out / "manifest.json").read_text() == before

    assert main(["run", str(scenario), "--out", str(out), "--seed", "3", "--overwrite"]) == 0
    assert user_files_intact(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3
    assert "notes.txt" not in manifest["files"] and "timeseries.parquet" in manifest["files"]


def test_overwrite_never_touches_a_folder_the_program_did_not_write(tmp_path, capsys):
    scenario = scenario_file(tmp_path / "s.toml")
    mine = tmp_path / "thesis"
    mine.mkdir()
    add_user_files(mine)
    # even one that looks like a run folder, without the program's record of its files
    (mine / "manifest.json").write_text("{}")
    (mine / "timeseries.parquet").write_text("not ours")
    assert main(["run", str(scenario), "--out", str(mine), "--overwrite"]) == 2
    assert "removes only files the program wrote" in capsys.readouterr().err
    assert user_files_intact(mine) and (mine / "timeseries.parquet").read_text() == "not ours"


def test_remove_written_stays_inside_the_folder(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.parquet").write_text("x")
    (folder / "manifest.json").write_text(json.dumps(
        {"files": ["a.parquet", "../outside.txt", str(outside), "manifest.json"]}))
    remove_written(folder)
    assert outside.read_text() == "keep"
    assert not (folder / "a.parquet").exists() and not (folder / "manifest.json").exists()


def test_validate_into_an_earlier_report_keeps_user_files(tmp_path, capsys):
    out = tmp_path / "v"
    args = ["validate", "--quick", "--only", "tails", "--out", str(out)]
    assert main(args) in (0, 1)
    add_user_files(out)
    capsys.readouterr()
    assert main(args) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) in (0, 1)
    assert user_files_intact(out) and (out / "report.md").is_file()


def test_sweep_overwrite_starts_afresh_and_keeps_user_files(tmp_path, capsys):
    scenario = scenario_file(tmp_path / "s.toml", sweep={"replicates": 2})
    out = tmp_path / "s"
    assert main(["sweep", str(scenario), "--out", str(out)]) == 0
    add_user_files(out)
    (out / "parts" / "my-extra.parquet").write_text("mine")
    capsys.readouterr()
    assert main(["sweep", str(scenario), "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["sweep", str(scenario), "--out", str(out), "--overwrite"]) == 0
    assert user_files_intact(out)
    assert (out / "parts" / "my-extra.parquet").read_text() == "mine"
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_a_symlink_out_to_a_run_folder_is_handled_before_simulating(tmp_path, capsys):
    scenario = scenario_file(tmp_path / "s.toml")
    real = tmp_path / "real"
    assert main(["run", str(scenario), "--out", str(real)]) == 0
    link = tmp_path / "link"
    link.symlink_to(real)
    capsys.readouterr()
    assert main(["run", str(scenario), "--out", str(link)]) == 2
    captured = capsys.readouterr()
    assert "--overwrite" in captured.err and "steps" not in captured.out  # nothing simulated
    assert main(["run", str(scenario), "--out", str(link), "--seed", "5", "--overwrite"]) == 0
    assert link.is_symlink()
    assert json.loads((real / "manifest.json").read_text())["seed"] == 5


def test_staging_left_by_a_killed_process_is_cleaned_by_the_next_write(tmp_path):
    dead = tmp_path / f".r{STAGING_MARK}999999999-abc"  # no such process
    dead.mkdir()
    (dead / "timeseries.parquet").write_text("half")
    alive = tmp_path / f".q{STAGING_MARK}{os.getpid()}-xyz"  # a write in progress
    alive.mkdir()
    other = tmp_path / ".hidden-of-the-user"
    other.mkdir()
    with staged_folder(tmp_path / "r") as staging:
        (staging / "manifest.json").write_text("{}")
    assert not dead.exists() and alive.exists() and other.exists()
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["files"] == \
        ["manifest.json"]
    assert clean_stale_staging(tmp_path) == []


@pytest.mark.parametrize("name", ["../../escape", "a/b", "..", "nul\x00inside", "x" * 300,
                                  "  ", "ümlaut " * 40])
def test_names_become_safe_folder_names(name):
    safe = safe_folder_name(name)
    assert safe and "/" not in safe and "\x00" not in safe and ".." not in safe
    assert len(safe.encode()) <= 80 and not safe.startswith(".")


@pytest.mark.parametrize("name", ["../../escape", "sub/dir", "nul\x00name", "n" * 300])
def test_a_scenario_name_writes_its_run_folder_inside_runs(tmp_path, monkeypatch, capsys,
                                                           name):
    scenario = tmp_path / "s.toml"
    data = chain(scenario={"steps": 1, "name": name})
    scenario.write_text(tomli_w.dumps(data))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["run", str(scenario)]) == 0
    folders = list(work.rglob("manifest.json"))
    assert len(folders) == 1 and folders[0].parent.parent == work / "runs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml", "work"]


def test_a_damaged_write_on_a_full_disk_is_named_as_the_full_disk(tmp_path, monkeypatch):
    """polars may report a full disk as a damaged file; the message names the disk anyway."""
    import shutil
    from collections import namedtuple

    import polars as pl

    from ecosystem import folders

    error = pl.exceptions.ComputeError("parquet: File out of specification: Invalid thrift")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10, 10, 0))
    failure = folders.as_write_error(error, tmp_path / "run")
    assert str(failure) == f"cannot write {tmp_path / 'run'}: no space left on the device"
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(1 << 40, 0, 1 << 40))
    assert folders.as_write_error(error, tmp_path / "run") is None  # a real bug stays a bug
