"""The benchmark script runs in quick mode and writes its table (correctness, not timing)."""

import os
import subprocess
import sys

import polars as pl
import pytest

from tests.conftest import ROOT

ROWS = ["M0", "R1", "B1", "B2", "B3", "B4", "C1", "R5", "B5", "M1", "B6", "M2", "M3"]


@pytest.mark.long
def test_quick_benchmark_prints_and_writes_the_table(tmp_path):
    out = tmp_path / "benchmarks.parquet"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [line.split("|")[1].strip() for line in done.stdout.splitlines()
             if line.startswith("|")]
    assert lines[2:] == ROWS
    assert "speed-up" in done.stdout and "×bandw." in done.stdout

    table = pl.read_parquet(out)
    assert table["workload"].to_list() == ROWS
    for column in ("median_s", "min_s", "max_s", "setup_s", "peak_rss_mb", "ns_per_item",
                   "speedup", "x_bandwidth", "bytes_per_person", "graph_bytes_per_person",
                   "bytes_per_doc", "throughput", "quick", "git_commit"):
        assert column in table.columns, column
    rows = {r["workload"]: r for r in table.iter_rows(named=True)}
    assert all(r["quick"] for r in rows.values())
    for name in ("B1", "B2", "B5", "B6"):  # step workloads: ratios against the reference and memory
        row = rows[name]
        assert row["speedup"] > 0 and row["x_bandwidth"] > 0
        assert row["reference_ns_per_item"] > row["ns_per_item"] > 0
        assert 0 < row["bytes_per_person"] <= 300
    assert rows["B3"]["speedup"] > 0 and 0 < rows["B3"]["bytes_per_doc"] <= 64
    assert rows["B4"]["throughput"] > 0
    assert rows["C1"]["throughput"] > 0 and rows["C1"]["unit"] == "simulation"
    assert rows["M0"]["throughput"] > 0  # GB/s
    assert rows["M1"]["peak_rss_mb"] > 0 and rows["M1"]["corpus_docs"] > 0
    for name in ("M2", "M3"):  # all-in peaks over the scaled baseline's steps
        assert rows[name]["peak_rss_mb"] > 0 and rows[name]["corpus_docs"] > 0
    assert "step: B6 / B2" in done.stdout and "largest population in 24 GiB" in done.stdout
    for row in rows.values():
        assert row["min_s"] <= row["median_s"] <= row["max_s"]
