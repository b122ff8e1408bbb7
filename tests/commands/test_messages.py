"""Bad input gets one clear line naming the key (or the file), exit 2, nothing written."""

from __future__ import annotations

import pytest
import tomli_w

from ecosystem.cli import main
from tests.conftest import chain


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize(("weights", "needle"), [
    ("[1.0, -1.0, 2.0]", "weight 2 is -1.0"),
    ("[1.0, nan, 2.0]", "weight 2 is nan"),
    ("[1.0, inf, 2.0]", "weight 2 is inf"),
    ("[1e308, 1e308, 1e308]", "sum overflows"),
    ('[1.0, "a", 2.0]', "weight 2 is not a number"),
])
@pytest.mark.parametrize("command", ["check", "run"])
def test_bad_type_weights_give_one_line_naming_the_key(tmp_path, capsys, weights, needle,
                                                       command):
    scenario = tmp_path / "s.toml"
    scenario.write_text(f"[scenario]\nsteps = 1\n[content]\ntypes = 3\n"
                        f"type_weights = {weights}\n")
    args = [command, str(scenario)] + (["--out", str(tmp_path / "r")] if command == "run"
                                       else [])
    assert main(args) == 2
    lines = errors(capsys.readouterr().err)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: content.type_weights: ") and needle in lines[0]
    assert not (tmp_path / "r").exists()


def test_an_unquoted_dotted_key_in_the_grid_says_to_quote_it(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text("[sweep]\nreplicates = 2\n[sweep.grid]\nai.window = [2, 5]\n")
    for command in ("check", "sweep"):
        assert main([command, str(scenario)]) == 2
        lines = errors(capsys.readouterr().err)
        assert len(lines) == 1
        assert 'quote the dotted key: write "ai.window" = [...]' in lines[0]


def test_a_byte_order_mark_is_accepted(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_bytes(b"\xef\xbb\xbf" + tomli_w.dumps(chain(scenario={"steps": 1})).encode())
    assert main(["check", str(scenario)]) == 0
    assert main(["run", str(scenario), "--out", str(tmp_path / "r")]) == 0
    assert "valid" in capsys.readouterr().out


def test_check_rejects_the_sweep_tables_sweep_rejects(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text(tomli_w.dumps(chain(sweep={"grid": {"ai.window": [0, 5]}})))
    for command in ("check", "sweep"):
        assert main([command, str(scenario), *(["--out", str(tmp_path / "o")]
                                              if command == "sweep" else [])]) == 2
        assert "ai.window" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


SECRET = "my-private-research-notes-that-must-not-leak 1"


@pytest.mark.parametrize("command", ["check", "run", "sweep"])
def test_a_bad_edge_list_stops_before_anything_is_written_and_is_not_echoed(tmp_path, capsys,
                                                                           command):
    edges = tmp_path / "edges.txt"
    edges.write_text(f"0 1\n1 2\n{SECRET}\n")
    scenario = tmp_path / "s.toml"
    scenario.write_text(tomli_w.dumps({
        "scenario": {"steps": 1}, "population": {"humans": 10},
        "network": {"kind": "edgelist", "path": str(edges)}, "sweep": {"replicates": 2}}))
    out = tmp_path / "out"
    assert main([command, str(scenario), *([] if command == "check" else
                                            ["--out", str(out)])]) == 2
    err = capsys.readouterr().err
    assert "network.path" in err and "line 3" in err
    assert SECRET not in err and "must-not-leak" not in err
    assert not out.exists()


def test_an_edge_list_in_a_sweep_grid_is_checked_for_every_run(tmp_path, capsys):
    good = tmp_path / "good.txt"
    good.write_text("0 1\n")
    bad = tmp_path / "bad.txt"
    bad.write_text("0 99\n")
    scenario = tmp_path / "s.toml"
    scenario.write_text(tomli_w.dumps({
        "scenario": {"steps": 1}, "population": {"humans": 10},
        "network": {"kind": "edgelist", "path": str(good)},
        "sweep": {"grid": {"network.path": [str(good), str(bad)]}}}))
    assert main(["sweep", str(scenario), "--out", str(tmp_path / "out")]) == 2
    assert "person 99 is out of range" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_report_on_an_empty_or_damaged_parquet_names_the_file(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text(tomli_w.dumps(chain(scenario={"steps": 2}, sweep={"replicates": 2})))
    run = tmp_path / "r"
    assert main(["run", str(scenario), "--out", str(run)]) == 0
    (run / "timeseries.parquet").write_bytes(b"")
    sweep = tmp_path / "s"
    assert main(["sweep", str(scenario), "--out", str(sweep)]) == 0
    (sweep / "results.parquet").write_bytes(b"PAR1 not really")
    capsys.readouterr()
    for folder, name in ((run, "timeseries.parquet"), (sweep, "results.parquet")):
        assert main(["report", str(folder)]) == 2
        lines = errors(capsys.readouterr().err)
        assert len(lines) == 1 and str(folder / name) in lines[0]
        assert "not a readable Parquet file" in lines[0]


def test_dashboard_host_not_on_this_machine_says_so(capsys):
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): documentation only, never a machine's own address
    assert main(["dashboard", "--host", "192.0.2.1"]) == 2
    err = capsys.readouterr().err
    assert "this address is not on this machine" in err and "already in use" not in err
