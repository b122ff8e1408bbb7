"""Calibration: fit scenario keys to observed figures with ABC-SMC (pyabc).

A *targets file* (TOML) names the scenario, the scenario keys to fit with their priors, and the
observed figures, each a model output at one step with its standard error::

    scenario = "baseline.toml"            # relative to the targets file
    [parameters]                          # dotted scenario keys and their priors
    "gpt_words.adoption" = { prior = "uniform", low = 0.0, high = 0.3 }
    [[targets]]
    column = "gpt_rate_nonusers"          # a timeseries column, or rate_ai / rate_users /
    step = 18                             #   rate_nonusers of one marker word (word = "delve")
    relative_to_step = 0                  # optional: column[step] / column[relative_to_step]
    divided_by = ""                       # optional: column[step] / divided_by[step]
    value = 1.48
    sd = 0.10
    [calibration]                         # optional, see CalibrationSettings
    populations = 8
    particles = 100

The likelihood-free posterior is found by approximate Bayesian computation with sequential Monte
Carlo (Toni et al. 2009; Beaumont et al. 2009) as implemented by pyabc (Schälte et al. 2022): the
first population is drawn from the priors; each later one perturbs the previous population's
particles with a multivariate normal kernel and accepts a particle when the distance between its
simulated targets and the observed ones is below a threshold that shrinks from population to
population (a quantile of the previous population's distances). The distance is the Euclidean
norm of the targets' differences, each divided by its ``sd``, so a target counts by how many
standard errors it misses.

Determinism
-----------
The same targets file, scenario and ``[calibration] seed`` give the same posterior, on one
process, on local workers or on a Dask cluster, and after an interruption and ``--resume``:

- particles are sampled by tasks, each of which draws proposals until one is accepted; task ``i``
  of population ``t`` seeds NumPy's global generator (which pyabc's priors and kernels draw
  from) with a seed spawned from ``SeedSequence([seed, t + 1])``: it depends only on the seed,
  the population and the task's place, not on which worker runs it or when;
- the model seed of a simulation is derived from the particle itself: the 64-bit patterns of its
  parameter values (in the order of ``[parameters]``) and the calibration seed form the entropy
  of a :class:`numpy.random.SeedSequence`, which spawns one child per replicate
  (``seeds_per_particle``); each child's first 63 bits are the run's ``seed``. The same
  particle is therefore always simulated with the same seeds, so ``ecosystem run --seed N``
  with its values reproduces any simulation alone;
- pyabc draws from NumPy's global generator, which threads share: the tasks of one process run
  one at a time (start Dask workers with one thread each, ``--nthreads 1``, to use every core);
- every accepted population is stored in pyabc's History database (``history.db`` in the
  folder) before the next begins, and the next population's threshold and kernel are computed
  from the stored one, which is what a resumed calibration reads.

NumPy's global random state, which pyabc needs, is saved before a calibration and restored after.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import logging
import math
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ecosystem.experiments.targets import (
    WORD_COLUMNS,
    Calibration,
    CalibrationSettings,
    Target,
    TargetsError,
    horizon,
    load_targets,
    target_series,
)
from ecosystem.folders import check_output_folder, staged_file, staged_folder, utc_now
from ecosystem.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "WORD_COLUMNS",
    "Calibration",
    "CalibrationResult",
    "TargetsError",
    "calibrate",
    "is_calibration_folder",
    "load_targets",
    "particle_seeds",
    "resume_calibration",
    "target_series",
]

MANIFEST = "manifest.json"
TARGETS = "targets.toml"
SCENARIO = "scenario.toml"
HISTORY = "history.db"
POSTERIOR = "posterior.parquet"
POPULATIONS = "populations.parquet"
CALIBRATED = "calibrated.toml"
REPORT = "report.md"
PREDICTIVE = "predictive.parquet"


def _seed_from(sequence: np.random.SeedSequence) -> int:
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def particle_seeds(seed: int, values: Sequence[float], replicates: int) -> list[int]:
    """The model seeds of a particle: derived from its values and the calibration seed.

    The 64-bit patterns of the values, with ``seed``, are the entropy of a SeedSequence that
    spawns one child per replicate; each child's first 63 bits are a run's seed.
    """
    bits = np.asarray(values, dtype=np.float64).view(np.uint64)
    words = [int(seed)] + [int(b) & 0xFFFFFFFF for b in bits] + [int(b) >> 32 for b in bits]
    root = np.random.SeedSequence(words)
    return [_seed_from(child) for child in root.spawn(replicates)]


def simulate_targets(
    scenario: Mapping[str, Any], overrides: Mapping[str, Any], targets: Sequence[Target],
    seeds: Sequence[int],
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Simulate a scenario with ``overrides`` once per seed; return the targets' values.

    Each run stops at the last step a target reads (:func:`horizon`).

    Returns
    -------
    values : numpy.ndarray
        Each target's mean over the seeds (NaN if undefined in any run).
    series : list of numpy.ndarray
        Per target, its quantity at every step (mean over the seeds).
    """
    from ecosystem.run import simulate

    sc = load_scenario(scenario, overrides=overrides)
    steps = horizon(targets)
    per_seed = []
    for seed in seeds:
        run = simulate(sc, seed=int(seed), steps=steps, progress=False)
        per_seed.append([target_series(run, t) for t in targets])
    series = [np.mean([runs[i] for runs in per_seed], axis=0) for i in range(len(targets))]
    values = np.array([s[t.step] for s, t in zip(series, targets, strict=True)])
    return values, series


