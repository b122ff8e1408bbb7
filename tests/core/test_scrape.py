import numpy as np
import pytest
from scipy import stats

from ecosystem.core.scrape import ScrapeParams, regime_range, scrape, scrape_reference

STEP = np.repeat(np.arange(8), [100, 10, 20, 30, 40, 50, 60, 70])
ORIGIN = np.where(STEP == 0, -1, 1).astype(np.int16)


@pytest.mark.parametrize("regime", ["replace", "accumulate", "accumulate-subsample", "window"])
def test_regime_range_agrees_with_reference(regime):
    params = ScrapeParams(data_regime=regime, window=3)
    chosen = regime_range(STEP, now=7, last_retrain=5, params=params)
    assert list(range(STEP.size))[chosen] == scrape_reference(STEP, ORIGIN, 7, 5, params)


def test_reserve_holds_its_originals_plus_the_regimes_hypergeometric_share():
    """The reserve contract, with a bound derived from the hypergeometric law.

    380 documents, the first 100 original; ``training_docs`` 200 and a reserve of 0.25: 50
    distinct originals, then 150 drawn from the other 330 documents, 50 of them original. Each
    set must hold 200 distinct documents and at least 50 originals (the reserve guarantees it);
    over 200 sets the mean number of originals must be 50 + 150·50/330 = 72.7 within 4 SE (the
    hypergeometric SD 3.25 over √200: 0.23). A reserve that draws nothing (the 200 drawn from
    all 380) holds 52.6 originals on average (SD 4.29): it passes the per-set bound of 50 in 77 %
    of sets, but its mean misses by 87 SE.
    """
    rng = np.random.default_rng(0)
    params = ScrapeParams(data_regime="accumulate", training_docs=200, human_data_reserve=0.25)
    originals = []
    for _ in range(200):
        chosen = scrape(STEP, ORIGIN, 7, 6, 100, params, rng)
        assert chosen.size == 200
        assert np.unique(chosen).size == 200
        originals.append(int(np.sum(chosen < 100)))
    originals = np.array(originals)
    assert originals.min() >= 50
    law = stats.hypergeom(M=330, n=50, N=150)
    se = law.std() / np.sqrt(originals.size)
    assert originals.mean() == pytest.approx(50 + law.mean(), abs=4 * se)


def test_detector():
    rng = np.random.default_rng(0)
    detector = ScrapeParams(data_regime="accumulate", detector_recall=1.0)
    assert set(STEP[scrape(STEP, ORIGIN, 7, 6, 100, detector, rng)].tolist()) == {0}


def test_whole_range_is_a_slice_not_a_copy():
    chosen = scrape(STEP, ORIGIN, 7, 6, 100, ScrapeParams(), np.random.default_rng(0))
    assert isinstance(chosen, slice)
