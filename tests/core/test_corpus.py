import numpy as np
import pytest

from ecosystem.core.corpus import Corpus, Docs, type_weights


def batch(n, step):
    return Docs.build(type=np.arange(n) % 3, x=np.full((n, 2), step), quality=np.zeros(n),
                      artifact=np.zeros(n), gpt_rate=np.zeros(n), stance=np.zeros(n),
                      origin=np.full(n, -1), author=np.full(n, -1), step=np.full(n, step))


def test_corpus_grows_in_place_and_keeps_order():
    corpus = Corpus(dims=2, capacity=4)
    for step in range(10):
        corpus.append(batch(step + 1, step))
    assert len(corpus) == 55
    assert corpus.capacity < 2 * 55 + 4
    assert corpus.docs.step.tolist() == [s for s in range(10) for _ in range(s + 1)]
    assert np.shares_memory(corpus.docs.x, corpus.since(50).x)


def test_document_storage_is_compact():
    assert Docs.bytes_per_doc(2) <= 64
    assert batch(10, 0).nbytes == 10 * Docs.bytes_per_doc(2)
    corpus = Corpus(dims=2)
    corpus.append(batch(10, 0))
    # int16 type and step, int8 origin, no artifact (0 for every human document)
    assert corpus.bytes_per_doc == Docs.bytes_per_doc(2) - 2 - 2 - 1 - 4


def random_batch(rng, n, step, origins, artifact_of, big=False):
    """Documents of random fields; ``artifact_of`` maps an origin to its artifact (or None:
    random artifacts); ``big`` puts values out of the narrow types' range."""
    origin = rng.choice(origins, size=n)
    artifact = (rng.random(n) if artifact_of is None
                else np.array([artifact_of[o] for o in origin]))
    top = 100_000 if big else 40
    return Docs.build(
        type=rng.integers(0, top, n), x=rng.normal(size=(n, 2)), quality=rng.random(n) * 100,
        artifact=artifact, gpt_rate=rng.random(n), stance=rng.uniform(-1, 1, n),
        origin=origin, author=rng.integers(-1, 10**7, n),
        step=np.full(n, step + (40_000 if big else 0)), gpt_ai=rng.random(n))


def assert_same_docs(ours, reference):
    for name in reference.__dataclass_fields__:
        a, b = getattr(ours, name), getattr(reference, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8), err_msg=name)


@pytest.mark.parametrize("case", ["narrow", "widened", "artifact_per_doc"])
def test_compact_corpus_reads_back_what_was_appended(case):
    # the obvious reference is the batches joined as they came (Docs.concat): every field read
    # back from the corpus, whole, by slice, by positions or by mask, is its bits and its dtype
    rng = np.random.default_rng(5)
    artifact_of = {-1: 0.0, 0: 0.25, 1: -0.0, 2: 1.5}
    corpus, batches = Corpus(dims=2, capacity=8), []
    for step in range(12):
        origins = [-1, 0] if step < 4 else [-1, 1, 2]
        big = case == "widened" and step == 7
        of = None if case == "artifact_per_doc" and step == 9 else artifact_of
        b = random_batch(rng, int(rng.integers(0, 40)), step, origins, of, big)
        corpus.append(b)
        batches.append(b)
        reference = Docs.concat(batches)
        assert len(corpus) == len(reference)
        assert_same_docs(corpus.docs, reference)
        positions = rng.choice(len(reference), size=len(reference) // 2)
        assert_same_docs(corpus.take(positions), reference.take(positions))
        mask = rng.random(len(reference)) < 0.3
        assert_same_docs(corpus.take(mask), reference.take(mask))
        start = len(reference) // 3
        assert_same_docs(corpus.since(start), reference.take(slice(start, None)))
        for name in ("step", "origin", "artifact"):
            np.testing.assert_array_equal(corpus.column(name), getattr(reference, name))
    narrow = Docs.bytes_per_doc(2) - 9
    expected = {"narrow": narrow, "widened": narrow + 4, "artifact_per_doc": narrow + 4}[case]
    assert corpus.bytes_per_doc == expected


def test_an_origin_out_of_the_narrow_range_widens_it():
    rng = np.random.default_rng(1)
    corpus = Corpus(dims=2)
    corpus.append(random_batch(rng, 5, 0, [-1], {-1: 0.0}))
    late = random_batch(rng, 5, 1, [300], {300: 2.0})
    corpus.append(late)
    assert corpus.column("origin").dtype == np.int16
    np.testing.assert_array_equal(corpus.docs.origin[5:], late.origin)
    np.testing.assert_array_equal(corpus.docs.artifact[5:], 2.0)


def test_zipf_weights():
    w = type_weights(4, "zipf", 1.0)
    np.testing.assert_allclose(w, np.array([1, 1 / 2, 1 / 3, 1 / 4]) / (25 / 12))