class ParticleModel:
    """The simulator pyabc calls: a particle's parameters → its targets' values.

    Picklable (plain data only), so it runs in worker processes and on Dask workers.
    """

    def __init__(self, calibration: Calibration):
        self.scenario = calibration.scenario.to_dict()
        self.keys = calibration.keys
        self.kinds = dict(calibration.kinds)
        self.targets = list(calibration.targets)
        self.seed = calibration.settings.seed
        self.replicates = calibration.settings.seeds_per_particle

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, float]:
        values = [float(parameters[_param_name(i)]) for i in range(len(self.keys))]
        overrides = {key: (round(v) if self.kinds[key] == "int" else v)
                     for key, v in zip(self.keys, values, strict=True)}
        seeds = particle_seeds(self.seed, values, self.replicates)
        try:
            simulated, _ = simulate_targets(self.scenario, overrides, self.targets, seeds)
        except ScenarioError:  # values the scenario refuses together: a particle never accepted
            return {_stat_name(i): math.inf for i in range(len(self.targets))}
        # an undefined target (e.g. a share of nobody) can never match: infinitely far
        return {_stat_name(i): (float(v) if math.isfinite(v) else math.inf)
                for i, v in enumerate(simulated)}


def _param_name(i: int) -> str:
    return f"p{i}"


def _stat_name(i: int) -> str:
    return f"target{i}"


# -- the deterministic sampler ------------------------------------------------------------------
_GLOBAL_GENERATOR = threading.Lock()
"""Held by a sampling task: pyabc draws from NumPy's global generator, which the threads of a
process share, so the tasks of one process (e.g. a Dask worker's threads) run one at a time."""


def _sample_task(simulate_one: Callable, seed: int, max_eval: float) -> tuple[Any, int]:
    """Draw proposals with a seeded global generator until one is accepted (or ``max_eval``)."""
    import random

    from pyabc.population import Sample

    with _GLOBAL_GENERATOR:
        np.random.seed(seed)
        random.seed(seed)
        sample = Sample(record_rejected=False)
        evaluations = 0
        while evaluations < max_eval:
            particle = simulate_one()
            evaluations += 1
            sample.append(particle)
            if particle.accepted:
                break
    return sample, evaluations


def _unpickle_and_sample(payload: bytes, seed: int, max_eval: float) -> tuple[Any, int]:
    import cloudpickle

    return _sample_task(cloudpickle.loads(payload), seed, max_eval)


