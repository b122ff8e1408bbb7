"""The social graph people live on, stored as CSR arrays for the vectorised kernels.

Graph kinds: Barabási–Albert (preferential attachment), Watts–Strogatz (small world),
Erdős–Rényi, stochastic block (communities) and an edge-list file. Every graph is undirected,
without self-loops or repeated edges, and seeded from the run's generator.

Barabási–Albert graphs are built with the linear-time algorithm of Batagelj & Brandes, vectorised
(networkx's generator is a Python loop that needs about a minute and gigabytes for a million
people); networkx's ``barabasi_albert_graph`` is its reference in the tests. The other kinds use
networkx's generators.

References
----------
Barabási & Albert, "Emergence of scaling in random networks", Science 1999.
Batagelj & Brandes, "Efficient generation of large random networks", Phys. Rev. E 2005.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
from scipy import sparse

from ecosystem.scenario import Network, ScenarioError


@dataclass(frozen=True)
class SocialGraph:
    """An undirected graph in CSR form.

    Attributes
    ----------
    indptr : ndarray of int64 (n + 1,)
    indices : ndarray of int32 (2E,)
        Neighbours of person i are ``indices[indptr[i]:indptr[i + 1]]``.
    rows : ndarray of int32 (2E,)
        The person each entry of ``indices`` belongs to (for per-edge kernels).
    """

    indptr: np.ndarray
    indices: np.ndarray
    rows: np.ndarray

    @property
    def size(self) -> int:
        """Number of people."""
        return int(self.indptr.shape[0] - 1)

    @property
    def degree(self) -> np.ndarray:
        """Number of neighbours of each person."""
        return np.diff(self.indptr).astype(np.int32)

    @property
    def edges(self) -> int:
        """Number of undirected edges."""
        return int(self.indices.shape[0] // 2)

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return self.indptr.nbytes + self.indices.nbytes + self.rows.nbytes

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each person's neighbours (values may be (n,) or (n, c))."""
        matrix = sparse.csr_array(
            (np.ones(self.indices.shape[0], dtype=np.float32), self.indices, self.indptr),
            shape=(self.size, self.size),
        )
        return matrix @ values

    def neighbours(self, person: int) -> np.ndarray:
        """The neighbours of one person."""
        return self.indices[self.indptr[person] : self.indptr[person + 1]]

    def sample(self, max_people: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """A random sample of people and the edges among them, for drawing.

        Returns
        -------
        ids : ndarray of int
            The sampled people, sorted.
        edges : ndarray of int (E, 2)
            Edges between sampled people, as positions into ``ids``.
        """
        n = self.size
        ids = np.sort(rng.choice(n, size=min(max_people, n), replace=False))
        position = np.full(n, -1, dtype=np.int64)
        position[ids] = np.arange(ids.size)
        starts, stops = self.indptr[ids], self.indptr[ids + 1]
        entries = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops, strict=True)]
                                 or [np.empty(0, dtype=np.int64)])
        source = position[self.rows[entries]]
        target = position[self.indices[entries]]
        keep = (target >= 0) & (source < target)
        return ids, np.column_stack([source[keep], target[keep]])


