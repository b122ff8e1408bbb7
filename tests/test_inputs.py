"""Inputs that could hang or blow up: FIFOs, devices, huge files, huge scenarios, many workers."""

from __future__ import annotations

import os
import time

import pytest
import tomli_w

from ecosystem.cli import main
from ecosystem.inputs import InputFileError, read_bounded
from ecosystem.limits import (
    cap_workers,
    check_memory,
    estimate_run,
    fit_workers,
    usable_cores,
)
from ecosystem.scenario import ScenarioError, load_scenario
from tests.conftest import chain


def write(path, data):
    path.write_text(tomli_w.dumps(data))
    return path


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", ["check", "run", "sweep"])
def test_a_fifo_or_a_device_as_scenario_is_refused_at_once(tmp_path, fifo, capsys, command):
    for path, kind in ((fifo, "FIFO"), ("/dev/zero", "character device")):
        started = time.monotonic()
        assert main([command, str(path), "--out", str(tmp_path / "out")]
                    if command != "check" else [command, str(path)]) == 2
        err = capsys.readouterr().err
        assert kind in err and "not a regular file" in err
        assert time.monotonic() - started < 10
    assert not (tmp_path / "out").exists()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", ["check", "run", "sweep"])
def test_a_fifo_or_a_device_as_edge_list_is_refused_at_once(tmp_path, fifo, capsys, command):
    for path in (fifo, "/dev/zero"):
        scenario = write(tmp_path / "s.toml", {
            "scenario": {"steps": 1}, "population": {"humans": 20},
            "network": {"kind": "edgelist", "path": str(path)}})
        args = [command, str(scenario)] + ([] if command == "check" else
                                           ["--out", str(tmp_path / "out")])
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "network.path" in err and "not a regular file" in err
    assert not (tmp_path / "out").exists()


def test_files_above_the_limit_are_refused_before_reading(tmp_path):
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * 2000)
    with pytest.raises(InputFileError, match="larger than"):
        read_bounded(big, 1000)
    assert read_bounded(big, 2000) == b"#" * 2000


HUGE = [
    ({"population": {"humans": 50_000_000}, "network": {"m": 1000}},
     ["the social graph", "population.humans", "network.m"]),
    ({"content": {"initial_docs": 100_000_000, "dims": 64},
      "ai": {"outputs_per_generation": 100_000_000}, "scenario": {"steps": 1000}},
     ["documents", "content.initial_docs", "scenario.steps"]),
    ({"sweep": {"replicates": 100_000, "grid": {"ai.window": list(range(1, 2001))}}},
     ["the plan of 200,000,000 runs", "sweep.replicates"]),
]


@pytest.mark.parametrize(("sections", "names"), HUGE)
@pytest.mark.parametrize("command", ["check", "run", "sweep"])
def test_an_enormous_scenario_is_refused_up_front_with_an_estimate(tmp_path, capsys, sections,
                                                                   names, command):
    if command == "run" and "sweep" in sections:
        pytest.skip("run runs one run: a [sweep] table does not concern it")
    scenario = write(tmp_path / "s.toml", chain(**sections))
    args = [command, str(scenario)] + ([] if command == "check" else
                                       ["--out", str(tmp_path / "out")])
    started = time.monotonic()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "of memory, more than the" in err and "available on this machine" in err
    for name in names:
        assert name in err
    assert "lower " in err and "Traceback" not in err
    assert time.monotonic() - started < 30 and not (tmp_path / "out").exists()


def test_the_estimate_grows_with_what_it_counts():
    small = estimate_run(load_scenario(chain())).total
    people = estimate_run(load_scenario(chain(population={"humans": 100_000}))).total
    edges = estimate_run(load_scenario(chain(population={"humans": 100_000},
                                             network={"m": 50}))).total
    assert small < people < edges
    with pytest.raises(ScenarioError, match=r"lower population\.humans, network\.m"):
        check_memory(load_scenario(chain(population={"humans": 100_000}, network={"m": 50})),
                     available=10**6)


def test_workers_are_kept_to_the_usable_cores_unless_forced():
    cores = usable_cores()
    assert cap_workers(cores) == (cores, None)
    workers, note = cap_workers(cores + 62)
    assert workers == cores and "--force-workers" in note
    assert cap_workers(cores + 62, force=True) == (cores + 62, None)


def test_workers_are_kept_to_what_fits_in_memory():
    sc = load_scenario(chain(population={"humans": 100_000}, sweep={"replicates": 8}))
    one = estimate_run(sc).total
    workers, note = fit_workers(sc, 8, available=int(2.5 * one))
    assert 1 <= workers < 8 and "lowered" in note


def test_the_sweep_command_caps_workers_and_says_so(tmp_path, capsys):
    scenario = write(tmp_path / "s.toml", chain(scenario={"steps": 1}, sweep={"replicates": 1}))
    assert main(["sweep", str(scenario), "--out", str(tmp_path / "s"), "--workers", "64"]) == 0
    captured = capsys.readouterr()
    assert f"--workers 64 lowered to {usable_cores()}" in captured.err
    assert "1 of 1 runs done" in captured.out