def _make_sampler(root_seed: int, executor: cf.Executor | None,
                  on_particle: Callable[[int, int, int], None] | None):
    """A pyabc sampler whose populations depend only on the seed (see the module docstring)."""
    from pyabc.sampler import Sampler

    class SeededSampler(Sampler):
        """Sample each particle in its own seeded task, in order, anywhere."""

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                    all_accepted=False, ana_vars=None):
            sequence = np.random.SeedSequence([int(root_seed), int(t) + 1])
            seeds = [int(s.generate_state(1)[0]) for s in sequence.spawn(n)]
            # a population runs to its end (the acceptance rate is judged after it is stored);
            # a task never goes past the population's whole budget
            per_task = max_eval
            if executor is None:
                outcomes: Iterable = (_sample_task(simulate_one, s, per_task) for s in seeds)
            else:
                import cloudpickle

                payload = cloudpickle.dumps(simulate_one)
                outcomes = executor.map(_unpickle_and_sample, [payload] * n, seeds,
                                        [per_task] * n)
            sample = self._create_empty_sample()
            evaluations = 0
            for done, (part, count) in enumerate(outcomes, start=1):
                sample += part
                evaluations += count
                if on_particle is not None:
                    on_particle(t, done, evaluations)
            self.nr_evaluations_ = evaluations
            if sample.n_accepted < n:
                sample.ok = False
            return sample

    return SeededSampler()


# -- the calibration folder ---------------------------------------------------------------------
def _write_json(path: Path, content: Any) -> None:
    with staged_file(path) as staging:
        staging.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


def is_calibration_folder(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a calibration (finished or interrupted)."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(manifest, dict) and manifest.get("kind") == "calibration"
            and (folder / TARGETS).is_file() and (folder / SCENARIO).is_file())


def _targets_source(calibration: Calibration) -> dict[str, Any]:
    """The targets file as plain data, with the resolved scenario beside it."""
    import copy

    data = copy.deepcopy(calibration.source) or {
        "parameters": {k: p.model_dump() for k, p in calibration.parameters.items()},
        "targets": [t.model_dump(exclude_none=True) for t in calibration.targets],
    }
    data["scenario"] = SCENARIO
    data["calibration"] = calibration.settings.model_dump()
    return data


def _start_folder(out: Path, calibration: Calibration, origin: str,
                  command: str | None) -> None:
    import tomli_w

    from ecosystem.run import manifest_base

    with staged_folder(out) as staging:
        (staging / SCENARIO).write_text(calibration.scenario.to_toml(), encoding="utf-8")
        (staging / TARGETS).write_text(tomli_w.dumps(_targets_source(calibration)),
                                       encoding="utf-8")
        _write_json(staging / MANIFEST, {
            "kind": "calibration",
            **manifest_base(),
            "pyabc_version": _pyabc_version(),
            "targets_file": origin,
            "command": command,
            "scenario": calibration.scenario.scenario.name,
            "parameters": calibration.keys,
            "targets": [t.describe() for t in calibration.targets],
            "settings": calibration.settings.model_dump(),
            "status": "running",
            "created": utc_now(),
            "sessions": [],
            "populations": [],
        })


def _pyabc_version() -> str:
    from importlib.metadata import version

    return version("pyabc")


def load_folder(folder: str | os.PathLike) -> Calibration:
    """The calibration problem stored in a calibration folder."""
    folder = Path(folder)
    if not is_calibration_folder(folder):
        raise TargetsError(f"{folder}: not a calibration folder (no calibration manifest.json, "
                           "targets.toml and scenario.toml)")
    return load_targets(folder / TARGETS, folder / SCENARIO)


