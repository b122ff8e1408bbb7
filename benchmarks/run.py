"""Time the simulator's workloads and print one table (also written as Parquet).

    python3 benchmarks/run.py            # the full set (about five minutes on 2 cores)
    python3 benchmarks/run.py --quick    # a fast smoke run at small sizes

Rows (see benchmarks/README.md): M0 memory bandwidth; B1 one step of 100,000 people and B2 of
1,000,000 (Barabási–Albert, m = 5); B3 one generation of the core on 1,000,000 documents; B4 a
sweep of 1,000 small chain runs on 2 workers; C1 the simulations per second of a small
calibration (ABC-SMC) on 2 workers; B5 the baseline scenario end to end, 100,000
people, 120 steps; M1 peak memory of 1,000,000 people over 120 steps in the accumulate regime;
R1 and R5 the plain per-agent Mesa step the ratios are taken against. Each workload runs in its
own process (so its peak memory is its own), after a warm-up, over several repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUT = HERE / "results" / "benchmarks.parquet"

# name: (workload, what it measures, arguments, quick arguments)
PLAN: dict[str, tuple[str, str, dict, dict]] = {
    "M0": ("bandwidth", "memory bandwidth: a {megabytes} MB NumPy copy (read + write)",
           {"megabytes": 512, "repeats": 9}, {"megabytes": 64, "repeats": 5}),
    "R1": ("per_agent_step", "per-agent Mesa reference: one step of {humans:,} people, as B1/B2",
           {"humans": 10_000, "repeats": 3}, {"humans": 1_000, "repeats": 2}),
    "B1": ("people_step", "one step of {humans:,} people (BA m = 5)",
           {"humans": 100_000, "repeats": 15}, {"humans": 10_000, "repeats": 5}),
    "B2": ("people_step", "one step of {humans:,} people (BA m = 5)",
           {"humans": 1_000_000, "repeats": 9}, {"humans": 50_000, "repeats": 3}),
    "B3": ("core_generation",
           "one generation of the core: fit {docs:,} docs, decode {docs:,} drafts, keep best of 3",
           {"docs": 1_000_000, "repeats": 9, "reference_docs": 10_000},
           {"docs": 50_000, "repeats": 3, "reference_docs": 1_000}),
    "B4": ("sweep", "a sweep of {runs:,} small chain runs on {workers} workers",
           {"runs": 1_000, "workers": 2, "repeats": 2}, {"runs": 40, "workers": 2, "repeats": 1}),
    "C1": ("calibration",
           "calibration throughput: a small ABC-SMC (pyabc), {humans:,} people, on {workers} "
           "workers",
           {"humans": 2_000, "steps": 24, "populations": 3, "particles": 40, "workers": 2,
            "repeats": 2},
           {"humans": 300, "steps": 6, "populations": 2, "particles": 6, "workers": 2,
            "repeats": 1}),
    "R5": ("per_agent_run",
           "per-agent Mesa reference: baseline end to end, {humans:,} people, {steps} steps",
           {"humans": 10_000, "steps": 120}, {"humans": 1_000, "steps": 12}),
    "B5": ("end_to_end", "baseline scenario end to end: {humans:,} people, {steps} steps",
           {"humans": 100_000, "steps": 120, "repeats": 3},
           {"humans": 5_000, "steps": 12, "repeats": 1}),
    "M1": ("accumulate_peak",
           "peak memory: {humans:,} people, {steps} steps, accumulate regime (train on all)",
           {"humans": 1_000_000, "steps": 120}, {"humans": 20_000, "steps": 12}),
    "B6": ("people_step", "one step of {humans:,} people (BA m = 5), as B2",
           {"humans": 10_000_000, "repeats": 5}, {"humans": 200_000, "repeats": 3}),
    "M2": ("scaled_peak", "peak memory, all-in: {humans:,} people, {steps} steps as B2",
           {"humans": 1_000_000, "steps": 60}, {"humans": 50_000, "steps": 6}),
    "M3": ("scaled_peak", "peak memory, all-in: {humans:,} people, {steps} steps as B2",
           {"humans": 10_000_000, "steps": 60}, {"humans": 200_000, "steps": 6}),
}
REFERENCE = {"B1": "R1", "B2": "R1", "B5": "R5", "B6": "R1"}
MEMORY_BUDGET = 24 * 2**30
"""The memory the largest-population estimate fills (bytes): the 24 GiB of the reference
machine."""

COLUMNS = [
    "workload", "description", "size", "unit", "repeats", "setup_s", "median_s", "min_s",
    "max_s", "cpu_median_s", "ns_per_item", "reference_ns_per_item", "speedup", "cpu_speedup",
    "floor_s",
    "x_bandwidth", "throughput", "peak_rss_mb", "bytes_per_person", "graph_bytes_per_person",
    "rss_bytes_per_person", "bytes_per_doc", "corpus_docs", "note",
]
"""Columns of the table, in order (the Parquet file has these plus run facts)."""


def run_worker(name: str, arguments: dict, timeout: float) -> dict:
    """Run one workload in a fresh Python process and return its measures."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "TQDM_DISABLE": "1"}
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", name,
               json.dumps(arguments)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"workload {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(values):
    values = sorted(values)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else 0.5 * (values[middle - 1] + values[middle])


