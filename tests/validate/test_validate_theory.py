"""The validation's closed forms against slow, direct Monte Carlo references (no model)."""

import numpy as np
import pytest
from scipy import stats

from ecosystem.core.fit import ModelState
from ecosystem.validate.gaussian import accumulated_error, log_variance_drift, replaced_error
from ecosystem.validate.regression import regression_chain
from ecosystem.validate.sampling_bias import expected_variance, settled_variance
from ecosystem.validate.selection import best_of_n_shares, clip_bound
from tests.conftest import mean_and_se

Z = 4.0


def test_log_variance_drift_is_the_mean_log_of_a_scaled_chi_square():
    for n in (5, 20, 100):
        expected = stats.chi2(n - 1).expect(np.log) - np.log(n)
        assert log_variance_drift(n, 1) == pytest.approx(expected, rel=1e-7)


def test_accumulated_error_matches_a_direct_simulation_of_pooling():
    n, t, reps = 4, 5, 200_000
    rng = np.random.default_rng(1)
    data = rng.standard_normal((reps, n))  # truth: mean 0, variance 1
    errors = [data.mean(axis=1) ** 2 * n]
    for _ in range(t):
        mean, var = data.mean(axis=1), data.var(axis=1)
        new = mean[:, None] + np.sqrt(var)[:, None] * rng.standard_normal((reps, n))
        data = np.concatenate([data, new], axis=1)
        errors.append(data.mean(axis=1) ** 2 * n)
    for step in range(t + 1):
        mean, se = mean_and_se(errors[step])
        assert mean == pytest.approx(accumulated_error(n, t)[step], abs=Z * se)
    assert np.all(np.diff(accumulated_error(50, 200)) > 0)
    assert accumulated_error(50, 200)[-1] < np.pi**2 / 6
    huge = accumulated_error(10**12, 8)
    assert huge == pytest.approx(np.cumsum(1 / np.arange(1, 10) ** 2), rel=1e-9)


def test_replaced_error_starts_at_one_and_saturates_at_n():
    assert replaced_error(50, np.array(0)) == 1
    assert replaced_error(50, np.array(10_000)) == pytest.approx(50)


def test_expected_variance_matches_a_direct_simulation_with_small_samples():
    # small sizes make the 1/M corrections large, so this checks them, not just the fixed point
    original, reserve, synthetic, lam, generations, reps = 40, 3, 5, 0.7, 4, 100_000
    rng = np.random.default_rng(2)
    corpus = rng.standard_normal(original)
    corpus = (corpus - corpus.mean()) / corpus.std()  # ML variance 1: the unit
    mean, var = np.zeros(reps), np.ones(reps)
    history = [var]
    for _ in range(generations):
        picks = np.argsort(rng.random((reps, original)), axis=1)[:, :reserve]
        real = corpus[picks]
        fake = mean[:, None] + np.sqrt(lam * var)[:, None] * rng.standard_normal((reps, synthetic))
        pooled = np.concatenate([real, fake], axis=1)
        mean, var = pooled.mean(axis=1), pooled.var(axis=1)
        history.append(var)
    theory = expected_variance(reserve, synthetic, original, lam, generations)
    for step in range(generations + 1):
        m, se = mean_and_se(history[step]) if step else (1.0, 0.0)
        assert m == pytest.approx(theory[step], abs=Z * se + 1e-12)
    big = expected_variance(10**6, 4 * 10**6, 10**12, 0.8, 200)
    assert big[-1] == pytest.approx(settled_variance(0.2, 0.8), rel=1e-5)


def state_of(probs, quality, quality_std=10.0):
    probs = np.asarray(probs, dtype=float)
    k = probs.size
    return ModelState(generation=0, probs=probs, means=np.zeros((k, 1)),
                      variances=np.ones((k, 1)), quality=np.asarray(quality, dtype=float),
                      quality_std=quality_std, quality_shift=0.0, artifact=0.0, gpt_rate=0.0,
                      stance_mean=0.0, stance_std=0.0, train_docs=100, train_ai_share=0.0)


def test_best_of_n_shares_reduce_to_the_probabilities_without_selection_pressure():
    state = state_of([0.5, 0.3, 0.2, 0.0], [60, 55, 70, 0])
    assert best_of_n_shares(state, 1, 5.0) == pytest.approx(state.probs, abs=1e-9)
    equal = state_of([0.5, 0.3, 0.2, 0.0], [60, 60, 60, 0])
    assert best_of_n_shares(equal, 6, 0.0) == pytest.approx(equal.probs, abs=1e-9)


def test_best_of_n_shares_match_a_direct_simulation_of_drafts():
    state = state_of([0.6, 0.4], [58.0, 61.0])
    n, weight, groups = 3, 5.0, 400_000
    rng = np.random.default_rng(3)
    types = (rng.random((groups, n)) < 0.4).astype(int)
    quality = np.clip(state.quality[types] + 10.0 * rng.standard_normal((groups, n)), 0, 100)
    score = quality + weight * state.probs[types] / state.probs.max()
    chosen = types[np.arange(groups), score.argmax(axis=1)]
    mean, se = mean_and_se(chosen == 1)
    theory = best_of_n_shares(state, n, weight)
    assert theory.sum() == pytest.approx(1.0, abs=1e-9)
    assert theory[1] == pytest.approx(mean, abs=Z * se + clip_bound(state, n))
    assert clip_bound(state, n) < 1e-3