# -- running ------------------------------------------------------------------------------------
@dataclass
class CalibrationResult:
    """What a calibration produced.

    Attributes
    ----------
    folder : pathlib.Path
    posterior : polars.DataFrame
        The last population: one column per fitted key, ``weight``.
    populations : polars.DataFrame
        Every population: ``population``, the keys, ``weight``, ``distance``.
    summary : polars.DataFrame
        Per key: prior bounds, posterior median, 5 % and 95 % quantiles.
    fit : polars.DataFrame
        Per target: observed value and sd, posterior-predictive median and 90 % interval,
        the miss in standard errors.
    history : list of dict
        Per population: epsilon, particles, simulations, acceptance rate.
    complete : bool
        Whether every population was sampled (False: interrupted before the end).
    """

    folder: Path
    posterior: pl.DataFrame
    populations: pl.DataFrame
    summary: pl.DataFrame
    fit: pl.DataFrame
    history: list[dict[str, Any]]
    complete: bool
    simulations: int = 0
    wall_seconds: float = 0.0


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of a weighted sample: the smallest value whose weighted CDF is ≥ q.

    A particle of weight 2 counts as two particles of weight 1.
    """
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cumulative = np.cumsum(w) / w.sum()
    index = int(np.searchsorted(cumulative, q - 1e-12, side="left"))
    return float(v[min(index, v.size - 1)])


def _history_tables(history, calibration: Calibration) -> tuple[pl.DataFrame, pl.DataFrame,
                                                                list[dict]]:
    keys = calibration.keys
    frames = []
    for t in range(history.max_t + 1):
        population = history.get_population(t)
        particles = population.particles
        columns: dict[str, Any] = {"population": [t] * len(particles)}
        for i, key in enumerate(keys):
            raw = [p.parameter[_param_name(i)] for p in particles]
            columns[key] = ([round(v) for v in raw] if calibration.kinds[key] == "int"
                            else [float(v) for v in raw])
        columns["weight"] = [float(p.weight) for p in particles]
        columns["distance"] = [float(p.distance) for p in particles]
        frames.append(pl.DataFrame(columns, schema={
            "population": pl.Int64,
            **{k: pl.Int64 if calibration.kinds[k] == "int" else pl.Float64 for k in keys},
            "weight": pl.Float64, "distance": pl.Float64}))
    populations = pl.concat(frames) if frames else pl.DataFrame()
    last = history.max_t
    posterior = populations.filter(pl.col("population") == last).select(*keys, "weight")
    table = history.get_all_populations()
    steps = []
    for row in table.itertuples():
        if int(row.t) < 0:
            continue
        particles = int(populations.filter(pl.col("population") == int(row.t)).height)
        steps.append({"population": int(row.t), "epsilon": float(row.epsilon),
                      "particles": particles, "simulations": int(row.samples),
                      "acceptance_rate": particles / int(row.samples) if row.samples else None})
    return posterior, populations, steps


def _summary(posterior: pl.DataFrame, calibration: Calibration) -> pl.DataFrame:
    weights = posterior["weight"].to_numpy()
    rows = []
    for key, prior in calibration.parameters.items():
        values = posterior[key].cast(pl.Float64).to_numpy()
        low, high = (weighted_quantile(values, weights, q) for q in (0.05, 0.95))
        rows.append({
            "key": key, "prior": prior.prior, "prior_low": prior.low, "prior_high": prior.high,
            "median": weighted_quantile(values, weights, 0.5), "q05": low, "q95": high,
            "prior_q05": prior.quantile(0.05), "prior_q95": prior.quantile(0.95),
        })
    return pl.DataFrame(rows)


def _medians(summary: pl.DataFrame, calibration: Calibration) -> dict[str, Any]:
    return calibration.scenario_values(dict(zip(summary["key"], summary["median"], strict=True)))


def _run_predictive(calibration: Calibration, posterior: pl.DataFrame,
                    executor: cf.Executor | None) -> tuple[np.ndarray, list[np.ndarray]]:
    """Simulate posterior draws (resampled by weight) with fresh seeds.

    Returns the draws' target values (draws × targets) and, per target, the draws' series.
    """
    draws = calibration.settings.predictive_draws
    targets = calibration.targets
    if draws == 0 or posterior.height == 0:
        return np.empty((0, len(targets))), [np.empty((0, 0)) for _ in targets]
    sequence = np.random.SeedSequence([calibration.settings.seed, 0xD1CE])
    rng = np.random.default_rng(sequence.spawn(1)[0])
    weights = posterior["weight"].to_numpy()
    chosen = rng.choice(posterior.height, size=draws, p=weights / weights.sum())
    seeds = [_seed_from(s) for s in sequence.spawn(draws + 1)[1:]]
    scenario = calibration.scenario.to_dict()
    jobs = [(scenario, calibration.scenario_values(posterior.row(int(i), named=True)),
             targets, [seed]) for i, seed in zip(chosen, seeds, strict=True)]
    if executor is None:
        outcomes = [simulate_targets(*job) for job in jobs]
    else:
        outcomes = list(executor.map(simulate_targets, *zip(*jobs, strict=True)))
    values = np.array([v for v, _ in outcomes])
    series = [np.array([s[i] for _, s in outcomes]) for i in range(len(targets))]
    return values, series


def _fit_table(calibration: Calibration, values: np.ndarray) -> pl.DataFrame:
    rows = []
    for i, target in enumerate(calibration.targets):
        column = values[:, i] if values.size else np.empty(0)
        finite = column[np.isfinite(column)]
        median = float(np.median(finite)) if finite.size else None
        low = float(np.quantile(finite, 0.05)) if finite.size else None
        high = float(np.quantile(finite, 0.95)) if finite.size else None
        miss = (median - target.value) / target.sd if median is not None else None
        rows.append({"target": target.describe(), "label": target.label,
                     "observed": target.value, "sd": target.sd, "predicted_median": median,
                     "predicted_q05": low, "predicted_q95": high, "miss_sd": miss})
    return pl.DataFrame(rows, schema={
        "target": pl.String, "label": pl.String, "observed": pl.Float64, "sd": pl.Float64,
        "predicted_median": pl.Float64, "predicted_q05": pl.Float64,
        "predicted_q95": pl.Float64, "miss_sd": pl.Float64})


def _progress_printer(calibration: Calibration, progress: bool | None):
    """Callbacks that show the populations, the particles accepted and the acceptance rate."""
    from tqdm.auto import tqdm

    total = calibration.settings.populations
    particles = calibration.settings.particles
    disable = None if progress is None else not progress
    state: dict[str, Any] = {"bar": None, "t": None}

    def on_particle(t: int, done: int, evaluations: int) -> None:
        if state["t"] != t:
            if state["bar"] is not None:
                state["bar"].close()
            desc = ("prior sample" if t < 0 else f"population {t + 1}/{total}")
            state["bar"] = tqdm(total=particles, desc=desc, unit="particle", leave=False,
                                disable=disable)
            state["t"] = t
        bar = state["bar"]
        bar.update(done - bar.n)
        bar.set_postfix(simulations=evaluations, acceptance=f"{done / evaluations:.0%}",
                        refresh=False)

    def on_population(step: Mapping[str, Any]) -> None:
        if state["bar"] is not None:
            state["bar"].close()
            state["bar"] = None
        if progress is False:
            return
        tqdm.write(f"population {step['population'] + 1}/{total}: {step['particles']} "
                   f"particles from {step['simulations']} simulations (acceptance "
                   f"{step['acceptance_rate']:.1%}), epsilon {step['epsilon']:.4g}",
                   file=sys.stderr)

    def close() -> None:
        if state["bar"] is not None:
            state["bar"].close()

    return on_particle, on_population, close


def _build_abc(calibration: Calibration, sampler):
    import pyabc

    priors = {}
    for i, prior in enumerate(calibration.parameters.values()):
        if prior.prior == "uniform":
            priors[_param_name(i)] = pyabc.RV("uniform", prior.low, prior.high - prior.low)
        else:
            priors[_param_name(i)] = pyabc.RV("loguniform", prior.low, prior.high)
    weights = {_stat_name(i): 1.0 / t.sd for i, t in enumerate(calibration.targets)}
    return pyabc.ABCSMC(
        ParticleModel(calibration), pyabc.Distribution(**priors),
        distance_function=pyabc.PNormDistance(p=2, fixed_weights=weights),
        population_size=calibration.settings.particles,
        eps=pyabc.QuantileEpsilon(alpha=calibration.settings.quantile),
        sampler=sampler,
    )


def _observed(calibration: Calibration) -> dict[str, float]:
    return {_stat_name(i): float(t.value) for i, t in enumerate(calibration.targets)}


def _execute(folder: Path, calibration: Calibration, workers: int,
             executor: cf.Executor | None, progress: bool | None) -> CalibrationResult:
    started, clock = utc_now(), time.perf_counter()
    owned = None
    if executor is None and workers > 1:
        # "spawn": fresh interpreters, safe with polars' and numpy's threads (fork is not);
        # workers ignore Ctrl-C: this process alone stops the calibration and keeps its state
        owned = cf.ProcessPoolExecutor(max_workers=workers,
                                       mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_worker_start, initargs=(workers,))
        executor = owned
    where = ("this process" if executor is None else
             f"{workers} local processes" if owned is not None else type(executor).__name__)
    interrupted = True
    try:
        history = _sample_populations(folder, calibration, executor, progress)
        result = _finish(folder, calibration, history, executor, started, clock, where)
        interrupted = False
        return result
    except KeyboardInterrupt:
        manifest = read_manifest(folder)
        steps = _populations_stored(folder, calibration)
        _update_manifest(folder, manifest, started, time.perf_counter() - clock, where, steps,
                         "interrupted")
        raise
    finally:
        if owned is not None:
            owned.shutdown(wait=not interrupted, cancel_futures=True)


def _worker_start(workers: int) -> None:
    """In a worker: leave Ctrl-C to the main process; take a share of the cores."""
    import signal

    from ecosystem.core.threads import share_cores

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    share_cores(workers)


def _populations_stored(folder: Path, calibration: Calibration) -> list[dict[str, Any]]:
    """The populations a calibration folder's History database holds (none if it has none)."""
    if not _has_run(folder):
        return []
    from pyabc import History

    history = History(f"sqlite:///{(folder / HISTORY).absolute()}", _id=1)
    return _history_tables(history, calibration)[2] if history.max_t >= 0 else []