def make_row(key: str, description: str, result: dict, measured: dict) -> dict:
    """One table row from a workload's raw measures (and the rows measured before it)."""
    times = result["times"]
    row = dict.fromkeys(COLUMNS)
    row.update(
        workload=key, description=description, size=result.get("size"),
        repeats=len(times), setup_s=result.get("setup_s"), median_s=_median(times),
        min_s=min(times), max_s=max(times), cpu_median_s=_median(result.get("cpu_times", [])),
        peak_rss_mb=result["peak_rss_bytes"] / 2**20, note=result.get("note"),
        corpus_docs=result.get("corpus_docs"),
    )
    kind = PLAN[key][0]
    size = result.get("size")
    bandwidth = measured.get("M0", {}).get("throughput")
    if kind == "bandwidth":
        row.update(unit="bytes", throughput=result["bytes_per_second"] / 1e9,
                   note="GB/s, bytes read + written")
        return row
    if kind in ("people_step", "per_agent_step"):
        row.update(unit="agent-step", ns_per_item=row["median_s"] / size * 1e9)
    elif kind in ("end_to_end", "per_agent_run"):
        # per agent-step: the run's time, set-up taken out, over its steps and people
        steps = result["steps"]
        row.update(unit="agent-step",
                   ns_per_item=(row["median_s"] - row["setup_s"]) / (steps * size) * 1e9)
    elif kind == "core_generation":
        row.update(unit="document", ns_per_item=row["median_s"] / size * 1e9,
                   reference_ns_per_item=result["reference_s_per_item"] * 1e9)
    elif kind == "sweep":
        row.update(unit="run", throughput=size / row["median_s"])
        row["note"] = f"runs/s; {row['note']}"
    elif kind == "calibration":
        row.update(unit="simulation", throughput=result["simulations_per_second"])
        row["note"] = f"simulations/s; {row['note']}"
    elif kind == "scaled_peak":
        # the median step of the run (its only repeat: the mean over its steps), per person
        row.update(unit="person", ns_per_item=row["median_s"] / size * 1e9,
                   throughput=1 / row["median_s"])
        row["note"] = (f"{result['steps']} steps, mean s a step in median s; "
                       f"{result['peak_rss_bytes'] / size:.0f} B a person all-in at peak; "
                       f"corpus {result['corpus_docs']:,} docs, "
                       f"{result['corpus_allocated_bytes'] / 2**20:,.0f} MB allocated")
    elif kind == "accumulate_peak":
        row.update(unit="person", throughput=result["steps"] / row["median_s"])
        row["note"] = (f"{result['steps']} steps, steps/s in throughput; corpus storage "
                       f"{result['corpus_allocated_bytes_per_doc']:.1f} B/doc allocated")
    reference = REFERENCE.get(key)
    if reference in measured:
        row["reference_ns_per_item"] = measured[reference]["ns_per_item"]
    if row["reference_ns_per_item"] and row["ns_per_item"]:
        row["speedup"] = row["reference_ns_per_item"] / row["ns_per_item"]
    if reference in measured and row["cpu_median_s"] and measured[reference]["cpu_median_s"]:
        # the same ratio in CPU time: what waiting for a core on a shared machine leaves out
        ratio = row["cpu_median_s"] / row["median_s"]
        reference_ratio = measured[reference]["cpu_median_s"] / measured[reference]["median_s"]
        row["cpu_speedup"] = row["speedup"] * reference_ratio / ratio
    state = result.get("state_bytes")
    if state and bandwidth and kind not in ("accumulate_peak", "scaled_peak"):
        per_step = row["median_s"]
        if kind in ("end_to_end", "per_agent_run"):
            per_step = (row["median_s"] - row["setup_s"]) / result["steps"]
        row["floor_s"] = state / (bandwidth * 1e9)
        row["x_bandwidth"] = per_step / row["floor_s"]
    if "people_bytes" in result:
        row.update(bytes_per_person=result["bytes_per_person"],
                   graph_bytes_per_person=result["graph_bytes_per_person"],
                   rss_bytes_per_person=result["peak_rss_bytes"] / size)
    if "corpus_bytes_per_doc" in result:
        row["bytes_per_doc"] = result["corpus_bytes_per_doc"]
    return row


