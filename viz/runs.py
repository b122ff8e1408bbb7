"""Replicated runs of both sides, their bands and effects, and export of their tables.

Each side (the baseline, the scenario as picked; the intervention, with the page's changes)
runs ``R`` replicates. Replicate ``i`` of both sides uses the same seed (paired seeds): the
first replicate uses the scenario's own seed, so ``ecosystem run`` of a saved settings file
reproduces it; the others use seeds spawned from it. With paired seeds the difference between
the sides within a replicate removes the luck the two sides share, so small effects can be told
from chance with few replicates.

A :class:`Snapshot` is an immutable copy of everything the page draws after a step, taken under
the set's lock, so the page can draw it while the next step runs.

Bands and effects
-----------------
* Band: the mean over replicates ± 2 standard errors of that mean (SE = sample standard
  deviation / √R), per measure and month. One replicate has no band.
* Effect at a month: the paired differences ``d_i = intervention_i − baseline_i``; their mean
  and a 95 % t-interval ``mean ± t(0.975, R−1) · sd(d)/√R``. The verdict is "larger than
  chance" when the interval excludes 0, else "within chance"; with fewer than two replicates
  it cannot be judged.
"""

from __future__ import annotations

import io
import itertools
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import polars as pl
from scipy import stats

from ecosystem import Scenario
from ecosystem.model import EcosystemModel

RUNS = ("baseline", "intervention")
"""Names of the two sides, in drawing order."""

RUN_LABELS = {"baseline": "scenario as picked", "intervention": "with your changes"}

NETWORK_PEOPLE = 300
"""People drawn in the network plot."""

DEFAULT_REPLICATES = 5
MAX_REPLICATES = 20

PEOPLE_RUNS_PER_SIDE = 1_000_000
"""Most people simulated on one side (people × replicates); above it replicates are cut.

At 100,000 people five replicates a side fit; at 1,000,000 one does. It keeps a step of both
sides near a third of a second and the memory of the runs near 1.5 GB.
"""

MEASURES: tuple[tuple[str, str], ...] = (
    ("model_richness", "Styles the AI can write"),
    ("model_entropy", "Diversity of the AI (entropy, nats)"),
    ("tail_mass", "Share the AI gives rare styles"),
    ("quality_ai", "Quality of AI uploads (0–100)"),
    ("artifact", "Training artifacts"),
    ("ai_share", "AI share of new uploads"),
    ("gpt_rate_users", "Marker words, AI users (per 1,000)"),
    ("gpt_rate_nonusers", "Marker words, non-users (per 1,000)"),
    ("neutral_share_users", "Neutral opinions, AI users"),
)
"""The key measures of the effect panel, with their plain-language names."""

BAND_NAME = "±2 SE"
"""How the page names the band: the mean ± 2 standard errors of the mean."""

CONFIDENCE = 0.95
"""Confidence of the effect's interval."""


class Cancelled(Exception):  # noqa: N818 (a signal, not an error)
    """Building the runs was abandoned because newer settings arrived."""


