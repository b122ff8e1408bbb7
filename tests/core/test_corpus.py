import numpy as np

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
    assert np.shares_memory(corpus.docs.type, corpus.since(50).type)


def test_document_storage_is_compact():
    assert Docs.bytes_per_doc(2) <= 64
    assert batch(10, 0).nbytes == 10 * Docs.bytes_per_doc(2)


def test_zipf_weights():
    w = type_weights(4, "zipf", 1.0)
    np.testing.assert_allclose(w, np.array([1, 1 / 2, 1 / 3, 1 / 4]) / (25 / 12))
