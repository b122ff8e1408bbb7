"""Sums over each person's neighbours, in cache-sized blocks of the social graph.

The people step's kernels (marker-word contagion, bounded-confidence opinions) sum something over
every person's neighbours: a value each neighbour holds (a sparse matrix–vector product over the
graph) or a quantity of each edge (a difference of stances, kept if it is small). With a million
people these sums are the hot path of a step. :class:`Neighbourhood` cuts the graph's CSR arrays
once into blocks of whole rows, about ``BLOCK_ENTRIES`` entries each, with a ready
``scipy.sparse`` operator per block; per-edge temporaries then stay in the processor's cache and
are reused step after step, and no per-step array is as long as the edge list.

Every sum is taken over a person's neighbours in CSR order, one after another, in float64 — as
``scipy.sparse`` products and ``numpy.bincount`` take them — so a blocked kernel's results are
bit-for-bit those of the whole-array version.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import sparse

BLOCK_ENTRIES = 1 << 17
"""Graph entries per block: per-edge temporaries of a block fit in the cache (about 2 MB)."""


@dataclass(frozen=True)
class Block:
    """Whole rows ``rows`` of the graph, holding the CSR entries ``entries``.

    Attributes
    ----------
    rows, entries : slice
    degree : ndarray of int64
        Neighbours of each person of the block.
    adjacency : scipy.sparse.csr_array (rows, n)
        The block's rows of the 0/1 adjacency matrix (float64).
    summer : scipy.sparse.csr_array (rows, entries)
        Sums per-entry values row by row: ``summer @ v`` is each person's sum of ``v`` over
        their entries, in CSR order.
    """

    rows: slice
    entries: slice
    degree: np.ndarray
    adjacency: sparse.csr_array
    summer: sparse.csr_array

    @property
    def size(self) -> int:
        """Number of entries."""
        return self.entries.stop - self.entries.start

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Each person's number of True entries in ``mask`` (bool, one per entry of the block)."""
        running = np.zeros(mask.shape[0] + 1, dtype=np.int32)
        np.cumsum(mask.view(np.uint8), dtype=np.int32, out=running[1:])
        return np.diff(running[self.summer.indptr])