def _sample_populations(folder: Path, calibration: Calibration, executor: cf.Executor | None,
                        progress: bool | None):
    """Sample the populations not yet in the folder's History database; return the History."""
    settings = calibration.settings
    db = f"sqlite:///{(folder / HISTORY).absolute()}"
    on_particle, on_population, close_bars = _progress_printer(calibration, progress)
    reported: set[int] = set()

    def report_new(history) -> None:
        for step in _history_tables(history, calibration)[2]:
            if step["population"] not in reported:
                reported.add(step["population"])
                on_population(step)

    sampler = _make_sampler(settings.seed, executor, on_particle)
    abc = _build_abc(calibration, sampler)
    logger = logging.getLogger("ABC")
    level = logger.level
    logger.setLevel(logging.WARNING)
    state = np.random.get_state()
    np.random.seed(settings.seed)
    try:
        if _has_run(folder):
            history = abc.load(db, 1)
            reported.update(range(history.max_t + 1))
        else:
            (folder / HISTORY).unlink(missing_ok=True)
            history = abc.new(db, _observed(calibration))
        done = history.max_t + 1
        # one population at a time, so each is reported as soon as it is stored
        while done < settings.populations and not _stopped_early(history, settings):
            # pyabc caches the sample its first threshold comes from; each call must start
            # from the population just stored, exactly as a resumed calibration does
            abc._initial_population = None
            abc.run(max_nr_populations=1, min_acceptance_rate=settings.min_acceptance_rate)
            report_new(history)
            if history.max_t + 1 == done:  # no population accepted within the evaluations
                break
            done = history.max_t + 1
    finally:
        close_bars()
        np.random.set_state(state)
        logger.setLevel(level)
    return history


