"""Sweeps under faults: foreign and damaged parts, edited scenarios, full disks, signals, kills.

Nothing is lost and nothing hangs: every fault ends in a clear message, a manifest that says
what happened, and a resume that completes the sweep to the table an uninterrupted sweep gives.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import psutil
import pytest
import tomli_w

import ecosystem
from ecosystem.cli import main
from ecosystem.experiments.sweep import (
    IDENTITY_KEY,
    _on_executor,
    _OwnedPool,
    _SweepLock,
    run_sweep,
)
from tests.conftest import ROOT, chain

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def tiny(steps: int = 6, replicates: int = 6, seed: int = 11, **sweep) -> dict:
    """A retraining chain of a few milliseconds per run, with a [sweep] table."""
    return chain(scenario={"steps": steps, "seed": seed},
                 content={"types": 8, "initial_docs": 200},
                 ai={"outputs_per_generation": 200},
                 sweep={"replicates": replicates, **sweep})


def write(path: Path, data: dict) -> Path:
    path.write_text(tomli_w.dumps(data))
    return path


def reference(tmp_path: Path, data: dict) -> pl.DataFrame:
    return pl.read_parquet(run_sweep(data, tmp_path / "reference").results)


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


# -- foreign, damaged and edited ------------------------------------------------------------------
def test_a_part_of_another_sweep_is_rejected_and_its_run_run_again(tmp_path, capsys):
    data = tiny()
    expected = reference(tmp_path, data)
    other = run_sweep(tiny(seed=12), tmp_path / "other")  # same shape, another sweep
    out = tmp_path / "s"
    run_sweep(data, out)
    shutil.copy(other.folder / "parts" / "run-000002.parquet", out / "parts")
    (out / "results.parquet").unlink()
    assert main(["sweep", "--resume", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "parts/run-000002.parquet: not a part of this sweep" in printed
    assert (out / "rejected" / "run-000002.parquet").is_file()  # set aside, not deleted
    assert pl.read_parquet(out / "results.parquet").equals(expected)
    assert manifest(out)["rejected"][0]["file"] == "parts/run-000002.parquet"


def test_every_part_carries_the_identity_of_its_sweep_plan_and_run(tmp_path):
    summary = run_sweep(tiny(replicates=2), tmp_path / "s")
    identities = {pl.read_parquet_metadata(path)[IDENTITY_KEY]
                  for path in (summary.folder / "parts").glob("*.parquet")}
    assert len(identities) == 2


@pytest.mark.parametrize("damage", ["empty", "garbage", "inside", "truncated"])
def test_a_damaged_part_is_named_set_aside_and_run_again(tmp_path, capsys, damage):
    data = tiny()
    expected = reference(tmp_path, data)
    out = tmp_path / "s"
    run_sweep(data, out)
    part = out / "parts" / "run-000004.parquet"
    raw = part.read_bytes()
    broken = {"empty": b"", "garbage": b"not parquet at all",
              "inside": raw[:200] + bytes(400) + raw[600:],  # data pages, footer intact
              "truncated": raw[: len(raw) // 2]}[damage]
    part.write_bytes(broken)
    assert main(["sweep", "--resume", str(out)]) == 0
    captured = capsys.readouterr()
    assert "parts/run-000004.parquet: damaged" in captured.out
    assert "Traceback" not in captured.err
    assert pl.read_parquet(out / "results.parquet").equals(expected)


def test_a_scenario_edited_before_resume_is_refused_naming_the_keys(tmp_path, capsys):
    out = tmp_path / "s"
    run_sweep(tiny(), out)
    text = (out / "scenario.toml").read_text()
    (out / "scenario.toml").write_text(text.replace("fit_noise = 0.0", "fit_noise = 0.25")
                                       .replace("steps = 6", "steps = 7"))
    (out / "results.parquet").unlink()
    before = sorted(p.name for p in (out / "parts").iterdir())
    assert main(["sweep", "--resume", str(out)]) == 2
    err = capsys.readouterr().err
    assert "scenario.toml: changed since the sweep started" in err
    assert "ai.fit_noise: 0.0 → 0.25" in err and "scenario.steps: 6 → 7" in err
    assert sorted(p.name for p in (out / "parts").iterdir()) == before  # nothing touched


def test_two_sessions_cannot_run_one_sweep(tmp_path, capsys):
    out = tmp_path / "s"
    run_sweep(tiny(), out)
    with _SweepLock(out):
        assert main(["sweep", "--resume", str(out)]) == 2
    assert f"another session (process {os.getpid()})" in capsys.readouterr().err
    assert main(["sweep", "--resume", str(out)]) == 0  # released


# -- a full disk ----------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs, where the machine allows mounting one."""
    place = tmp_path / "disk"
    place.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(place)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'not root'})")
    try:
        yield place
    finally:
        subprocess.run(["umount", "-l", str(place)], check=False)


def fill(place: Path, leave: int) -> Path:
    """Fill the disk at ``place`` to within ``leave`` bytes."""
    filler = place / "filler"
    free = shutil.disk_usage(place).free
    filler.write_bytes(bytes(max(free - leave, 0)))
    return filler