class Neighbourhood:
    """The adjacency operator of a CSR graph, in blocks of rows, with reusable scratch buffers.

    ``neighbourhood @ values`` is the adjacency matrix times ``values`` ((n,) or (n, c)): each
    person's sum over their neighbours. :meth:`blocks` hands the blocks to per-edge kernels
    (:func:`ecosystem.core.opinion.bounded_confidence`).

    Parameters
    ----------
    indptr : ndarray of int (n + 1,)
    indices : ndarray of int32 (2E,)
        Neighbours of person i are ``indices[indptr[i]:indptr[i + 1]]``.
    block_entries : int
        Target number of entries per block (a row with more entries gets a block of its own).
    """

    def __init__(self, indptr: np.ndarray, indices: np.ndarray,
                 block_entries: int = BLOCK_ENTRIES):
        indptr = np.asarray(indptr, dtype=np.int64)
        self.size = int(indptr.shape[0] - 1)
        self.entries = int(indptr[-1])
        self.indptr = indptr
        self.indices = np.asarray(indices, dtype=np.int32)
        # NumPy gathers with an index array of its own integer type twice as fast
        self.neighbour = self.indices.astype(np.intp)
        self.degree = np.diff(indptr)
        n = self.size
        starts = np.searchsorted(indptr, np.arange(0, self.entries, block_entries), side="right")
        bounds = np.unique(np.concatenate([[0], starts - 1, [n]])).tolist()
        widest = int(max((indptr[b] - indptr[a] for a, b in pairwise(bounds)), default=0))
        # one array of ones and one of positions serve as every block's data and columns
        self._ones = np.ones(max(widest, 1))
        self._positions = np.arange(max(widest, 1), dtype=np.int32)
        self._scratch: dict[tuple[str, np.dtype], np.ndarray] = {}
        self._blocks: list[Block] = []
        degree = self.degree
        for a, b in pairwise(bounds):
            e0, e1 = int(indptr[a]), int(indptr[b])
            local = (indptr[a : b + 1] - e0).astype(np.int32)
            width = e1 - e0
            self._blocks.append(Block(
                rows=slice(a, b),
                entries=slice(e0, e1),
                degree=degree[a:b],
                adjacency=sparse.csr_array(
                    (self._ones[:width], self.indices[e0:e1], local), shape=(b - a, n)
                ),
                summer=sparse.csr_array(
                    (self._ones[:width], self._positions[:width], local), shape=(b - a, width)
                ),
            ))

    @classmethod
    def from_rows(cls, n: int, indices: np.ndarray, rows: np.ndarray) -> Neighbourhood:
        """Build from per-entry row numbers (non-decreasing, as in CSR order)."""
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return cls(indptr, indices)

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of the adjacency matrix."""
        return (self.size, self.size)

    @property
    def nbytes(self) -> int:
        """Bytes of the blocks' own arrays and the scratch buffers (the graph's are shared)."""
        own = self.indptr.nbytes + self.degree.nbytes + self._ones.nbytes + self.neighbour.nbytes
        own += self._positions.nbytes + sum(b.nbytes for b in self._scratch.values())
        return own + sum(block.adjacency.indptr.nbytes for block in self._blocks)

    def blocks(self) -> Iterator[Block]:
        """The blocks, in row order."""
        return iter(self._blocks)

    def scratch(self, name: str, dtype: np.dtype | type, width: int) -> np.ndarray:
        """A reusable buffer of ``width`` entries (at most a block's), kept between calls."""
        key = (name, np.dtype(dtype))
        buffer = self._scratch.get(key)
        if buffer is None:
            buffer = self._scratch[key] = np.empty(self._ones.shape[0], dtype=dtype)
        return buffer[:width]

    def gather(self, values: np.ndarray) -> np.ndarray:
        """Every entry's neighbour's value, ``values[indices]``, in a buffer kept between calls.

        One pass over the whole edge list: a long gather runs much faster than block by block
        between other work, which evicts ``values`` from the cache.
        """
        key = ("gathered", values.dtype)
        buffer = self._scratch.get(key)
        if buffer is None:
            buffer = self._scratch[key] = np.empty(self.entries, dtype=values.dtype)
        return np.take(values, self.neighbour, out=buffer, mode="clip")

    def __matmul__(self, values: np.ndarray) -> np.ndarray:
        """Each person's sum of ``values`` over their neighbours, in float64.

        Sums are taken in CSR order, one neighbour after another (as ``scipy.sparse`` does).
        ``values`` of shape (n, c) are summed one column at a time: scipy's single-vector
        product is much faster than its multi-vector one.
        """
        values = np.asarray(values, dtype=np.float64)
        if values.ndim == 2:
            return np.column_stack([self @ values[:, k] for k in range(values.shape[1])])
        values = np.ascontiguousarray(values)
        out = np.empty(self.size, dtype=np.float64)
        for block in self._blocks:
            out[block.rows] = block.adjacency @ values
        return out

    def spread(self, counts: np.ndarray) -> np.ndarray:
        """Each person's sum of integer ``counts`` over their neighbours, in float64.

        The same as ``self @ counts`` for integers (whose sums are exact in any order), but
        computed from the few people whose count is not 0: each passes theirs to all their
        neighbours (the graph is undirected). Falls back to the product when many do.
        """
        givers = np.flatnonzero(counts)
        lengths = self.degree[givers]
        total = int(lengths.sum())
        if 3 * total > self.entries:
            return self @ counts
        ends = np.cumsum(lengths)
        # the CSR positions of every entry of the givers' rows, row after row
        positions = np.repeat(self.indptr[givers] - (ends - lengths), lengths)
        positions += np.arange(total)
        weights = np.repeat(np.asarray(counts[givers], dtype=np.float64), lengths)
        return np.bincount(self.indices[positions], weights=weights, minlength=self.size)

    def among(self, members: np.ndarray) -> NeighboursAmong:
        """The operator summing, for everyone, integers held by their neighbours in a group."""
        return NeighboursAmong(self, members)


class NeighboursAmong:
    """Each person's neighbours within a fixed group (the creators, who post), as one operator.

    ``operator.sums(values)`` takes one integer per member and returns everyone's sum over their
    neighbours who are members: the adjacency matrix restricted to the group's columns, built
    once. Integer sums are exact in any order, so this equals ``neighbourhood @ values`` spread
    over the group; it reads only the entries that point at members.

    Parameters
    ----------
    neighbourhood : Neighbourhood
    members : ndarray of int
        The group, sorted ids.
    """

    def __init__(self, neighbourhood: Neighbourhood, members: np.ndarray):
        n = neighbourhood.size
        self.members = np.asarray(members, dtype=np.intp)
        rank = np.full(n, -1, dtype=np.int32)
        rank[self.members] = np.arange(self.members.size, dtype=np.int32)
        columns = np.take(rank, neighbourhood.neighbour)
        inside = columns >= 0
        running = np.zeros(inside.size + 1, dtype=np.int64)
        np.cumsum(inside, out=running[1:])
        per_row = running[neighbourhood.indptr]  # entries pointing at members, up to each row
        columns = columns[inside]
        self.matrix = sparse.csr_array(
            (np.ones(columns.size, dtype=np.int32), columns, per_row),
            shape=(n, self.members.size),
        )

    @property
    def nbytes(self) -> int:
        """Bytes of the operator's arrays."""
        m = self.matrix
        return m.data.nbytes + m.indices.nbytes + m.indptr.nbytes + self.members.nbytes

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Everyone's sum of the members' integer ``values`` over their neighbours (float64)."""
        return (self.matrix @ np.asarray(values, dtype=np.int32)).astype(np.float64)
