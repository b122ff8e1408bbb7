"""Documents as a struct of arrays, the initial human culture, and the growing corpus.

A document has a discrete style ``type`` (the article's "grid cell", or a dialect), a point ``x``
in a small continuous style space, ``quality`` (0–100), ``artifact`` (accumulated training error),
``gpt_rate`` (marker words such as "delve" per 1,000 words), ``stance`` (−1 … 1), ``origin``
(``HUMAN`` or the AI generation that wrote it), ``author`` (a person, or ``NO_AUTHOR``), the
``step`` it was uploaded at, and ``gpt_ai`` (the part of ``gpt_rate`` in the AI's word profile,
which with ``gpt_rate`` gives the rate of every marker word: :mod:`ecosystem.core.words`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

HUMAN = -1
"""``origin`` of a document written by a person."""
NO_AUTHOR = -1
"""``author`` of a document with no person behind it (the historical web, content farms)."""

_DTYPES = {
    "type": np.int32,
    "x": np.float32,
    "quality": np.float32,
    "artifact": np.float32,
    "gpt_rate": np.float32,
    "stance": np.float32,
    "origin": np.int16,
    "author": np.int32,
    "step": np.int32,
    "gpt_ai": np.float32,
}


@dataclass(frozen=True)
class Docs:
    """A batch of documents, one array per attribute (``x`` has shape ``(n, dims)``)."""

    type: np.ndarray
    x: np.ndarray
    quality: np.ndarray
    artifact: np.ndarray
    gpt_rate: np.ndarray
    stance: np.ndarray
    origin: np.ndarray
    author: np.ndarray
    step: np.ndarray
    gpt_ai: np.ndarray

    def __len__(self) -> int:
        return int(self.type.shape[0])

    @property
    def dims(self) -> int:
        """Dimensions of the continuous style space."""
        return int(self.x.shape[1])

    @classmethod
    def build(cls, **arrays: np.ndarray | float) -> Docs:
        """Create a batch, casting every array to its compact storage type.

        A scalar (for every field but ``type`` and ``x``) gives every document that value.
        ``gpt_ai`` may be left out: 0, all marker words in the human profile.
        """
        n = np.shape(arrays["type"])[0]
        arrays.setdefault("gpt_ai", 0.0)
        return cls(**{
            name: np.full(n, arrays[name], dtype=dtype) if np.ndim(arrays[name]) == 0
            else np.asarray(arrays[name], dtype=dtype)
            for name, dtype in _DTYPES.items()
        })

    @classmethod
    def empty(cls, dims: int) -> Docs:
        """Return a batch of no documents."""
        arrays = {name: np.empty(0, dtype=dtype) for name, dtype in _DTYPES.items()}
        arrays["x"] = np.empty((0, dims), dtype=np.float32)
        return cls(**arrays)

    def take(self, index: np.ndarray | slice) -> Docs:
        """Return the documents at ``index`` (a view for a slice, a copy for an index array)."""
        if isinstance(index, slice):
            return Docs(**{f.name: getattr(self, f.name)[index] for f in fields(self)})
        return Docs(**{f.name: take_rows(getattr(self, f.name), index) for f in fields(self)})

    @staticmethod
    def concat(batches: list[Docs]) -> Docs:
        """Join batches in order."""
        return Docs(
            **{f.name: np.concatenate([getattr(b, f.name) for b in batches]) for f in fields(Docs)}
        )

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return sum(getattr(self, f.name).nbytes for f in fields(self))

    @staticmethod
    def bytes_per_doc(dims: int) -> int:
        """Storage bytes of one document in ``dims`` style dimensions."""
        return sum(np.dtype(t).itemsize for n, t in _DTYPES.items() if n != "x") + 4 * dims


def take_rows(array: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Return ``array[index]`` along the first axis.

    Through ``np.take``: for the rows of a 2-D array many times faster than fancy indexing.
    """
    index = np.asarray(index)
    if index.dtype == bool:
        index = np.flatnonzero(index)
    return np.take(array, index, axis=0)