def test_a_full_disk_interrupts_a_sweep_that_resumes_once_there_is_room(tmp_path, small_disk,
                                                                        capsys):
    data = tiny(steps=60, replicates=12)
    expected = reference(tmp_path, data)
    scenario = write(tmp_path / "s.toml", data)
    filler = fill(small_disk, 160 * 1024)
    out = small_disk / "s"
    assert main(["sweep", str(scenario), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "no space left on the device" in err and str(out) in err
    assert "Traceback" not in err and err.count("error:") == 1
    record = manifest(out)
    assert record["status"] == "interrupted" and "no space left" in record["reason"]
    assert 0 < len(list((out / "parts").glob("run-*.parquet"))) < 12
    filler.unlink()
    assert main(["sweep", "--resume", str(out)]) == 0
    assert pl.read_parquet(out / "results.parquet").equals(expected)
    assert manifest(out)["status"] == "complete"


def test_a_full_disk_fails_a_run_cleanly_naming_the_folder(tmp_path, small_disk, capsys):
    scenario = write(tmp_path / "s.toml", chain(scenario={"steps": 3}))
    fill(small_disk, 8 * 1024)
    out = small_disk / "r"
    assert main(["run", str(scenario), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {out}: no space left on the device" in err
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]  # nothing half-written


# -- signals and lost workers ---------------------------------------------------------------------
def slow_sweep(tmp_path: Path, workers: int) -> tuple[subprocess.Popen, Path]:
    # runs of a few seconds each, so that workers are busy when the signal comes
    data = chain(scenario={"steps": 400, "seed": 1}, content={"types": 40, "initial_docs": 3000},
                 ai={"outputs_per_generation": 3000}, sweep={"replicates": 8})
    scenario = write(tmp_path / "slow.toml", data)
    out = tmp_path / "slow"
    process = subprocess.Popen(
        [sys.executable, "-m", "ecosystem", "sweep", str(scenario), "--out", str(out),
         "--workers", str(workers)], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    return process, out


def wait_for(condition, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def workers_of(pid: int) -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process(pid).children(recursive=True)
                if "resource_tracker" not in " ".join(p.cmdline())]
    except psutil.NoSuchProcess:
        return []


def test_sigterm_stops_the_workers_and_records_the_interruption(tmp_path):
    process, out = slow_sweep(tmp_path, workers=2)
    try:
        assert wait_for(lambda: len(workers_of(process.pid)) >= 2 and
                        (out / "manifest.json").is_file()), "the workers never started"
        workers = workers_of(process.pid)
        time.sleep(1.0)  # the workers are busy with their runs now
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in err
    _, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, f"orphaned workers: {alive}"
    record = manifest(out)
    assert record["status"] == "interrupted" and "SIGTERM" in record["reason"]


def test_ctrl_c_records_the_interruption(tmp_path):
    process, out = slow_sweep(tmp_path, workers=1)
    try:
        assert wait_for(lambda: (out / "manifest.json").is_file()), "the sweep never started"
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130 and "Traceback" not in err
    record = manifest(out)
    assert record["status"] == "interrupted" and "Ctrl-C" in record["reason"]


def test_a_lost_worker_fails_only_its_own_run():
    from tests.crashing import die_on_seed_three

    pool = _OwnedPool(2)
    tasks = ((run, {}, run) for run in range(10))
    try:
        outcomes = dict(_on_executor(pool.start(), tasks, window=4, renew=pool.start,
                                     function=die_on_seed_three))
    finally:
        pool.close()
    assert sorted(outcomes) == list(range(10))
    failed = {run for run, outcome in outcomes.items() if "error" in outcome}
    assert failed == {3} and "BrokenProcessPool" in outcomes[3]["error"]


# -- killed at random moments ---------------------------------------------------------------------
def test_a_sweep_killed_at_random_moments_resumes_to_the_identical_table(tmp_path):
    """SIGKILL to the main process at random moments (fixed seed), several times, then resume.

    A kill may land anywhere: while Python starts, while the folder is staged, while a part or
    the manifest is written, while results.parquet is assembled. Every time, resuming (or
    starting again, if the kill came before the folder existed) gives the very same table.
    """
    data = tiny(steps=8, replicates=10)
    scenario = write(tmp_path / "s.toml", data)
    started = time.monotonic()
    ref = subprocess.run([sys.executable, "-m", "ecosystem", "sweep", str(scenario), "--out",
                          str(tmp_path / "ref")], env=ENV, capture_output=True, check=True)
    full = time.monotonic() - started
    assert ref.returncode == 0
    expected = pl.read_parquet(tmp_path / "ref" / "results.parquet")
    rng = np.random.default_rng(20261127)
    for trial in range(3):
        out = tmp_path / f"killed-{trial}"
        for _ in range(2 if trial == 0 else 1):  # in the first trial a resume is killed too
            if (out / "plan.json").is_file():
                command = ["sweep", "--resume", str(out)]
            else:
                command = ["sweep", str(scenario), "--out", str(out)]
            process = subprocess.Popen([sys.executable, "-m", "ecosystem", *command], env=ENV,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.2, 1.1) * full)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        if (out / "plan.json").is_file():
            command = ["sweep", "--resume", str(out)]
        else:
            command = ["sweep", str(scenario), "--out", str(out)]
        done = subprocess.run([sys.executable, "-m", "ecosystem", *command], env=ENV,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert pl.read_parquet(out / "results.parquet").equals(expected), f"trial {trial}"
        assert manifest(out)["status"] == "complete"
        assert not [p for p in tmp_path.iterdir() if ".staging-" in p.name]


def test_a_sweep_through_the_api_also_takes_the_lock_and_records_failures(tmp_path):
    summary = run_sweep(tiny(replicates=2), tmp_path / "s")
    assert summary.done == 2 and (tmp_path / "s" / ".lock").is_file()
    assert ".lock" in manifest(tmp_path / "s")["files"]
    assert ecosystem.sweep is not None
