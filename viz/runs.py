"""Two runs stepped together, snapshots of what the plots draw, and export of their tables.

The baseline and the intervention are two :class:`~ecosystem.model.EcosystemModel` instances with
the same seed. A :class:`Snapshot` is an immutable copy of everything the plots need after a
step, taken under the pair's lock, so the page can draw it while the next step runs.
"""

from __future__ import annotations

import io
import itertools
import threading
import zipfile
from dataclasses import dataclass

import networkx as nx
import numpy as np
import polars as pl

from ecosystem import Scenario
from ecosystem.model import EcosystemModel

RUNS = ("baseline", "intervention")
"""Names of the two runs, in drawing order."""

NETWORK_PEOPLE = 300
"""People drawn in the network plot."""

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
    """What the plots draw after a step of both runs.

    Attributes
    ----------
    pair : int
        Identifies the pair of runs (a new pair after every reset or change of settings).
    step, total_steps : int
    timeseries : polars.DataFrame
        Both runs' time series, a ``run`` column first.
    culture : ndarray (K,)
        The original human culture's weight of each style type.
    type_probs : dict of str to ndarray
        Each run's current model probability per style type.
    generation : dict of str to int
    network : dict of str to NetworkView or None
    """

    pair: int
    step: int
    total_steps: int
    timeseries: pl.DataFrame
    culture: np.ndarray
    type_probs: dict[str, np.ndarray]
    generation: dict[str, int]
    network: dict[str, NetworkView | None]

    @property
    def finished(self) -> bool:
        """Whether the runs reached the last step."""
        return self.step >= self.total_steps


_PAIR_IDS = itertools.count(1)


class RunPair:
    """The baseline and intervention runs, same seed, stepped together.

    Parameters
    ----------
    baseline, intervention : Scenario
    seed : int, optional
        Root seed of both runs; None uses the baseline scenario's.
    network_people : int
        People drawn in the network plot.
    """

    def __init__(
        self, baseline: Scenario, intervention: Scenario, seed: int | None = None,
        network_people: int = NETWORK_PEOPLE,
    ):
        self.scenarios = {"baseline": baseline, "intervention": intervention}
        self.seed = baseline.scenario.seed if seed is None else int(seed)
        self.models = {name: EcosystemModel(sc, seed=self.seed)
                       for name, sc in self.scenarios.items()}
        self.total_steps = baseline.scenario.steps
        self.id = next(_PAIR_IDS)
        self._lock = threading.Lock()
        self._samples: dict[str, tuple | None] = {}
        for name, model in self.models.items():
            self._samples[name] = self._sample(model, network_people)

    def _sample(self, model: EcosystemModel, max_people: int):
        """Who is drawn and where: fixed for the pair's life, so only colours change."""
        if model.people is None:
            return None
        graph = model.people.graph
        other = self.models["baseline"]
        if other is not model and other.people is not None:
            mine, theirs = graph, other.people.graph
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
    def step(self) -> int:
        """Steps taken so far (0 before the first)."""
        return int(self.models["baseline"].steps)

    @property
    def finished(self) -> bool:
        """Whether the runs reached the scenario's number of steps."""
        return self.step >= self.total_steps

    def advance(self) -> Snapshot:
        """Step both runs once (unless finished) and return the new snapshot."""
        with self._lock:
            if not self.finished:
                for model in self.models.values():
                    model.step()
            return self._snapshot()

    def snapshot(self) -> Snapshot:
        """The plots' data now."""
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> Snapshot:
        models = self.models
        network = {}
        for name, model in models.items():
            sample = self._samples[name]
            if sample is None:
                network[name] = None
                continue
            ids, edges, positions = sample
            people = model.people
            network[name] = NetworkView(
                positions=positions, edges=edges, gpt_rate=people.gpt_rate[ids].copy(),
                stance=people.stance[ids].copy(), ai_user=people.ai_user[ids].copy(),
            )
        return Snapshot(
            pair=self.id,
            step=self.step,
            total_steps=self.total_steps,
            timeseries=self._stacked(lambda m: m.timeseries()),
            culture=models["baseline"].culture.weights.copy(),
            type_probs={name: m.current.state.probs.copy() for name, m in models.items()},
            generation={name: int(m.current.generation) for name, m in models.items()},
            network=network,
        )

    def _stacked(self, table) -> pl.DataFrame:
        frames = [table(model).select(pl.lit(name).alias("run"), pl.all())
                  for name, model in self.models.items()]
        return pl.concat(frames, how="vertical")

    def tables(self) -> dict[str, pl.DataFrame]:
        """Both runs' ``timeseries``, ``generations`` and ``humans``, a ``run`` column first."""
        with self._lock:
            return {
                "timeseries": self._stacked(lambda m: m.timeseries()),
                "generations": self._stacked(lambda m: m.generations()),
                "humans": self._stacked(lambda m: m.humans()),
            }

    def export(self, fmt: str = "csv") -> bytes:
        """A zip of both runs' tables (``csv`` or ``parquet``) and their scenario files."""
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
