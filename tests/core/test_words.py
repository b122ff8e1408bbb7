"""Marker words as real words: wordfreq base rates, preference ratios, the low-rank state."""

import numpy as np
import pytest
import wordfreq

import ecosystem
from ecosystem.core.contagion import heard_rates, heard_rates_pair, update_rates
from ecosystem.core.words import (
    DEFAULT_WORDS,
    PUBLISHED_AI_PREFERENCE,
    make_vocabulary,
    word_occurrence,
    word_occurrence_reference,
)
from ecosystem.model import EcosystemModel
from ecosystem.social import barabasi_albert


def test_base_rates_come_from_wordfreq_and_ratios_from_the_published_table():
    vocab = make_vocabulary(DEFAULT_WORDS, {})
    expected = np.array([wordfreq.word_frequency(w, "en") for w in DEFAULT_WORDS]) * 1000
    np.testing.assert_allclose(vocab.human, expected)
    assert vocab.human_rate == pytest.approx(expected.sum())
    ratios = dict(zip(vocab.words, vocab.preference, strict=True))
    assert ratios["delve"] == PUBLISHED_AI_PREFERENCE["delve"][0]
    assert vocab.house_rate == pytest.approx(float((vocab.human * vocab.preference).sum()))
    # the AI profile is base rate × ratio, normalised
    np.testing.assert_allclose(vocab.ai_profile, vocab.human * vocab.preference
                               / (vocab.human * vocab.preference).sum())


def test_overrides_and_rescaling_keep_proportions():
    vocab = make_vocabulary(("delve", "tapestry"), {"tapestry": 20.0, "delve": 25.0},
                            human_rate=2.0, ai_rate=30.0)
    freq = np.array([wordfreq.word_frequency(w, "en") for w in ("delve", "tapestry")])
    np.testing.assert_allclose(vocab.human, 2.0 * freq / freq.sum())
    np.testing.assert_allclose(vocab.preference, [25.0, 20.0])
    assert vocab.house_rate == 30.0
    # the house style at rate 30 uses each word base × ratio × a common factor
    house = vocab.house_rate * vocab.ai_profile
    np.testing.assert_allclose(house / vocab.human / vocab.preference,
                               (house / vocab.human / vocab.preference)[0])


def test_word_occurrence_equals_the_per_document_reference():
    vocab = make_vocabulary(DEFAULT_WORDS, {})
    rng = np.random.default_rng(3)
    g = rng.exponential(0.5, 200)
    a = g * rng.random(200)
    fast = word_occurrence(vocab, g, a, 400, np.random.default_rng(9))
    slow = word_occurrence_reference(vocab, list(g), list(a), 400, np.random.default_rng(9))
    np.testing.assert_array_equal(fast, np.array(slow))


def test_heard_rates_pair_equals_two_single_passes_bit_for_bit():
    rng = np.random.default_rng(0)
    graph = barabasi_albert(500, 3, rng)
    n = graph.size
    rate = rng.exponential(1.0, n).astype(np.float32)
    part = (rate * rng.random(n)).astype(np.float32)
    count = rng.poisson(0.5, n)
    rate_sum, part_sum = rng.exponential(1.0, n) * count, rng.exponential(0.3, n) * count
    words, ai_words, items = heard_rates_pair(graph.indptr, graph.indices, rate, part, count,
                                              rate_sum, part_sum)
    words1, items1 = heard_rates(graph.indptr, graph.indices, rate, count, rate_sum)
    words2, _ = heard_rates(graph.indptr, graph.indices, part, count, part_sum)
    np.testing.assert_array_equal(words, words1)
    np.testing.assert_array_equal(items, items1)
    np.testing.assert_array_equal(ai_words, words2)


def test_low_rank_state_equals_full_per_word_contagion():
    """Contagion on (total, AI part) reproduces contagion run word by word on a (n, V) array."""
    vocab = make_vocabulary(DEFAULT_WORDS, {})
    rng = np.random.default_rng(1)
    graph = barabasi_albert(400, 2, rng)
    n = graph.size
    g = vocab.human_rate * rng.lognormal(-0.045, 0.3, n)
    a = np.zeros(n)
    full = vocab.per_word(g, a)  # (n, V)
    ai_user = rng.random(n) < 0.4
    model_g, model_a = 0.4, 0.3
    model_words = vocab.per_word(model_g, model_a)
    none = np.zeros(n)
    for _ in range(5):
        words, ai_words, items = heard_rates_pair(graph.indptr, graph.indices, g, a, none, none,
                                                  none)
        g = update_rates(g, words, items, ai_user, model_g, 0.5, 0.1)
        a = update_rates(a, ai_words, items, ai_user, model_a, 0.5, 0.1)
        full = np.column_stack([
            update_rates(full[:, w].copy(), *heard_rates(graph.indptr, graph.indices,
                                                          full[:, w].copy(), none, none),
                         ai_user, model_words[w], 0.5, 0.1)
            for w in range(vocab.size)])
    np.testing.assert_allclose(vocab.per_word(g, a), full, rtol=1e-9, atol=1e-15)


