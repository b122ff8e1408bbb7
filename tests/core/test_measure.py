"""The field's estimators on webs with a planted AI share, and on the model's own web."""

import numpy as np
import pytest

import ecosystem
from ecosystem.core.corpus import HUMAN
from ecosystem.core.measure import (
    Occurrence,
    classifier_share,
    classify,
    counterfactual,
    distributional_mle,
    distributional_mle_reference,
    excess_vocabulary,
    excess_vocabulary_reference,
    occurrence_probabilities,
)
from ecosystem.core.words import DEFAULT_WORDS, make_vocabulary, word_occurrence

Z = 4.0
LENGTH = 300


def planted_web(vocab, n, share, rng, ai_rate=None):
    """n documents, a share of them written in the AI's house style, the rest human."""
    is_ai = rng.random(n) < share
    house = vocab.house_rate if ai_rate is None else ai_rate
    g = np.where(is_ai, house, vocab.human_rate)
    a = np.where(is_ai, house, 0.0)
    return is_ai, word_occurrence(vocab, g, a, LENGTH, rng)


def test_classifier_recovers_the_planted_share_through_its_error_rates():
    """E[labelled share] = fp + (1 − fp − fn) s; binomial standard error √(ŝ(1 − ŝ)/n)."""
    rng = np.random.default_rng(0)
    n, share, fp, fn = 40_000, 0.3, 0.042, 0.006
    is_ai = rng.random(n) < share
    true = is_ai.mean()
    reported = classifier_share(classify(is_ai, fp, fn, rng))
    expected = fp * (1 - true) + (1 - fn) * true
    se = np.sqrt(reported * (1 - reported) / n)
    assert abs(reported - expected) <= Z * se
    corrected = (reported - fp) / (1 - fp - fn)
    assert abs(corrected - true) <= Z * se / (1 - fp - fn)
    # a human-only web reads the false-positive rate
    human = classifier_share(classify(np.zeros(n, bool), fp, fn, rng))
    assert abs(human - fp) <= Z * np.sqrt(fp * (1 - fp) / n)
    assert classifier_share(np.zeros(0, bool)) is None


@pytest.mark.parametrize(("share", "ai_rate"), [(0.25, 40.0), (0.1, 40.0), (0.3, None)])
def test_excess_vocabulary_recovers_its_planted_expectation(share, ai_rate):
    """Planted share α; the bound's expectation per candidate c is α (s_c − q_c) / (1 − q_c).

    s_c, q_c are the chances that an AI / human document contains the word (or any word) under
    Poisson counts. With AI documents rich in marker words (ai_rate 40 per 1,000: s ≈ 1 for
    the word group) the bound recovers α itself; at the default house style it is far below.
    The tolerance is Z delta-method standard errors (the estimator's own ``se``).
    """
    vocab = make_vocabulary(DEFAULT_WORDS, {})
    rng = np.random.default_rng(1)
    _, baseline = planted_web(vocab, 30_000, 0.0, rng)
    is_ai, observed = planted_web(vocab, 30_000, share, rng, ai_rate)
    q, variance = counterfactual(None, Occurrence.of(baseline), 0.0)
    bound, se = excess_vocabulary(Occurrence.of(observed), q, variance)

    house = vocab.house_rate if ai_rate is None else ai_rate
    s_words = occurrence_probabilities(house * vocab.ai_profile, LENGTH)
    q_words = occurrence_probabilities(vocab.human, LENGTH)
    s = np.append(s_words, 1 - np.prod(1 - s_words))
    qq = np.append(q_words, 1 - np.prod(1 - q_words))
    alpha = is_ai.mean()
    expected = alpha * (s - qq) / (1 - qq)
    assert abs(bound - expected.max()) <= Z * se
    assert bound <= alpha + Z * se  # a lower bound
    if ai_rate is not None:
        assert abs(bound - alpha) <= Z * se + alpha * (1 - s[-1])


def test_excess_vocabulary_equals_reference():
    vocab = make_vocabulary(DEFAULT_WORDS, {})
    rng = np.random.default_rng(2)
    _, baseline = planted_web(vocab, 3000, 0.0, rng)
    _, observed = planted_web(vocab, 2000, 0.4, rng)
    q, variance = counterfactual(None, Occurrence.of(baseline), 0.0)
    bound, _ = excess_vocabulary(Occurrence.of(observed), q, variance)
    assert bound == pytest.approx(
        excess_vocabulary_reference(observed.tolist(), baseline.tolist()), rel=1e-12)


def test_counterfactual_projects_only_upward_trends():
    earlier = Occurrence(docs=100, words=np.array([10, 30]), any_word=35)
    later = Occurrence(docs=100, words=np.array([20, 20]), any_word=35)
    q, _ = counterfactual(earlier, later, 2.0)
    # rising word: 0.2 + 2 × 0.1; falling word: flat at 0.2; flat group: 0.35
    np.testing.assert_allclose(q, [0.4, 0.2, 0.35])