def _finish(folder: Path, calibration: Calibration, history, executor: cf.Executor | None,
            started: str, clock: float, where: str) -> CalibrationResult:
    """Write the posterior, the populations, the predictive check, the report, the manifest."""
    from ecosystem.experiments.calibrate_report import write_report

    settings = calibration.settings
    manifest = read_manifest(folder)
    if history.max_t < 0:
        raise TargetsError("no population was accepted within the simulations "
                           "calibration.min_acceptance_rate allows; lower it, or check that "
                           "the targets are within the model's reach")
    posterior, populations, steps = _history_tables(history, calibration)
    complete = history.max_t + 1 >= settings.populations
    with staged_file(folder / POSTERIOR) as staging:
        posterior.write_parquet(staging)
    with staged_file(folder / POPULATIONS) as staging:
        populations.write_parquet(staging)
    summary = _summary(posterior, calibration)
    values, series = _run_predictive(calibration, posterior, executor)
    fit = _fit_table(calibration, values)
    _write_predictive(folder, calibration, values)
    medians = _medians(summary, calibration)
    _write_calibrated(folder, calibration, medians)
    write_report(folder, calibration, posterior, populations, summary, fit, series, steps,
                 medians, command=manifest.get("command"))
    wall = time.perf_counter() - clock
    _update_manifest(folder, manifest, started, wall, where, steps,
                     "complete" if complete else "stopped",
                     extra={"posterior_median": medians,
                            "summary": summary.to_dicts(), "fit": fit.to_dicts()})
    return CalibrationResult(folder=folder, posterior=posterior, populations=populations,
                             summary=summary, fit=fit, history=steps, complete=complete,
                             simulations=sum(s["simulations"] for s in steps),
                             wall_seconds=wall)


