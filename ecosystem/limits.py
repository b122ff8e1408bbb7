"""What a scenario or a sweep will need of this machine, checked before any work starts.

A scenario can be in range key by key and still be far too large together (a hundred million
people with a thousand links each, a hundred million documents in 64 dimensions, a grid of ten
million runs). :func:`check_memory` estimates the memory of a run, or of a sweep (its plan and
the runs in flight at once), and refuses what cannot fit in the memory available now, with the
estimate and the keys to lower. :func:`cap_workers` keeps local worker processes to the cores
this process may use.

The estimate counts the arrays the model holds (people, the social graph in CSR form and its
construction, the corpus of documents and a step's drafts) with a margin for temporaries; it is
a guard against what certainly cannot fit, not a promise that what passes will.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ecosystem.scenario import Scenario, ScenarioError

BASE_BYTES = 300 * 1024**2
"""A Python process with numpy, polars and Mesa loaded, before any scenario."""

PERSON_BYTES = 96
"""Per person, besides the style point: flags, ranks, rates, stances, counts, output row."""

EDGE_BYTES_CSR = 40
"""Per undirected edge of a graph built as arrays: CSR indices both ways plus the edge pairs
and sort buffers of its construction."""

EDGE_BYTES_NETWORKX = 400
"""Per edge of a graph networkx builds as Python objects before it is turned into arrays."""

DOC_BYTES = 26
"""Per document, besides the style point: type, quality, artifact, rate, stance, origin,
author, step (see ``ecosystem.core.corpus``)."""

PLAN_BYTES_PER_RUN = 700
"""Per run of a sweep: its seed sequence while the plan is drawn, its seed, its plan.json
entry and the bookkeeping of parts."""

MESA_VIEW_BYTES = 1000
"""Per thin Mesa agent view (made for populations up to ``VIEW_LIMIT``)."""


@dataclass(frozen=True)
class Estimate:
    """Estimated bytes of memory, by part, and the scenario keys each part grows with."""

    parts: tuple[tuple[str, float, tuple[str, ...]], ...]

    @property
    def total(self) -> float:
        """Bytes in all."""
        return sum(size for _, size, _ in self.parts)

    def largest(self, count: int = 3) -> list[tuple[str, float, tuple[str, ...]]]:
        """The ``count`` largest parts, largest first."""
        return sorted(self.parts, key=lambda part: part[1], reverse=True)[:count]


def format_bytes(size: float) -> str:
    """A size for people: 512 MB, 3.2 GB, 410 TB."""
    for unit, factor in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size / 1e3:.0f} kB"


def graph_edges(scenario: Scenario) -> float:
    """Expected undirected edges of the scenario's social graph."""
    n = scenario.population.humans
    network = scenario.network
    if n == 0:
        return 0.0
    if network.kind == "barabasi_albert":
        return float(n) * network.m
    if network.kind == "watts_strogatz":
        return float(n) * min(network.k, max(n - 1, 0)) / 2
    if network.kind == "erdos_renyi":
        return network.p * n * (n - 1) / 2
    if network.kind == "stochastic_block":
        blocks = min(network.blocks, n)
        inside = n * (n / blocks - 1) / 2
        return network.p_in * inside + network.p_out * (n * (n - 1) / 2 - inside)
    try:  # an edge list: at most one edge per 4 bytes ("0 1\n")
        return os.stat(network.path).st_size / 4
    except OSError:
        return 0.0


def expected_docs(scenario: Scenario) -> float:
    """Documents the corpus holds at the end (the model pre-allocates about this many)."""
    sc = scenario
    per_step = sc.ai.outputs_per_generation / sc.ai.retrain_every
    per_step += sc.population.humans * sc.population.creators * sc.population.posts_per_step
    return sc.content.initial_docs + 1.05 * per_step * sc.scenario.steps + 1024


def estimate_run(scenario: Scenario) -> Estimate:
    """Estimated memory of one run of ``scenario``."""
    from ecosystem.agents.people import VIEW_LIMIT

    sc = scenario
    dims = sc.content.dims
    n = sc.population.humans
    people = n * (PERSON_BYTES + 2 * 4 * dims) + min(n, VIEW_LIMIT) * MESA_VIEW_BYTES
    edges = graph_edges(sc)
    per_edge = EDGE_BYTES_CSR if sc.network.kind in ("barabasi_albert", "edgelist") \
        else EDGE_BYTES_NETWORKX
    doc = DOC_BYTES + 4 * dims
    # the corpus, and a training set drawn from it, held at once
    docs = 2 * expected_docs(sc) * doc
    population = sc.population
    per_step = (sc.ai.outputs_per_generation / sc.ai.retrain_every
                + n * population.creators * population.posts_per_step * population.ai_users)
    drafts = 2 * per_step * max(sc.curation.best_of_n, sc.decoding.beam_width) * doc
    types = 8.0 * sc.content.types * (dims + 4) * 4
    network_keys = {
        "barabasi_albert": ("population.humans", "network.m"),
        "watts_strogatz": ("population.humans", "network.k"),
        "erdos_renyi": ("population.humans", "network.p"),
        "stochastic_block": ("population.humans", "network.p_in", "network.p_out"),
        "edgelist": ("network.path (a smaller edge list)", "population.humans"),
    }[sc.network.kind]
    return Estimate(parts=(
        ("the Python process", float(BASE_BYTES), ()),
        ("people", float(people), ("population.humans", "content.dims")),
        ("the social graph", edges * per_edge, network_keys),
        ("documents", float(docs), ("content.initial_docs", "scenario.steps",
                                    "ai.outputs_per_generation", "population.posts_per_step",
                                    "content.dims")),
        ("drafts of a step", float(drafts), ("curation.best_of_n", "decoding.beam_width",
                                             "ai.outputs_per_generation")),
        ("style types", types, ("content.types",)),
    ))