def fisher_se(present, p_human, q_ai, alpha):
    """1 / √(observed Fisher information) of the mixture log-likelihood at α."""
    log_p = np.where(present, np.log(p_human), np.log1p(-p_human)).sum(axis=1)
    log_q = np.where(present, np.log(q_ai), np.log1p(-q_ai)).sum(axis=1)
    r = np.exp(log_q - log_p)
    info = np.sum((r - 1) ** 2 / (1 + alpha * (r - 1)) ** 2)
    return 1 / np.sqrt(info)


@pytest.mark.parametrize("share", [0.0, 0.15, 0.4, 0.8])
def test_distributional_mle_recovers_the_planted_share(share):
    """Liang et al.'s estimator is the MLE of a correctly specified mixture here (independent
    Poisson word occurrence under P and Q), so it is within Z Fisher standard errors of the
    planted α (one-sided at the boundary 0); the bootstrap standard error agrees with the
    Fisher one within 35 %."""
    vocab = make_vocabulary(DEFAULT_WORDS, {})
    rng = np.random.default_rng(4)
    is_ai, counts = planted_web(vocab, 20_000, share, rng)
    p = occurrence_probabilities(vocab.human, LENGTH)
    q = occurrence_probabilities(vocab.house_rate * vocab.ai_profile, LENGTH)
    alpha, se = distributional_mle(counts, p, q, 200, rng)
    true = is_ai.mean()
    fisher = fisher_se(counts, p, q, max(true, 0.02))
    assert abs(alpha - true) <= Z * fisher
    if share > 0:
        assert se == pytest.approx(fisher, rel=0.35)


def test_distributional_mle_equals_reference():
    vocab = make_vocabulary(DEFAULT_WORDS, {})
    rng = np.random.default_rng(5)
    _, counts = planted_web(vocab, 1500, 0.3, rng, ai_rate=3.0)
    p = occurrence_probabilities(vocab.human, LENGTH)
    q = occurrence_probabilities(3.0 * vocab.ai_profile, LENGTH)
    alpha, _ = distributional_mle(counts, p, q, 0, rng)
    slow = distributional_mle_reference((counts).tolist(), list(p), list(q))
    assert alpha == pytest.approx(slow, abs=1e-6)
    assert distributional_mle(np.zeros((0, 3), bool), p[:3], q[:3], 10, rng) == (None, None)


SCENARIO = {
    "scenario": {"steps": 12},
    "population": {"humans": 2500, "ai_users": 0.5, "adoption_steps": 6, "creators": 0.3},
    "content": {"initial_docs": 3000},
    "ai": {"outputs_per_generation": 200},
    "measurement": {"window_steps": 3},
}


def test_excess_vocabulary_is_a_lower_bound_on_the_models_web():
    """On the model's own web (co-written posts, content farms, people catching the words) the
    bound never exceeds the true share of AI-processed documents in its window by more than
    Z of its standard errors, while the other estimators follow the true share."""
    sc = ecosystem.load_scenario(SCENARIO)
    from ecosystem.model import EcosystemModel

    model = EcosystemModel(sc, seed=3)
    for _ in range(sc.scenario.steps):
        model.step()
    ts = model.timeseries()
    docs = model.corpus.docs
    width = sc.measurement.window_steps
    assert ts["excess_vocabulary"][0] is None
    for row in ts.iter_rows(named=True):
        t = row["step"]
        if t == 0:
            continue
        window = (docs.step > max(0, t - width)) & (docs.step <= t)
        window &= np.arange(len(docs)) >= model.n_original
        true = float(np.mean(docs.origin[window] != HUMAN))
        assert row["excess_vocabulary"] <= true + Z * row["excess_vocabulary_se"], t
    last = ts.row(-1, named=True)
    assert last["ai_share"] > 0.2 and last["excess_vocabulary"] > 0
    fp, fn = sc.measurement.classifier_false_positive, sc.measurement.classifier_false_negative
    assert last["ai_share_detected"] == pytest.approx(fp + (1 - fp - fn) * last["ai_share"],
                                                      abs=0.03)


@pytest.mark.parametrize("n_words", [3, 12, 64, 70])
def test_patterns_equal_numpy_unique_rows(n_words):
    from ecosystem.core.measure import _patterns

    present = np.random.default_rng(n_words).random((3000, n_words)) < 0.08
    patterns, counts = _patterns(present)
    order = np.lexsort(patterns.T[::-1])
    rows, expected = np.unique(present, axis=0, return_counts=True)
    np.testing.assert_array_equal(patterns[order], rows)
    np.testing.assert_array_equal(counts[order], expected)