def _has_run(folder: Path) -> bool:
    """Whether the folder's History database holds a started calibration."""
    import sqlite3

    if not (folder / HISTORY).is_file():
        return False
    try:
        with sqlite3.connect(f"file:{folder / HISTORY}?mode=ro", uri=True) as con:
            return con.execute("select count(*) from abc_smc").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def _stopped_early(history, settings: CalibrationSettings) -> bool:
    """Whether pyabc's own criteria ended the run before its populations (low acceptance)."""
    if settings.min_acceptance_rate <= 0:
        return False
    table = history.get_all_populations()
    table = table[table.t >= 0]
    if table.empty:
        return False
    last = table.iloc[-1]
    return settings.particles / float(last.samples) < settings.min_acceptance_rate


def _write_predictive(folder: Path, calibration: Calibration, values: np.ndarray) -> None:
    frame = pl.DataFrame({t.describe(): (values[:, i] if values.size else np.empty(0))
                          for i, t in enumerate(calibration.targets)})
    with staged_file(folder / PREDICTIVE) as staging:
        frame.write_parquet(staging)


def _write_calibrated(folder: Path, calibration: Calibration, medians: Mapping[str, Any]) -> None:
    sc = calibration.scenario.with_overrides(medians)
    lines = [f"# {calibration.scenario.scenario.name}, calibrated: the posterior median of "
             f"{', '.join(calibration.keys)}", "# (written by ecosystem calibrate; see report.md)"]
    with staged_file(folder / CALIBRATED) as staging:
        staging.write_text("\n".join(lines) + "\n" + sc.to_toml(), encoding="utf-8")


