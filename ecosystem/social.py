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
import numba
import numpy as np
from scipy import sparse

from ecosystem.core.threads import parallel_for
from ecosystem.scenario import Network, ScenarioError


@dataclass(frozen=True)
class SocialGraph:
    """An undirected graph in CSR form.

    Attributes
    ----------
    indptr : ndarray of int64 (n + 1,)
    indices : ndarray of int32 (2E,)
        Neighbours of person i are ``indices[indptr[i]:indptr[i + 1]]``.
    """

    indptr: np.ndarray
    indices: np.ndarray

    @property
    def rows(self) -> np.ndarray:
        """The person each entry of ``indices`` belongs to (derived; for whole-array kernels)."""
        return np.repeat(np.arange(self.size, dtype=np.int32), np.diff(self.indptr))

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
        return self.indptr.nbytes + self.indices.nbytes

    def neighbours(self, person: int) -> np.ndarray:
        """The neighbours of one person."""
        return self.indices[self.indptr[person] : self.indptr[person + 1]]

    def sample(self, max_people: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """A snowball sample of people and the edges among them, for drawing.

        See :func:`snowball_sample`.
        """
        return snowball_sample(self.indptr, self.indices, max_people, rng)


NETWORK_FANOUT = 4
"""Neighbours followed from each sampled person: enough to show clusters, few enough that one
hub does not fill the sample with its followers."""


def snowball_sample(
    indptr: np.ndarray, indices: np.ndarray, max_people: int, rng: np.random.Generator,
    fanout: int = NETWORK_FANOUT,
) -> tuple[np.ndarray, np.ndarray]:
    """A connected-looking sample of a social graph, for drawing.

    A uniform sample of a few hundred people out of thousands has almost no edges among them;
    following a few neighbours of each sampled person (a snowball sample) keeps the local
    structure along which words and opinions spread.

    Parameters
    ----------
    indptr, indices : ndarray
        The graph in CSR form (``indices[indptr[i]:indptr[i + 1]]`` are i's neighbours).
    max_people : int
    rng : numpy.random.Generator
    fanout : int
        Most neighbours followed from each person.

    Returns
    -------
    ids : ndarray of int
        The sampled people, sorted.
    edges : ndarray of int (E, 2)
        Edges among them, as positions into ``ids``, each once.
    """
    n = indptr.size - 1
    if n <= max_people:
        ids = np.arange(n)
    else:
        taken = np.zeros(n, dtype=bool)
        order = rng.permutation(n)
        next_root, count, queue = 0, 0, []
        while count < max_people:
            if not queue:
                while taken[order[next_root]]:
                    next_root += 1
                queue.append(order[next_root])
                taken[order[next_root]] = True
                count += 1
                continue
            person = queue.pop(0)
            neighbours = indices[indptr[person]:indptr[person + 1]]
            neighbours = neighbours[~taken[neighbours]]
            if neighbours.size > fanout:
                neighbours = rng.choice(neighbours, size=fanout, replace=False)
            neighbours = neighbours[: max_people - count]
            taken[neighbours] = True
            count += neighbours.size
            queue.extend(neighbours.tolist())
        ids = np.flatnonzero(taken)
    position = np.full(n, -1, dtype=np.int64)
    position[ids] = np.arange(ids.size)
    counts = indptr[ids + 1] - indptr[ids]
    source = np.repeat(np.arange(ids.size), counts)
    target = position[np.concatenate([indices[indptr[i]:indptr[i + 1]] for i in ids]
                                     or [np.empty(0, dtype=np.int64)])]
    keep = (target >= 0) & (source < target)
    return ids, np.column_stack([source[keep], target[keep]]).astype(np.int64)


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
    return SocialGraph(indptr=indptr, indices=matrix.indices.astype(np.int32))


BA_CHUNK = 1 << 20
"""Edge slots whose uniform draws are taken at once while building a Barabási–Albert graph
(the draws of a chunk are the same numbers as one draw of all slots: 8 MB at a time)."""

BA_BLOCK_SHIFT = 16
"""The CSR arrays of a Barabási–Albert graph are written a block of 2**BA_BLOCK_SHIFT people at
a time (65,536: their rows, a few MB, stay in the cache while the links into them are placed).
At most 16, so that a person's place in their block fits 16 bits."""


BA_PARTS: int | None = None
"""Parts the slots are sorted and gathered in (one a thread when None; one on a single core).
Any number gives the same arrays; the tests set it to check that."""


def barabasi_albert(n: int, m: int, rng: np.random.Generator) -> SocialGraph:
    """Preferential attachment: each new person links to ``m`` earlier people ∝ their degree.

    Batagelj–Brandes, compiled: edge slot k of the growing edge list picks a uniformly random
    end point of the edges before its person's first edge, so a person is picked in proportion
    to their degree; a pick of an earlier edge's target copies what that target resolved to
    (one pass in slot order resolves every chain). The ``m`` first people form a star seed;
    repeated picks of the same person are merged, so a few people get fewer than ``m`` new
    links.

    The CSR arrays (int32 neighbours, each list sorted) are written straight from the picks,
    with no edge-list or sparse-matrix temporaries: a person's row holds their own (earlier)
    targets, then the later people who picked them, in increasing order. The links into each
    block of ``2**BA_BLOCK_SHIFT`` people are first gathered in the order of the people who made
    them (one int32 and one uint16 per link, appended block by block), then each block's rows
    are written while they sit in the cache: no scattered writes over the whole graph, which
    at ten million people would each be a trip to memory.

    From :data:`ecosystem.core.threads.PARALLEL_MIN_PEOPLE` people on, the picks' chains
    (resolved in two passes: each slot's pick, then every slot following its links back), the
    sorting, the gathering (the slots in one part a thread, each part's links placed after the
    parts before it) and the writing of the blocks' rows are split between threads: the same
    arrays.

    :func:`barabasi_albert_reference` is the whole-array NumPy/SciPy version (the same draws,
    the same arrays).
    """
    if n <= m:
        a, b = np.triu_indices(n, k=1)
        return from_edges(n, a, b)
    if n >= 2**31:
        raise ValueError(f"barabasi_albert: {n} people do not fit int32 neighbour indices")
    shift = BA_BLOCK_SHIFT
    if not 0 <= shift <= 16:
        raise ValueError(f"BA_BLOCK_SHIFT must be 0 to 16, not {shift}")
    seed_edges = m
    total_edges = seed_edges + (n - m - 1) * m
    # resolved[k]: the target of edge k (its source is m for the seed, else m + 1 + (k - m) // m)
    resolved = np.empty(total_edges, dtype=np.int32)
    resolved[:seed_edges] = np.arange(m, dtype=np.int32)
    # on threads while a slot number and its link (-1 - slot) fit int32
    threaded = parallel_for(n) and total_edges < 2**31 - 1
    for lo in range(seed_edges, total_edges, BA_CHUNK):
        hi = min(lo + BA_CHUNK, total_edges)
        draws = rng.random(hi - lo)
        if threaded:
            _ba_resolve_parallel(resolved, draws, lo, m, np.empty(hi - lo, dtype=np.int32))
        else:
            _ba_resolve(resolved, draws, lo, m)
    blocks = ((n - 1) >> shift) + 1
    # the slots in parts (whole people), one a thread: part p's links into block b are
    # counts[p, b], and go after those of the parts before it, as one pass in slot order would
    parts = BA_PARTS or (numba.get_num_threads() if threaded else 1)
    bounds = np.linspace(0, resolved.shape[0] // m, parts + 1).astype(np.int64) * m
    counts = np.zeros((parts, blocks), dtype=np.int64)
    # each person's m targets sorted in place, repeats marked -1; links into each block counted
    (_ba_sort_parallel if threaded else _ba_sort)(resolved, m, shift, bounds, counts)
    start = np.zeros(blocks + 1, dtype=np.int64)
    np.cumsum(counts.sum(axis=0), out=start[1:])
    links = int(start[-1])  # distinct edges: every edge is one link into an earlier person
    fill = start[:-1] + np.cumsum(counts, axis=0) - counts  # where each part's links go
    picker = np.empty(links, dtype=np.int32)  # who made each link, grouped by block
    place = np.empty(links, dtype=np.uint16)  # the picked person's place in their block
    (_ba_gather_parallel if threaded else _ba_gather)(resolved, m, shift, bounds, fill, picker,
                                                      place)
    indptr = np.empty(n + 1, dtype=np.int64)
    indices = np.empty(2 * links, dtype=np.int32)
    (_ba_rows_parallel if threaded else _ba_rows)(resolved, m, n, shift, start, picker, place,
                                                  indptr, indices)
    return SocialGraph(indptr=indptr, indices=indices)


@numba.njit(cache=True, inline="always")
def _ba_pick(draw, first, m):  # pragma: no cover
    # the pick of a slot of the person whose first slot is ``first``: an end point of the edges
    # before it (end point 2e is edge e's source, 2e + 1 its target). Returns that edge's
    # source (a person), or -1 - e: the target of edge e, to be copied once resolved
    position = np.int64(draw * np.float64(2 * first))
    edge = position >> 1
    if position & 1 == 0:
        return m if edge < m else m + 1 + (edge - m) // m
    return -1 - edge


@numba.njit(cache=True)
def _ba_resolve(resolved, draws, lo, m):  # pragma: no cover
    # slot k belongs to person m + 1 + (k - m) // m, whose first slot is k - (k - m) % m; a
    # copied target is already resolved, the slots being taken in order
    slot = (lo - m) % m
    first = lo - slot
    for s in range(draws.shape[0]):
        t = _ba_pick(draws[s], first, m)
        resolved[lo + s] = t if t >= 0 else resolved[-1 - t]
        slot += 1
        if slot == m:
            slot = 0
            first += m


@numba.njit(cache=True, parallel=True)
def _ba_resolve_parallel(resolved, draws, lo, m, chased):  # pragma: no cover
    # _ba_resolve on threads, in two passes: each slot's pick (a person, or a link to the
    # earlier slot whose target it copies), then every slot follows its links back to a person
    # (the slots before lo are resolved already), into ``chased``: no thread writes what
    # another reads. The chain ends at the person the one-pass order gives.
    for s in numba.prange(draws.shape[0]):
        k = lo + s
        resolved[k] = _ba_pick(draws[s], k - (k - m) % m, m)
    for s in numba.prange(draws.shape[0]):
        t = resolved[lo + s]
        while t < 0:
            t = resolved[-1 - t]
        chased[s] = t
    for s in numba.prange(draws.shape[0]):
        resolved[lo + s] = chased[s]


@numba.njit(cache=True)
def _ba_sort_targets(resolved, m, shift, lo, hi, counts):  # pragma: no cover
    # the slots lo … hi (whole people; person m + first // m's slots start at first): each
    # person's distinct targets sorted first (insertion sort of m values), repeated picks merged
    # and the freed slots marked -1; counts[b] += the links into block b
    for first in range(lo, hi, m):
        count = 0
        for k in range(first, first + m):
            t = resolved[k]
            at = first + count
            while at > first and resolved[at - 1] > t:
                at -= 1
            if at > first and resolved[at - 1] == t:
                continue  # a repeated pick: merged
            for c in range(first + count, at, -1):
                resolved[c] = resolved[c - 1]
            resolved[at] = t
            count += 1
        for k in range(first, first + count):
            counts[resolved[k] >> shift] += 1
        for k in range(first + count, first + m):
            resolved[k] = -1


@numba.njit(cache=True)
def _ba_gather_links(resolved, m, shift, lo, hi, fill, picker, place):  # pragma: no cover
    # the links of slots lo … hi appended to their blocks in the order of the people who made
    # them (increasing), from fill[b] on
    low = (1 << shift) - 1
    for k in range(lo, hi):
        t = resolved[k]
        if t < 0:
            continue
        b = t >> shift
        picker[fill[b]] = m + k // m
        place[fill[b]] = t & low
        fill[b] += 1


@numba.njit(cache=True)
def _ba_block_degrees(resolved, m, n, shift, start, place, b, indptr):  # pragma: no cover
    # indptr[v + 1] = the degree of each person v of block b: their own (earlier) targets and
    # the later people who picked them
    lo = b << shift
    hi = min(n, lo + (1 << shift))
    for v in range(lo, hi):
        own = 0
        if v >= m:  # person v's slots: (v - m)·m onwards (the seed's are 0 … m-1)
            for k in range((v - m) * m, (v - m + 1) * m):
                own += resolved[k] >= 0
        indptr[v + 1] = own
    for e in range(start[b], start[b + 1]):
        indptr[lo + place[e] + 1] += 1


@numba.njit(cache=True)
def _ba_block_rows(resolved, m, n, shift, start, picker, place, b, indptr,
                   indices):  # pragma: no cover
    # block b's rows: each gets its own (sorted, earlier) targets, then the later people who
    # picked it, in increasing order: every neighbour list comes out sorted
    lo = b << shift
    hi = min(n, lo + (1 << shift))
    cursor = np.empty(hi - lo, dtype=np.int64)
    for v in range(lo, hi):
        at = indptr[v]
        if v >= m:
            for k in range((v - m) * m, (v - m + 1) * m):
                t = resolved[k]
                if t >= 0:
                    indices[at] = t
                    at += 1
        cursor[v - lo] = at
    for e in range(start[b], start[b + 1]):
        row = place[e]
        indices[cursor[row]] = picker[e]
        cursor[row] += 1


# The drivers: one core (range) or every thread (numba.prange); a part or a block is the same
# work in both, so the arrays are the same bit for bit.
@numba.njit(cache=True)
def _ba_sort(resolved, m, shift, bounds, counts):  # pragma: no cover
    for p in range(counts.shape[0]):
        _ba_sort_targets(resolved, m, shift, bounds[p], bounds[p + 1], counts[p])


@numba.njit(cache=True, parallel=True)
def _ba_sort_parallel(resolved, m, shift, bounds, counts):  # pragma: no cover
    for p in numba.prange(counts.shape[0]):
        _ba_sort_targets(resolved, m, shift, bounds[p], bounds[p + 1], counts[p])


@numba.njit(cache=True)
def _ba_gather(resolved, m, shift, bounds, fill, picker, place):  # pragma: no cover
    for p in range(fill.shape[0]):
        _ba_gather_links(resolved, m, shift, bounds[p], bounds[p + 1], fill[p], picker, place)


@numba.njit(cache=True, parallel=True)
def _ba_gather_parallel(resolved, m, shift, bounds, fill, picker, place):  # pragma: no cover
    for p in numba.prange(fill.shape[0]):
        _ba_gather_links(resolved, m, shift, bounds[p], bounds[p + 1], fill[p], picker, place)


@numba.njit(cache=True)
def _ba_rows(resolved, m, n, shift, start, picker, place, indptr, indices):  # pragma: no cover
    indptr[0] = 0
    for b in range(start.shape[0] - 1):
        _ba_block_degrees(resolved, m, n, shift, start, place, b, indptr)
    for v in range(n):
        indptr[v + 1] += indptr[v]
    for b in range(start.shape[0] - 1):
        _ba_block_rows(resolved, m, n, shift, start, picker, place, b, indptr, indices)


@numba.njit(cache=True, parallel=True)
def _ba_rows_parallel(resolved, m, n, shift, start, picker, place, indptr,
                      indices):  # pragma: no cover
    indptr[0] = 0
    for b in numba.prange(start.shape[0] - 1):
        _ba_block_degrees(resolved, m, n, shift, start, place, b, indptr)
    for v in range(n):
        indptr[v + 1] += indptr[v]
    for b in numba.prange(start.shape[0] - 1):
        _ba_block_rows(resolved, m, n, shift, start, picker, place, b, indptr, indices)


def barabasi_albert_reference(n: int, m: int, rng: np.random.Generator) -> SocialGraph:
    """Whole-array NumPy/SciPy version of :func:`barabasi_albert` (the tests compare both).

    The pointer chains are resolved all at once by repeated lookup over int64 edge lists, and
    the CSR arrays are built through a SciPy COO matrix.
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


LOCALITY_MIN_PEOPLE: int | None = None
"""Populations from this size on are laid out in a locality order (:func:`locality_order`) at
set-up, so that neighbours stored close together share cache lines; None (the default) keeps
the generator's order for every size. Off by default because on the Barabási–Albert graph the
breadth-first order does not bring neighbours closer (on 20,000 people the share of neighbour
pairs within 1,024 places falls from 14 % to 10 %; hubs link everyone) and its set-up costs
about as much as it saves (benchmarks/README.md). Outputs never depend on it in distribution."""


def locality_order(graph: SocialGraph) -> np.ndarray:
    """A breadth-first order of the people, so that neighbours sit close in memory.

    The search starts at the person with most neighbours, visits each person's neighbours in
    list order, and starts again at the first unvisited person for every further component.
    Person ``order[i]`` of the graph becomes person ``i`` of :func:`relabel` (a compiled pass
    over the graph's entries; breadth-first ordering is the first half of reverse
    Cuthill–McKee, whose degree sort and reversal gain nothing measurable on these graphs).

    Returns
    -------
    order : ndarray of int32 (n,)
        A permutation of ``0 … n-1``: the old number of each new person.
    """
    n = graph.size
    order = np.empty(n, dtype=np.int32)
    if n:
        start = int(np.argmax(np.diff(graph.indptr)))
        _bfs_order(graph.indptr, graph.indices, start, order)
    return order


@numba.njit(cache=True)
def _bfs_order(indptr, indices, start, order):  # pragma: no cover
    n = order.shape[0]
    seen = np.zeros(n, dtype=np.bool_)
    head = 0
    tail = 0
    root = 0
    while tail < n:
        if head == tail:  # a new component: its first unvisited person (the hub first)
            if not seen[start]:
                root = start
            else:
                while seen[root]:
                    root += 1
            seen[root] = True
            order[tail] = root
            tail += 1
        person = order[head]
        head += 1
        for e in range(indptr[person], indptr[person + 1]):
            j = indices[e]
            if not seen[j]:
                seen[j] = True
                order[tail] = j
                tail += 1


def relabel(graph: SocialGraph, order: np.ndarray) -> SocialGraph:
    """The same graph with person ``order[i]`` numbered ``i`` (neighbour lists sorted).

    Person ``a`` and ``b`` are linked in the result exactly when ``order[a]`` and ``order[b]``
    are linked in ``graph`` (a compiled pass writes each new list and sorts it).
    """
    n = graph.size
    order = np.asarray(order, dtype=np.int64)
    new_number = np.empty(n, dtype=np.int32)
    new_number[order] = np.arange(n, dtype=np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.diff(graph.indptr)[order], out=indptr[1:])
    indices = np.empty_like(graph.indices)
    _relabel(graph.indptr, graph.indices, order, new_number, indptr, indices)
    return SocialGraph(indptr=indptr, indices=indices)


@numba.njit(cache=True)
def _relabel(old_indptr, old_indices, order, new_number, indptr, indices):  # pragma: no cover
    for i in range(order.shape[0]):
        old = order[i]
        at = indptr[i]
        for e in range(old_indptr[old], old_indptr[old + 1]):
            indices[at] = new_number[old_indices[e]]
            at += 1
        indices[indptr[i]:at].sort()


def read_edgelist(path: str | Path, n: int) -> SocialGraph:
    """Read an edge-list file of ``a b`` lines (people numbered 0 … n-1; ``#`` comments).

    Raises
    ------
    ScenarioError
        For a missing file, a malformed line or a person out of range, naming the line.
    """
    from ecosystem.inputs import EDGELIST_LIMIT, InputFileError, read_bounded, short_token

    path = Path(path)
    try:
        data = read_bounded(path, EDGELIST_LIMIT)
    except FileNotFoundError:
        raise ScenarioError(f"network.path: no such edge-list file: {path}") from None
    except InputFileError as exc:
        raise ScenarioError(f"network.path: {exc}") from None
    try:
        lines = data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"network.path: {path}: not UTF-8 text (byte {exc.start + 1} is "
                            "not valid UTF-8)") from None
    del data
    a, b = [], []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.replace(",", " ").split()
        if len(parts) not in (2, 3):
            raise ScenarioError(
                f"network.path: {path}, line {number}: expected two person numbers 'a b', "
                f"got {len(parts)} fields"
            )
        for part in parts[:2]:
            try:
                int(part)
            except ValueError:
                raise ScenarioError(
                    f"network.path: {path}, line {number}: expected two person numbers "
                    f"'a b', got {short_token(part)}"
                ) from None
        u, v = (int(p) for p in parts[:2])
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
