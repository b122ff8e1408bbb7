import numpy as np
import pytest

from ecosystem.core.opinion import absorb, bounded_confidence, bounded_confidence_reference
from ecosystem.social import barabasi_albert


@pytest.mark.parametrize(("confidence", "influence"), [(0.3, 0.1), (2.0, 0.5), (0.0, 0.3)])
def test_bounded_confidence_agrees_with_reference(confidence, influence):
    rng = np.random.default_rng(1)
    graph = barabasi_albert(400, 3, rng)
    stance = rng.uniform(-1, 1, graph.size)
    fast = bounded_confidence(stance, graph.indptr, graph.indices, confidence, influence)
    neighbours = [list(graph.neighbours(i)) for i in range(graph.size)]
    slow = bounded_confidence_reference(list(stance), neighbours, confidence, influence)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


def test_absorb_moves_toward_the_target():
    np.testing.assert_allclose(absorb(np.array([1.0, -1.0]), np.zeros(2), 0.25), [0.75, -0.75])