def _update_manifest(folder: Path, manifest: dict[str, Any], started: str, wall: float,
                     where: str, steps: list[dict], status: str,
                     extra: Mapping[str, Any] | None = None) -> None:
    sessions = [*manifest.get("sessions", []), {
        "started": started, "finished": utc_now(), "wall_seconds": round(wall, 3),
        "executor": where}]
    manifest.update({
        "status": status,
        "populations": steps,
        "simulations": sum(s["simulations"] for s in steps),
        "finished": utc_now(),
        "wall_seconds": round(sum(s["wall_seconds"] for s in sessions), 3),
        "sessions": sessions,
        **(extra or {}),
    })
    _write_json(folder / MANIFEST, manifest)


def _check_workers(workers: int, executor: cf.Executor | None) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise TargetsError(f"workers must be an integer ≥ 1, got {workers!r}")
    if executor is not None and not callable(getattr(executor, "map", None)):
        raise TargetsError(f"executor must be a concurrent.futures.Executor, got {executor!r}")


def calibrate(
    targets: str | os.PathLike | Mapping[str, Any] | Calibration,
    out: str | os.PathLike,
    *,
    scenario: str | os.PathLike | Scenario | None = None,
    workers: int = 1,
    executor: cf.Executor | None = None,
    progress: bool | None = None,
    command: str | None = None,
) -> CalibrationResult:
    """Fit a scenario's keys to observed figures by ABC-SMC; write a calibration folder.

    Parameters
    ----------
    targets : path, mapping or Calibration
        The targets file (see the module docstring), or a checked :class:`Calibration`.
    out : path
        The calibration folder; it must not exist or be empty.
    scenario : path or Scenario, optional
        Calibrate this scenario instead of the one the targets file names.
    workers : int
        1 simulates in this process; more start a local process pool.
    executor : concurrent.futures.Executor, optional
        Simulate on it instead (e.g. a Dask client's ``get_executor()``).
    progress : bool or None
        Show populations, particles and acceptance rate (None: bars only on a terminal).
    command : str, optional
        The command line that reproduces the calibration, for the report (by default one is
        written for a targets file given as a path).

    Returns
    -------
    CalibrationResult

    Raises
    ------
    TargetsError, ScenarioError
        For a bad targets file or scenario; nothing is written.
    OutputFolderError
        If ``out`` cannot be used; nothing is written.
    KeyboardInterrupt
        When interrupted: every accepted population is kept in ``out``; resume with
        :func:`resume_calibration`.

    References
    ----------
    Toni T. et al. (2009) J. R. Soc. Interface 6:187; Schälte Y. et al. (2022) J. Open Source
    Softw. 7:4304 (pyabc).
    """
    _check_workers(workers, executor)
    if isinstance(targets, Calibration):
        calibration, origin = targets, "(in memory)"
    else:
        calibration = load_targets(targets, scenario)
        origin = str(targets) if not isinstance(targets, Mapping) else "(in memory)"
    out = Path(out)
    if is_calibration_folder(out):
        raise TargetsError(f"{out}: holds a calibration already; resume it with ecosystem "
                           f"calibrate --resume {out}, or choose another folder")
    check_output_folder(out, lambda _: False, "calibration folder")
    if command is None and origin != "(in memory)":
        command = f"ecosystem calibrate {origin}" + (
            f" --scenario {scenario}" if isinstance(scenario, str | os.PathLike) else "") + (
            f" --out {out}")
    _start_folder(out, calibration, origin, command)
    return _execute(out, calibration, workers, executor, progress)


def resume_calibration(
    folder: str | os.PathLike,
    *,
    workers: int = 1,
    executor: cf.Executor | None = None,
    progress: bool | None = None,
) -> CalibrationResult:
    """Complete an interrupted calibration from the populations its History database kept.

    The result is the one an uninterrupted calibration would have given. Parameters as
    :func:`calibrate`.
    """
    _check_workers(workers, executor)
    folder = Path(folder)
    if not folder.is_dir():
        raise TargetsError(f"--resume {folder}: no such folder")
    calibration = load_folder(folder)
    return _execute(folder, calibration, workers, executor, progress)


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """The ``manifest.json`` of a calibration folder."""
    return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))