def _cell(value, column: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if column in ("size", "repeats", "corpus_docs"):
        return f"{int(value):,}"
    if column in ("speedup", "x_bandwidth"):
        return f"{value:,.0f}×" if value >= 10 else f"{value:.1f}×"
    if column.endswith("_s"):
        return f"{value:.3g}"
    if column in ("ns_per_item", "reference_ns_per_item"):
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"


SHOWN = [
    ("workload", "row"), ("size", "size"), ("unit", "per"), ("setup_s", "set-up s"),
    ("median_s", "median s"), ("min_s", "min s"), ("max_s", "max s"), ("cpu_median_s", "cpu s"),
    ("ns_per_item", "ns/item"), ("reference_ns_per_item", "ref ns"), ("speedup", "speed-up"),
    ("x_bandwidth", "×bandw."), ("throughput", "rate"), ("peak_rss_mb", "peak MB"),
    ("bytes_per_person", "B/person"), ("graph_bytes_per_person", "graph B/p"),
    ("bytes_per_doc", "B/doc"),
]


def format_table(rows: list[dict]) -> str:
    """The rows as a plain-text table (Markdown pipes), then a legend of descriptions."""
    header = [title for _, title in SHOWN]
    body = [[_cell(row[column], column) for column, _ in SHOWN] for row in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in body]
    out.append("")
    out += [f"{row['workload']}: {row['description']}" + (f" ({row['note']})" if row["note"]
                                                          else "") for row in rows]
    return "\n".join(out)


def scaling(measured: dict[str, dict], budget: int = MEMORY_BUDGET) -> list[str]:
    """The scaling figures of issue 14 from the rows measured (lines of text; none missing).

    The 10,000,000-person step and set-up over the 1,000,000-person ones (B6 / B2), and the
    peak memory of M2 and M3 (60 steps of the scaled baseline, all-in) as bytes a person; the
    two peaks give a fixed part and a part per person (a straight line through both), whose
    ratio to ``budget`` is the largest population that fits.
    """
    lines = []
    small, large = measured.get("B2"), measured.get("B6")
    if small and large:
        people = large["size"] / small["size"]
        lines.append(
            f"step: B6 / B2 = {large['median_s'] / small['median_s']:.1f}x for {people:.0f}x "
            f"the people (cpu {large['cpu_median_s'] / small['cpu_median_s']:.1f}x); "
            f"set-up {large['setup_s'] / small['setup_s']:.1f}x ({large['setup_s']:.1f} s)")
    low, high = measured.get("M2"), measured.get("M3")
    if low and high:
        peak_low, peak_high = low["peak_rss_mb"] * 2**20, high["peak_rss_mb"] * 2**20
        per_person = (peak_high - peak_low) / (high["size"] - low["size"])
        fixed = peak_low - per_person * low["size"]
        lines.append(
            f"peak all-in: {peak_low / low['size']:.0f} B a person at {low['size']:,.0f}, "
            f"{peak_high / high['size']:.0f} B at {high['size']:,.0f}; the line through both: "
            f"{fixed / 2**20:,.0f} MB + {per_person:.0f} B a person")
        if per_person > 0:
            lines.append(f"largest population in {budget / 2**30:.0f} GiB: "
                         f"({budget / 2**20:,.0f} MB - {fixed / 2**20:,.0f} MB) / "
                         f"{per_person:.0f} B = {(budget - fixed) / per_person:,.0f} people")
    return lines


def git_commit() -> str | None:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    return done.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the simulator's workloads.")
    parser.add_argument("--quick", action="store_true", help="small sizes: a fast smoke run")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Parquet file to write")
    parser.add_argument("--only", default=None,
                        help="comma-separated rows to run (e.g. M0,R1,B2); default all")
    parser.add_argument("--worker", nargs=2, metavar=("WORKLOAD", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        sys.path.insert(0, str(HERE))
        from workloads import run_in_this_process

        name, arguments = args.worker
        print(json.dumps(run_in_this_process(name, json.loads(arguments))))
        return 0

    import polars as pl

    keys = list(PLAN) if not args.only else [k.strip() for k in args.only.split(",")]
    unknown = [k for k in keys if k not in PLAN]
    if unknown:
        parser.error(f"unknown rows {unknown}; choose from {', '.join(PLAN)}")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    measured: dict[str, dict] = {}
    rows = []
    for key in keys:
        workload, description, full, quick = PLAN[key]
        arguments = quick if args.quick else full
        description = description.format(**arguments)
        print(f"{key}: {description} ...", file=sys.stderr, flush=True)
        clock = time.perf_counter()
        result = run_worker(workload, arguments, timeout=3600)
        row = make_row(key, description, result, measured)
        measured[key] = row
        rows.append(row)
        print(f"{key}: done in {time.perf_counter() - clock:.1f} s", file=sys.stderr, flush=True)

    print(format_table(rows))
    threads = listening_threads()
    print(f"threads of the listening pass at 100,000 people and more: {threads}")
    for line in scaling(measured):
        print(line)
    text = ("workload", "description", "unit", "note")
    table = pl.DataFrame({c: [row[c] for row in rows] for c in COLUMNS},
                         schema={c: pl.Utf8 if c in text else pl.Float64 for c in COLUMNS})
    table = table.with_columns(
        pl.lit(args.quick).alias("quick"), pl.lit(started).alias("started"),
        pl.lit(git_commit()).alias("git_commit"), pl.lit(platform.platform()).alias("platform"),
        pl.lit(os.cpu_count()).alias("cpus"), pl.lit(threads).alias("threads"),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.write_parquet(args.out)
    print(f"\nwritten: {args.out}")
    return 0


def listening_threads() -> int:
    """Threads the workloads' listening pass runs on (``NUMBA_NUM_THREADS``; 1 without TBB)."""
    import numba

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # this tree's code, as in the workloads
    from ecosystem.core import threads

    return numba.config.NUMBA_NUM_THREADS if threads.threads_available() else 1


if __name__ == "__main__":
    sys.exit(main())