def sweep_runs(scenario: Scenario) -> int:
    """Runs a scenario's ``[sweep]`` table makes, counted without drawing its plan."""
    from ecosystem.experiments.plan import _design_size

    table = scenario.sweep
    cells = math.prod(len(values) for values in table.grid.values())
    return cells * _design_size(table.design, table.samples, len(table.ranges)) * \
        table.replicates


def estimate_sweep(scenario: Scenario, workers: int = 1) -> Estimate:
    """Estimated memory of a sweep: its plan, and ``workers`` runs in flight at once.

    Each local worker is a process of its own, so it pays the base cost too.
    """
    runs = sweep_runs(scenario)
    one = estimate_run(scenario)
    in_flight = max(1, min(workers, runs))
    parts = [(f"{name} × {in_flight} runs at once" if in_flight > 1 else name,
              size * in_flight, keys) for name, size, keys in one.parts]
    parts.append((f"the plan of {runs:,} runs", float(runs) * PLAN_BYTES_PER_RUN,
                  ("sweep.replicates", "sweep.grid", "sweep.samples")))
    if workers > 1:
        parts.append(("the sweep's main process", float(BASE_BYTES), ()))
    return Estimate(parts=tuple(parts))


def available_memory() -> int:
    """Bytes of memory available to start new work now (psutil's ``available``)."""
    import psutil

    return int(psutil.virtual_memory().available)


def check_memory(scenario: Scenario, *, sweep: bool = False, workers: int = 1,
                 available: int | None = None) -> Estimate:
    """Refuse a run or sweep whose estimated memory exceeds what this machine has available.

    Returns
    -------
    Estimate
        The estimate, when it fits.

    Raises
    ------
    ScenarioError
        With the estimate, its largest parts and the keys to lower.
    """
    estimate = estimate_sweep(scenario, workers) if sweep else estimate_run(scenario)
    available = available_memory() if available is None else available
    if estimate.total <= available:
        return estimate
    what = "this sweep" if sweep else "this run"
    lines = [f"{what} needs about {format_bytes(estimate.total)} of memory, more than the "
             f"{format_bytes(available)} available on this machine; nothing was started"]
    keys: list[str] = []
    for name, size, part_keys in estimate.largest():
        if size <= 0.05 * estimate.total:
            continue
        shown = f" ({', '.join(part_keys)})" if part_keys else ""
        lines.append(f"  {name}: about {format_bytes(size)}{shown}")
        keys.extend(k for k in part_keys if k not in keys)
    if sweep and workers > 1:
        keys.append("--workers")
    if keys:
        lines.append(f"lower {', '.join(keys)}")
    else:
        lines.append("even a small run needs more than this machine has free now; close other "
                     "programs or use a larger machine")
    raise ScenarioError(lines)


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def cap_workers(workers: int, *, force: bool = False) -> tuple[int, str | None]:
    """``workers`` kept to the usable cores (unless ``force``), and a note when it was lowered."""
    cores = usable_cores()
    if force or workers <= cores:
        return workers, None
    return cores, (f"--workers {workers} lowered to {cores}: this machine lets the sweep use "
                   f"{cores} cores, and more processes than cores only add memory "
                   "(--force-workers keeps the number asked)")


def fit_workers(scenario: Scenario, workers: int,
                available: int | None = None) -> tuple[int, str | None]:
    """The most workers (at most ``workers``) whose runs fit in memory together, with a note."""
    if workers <= 1:
        return workers, None
    available = available_memory() if available is None else available
    fits = workers
    while fits > 1 and estimate_sweep(scenario, fits).total > available:
        fits -= 1
    if fits == workers:
        return workers, None
    return fits, (f"--workers {workers} lowered to {fits}: {workers} runs at once need about "
                  f"{format_bytes(estimate_sweep(scenario, workers).total)} of memory, "
                  f"{format_bytes(available)} is available")