def replicates_for(humans: int, asked: int) -> int:
    """Replicates a side runs: ``asked``, cut so people × replicates ≤ the budget, at least 1."""
    if humans <= 0:
        return max(1, asked)
    return max(1, min(int(asked), PEOPLE_RUNS_PER_SIDE // int(humans)))


def replicate_seeds(seed: int, replicates: int) -> tuple[int, ...]:
    """Seeds of the replicates: the scenario's own seed, then seeds spawned from it."""
    children = np.random.SeedSequence(int(seed)).spawn(max(replicates - 1, 0))
    spawned = [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
               for child in children]
    return (int(seed), *spawned)


def band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over replicates (axis 0) and the band mean ± 2 SE, ignoring missing values.

    Parameters
    ----------
    values : ndarray (R, ...)
        One row per replicate; NaN where a measure has nothing to measure.

    Returns
    -------
    mean, low, high : ndarray (...)
        NaN where no replicate has a value; ``low == high == mean`` where only one has.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    count = finite.sum(axis=0)
    total = np.where(finite, values, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        squares = np.where(finite, (values - mean) ** 2, 0.0).sum(axis=0)
        sd = np.sqrt(squares / np.maximum(count - 1, 1))
        se = np.where(count > 1, sd / np.sqrt(np.maximum(count, 1)), 0.0)
    return mean, mean - 2 * se, mean + 2 * se


@dataclass(frozen=True)
class Effect:
    """One measure's difference between the sides at a month, from the paired replicates.

    Attributes
    ----------
    column, label : str
        The timeseries column and its plain-language name.
    baseline, intervention : float
        Mean over replicates of each side.
    difference, low, high : float
        Mean paired difference (intervention − baseline) and its 95 % t-interval.
    pairs : int
        Replicates with a value on both sides.
    verdict : str
        ``"larger than chance"``, ``"within chance"``, or why it cannot be judged.
    """

    column: str
    label: str
    baseline: float
    intervention: float
    difference: float
    low: float
    high: float
    pairs: int
    verdict: str


LARGER = "larger than chance"
WITHIN = "within chance"


def paired_effect(column: str, label: str, baseline: np.ndarray,
                  intervention: np.ndarray) -> Effect:
    """The effect of one measure from the replicates' values of both sides (same order).

    A difference that is the same in every replicate (zero spread) is larger than chance when
    it is not zero and within chance when it is: identical runs give exactly zero.
    """
    baseline = np.asarray(baseline, dtype=np.float64)
    intervention = np.asarray(intervention, dtype=np.float64)
    both = np.isfinite(baseline) & np.isfinite(intervention)
    d = intervention[both] - baseline[both]
    n = int(d.size)
    mean_b = float(np.nanmean(baseline)) if np.isfinite(baseline).any() else np.nan
    mean_i = float(np.nanmean(intervention)) if np.isfinite(intervention).any() else np.nan
    if n == 0:
        return Effect(column, label, mean_b, mean_i, np.nan, np.nan, np.nan, 0,
                      "nothing to measure yet")
    diff = float(d.mean())
    if n < 2:
        return Effect(column, label, mean_b, mean_i, diff, np.nan, np.nan, n,
                      "needs 2 or more replicates")
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * d.std(ddof=1) / np.sqrt(n))
    low, high = diff - half, diff + half
    verdict = LARGER if (low > 0 or high < 0) else WITHIN
    return Effect(column, label, mean_b, mean_i, diff, low, high, n, verdict)


def _timeseries_columns() -> list[str]:
    from ecosystem.model import TIMESERIES_SCHEMA

    return list(TIMESERIES_SCHEMA)


@dataclass(frozen=True)
class NetworkView:
    """A drawn sample of people: where they sit and their current state.

    Attributes
    ----------
    positions : ndarray (n, 2)
    edges : ndarray of int (E, 2)
        Positions into the sample.
    gpt_rate, stance : ndarray (n,)
        Marker words per 1,000 words, and opinion (−1 … 1), now.
    ai_user : ndarray of bool (n,)
    """

    positions: np.ndarray
    edges: np.ndarray
    gpt_rate: np.ndarray
    stance: np.ndarray
    ai_user: np.ndarray


@dataclass(frozen=True)
class Snapshot:
    """What the page draws after a step of every replicate of both sides.

    Attributes
    ----------
    pair : int
        Identifies the set of runs (a new one after every reset or change of settings).
    step, total_steps : int
    replicates : int
        Replicates per side.
    columns : tuple of str
        The timeseries columns held in ``series``.
    series : dict of str to ndarray (R, step + 1, len(columns))
        Each side's values per replicate, month and column (NaN: nothing to measure).
    culture : ndarray (K,)
        The original human culture's weight of each style type (first replicate).
    type_probs : dict of str to ndarray
        Each side's current model probability per style type, mean over replicates.
    generation : dict of str to int
        Each side's AI generation (first replicate).
    network : dict of str to NetworkView or None
        The drawn people of the first replicate of each side.
    """

    pair: int
    step: int
    total_steps: int
    replicates: int
    columns: tuple[str, ...]
    series: dict[str, np.ndarray]
    culture: np.ndarray
    type_probs: dict[str, np.ndarray]
    generation: dict[str, int]
    network: dict[str, NetworkView | None]

    @property
    def finished(self) -> bool:
        """Whether the runs reached the last step."""
        return self.step >= self.total_steps

    def column(self, name: str) -> int:
        """Position of a timeseries column in ``series``."""
        return self.columns.index(name)

    def band(self, run: str, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, low and high (± 2 SE) of a column over the months so far."""
        return band(self.series[run][:, :, self.column(column)])

    def effects(self, step: int | None = None) -> list[Effect]:
        """The key measures' paired effects at ``step`` (default: the current month)."""
        at = self.step if step is None else int(step)
        out = []
        for column, label in MEASURES:
            j = self.column(column)
            out.append(paired_effect(column, label, self.series["baseline"][:, at, j],
                                     self.series["intervention"][:, at, j]))
        return out

    def effects_table(self, step: int | None = None) -> pl.DataFrame:
        """:meth:`effects` as a table (what the page's effects download holds)."""
        at = self.step if step is None else int(step)
        rows = [{"month": at, "measure": e.column, "label": e.label,
                 "as_picked_mean": e.baseline, "with_changes_mean": e.intervention,
                 "difference": e.difference, "interval_low": e.low, "interval_high": e.high,
                 "replicates": e.pairs, "verdict": e.verdict} for e in self.effects(at)]
        return pl.DataFrame(rows).with_columns(pl.col(pl.Float64).fill_nan(None))

    def bands_table(self) -> pl.DataFrame:
        """Every column's mean and band per side and month (long format)."""
        frames = []
        months = np.arange(self.step + 1)
        for run in RUNS:
            for column in self.columns:
                if column in ("step", "generation", "corpus_docs"):
                    continue
                mean, low, high = self.band(run, column)
                frames.append(pl.DataFrame({
                    "run": run, "month": months, "measure": column, "mean": mean,
                    "band_low": low, "band_high": high}))
        table = pl.concat(frames, how="vertical")
        return table.with_columns(pl.col(pl.Float64).fill_nan(None))


_PAIR_IDS = itertools.count(1)


class RunSet:
    """Every replicate of both sides, paired by seed, stepped together.

    Parameters
    ----------
    baseline, intervention : Scenario
    replicates : int
        Replicates per side (use :func:`replicates_for` to respect the size budget).
    seed : int, optional
        Root seed; None uses the baseline scenario's.
    network_people : int
        People drawn in the network plot.
    cancelled : callable, optional
        Asked between building models; when it returns True, building stops with
        :class:`Cancelled` (newer settings arrived).
    """

    def __init__(
        self, baseline: Scenario, intervention: Scenario, replicates: int = DEFAULT_REPLICATES,
        seed: int | None = None, network_people: int = NETWORK_PEOPLE,
        cancelled: Callable[[], bool] | None = None,
    ):
        self.scenarios = {"baseline": baseline, "intervention": intervention}
        self.seed = baseline.scenario.seed if seed is None else int(seed)
        self.replicates = max(1, int(replicates))
        self.seeds = replicate_seeds(self.seed, self.replicates)
        cancelled = cancelled or (lambda: False)
        self.models: dict[str, list[EcosystemModel]] = {run: [] for run in RUNS}
        for seed_i in self.seeds:
            for run in RUNS:
                if cancelled():
                    raise Cancelled
                self.models[run].append(EcosystemModel(self.scenarios[run], seed=seed_i))
        self.total_steps = baseline.scenario.steps
        self.id = next(_PAIR_IDS)
        self.columns = tuple(_timeseries_columns())
        width = len(self.columns)
        self._values = {run: np.full((self.replicates, self.total_steps + 1, width), np.nan)
                        for run in RUNS}
        for run in RUNS:
            for i, model in enumerate(self.models[run]):
                self._record(run, i, model.timeseries(), whole=True)
        self._lock = threading.Lock()
        self._samples: dict[str, tuple | None] = {}
        for run in RUNS:
            if cancelled():
                raise Cancelled
            self._samples[run] = self._sample(run, network_people)

    def _record(self, run: str, i: int, table: pl.DataFrame, whole: bool = False) -> None:
        rows = table if whole else table.tail(1)
        values = rows.select(pl.all().cast(pl.Float64)).to_numpy()
        steps = rows["step"].to_numpy()
        self._values[run][i, steps, :] = values

    def _sample(self, run: str, max_people: int):
        """Who is drawn and where: fixed for the set's life, so only colours change."""
        model = self.models[run][0]
        if model.people is None:
            return None
        graph = model.people.graph
        if run != "baseline" and self._samples.get("baseline") is not None:
            mine, theirs = graph, self.models["baseline"][0].people.graph
            if (mine.indptr.shape == theirs.indptr.shape
                    and np.array_equal(mine.indptr, theirs.indptr)
                    and np.array_equal(mine.indices, theirs.indices)):
                # Same world settings, same seed: the same graph, drawn the same way.
                return self._samples["baseline"]
        # The drawing has its own random stream, so it never changes the runs' numbers.
        rng = np.random.default_rng([self.seed, 7])
        ids, edges = graph.sample(max_people, rng)
        drawn = nx.Graph()
        drawn.add_nodes_from(range(ids.size))
        drawn.add_edges_from(edges.tolist())
        layout = nx.spring_layout(drawn, seed=int(rng.integers(2**31)), iterations=60)
        positions = np.array([layout[node] for node in range(ids.size)]).reshape(-1, 2)
        return ids, edges, positions

    @property
    def people(self) -> int:
        """People in each run."""
        return int(self.scenarios["baseline"].population.humans)

    @property
    def step(self) -> int:
        """Steps taken so far (0 before the first)."""
        return int(self.models["baseline"][0].steps)

    @property
    def finished(self) -> bool:
        """Whether the runs reached the scenario's number of steps."""
        return self.step >= self.total_steps

    def advance(self) -> Snapshot:
        """Step every replicate of both sides once (unless finished); the new snapshot."""
        with self._lock:
            if not self.finished:
                for run in RUNS:
                    for i, model in enumerate(self.models[run]):
                        model.step()
                        self._record(run, i, model.timeseries())
            return self._snapshot()

    def snapshot(self) -> Snapshot:
        """The page's data now."""
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> Snapshot:
        network = {}
        for run in RUNS:
            sample = self._samples[run]
            if sample is None:
                network[run] = None
                continue
            ids, edges, positions = sample
            people = self.models[run][0].people
            network[run] = NetworkView(
                positions=positions, edges=edges, gpt_rate=people.gpt_rate[ids].copy(),
                stance=people.stance[ids].copy(), ai_user=people.ai_user[ids].copy(),
            )
        type_probs = {}
        for run in RUNS:
            probs = [m.current.state.probs for m in self.models[run]]
            width = max(p.size for p in probs)
            stacked = np.zeros((len(probs), width))
            for i, p in enumerate(probs):
                stacked[i, : p.size] = p
            type_probs[run] = stacked.mean(axis=0)
        step = self.step
        return Snapshot(
            pair=self.id,
            step=step,
            total_steps=self.total_steps,
            replicates=self.replicates,
            columns=self.columns,
            series={run: self._values[run][:, : step + 1].copy() for run in RUNS},
            culture=self.models["baseline"][0].culture.weights.copy(),
            type_probs=type_probs,
            generation={run: int(self.models[run][0].current.generation) for run in RUNS},
            network=network,
        )

    def _stacked(self, table) -> pl.DataFrame:
        frames = []
        for run in RUNS:
            for i, model in enumerate(self.models[run]):
                frames.append(table(model).select(
                    pl.lit(run).alias("run"), pl.lit(i + 1, dtype=pl.Int64).alias("replicate"),
                    pl.lit(self.seeds[i], dtype=pl.Int64).alias("seed"), pl.all()))
        return pl.concat(frames, how="vertical")

    def tables(self) -> dict[str, pl.DataFrame]:
        """Every replicate's tables and the sides' ``bands`` and ``effects``.

        ``timeseries``, ``generations`` and ``humans`` have ``run``, ``replicate`` and
        ``seed`` columns first.
        """
        with self._lock:
            snapshot = self._snapshot()
            return {
                "timeseries": self._stacked(lambda m: m.timeseries()),
                "generations": self._stacked(lambda m: m.generations()),
                "humans": self._stacked(lambda m: m.humans()),
                "bands": snapshot.bands_table(),
                "effects": snapshot.effects_table(),
            }

    def export(self, fmt: str = "csv") -> bytes:
        """A zip of the tables (``csv`` or ``parquet``) and both sides' scenario files."""
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"format must be 'csv' or 'parquet', got {fmt!r}")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, frame in self.tables().items():
                data = io.BytesIO()
                if fmt == "csv":
                    frame.write_csv(data)
                else:
                    frame.write_parquet(data)
                archive.writestr(f"{name}.{fmt}", data.getvalue())
            for name, scenario in self.scenarios.items():
                archive.writestr(f"{name}.toml", scenario.to_toml())
        return buffer.getvalue()