def test_words_table_at_step_0_matches_wordfreq_within_sampling_error():
    """Step 0: everyone speaks the human profile at their own propensity m ~ lognormal(mean 1).

    A group of n people has mean rate of word w equal to base_w × mean(m), so its relative
    error is the same for every word, with standard error sqrt(exp(σ²) − 1) / √n; the test
    allows 4 standard errors. The model's rate is (1 − house_weight) × the original corpus's
    mean (the same propensity law over its documents) + house_weight × ratio × base.
    """
    sc = ecosystem.load_scenario({
        "population": {"humans": 4000, "ai_users": 0.4}, "content": {"initial_docs": 3000},
        "scenario": {"steps": 0}})
    run = ecosystem.simulate(sc, seed=11)
    words = run.words.filter(run.words["step"] == 0)
    assert words["word"].to_list() == list(DEFAULT_WORDS)
    base = np.array([wordfreq.word_frequency(w, "en") for w in DEFAULT_WORDS]) * 1e6
    sigma = sc.gpt_words.human_rate_spread
    spread = np.sqrt(np.exp(sigma**2) - 1)
    users = int(run.humans["ai_user"].sum())
    for column, n in (("rate_users", users), ("rate_nonusers", 4000 - users)):
        relative = words[column].to_numpy() / base - 1
        assert np.all(np.abs(relative) <= 4 * spread / np.sqrt(n)), column
    ratio = np.array([PUBLISHED_AI_PREFERENCE[w][0] for w in DEFAULT_WORDS])
    hw = sc.gpt_words.house_weight
    learned = (words["rate_ai"].to_numpy() - hw * ratio * base) / (1 - hw) / base - 1
    assert np.all(np.abs(learned) <= 4 * spread / np.sqrt(3000))
    # the aggregate columns are the sum over the vocabulary, per 1,000 words
    ts = run.timeseries
    assert words["rate_users"].sum() / 1000 == pytest.approx(ts["gpt_rate_users"][0], rel=1e-9)
    assert words["rate_ai"].sum() / 1000 == pytest.approx(ts["gpt_rate_ai"][0], rel=1e-9)


def test_words_table_follows_the_run_and_sums_to_the_aggregates():
    run = ecosystem.simulate({"population": {"humans": 1500, "ai_users": 0.5},
                              "content": {"initial_docs": 1000}, "scenario": {"steps": 6},
                              "gpt_words": {"words": ["delve", "tapestry"],
                                            "ai_preference": {"tapestry": 15.0}}}, seed=2)
    assert run.words.height == 7 * 2
    for step in (0, 6):
        rows = run.words.filter(run.words["step"] == step)
        ts = run.timeseries.filter(run.timeseries["step"] == step)
        for column in ("users", "nonusers"):
            assert rows[f"rate_{column}"].sum() / 1000 == pytest.approx(
                ts[f"gpt_rate_{column}"][0], rel=1e-6)
    late = run.words.filter(run.words["step"] == 6)
    early = run.words.filter(run.words["step"] == 0)
    # users take up the AI's words: delve (ratio 28) grows more than tapestry (15)
    growth = late["rate_users"].to_numpy() / early["rate_users"].to_numpy()
    assert growth[0] > growth[1] > 1


def test_people_without_words_scenario_has_null_people_rates():
    run = ecosystem.simulate({"population": {"humans": 0}, "ai": {"outputs_per_generation": 50},
                              "scenario": {"steps": 2}}, seed=1)
    assert run.words.height == 3 * len(DEFAULT_WORDS)
    assert run.words["rate_users"].null_count() == run.words.height
    assert run.words["rate_ai"].null_count() == 0


def test_person_state_costs_eight_bytes_for_any_vocabulary():
    small = EcosystemModel(ecosystem.load_scenario({"population": {"humans": 500}}), seed=0)
    large = EcosystemModel(ecosystem.load_scenario({
        "population": {"humans": 500},
        "gpt_words": {"words": [*DEFAULT_WORDS, "tapestry", "pivotal"],
                      "ai_preference": {"tapestry": 10.0, "pivotal": 5.0}}}), seed=0)
    assert small.people.gpt_rate.itemsize + small.people.gpt_ai.itemsize == 8
    assert small.people.nbytes == large.people.nbytes
