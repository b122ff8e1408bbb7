"""The benchmark workloads, each measured in its own process by ``benchmarks/run.py``.

Every function here runs one workload and returns a dict of measures (seconds, bytes, counts):
the set-up (graph building included), a warm-up, then several timed repeats, wall clock and the
process's own CPU time (the machine is shared: CPU time shows how much of a wall-clock figure
was waiting for a core). The parent process adds peak memory (the child's ``ru_maxrss``) and the
ratios.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import ecosystem  # noqa: E402
from ecosystem.core.corpus import Docs, initial_corpus, make_culture  # noqa: E402
from ecosystem.core.curate import CurationParams, best_of_n, best_of_n_reference, score  # noqa: E402
from ecosystem.core.decode import DecodingParams, decode_reference  # noqa: E402
from ecosystem.core.fit import FitParams, fit, fit_reference  # noqa: E402
from ecosystem.model import EcosystemModel, vocabulary  # noqa: E402

SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
CHAIN = SCENARIOS / "collapse.toml"


def _timed(function, repeats: int) -> dict:
    """Wall and CPU seconds of ``repeats`` calls (after the caller's warm-up)."""
    wall, cpu = [], []
    for _ in range(repeats):
        gc.collect()
        w, c = time.perf_counter(), time.process_time()
        function()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return {"times": wall, "cpu_times": cpu}


def scaled_baseline(humans: int, steps: int = 120) -> ecosystem.Scenario:
    """``scenarios/baseline.toml`` at ``humans`` people, AI already adopted (a steady step).

    The original corpus and the lab's training set hold a fifth of a document per person, and
    content farms upload 0.12 documents per person per generation (1,000,000 people: 200,000
    original documents, 120,000 farm outputs a generation).
    """
    return ecosystem.load_scenario(BASELINE, overrides={
        "population.humans": humans,
        "population.adoption_steps": 0,
        "content.initial_docs": max(humans // 5, 100),
        "ai.training_docs": max(humans // 5, 100),
        "ai.outputs_per_generation": max(12 * humans // 100, 12),
        "scenario.steps": steps,
    })


def baseline_at(humans: int, steps: int = 120) -> ecosystem.Scenario:
    """``scenarios/baseline.toml`` as written (adoption ramp and all), at ``humans`` people.

    Document counts keep the file's proportions to its 10,000 people.
    """
    base = ecosystem.load_scenario(BASELINE)
    factor = humans / base.population.humans
    return ecosystem.load_scenario(BASELINE, overrides={
        "population.humans": humans,
        "content.initial_docs": max(round(base.content.initial_docs * factor), 100),
        "ai.training_docs": max(round(base.ai.training_docs * factor), 100),
        "ai.outputs_per_generation": max(round(base.ai.outputs_per_generation * factor), 6),
        "scenario.steps": steps,
    })


def _people_facts(model: EcosystemModel) -> dict:
    people = model.people
    n = people.size
    graph = people.graph
    # the compiled neighbour kernels read the graph's CSR arrays and keep no workspace
    workspace = 0
    return {
        "size": n,
        "edges": graph.edges,
        "people_bytes": people.nbytes,
        "graph_bytes": graph.nbytes,
        "workspace_bytes": workspace,
        "bytes_per_person": people.nbytes / n,
        "graph_bytes_per_person": (graph.nbytes + workspace) / n,
        "corpus_docs": len(model.corpus),
        "corpus_bytes_per_doc": model.corpus.bytes_per_doc,
        "state_bytes": people.nbytes + graph.nbytes,
    }


def people_step(humans: int, repeats: int, warmup: int = 2) -> dict:
    """One step of ``humans`` people on a Barabási–Albert graph (m = 5), vectorised."""
    sc = scaled_baseline(humans)
    start = time.perf_counter()
    model = EcosystemModel(sc, seed=1)
    setup = time.perf_counter() - start
    for _ in range(warmup):
        model.step()
    result = _timed(model.step, repeats)
    return {**result, "setup_s": setup, **_people_facts(model)}


def per_agent_step(humans: int, repeats: int, warmup: int = 1) -> dict:
    """The same step as :func:`people_step` through the plain per-agent Mesa implementation.

    This is the reference the tests compare the vectorised step with
    (``people_step="per_agent"``), timed on a smaller population.
    """
    sc = scaled_baseline(humans)
    start = time.perf_counter()
    model = EcosystemModel(sc, seed=1, people_step="per_agent")
    setup = time.perf_counter() - start
    for _ in range(warmup):
        model.step()
    return {**_timed(model.step, repeats), "setup_s": setup, "size": humans}


def per_agent_run(humans: int, steps: int) -> dict:
    """The baseline scenario end to end through the per-agent Mesa implementation (B5's ref)."""
    sc = baseline_at(humans, steps)
    start = time.perf_counter()
    model = EcosystemModel(sc, seed=1, people_step="per_agent")
    setup = time.perf_counter() - start

    def run():
        for _ in range(steps):
            model.step()

    result = _timed(run, 1)
    # the same measure as end_to_end's: set-up included in the time, taken out per agent-step
    result["times"] = [t + setup for t in result["times"]]
    return {**result, "setup_s": setup, "size": humans, "steps": steps}


def core_generation(docs: int, repeats: int, reference_docs: int) -> dict:
    """One generation of the core on ``docs`` documents: fit, decode and curate.

    The model is fitted on ``docs`` original documents (50 Zipf types, 2 dims); it then decodes
    ``docs`` drafts (top-p 0.9, the baseline's decoding) and the curator keeps the best of 3 by
    quality and typicality (``docs / 3`` posts). The slow per-document references of the tests
    (``fit_reference``, ``decode_reference``, ``best_of_n_reference``) are timed on
    ``reference_docs`` documents for the ratio.
    """
    base = ecosystem.load_scenario(BASELINE)
    content = base.content
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    culture = make_culture(content.types, content.type_weights, content.zipf_exponent,
                           content.dims, content.type_spread, content.type_std, rng)
    corpus = initial_corpus(culture, docs, content.quality_mean, content.quality_std,
                            vocabulary(base).human_rate, base.gpt_words.human_rate_spread, rng)
    setup = time.perf_counter() - start
    params = FitParams(capacity=40, min_count=3)
    decoding = DecodingParams(method="top_p", top_p=0.9)
    curation = CurationParams(best_of_n=3, typicality_weight=3.0)

    def generation():
        state = fit(corpus, culture.types, params, rng, generation=1)
        best_of_n(state, docs // 3, decoding, curation, rng)

    generation()  # warm-up
    result = _timed(generation, repeats)

    small = corpus.take(slice(0, reference_docs))
    reference_rng = np.random.default_rng(1)
    start = time.perf_counter()
    state = fit_reference(small, culture.types, params)
    drafts = [decode_reference(state, decoding, reference_rng) for _ in range(reference_docs)]
    types = np.array([t for t, _ in drafts])
    quality = state.quality[types] + state.quality_std * reference_rng.standard_normal(types.size)
    drafted = Docs.build(type=types, x=np.array([x for _, x in drafts]), quality=quality,
                         artifact=np.zeros(types.size), gpt_rate=np.zeros(types.size),
                         stance=np.zeros(types.size), origin=np.zeros(types.size),
                         author=np.zeros(types.size), step=np.zeros(types.size))
    best_of_n_reference(list(score(state, drafted, curation.typicality_weight)), 3)
    reference = time.perf_counter() - start
    return {**result, "setup_s": setup, "size": docs,
            "corpus_bytes_per_doc": corpus.nbytes / docs,
            "state_bytes": corpus.nbytes + Docs.bytes_per_doc(content.dims) * docs,
            "reference_s_per_item": reference / reference_docs}


def _chain_run(seed: int) -> int:
    sc = ecosystem.load_scenario(CHAIN, overrides={"scenario.steps": 20})
    return ecosystem.simulate(sc, seed=seed).timeseries.height


def sweep(runs: int, workers: int, repeats: int) -> dict:
    """Runs per second of a sweep of ``runs`` small chain runs on ``workers`` processes.

    Uses ``benchmarks/sweep_bench.py`` (``sweep_throughput``) when it exists, else a plain
    process pool over ``ecosystem.simulate`` of ``scenarios/collapse.toml`` cut to 20 steps.
    """
    sweep_bench = None
    if (ROOT / "benchmarks" / "sweep_bench.py").exists():
        sys.path.insert(0, str(ROOT / "benchmarks"))
        sweep_bench = importlib.import_module("sweep_bench")
    if sweep_bench is not None:
        def once():
            return sweep_bench.sweep_throughput(runs, workers)

        once()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            out = once()
            elapsed = time.perf_counter() - start
            rate = out.get("runs_per_second") if isinstance(out, dict) else out
            times.append(runs / float(rate) if rate else elapsed)
        return {"times": times, "cpu_times": [], "size": runs, "setup_s": 0.0,
                "note": "benchmarks/sweep_bench.py (ecosystem.sweep)"}
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        setup = time.perf_counter() - start
        list(pool.map(_chain_run, range(2 * workers)))  # warm-up: workers start, import
        times = []
        for r in range(repeats):
            seeds = range(1000 + r * runs, 1000 + (r + 1) * runs)
            t = time.perf_counter()
            assert all(h == 21 for h in pool.map(_chain_run, seeds, chunksize=8))
            times.append(time.perf_counter() - t)
    return {"times": times, "cpu_times": [], "size": runs, "setup_s": setup,
            "note": "process pool over ecosystem.simulate (no benchmarks/sweep_bench.py yet)"}


def _warm_worker(_: int) -> int:
    import pyabc  # noqa: F401  (the calibration's tasks need it: import it before the clock)

    sc = ecosystem.load_scenario({"scenario": {"steps": 2}, "population": {"humans": 100},
                                  "content": {"initial_docs": 100}})
    return ecosystem.simulate(sc, seed=1).timeseries.height


def calibration(humans: int, steps: int, populations: int, particles: int, workers: int,
                repeats: int) -> dict:
    """Simulations per second of a small ABC-SMC calibration on ``workers`` processes.

    Two keys (``gpt_words.adoption``, ``population.ai_users``) fitted to two targets of a world
    of ``humans`` people over ``steps`` steps; the pool is started and warmed (imports, compiled
    kernels) before the clock starts, so the rate is sampling, simulating and storing only.
    """
    import concurrent.futures as cf
    import multiprocessing
    import tempfile

    from ecosystem.experiments.calibrate import calibrate, load_targets

    targets = {
        "parameters": {"gpt_words.adoption": {"low": 0.0, "high": 0.3},
                       "population.ai_users": {"low": 0.1, "high": 0.9}},
        "targets": [{"column": "gpt_rate_users", "step": steps, "relative_to_step": 0,
                     "value": 2.0, "sd": 0.1},
                    {"column": "ai_share", "step": steps, "value": 0.4, "sd": 0.05}],
        "calibration": {"populations": populations, "particles": particles,
                        "predictive_draws": 0},
    }
    scenario = ecosystem.load_scenario({"scenario": {"steps": steps},
                                        "population": {"humans": humans},
                                        "content": {"initial_docs": humans}})
    problem = load_targets(targets, scenario)
    start = time.perf_counter()
    pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    list(pool.map(_warm_worker, range(2 * workers)))
    setup = time.perf_counter() - start
    times, simulations = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(repeats):
                out = Path(tmp) / f"calibration-{r}"
                t = time.perf_counter()
                result = calibrate(problem.with_settings(seed=r), out, executor=pool,
                                   progress=False)
                times.append(time.perf_counter() - t)
                simulations.append(result.simulations)
    finally:
        pool.shutdown()
    per_second = [n / t for n, t in zip(simulations, times, strict=True)]
    return {"times": times, "cpu_times": [], "size": int(np.median(simulations)),
            "setup_s": setup, "simulations_per_second": float(np.median(per_second)),
            "note": f"{humans:,} people, {steps} steps, {populations} populations of "
                    f"{particles} particles, {workers} workers"}


def end_to_end(humans: int, steps: int, repeats: int) -> dict:
    """The baseline scenario end to end (set-up and every step), ``humans`` people."""
    sc = baseline_at(humans, steps)
    facts = {}

    def run():
        model = EcosystemModel(sc, seed=1)
        for _ in range(steps):
            model.step()
        facts.update(_people_facts(model))

    EcosystemModel(sc, seed=1).step()  # warm-up: compiled kernels loaded, as in the timed runs
    start = time.perf_counter()
    EcosystemModel(sc, seed=1)
    setup = time.perf_counter() - start
    result = _timed(run, repeats)
    return {**result, "setup_s": setup, **facts, "steps": steps}


def accumulate_peak(humans: int, steps: int) -> dict:
    """A run of ``humans`` people over ``steps`` steps in the accumulate regime (peak memory).

    The lab trains on everything uploaded so far (``training_docs = "all"``), so the corpus and
    each training set grow every step.
    """
    sc = scaled_baseline(humans, steps).with_overrides({
        "ai.data_regime": "accumulate", "ai.training_docs": "all",
    })
    start = time.perf_counter()
    model = EcosystemModel(sc, seed=1)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    elapsed = time.perf_counter() - start
    corpus = model.corpus
    return {"times": [elapsed], "cpu_times": [], "setup_s": setup, "steps": steps,
            **_people_facts(model),
            "corpus_docs": len(corpus),
            "corpus_allocated_bytes_per_doc": (
                corpus.bytes_per_doc * corpus.capacity / len(corpus)
            )}


def scaled_peak(humans: int, steps: int) -> dict:
    """Peak memory, all-in, of ``humans`` people over ``steps`` steps of the scaled baseline.

    The scenario of B1/B2 (:func:`scaled_baseline`: documents per person as there), run from
    set-up to the last step in one process: the peak resident memory holds the graph, the
    people, the corpus (original documents, posts and farm outputs) and every temporary.
    """
    sc = scaled_baseline(humans, steps)
    start = time.perf_counter()
    model = EcosystemModel(sc, seed=1)
    setup = time.perf_counter() - start
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        model.step()
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    corpus = model.corpus
    return {"times": [wall / steps], "cpu_times": [cpu / steps], "setup_s": setup,
            "steps": steps, **_people_facts(model), "corpus_docs": len(corpus),
            "corpus_allocated_bytes": corpus.bytes_per_doc * corpus.capacity}


def bandwidth(megabytes: int, repeats: int) -> dict:
    """Memory bandwidth: a large NumPy copy (bytes read plus bytes written, per second)."""
    source = np.ones(megabytes * (1 << 20) // 8)
    target = np.empty_like(source)
    np.copyto(target, source)  # warm-up: pages are mapped
    result = _timed(lambda: np.copyto(target, source), repeats)
    return {**result, "size": source.nbytes, "setup_s": 0.0,
            "bytes_per_second": 2 * source.nbytes / float(np.median(result["times"]))}


WORKLOADS = {
    "bandwidth": bandwidth,
    "people_step": people_step,
    "per_agent_step": per_agent_step,
    "per_agent_run": per_agent_run,
    "core_generation": core_generation,
    "sweep": sweep,
    "calibration": calibration,
    "end_to_end": end_to_end,
    "accumulate_peak": accumulate_peak,
    "scaled_peak": scaled_peak,
}


def run_in_this_process(name: str, arguments: dict) -> dict:
    """Run one workload and add this process's peak resident memory."""
    import resource

    os.environ.setdefault("TQDM_DISABLE", "1")
    result = WORKLOADS[name](**arguments)
    result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return result