def test_regression_chain_is_reproducible_and_starts_at_the_least_squares_error():
    a = regression_chain("accumulate", 10, 100, 5, 1.0, seed=4)
    assert np.array_equal(a, regression_chain("accumulate", 10, 100, 5, 1.0, seed=4))
    b = regression_chain("replace", 10, 100, 5, 1.0, seed=4)
    assert a[0] == b[0] and not np.array_equal(a[1:], b[1:])  # same data, different regimes


def test_seddik_collision_after_matches_a_direct_multinomial_chain():
    from ecosystem.validate.seddik import collision_after

    p0, n, m, reps = np.array([0.5, 0.3, 0.2]), 7, 4, 200_000
    rng = np.random.default_rng(11)
    p = np.tile(p0, (reps, 1))
    for _ in range(m):
        p = rng.multinomial(n, p) / n
    mean, se = mean_and_se(np.sum(p * p, axis=1))
    assert mean == pytest.approx(collision_after(np.sum(p0**2), n, m), abs=Z * se)


def test_seddik_real_corpus_recursion_matches_a_direct_chain_and_its_limits():
    from ecosystem.validate.seddik import collision_limit, collision_with_real

    q, real, synthetic, m, reps = np.array([0.6, 0.25, 0.15]), 6, 9, 5, 200_000
    rng = np.random.default_rng(12)
    lam = real / (real + synthetic)
    p = np.tile(q, (reps, 1))
    for _ in range(m):
        p = lam * q + (1 - lam) * rng.multinomial(synthetic, p) / synthetic
    mean, se = mean_and_se(np.sum(p * p, axis=1))
    q2 = float(np.sum(q**2))
    assert mean == pytest.approx(collision_with_real(q2, real, synthetic, m)[-1], abs=Z * se)
    long = collision_with_real(q2, real, synthetic, 500)[-1]
    assert long == pytest.approx(collision_limit(q2, real, synthetic), rel=1e-12)
    # S* rises with n towards (2NQ + 1)/(2N + 1), never reaching collapse
    limits = [float(collision_limit(q2, real, n)) for n in (1, 10, 100, 10_000, 10**8)]
    assert np.all(np.diff(limits) > 0)
    ceiling = float(collision_limit(q2, real, np.inf))
    assert limits[-1] == pytest.approx(ceiling, rel=1e-6) and ceiling < 1


def test_tail_expectations_match_direct_sampling_of_a_zipf_culture():
    from ecosystem.core.corpus import type_weights
    from ecosystem.validate.tails import expected_known, expected_missing

    weights, t, reps = type_weights(50, "zipf", 1.3), 40, 20_000
    rng = np.random.default_rng(13)
    seen = rng.multinomial(t, weights, size=reps) > 0
    known_mean, known_se = mean_and_se(seen.sum(axis=1))
    missing_mean, missing_se = mean_and_se((~seen * weights).sum(axis=1))
    assert known_mean == pytest.approx(expected_known(weights, t), abs=Z * known_se)
    assert missing_mean == pytest.approx(expected_missing(weights, t), abs=Z * missing_se)


@pytest.mark.parametrize("unbiased", [False, True])
def test_expected_w2_matches_a_direct_refitted_gaussian_chain(unbiased):
    from ecosystem.validate.gaussian import expected_w2

    sizes, reps = np.array([6, 4, 5, 4]), 200_000
    rng = np.random.default_rng(14)
    mu, sigma = np.zeros(reps), np.ones(reps)
    for size in sizes:
        x = mu[:, None] + sigma[:, None] * rng.standard_normal((reps, size))
        mu, sigma = x.mean(axis=1), x.std(axis=1, ddof=1 if unbiased else 0)
    mean, se = mean_and_se(mu**2 + (sigma - 1) ** 2)
    assert mean == pytest.approx(expected_w2(sizes, unbiased=unbiased)[-1], abs=Z * se)


def test_expected_w2_is_shumailovs_three_halves_to_first_order():
    from ecosystem.validate.gaussian import expected_w2

    sizes = np.full(10, 100_000)
    exact = expected_w2(sizes)
    linear = 1.5 * np.cumsum(1.0 / sizes)
    assert exact == pytest.approx(linear, rel=1e-3)
    # the ML fit saturates at 2σ² once Σ 1/M_i is not small; the unbiased one keeps growing
    long = np.full(2000, 20)
    assert expected_w2(long)[-1] == pytest.approx(2.0, abs=1e-3)
    assert expected_w2(long, unbiased=True)[-1] > 50


def test_tempered_is_the_decoded_distribution_at_temperature_t():
    from ecosystem.core.decode import DecodingParams, decoded_distribution
    from ecosystem.validate.selection import tempered

    p = np.array([0.7, 0.2, 0.1, 0.0])
    for t in (0.3, 1.0, 2.5):
        assert tempered(p, t) == pytest.approx(
            decoded_distribution(p, DecodingParams("sample", temperature=t)), abs=1e-12)