def from_edges(n: int, a: np.ndarray, b: np.ndarray) -> SocialGraph:
    """Build the CSR graph of ``n`` people from edge end points (self-loops and repeats dropped)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    keep = a != b
    a, b = a[keep], b[keep]
    matrix = sparse.coo_array(
        (np.ones(2 * a.size, dtype=np.int8), (np.concatenate([a, b]), np.concatenate([b, a]))),
        shape=(n, n),
    ).tocsr()
    matrix.sum_duplicates()
    indptr = matrix.indptr.astype(np.int64)
    indices = matrix.indices.astype(np.int32)
    rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(indptr))
    return SocialGraph(indptr=indptr, indices=indices, rows=rows)


def barabasi_albert(n: int, m: int, rng: np.random.Generator) -> SocialGraph:
    """Preferential attachment: each new person links to ``m`` earlier people ∝ their degree.

    Vectorised Batagelj–Brandes: edge slot k of the growing edge list picks a uniformly random
    earlier end point, so a person is picked in proportion to their degree. The pointer chains
    (an end point that is itself a pick) are resolved all at once by repeated lookup. The ``m``
    first people form a star seed; repeated picks of the same person are merged, so a few people
    get fewer than ``m`` new links.
    """
    if n <= m:
        a, b = np.triu_indices(n, k=1)
        return from_edges(n, a, b)
    # the seed: person m linked to 0 … m-1 (as networkx starts), then people m+1 … n-1
    new = np.repeat(np.arange(m + 1, n, dtype=np.int64), m)
    slots = new.size
    seed_edges = m
    # end-point list M: entry 2e is the source, 2e + 1 the target of edge e
    total_edges = seed_edges + slots
    source = np.empty(total_edges, dtype=np.int64)
    source[:seed_edges] = m
    source[seed_edges:] = new
    pick = np.empty(total_edges, dtype=np.int64)  # position in M each target copies
    pick[:seed_edges] = -1
    target = np.empty(total_edges, dtype=np.int64)
    target[:seed_edges] = np.arange(m)
    # edge e (≥ seed) of person v may copy any end point of the edges before v's first edge
    first_edge_of_person = seed_edges + (new - (m + 1)) * m
    pick[seed_edges:] = (rng.random(slots) * (2 * first_edge_of_person)).astype(np.int64)
    resolved = np.empty(total_edges, dtype=np.int64)
    resolved[:seed_edges] = target[:seed_edges]
    todo = np.arange(seed_edges, total_edges)
    position = pick[todo]
    while todo.size:
        is_source = position % 2 == 0
        edge = position // 2
        done_source = is_source
        resolved[todo[done_source]] = source[edge[done_source]]
        # a pick of a target copies that edge's own pick: follow the chain to earlier edges
        chained = ~is_source
        earlier = edge[chained]
        known = earlier < seed_edges
        rows = todo[chained]
        resolved[rows[known]] = target[earlier[known]]
        rows, earlier = rows[~known], earlier[~known]
        todo, position = rows, pick[earlier]
    return from_edges(n, source, resolved)


def read_edgelist(path: str | Path, n: int) -> SocialGraph:
    """Read an edge-list file of ``a b`` lines (people numbered 0 … n-1; ``#`` comments).

    Raises
    ------
    ScenarioError
        For a missing file, a malformed line or a person out of range, naming the line.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ScenarioError(f"network.path: no such edge-list file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"network.path: cannot read {path} ({exc})") from None
    a, b = [], []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.replace(",", " ").split()
        try:
            u, v = (int(p) for p in parts[:2])
            if len(parts) not in (2, 3):
                raise ValueError
        except ValueError:
            raise ScenarioError(
                f"network.path: {path}, line {number}: expected two person numbers 'a b', "
                f"got {line.strip()!r}"
            ) from None
        for person in (u, v):
            if not 0 <= person < n:
                raise ScenarioError(
                    f"network.path: {path}, line {number}: person {person} is out of range "
                    f"0 … {n - 1} (population.humans = {n})"
                )
        a.append(u)
        b.append(v)
    return from_edges(n, np.array(a, dtype=np.int64), np.array(b, dtype=np.int64))


def _from_networkx(graph: nx.Graph, n: int) -> SocialGraph:
    edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    return from_edges(n, edges[:, 0], edges[:, 1])


def build_graph(network: Network, n: int, rng: np.random.Generator) -> SocialGraph:
    """Build the social graph of ``n`` people as the scenario's ``[network]`` section says."""
    kind = network.kind
    if kind == "barabasi_albert":
        return barabasi_albert(n, network.m, rng)
    if kind == "edgelist":
        return read_edgelist(network.path, n)
    if kind == "watts_strogatz":
        k = min(network.k, max(n - 1, 0))
        graph = nx.watts_strogatz_graph(n, k, network.p, seed=rng)
    elif kind == "erdos_renyi":
        graph = nx.fast_gnp_random_graph(n, network.p, seed=rng)
    elif kind == "stochastic_block":
        blocks = min(network.blocks, max(n, 1))
        sizes = [n // blocks + (1 if i < n % blocks else 0) for i in range(blocks)]
        probs = np.full((blocks, blocks), network.p_out)
        np.fill_diagonal(probs, network.p_in)
        graph = nx.stochastic_block_model(sizes, probs.tolist(), seed=rng, sparse=True)
    else:  # the schema allows no other kind
        raise ScenarioError(f"network.kind: unknown kind {kind!r}")
    return _from_networkx(graph, n)
