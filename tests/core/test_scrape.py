import numpy as np
import pytest

from ecosystem.core.scrape import ScrapeParams, regime_range, scrape, scrape_reference

STEP = np.repeat(np.arange(8), [100, 10, 20, 30, 40, 50, 60, 70])
ORIGIN = np.where(STEP == 0, -1, 1).astype(np.int16)


@pytest.mark.parametrize("regime", ["replace", "accumulate", "accumulate-subsample", "window"])
def test_regime_range_agrees_with_reference(regime):
    params = ScrapeParams(data_regime=regime, window=3)
    chosen = regime_range(STEP, now=7, last_retrain=5, params=params)
    assert list(range(STEP.size))[chosen] == scrape_reference(STEP, ORIGIN, 7, 5, params)


def test_cap_reserve_and_detector():
    rng = np.random.default_rng(0)
    params = ScrapeParams(data_regime="accumulate", training_docs=200, human_data_reserve=0.25)
    chosen = scrape(STEP, ORIGIN, 7, 6, 100, params, rng)
    assert chosen.size == 200
    assert np.unique(chosen).size == 200
    assert np.sum(chosen < 100) >= 50  # the reserve, plus originals the sample drew anyway
    detector = ScrapeParams(data_regime="accumulate", detector_recall=1.0)
    assert set(STEP[scrape(STEP, ORIGIN, 7, 6, 100, detector, rng)].tolist()) == {0}


def test_whole_range_is_a_slice_not_a_copy():
    chosen = scrape(STEP, ORIGIN, 7, 6, 100, ScrapeParams(), np.random.default_rng(0))
    assert isinstance(chosen, slice)