def put_rows(array: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
    """``array[index] = values`` along the first axis, a row at a time as one opaque record.

    For a 2-D array fancy assignment walks every element of every row; viewing each row as one
    record of its bytes makes it a plain 1-D assignment (later writes win, as with ``[]``).
    """
    values = np.asarray(values, dtype=array.dtype)
    if array.ndim == 2 and array.flags.c_contiguous and array.shape[1] > 0:
        record = np.dtype((np.void, array.dtype.itemsize * array.shape[1]))
        rows = np.ascontiguousarray(np.broadcast_to(values, (len(index), array.shape[1])))
        array.view(record).reshape(-1)[index] = rows.view(record).reshape(-1)
    else:
        array[index] = values


NARROW = {"type": np.int16, "origin": np.int8, "step": np.int16}
"""The storage types a corpus starts its integer fields in: 2 bytes for a style type and an
upload step, 1 for an origin (the human mark or a generation). A field is widened to its
:class:`Docs` type the first time a batch holds a value out of this range."""


class Corpus:
    """The web: every uploaded document, in upload order, growing in place.

    Storage grows geometrically (capacity doubles), so appending a step's uploads copies the
    corpus only O(log n) times over a run. What a run holds for the rest of its life is kept as
    narrow as it can be without changing any value read back:

    - ``type``, ``origin`` and ``step`` start in the narrow types of :data:`NARROW` and are
      widened, once, when a batch needs it;
    - ``artifact`` (the training error a document carries) is not stored while it is a function
      of ``origin``, as the model writes it: 0 for hand-written documents, the generation's
      artifact for every document that generation wrote. The corpus keeps one value per origin
      and checks every appended batch against it; the first batch that breaks the rule makes
      it store the field per document from then on.

    Documents are read back in their :class:`Docs` types (the same values, bit for bit):
    :meth:`take`, :attr:`docs` and :meth:`since` give views of the fields stored in those types
    and copies of the others; :meth:`column` gives a field as stored, without a copy.
    """

    def __init__(self, dims: int, capacity: int = 1024):
        self._dims = dims
        self._size = 0
        self._types = {name: NARROW.get(name, dtype) for name, dtype in _DTYPES.items()}
        # artifact by origin (index origin + 1; HUMAN is -1), and which origins have a value;
        # None once the artifact is stored per document
        self._by_origin: np.ndarray | None = np.zeros(0, dtype=np.float32)
        self._known = np.zeros(0, dtype=bool)
        self._store = self._allocate(max(capacity, 1))

    def _allocate(self, capacity: int) -> dict[str, np.ndarray]:
        store = {name: np.empty(capacity, dtype=dtype) for name, dtype in self._types.items()
                 if name != "artifact" or self._by_origin is None}
        store["x"] = np.empty((capacity, self._dims), dtype=np.float32)
        return store

    def __len__(self) -> int:
        return self._size

    @property
    def capacity(self) -> int:
        """Documents the current storage can hold before it grows."""
        return int(self._store["type"].shape[0])

    @property
    def bytes_per_doc(self) -> int:
        """Storage bytes a document takes in this corpus now (at most Docs.bytes_per_doc)."""
        return sum(array.itemsize * (array.shape[1] if array.ndim == 2 else 1)
                   for array in self._store.values())

    def append(self, batch: Docs) -> None:
        """Add a batch of uploaded documents at the end."""
        n = len(batch)
        if n == 0:
            return
        for name in NARROW:
            self._widen_for(name, getattr(batch, name))
        if self._by_origin is not None and not self._artifact_follows_origin(batch):
            self._store_artifact()
        need = self._size + n
        if need > self.capacity:
            new = self._allocate(max(need, 2 * self.capacity))
            for name, array in self._store.items():
                new[name][: self._size] = array[: self._size]
            self._store = new
        for name, array in self._store.items():
            array[self._size : need] = getattr(batch, name)
        self._size = need

    def _widen_for(self, name: str, values: np.ndarray) -> None:
        """Store field ``name`` in its :class:`Docs` type if ``values`` do not fit as it is."""
        stored = self._store[name]
        if stored.dtype == _DTYPES[name]:
            return
        info = np.iinfo(stored.dtype)
        if values.min() >= info.min and values.max() <= info.max:
            return
        wide = np.empty(stored.shape[0], dtype=_DTYPES[name])
        wide[: self._size] = stored[: self._size]
        self._store[name] = wide
        self._types[name] = _DTYPES[name]

    def _artifact_follows_origin(self, batch: Docs) -> bool:
        """Whether every document of ``batch`` has its origin's artifact (learning new ones)."""
        origin, artifact = batch.origin, batch.artifact
        if origin.min() < HUMAN:
            return False
        key = origin.astype(np.intp) + 1
        present = np.flatnonzero(np.bincount(key))
        if present[-1] >= self._known.size:
            grow = present[-1] + 1 - self._known.size
            self._by_origin = np.concatenate([self._by_origin, np.zeros(grow, np.float32)])
            self._known = np.concatenate([self._known, np.zeros(grow, dtype=bool)])
        for value in present[~self._known[present]]:  # an origin first seen: its first value
            self._by_origin[value] = artifact[np.argmax(key == value)]
            self._known[value] = True
        # compared bit for bit (0.0 and -0.0 differ, a NaN is its own bits)
        return np.array_equal(self._by_origin[key].view(np.uint32), artifact.view(np.uint32))

    def _store_artifact(self) -> None:
        """From now on keep the artifact per document; fill it in for those held so far."""
        array = np.empty(self.capacity, dtype=np.float32)
        array[: self._size] = self._artifact_of(self._store["origin"][: self._size])
        self._store["artifact"] = array
        self._by_origin = None

    def _artifact_of(self, origin: np.ndarray) -> np.ndarray:
        return self._by_origin[origin.astype(np.intp) + 1]

    def column(self, name: str) -> np.ndarray:
        """One field of every document so far, as stored (a view, no copy).

        Its dtype may be narrower than the :class:`Docs` field's; ``artifact`` kept by origin
        is a new array.
        """
        if name == "artifact" and self._by_origin is not None:
            return self._artifact_of(self._store["origin"][: self._size])
        return self._store[name][: self._size]

    def take(self, index: np.ndarray | slice) -> Docs:
        """The documents at ``index`` (positions, a boolean mask or a slice) as a batch.

        Fields stored in their :class:`Docs` type are views for a slice; every other field is
        a copy in its :class:`Docs` type, with the same values.
        """
        if isinstance(index, slice):
            index = slice(*index.indices(self._size))

            def pick(array):
                return array[index]
        else:
            index = np.asarray(index)
            if index.dtype == bool:
                index = np.flatnonzero(index)

            def pick(array):
                return take_rows(array[: self._size], index)

        arrays = {}
        for name, dtype in _DTYPES.items():
            if name == "artifact" and self._by_origin is not None:
                arrays[name] = self._artifact_of(pick(self._store["origin"]))
            else:
                arrays[name] = pick(self._store[name]).astype(dtype, copy=False)
        arrays["x"] = pick(self._store["x"])
        return Docs(**arrays)

    @property
    def docs(self) -> Docs:
        """All documents so far (see :meth:`take`)."""
        return self.take(slice(0, self._size))

    def since(self, start: int) -> Docs:
        """Documents appended at or after position ``start`` (see :meth:`take`)."""
        return self.take(slice(start, self._size))


@dataclass(frozen=True)
class Culture:
    """The original human culture: type weights and centres, and the spread around them.

    Attributes
    ----------
    weights : ndarray (K,)
        Probability of each style type among people and the original corpus.
    centres : ndarray (K, dims)
        Centre of each type in style space.
    type_std : float
        Spread of documents around their type's centre.
    tail : ndarray of bool (K,)
        Types whose weight is below the median weight (the rare styles ``tail_mass`` tracks).
    """

    weights: np.ndarray
    centres: np.ndarray
    type_std: float
    tail: np.ndarray

    @property
    def types(self) -> int:
        """Number of original types K."""
        return int(self.weights.shape[0])


def type_weights(types: int, spec: str | list[float], zipf_exponent: float = 1.0) -> np.ndarray:
    """Return normalised weights of K style types.

    Parameters
    ----------
    types : int
        K.
    spec : {"zipf", "uniform"} or list of float
        Zipf weights ∝ rank^(−s), equal weights, or the given weights.
    zipf_exponent : float
        s, for ``"zipf"``.
    """
    if isinstance(spec, str):
        if spec == "uniform":
            w = np.ones(types)
        elif spec == "zipf":
            w = np.arange(1, types + 1, dtype=float) ** -zipf_exponent
        else:
            raise ValueError(f"unknown type_weights {spec!r}")
    else:
        w = np.asarray(spec, dtype=float)
    return w / w.sum()


def make_culture(
    types: int,
    weights_spec: str | list[float],
    zipf_exponent: float,
    dims: int,
    type_spread: float,
    type_std: float,
    rng: np.random.Generator,
) -> Culture:
    """Draw the original human culture: K type centres around the origin, with their weights."""
    weights = type_weights(types, weights_spec, zipf_exponent)
    centres = rng.normal(0.0, type_spread, size=(types, dims))
    tail = weights < np.median(weights)
    return Culture(weights=weights, centres=centres, type_std=type_std, tail=tail)


def human_docs(
    types: np.ndarray,
    centres: np.ndarray,
    type_std: float,
    quality_mean: float,
    quality_std: float,
    gpt_rate: np.ndarray | float,
    stance: np.ndarray | float,
    author: np.ndarray | int,
    step: int,
    rng: np.random.Generator,
    gpt_ai: np.ndarray | float = 0.0,
) -> Docs:
    """Hand-written documents of the given types, scattered around their type centres."""
    n = types.shape[0]
    dims = centres.shape[1]
    x = take_rows(centres, types) + rng.normal(0.0, type_std, size=(n, dims))
    quality = np.clip(rng.normal(quality_mean, quality_std, size=n), 0.0, 100.0)
    return Docs.build(
        type=types,
        x=x,
        quality=quality,
        artifact=np.zeros(n),
        gpt_rate=np.broadcast_to(gpt_rate, n),
        stance=np.broadcast_to(stance, n),
        origin=np.full(n, HUMAN),
        author=np.broadcast_to(author, n),
        step=np.full(n, step),
        gpt_ai=np.broadcast_to(gpt_ai, n),
    )


def initial_corpus(
    culture: Culture,
    n: int,
    quality_mean: float,
    quality_std: float,
    human_rate: float,
    human_rate_spread: float,
    rng: np.random.Generator,
) -> Docs:
    """The original, purely human corpus of ``n`` documents drawn from the culture."""
    types = rng.choice(culture.types, size=n, p=culture.weights)
    gpt_rate = human_rate * rng.lognormal(-0.5 * human_rate_spread**2, human_rate_spread, size=n)
    stance = rng.uniform(-1.0, 1.0, size=n)
    return human_docs(
        types, culture.centres, culture.type_std, quality_mean, quality_std,
        gpt_rate, stance, author=NO_AUTHOR, step=0, rng=rng,
    )
