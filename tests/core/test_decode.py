import numpy as np
import pytest
from scipy import stats

from ecosystem.core.decode import (
    DecodingParams,
    decode,
    decode_reference,
    decoded_distribution,
    log_likelihood,
)
from ecosystem.core.fit import ModelState


def state(probs, dims=2):
    probs = np.asarray(probs, dtype=float)
    k = probs.size
    return ModelState(
        generation=1, probs=probs, means=np.arange(k * dims, dtype=float).reshape(k, dims),
        variances=np.full((k, dims), 0.25) * (probs > 0)[:, None], quality=np.full(k, 70.0),
        quality_std=5.0, quality_shift=0.0, artifact=0.0, gpt_rate=4.0, stance_mean=0.0,
        stance_std=0.3, train_docs=100, train_ai_share=0.0,
    )


PROBS = [0.5, 0.25, 0.0, 0.15, 0.1]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (DecodingParams("sample"), PROBS),
        (DecodingParams("greedy"), [1, 0, 0, 0, 0]),
        (DecodingParams("top_k", top_k=2), [2 / 3, 1 / 3, 0, 0, 0]),
        (DecodingParams("top_p", top_p=0.8), [0.5 / 0.9, 0.25 / 0.9, 0, 0.15 / 0.9, 0]),
        (DecodingParams("sample", temperature=0.5),
         np.array([0.25, 0.0625, 0, 0.0225, 0.01]) / 0.345),
    ],
)
def test_decoded_distribution(params, expected):
    np.testing.assert_allclose(decoded_distribution(np.array(PROBS), params), expected)


@pytest.mark.parametrize(
    "params",
    [DecodingParams("sample", temperature=1.5), DecodingParams("top_k", top_k=3),
     DecodingParams("top_p", top_p=0.7)],
)
def test_decode_agrees_with_reference_in_distribution(params):
    s = state(PROBS)
    n = 20_000
    fast = decode(s, n, params, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    slow = np.array([decode_reference(s, params, rng)[0] for _ in range(n)])
    table = np.array([np.bincount(fast.type, minlength=5), np.bincount(slow, minlength=5)])
    table = table[:, table.sum(axis=0) > 0]
    assert stats.chi2_contingency(table).pvalue > 1e-3
    # style points: spread scaled by √T around the type mean
    zero = fast.type == 0
    expected_sd = np.sqrt(0.25 * params.temperature)
    assert fast.x[zero, 0].std() == pytest.approx(expected_sd, rel=0.05)


def test_greedy_writes_the_mode_at_its_mean():
    s = state(PROBS)
    docs = decode(s, 100, DecodingParams("greedy"), np.random.default_rng(0))
    assert set(docs.type.tolist()) == {0}
    np.testing.assert_allclose(docs.x, np.tile(s.means[0], (100, 1)))


def test_prompts_draw_out_latent_types_but_never_forgotten_ones():
    s = state(PROBS)
    rng = np.random.default_rng(5)
    asked = np.full(5000, 4)
    docs = decode(s, 5000, DecodingParams("sample"), rng, prompt_types=asked, prompt_strength=3.0)
    boosted = 0.1 * np.exp(3) / (0.9 + 0.1 * np.exp(3))
    assert np.mean(docs.type == 4) == pytest.approx(boosted, abs=4 * np.sqrt(boosted / 5000))
    forgotten = decode(s, 5000, DecodingParams("sample"), rng,
                       prompt_types=np.full(5000, 2), prompt_strength=20.0)
    assert not np.any(forgotten.type == 2)
    # greedy with a strong enough prompt: the prompted type becomes the mode
    greedy = decode(s, 10, DecodingParams("greedy"), rng, prompt_types=np.full(10, 3),
                    prompt_strength=2.0)
    assert set(greedy.type.tolist()) == {3}


def test_beam_is_mode_seeking_between_greedy_and_sampling():
    s = state(PROBS)
    rng = np.random.default_rng(9)
    sampled = decode(s, 20_000, DecodingParams("sample"), rng)
    beam = decode(s, 20_000, DecodingParams("beam", beam_width=4), rng)
    top_sampled = np.mean(sampled.type == 0)
    top_beam = np.mean(beam.type == 0)
    assert top_sampled < top_beam < 1.0
    ll_sampled = log_likelihood(s, sampled.type, sampled.x.astype(float)).mean()
    ll_beam = log_likelihood(s, beam.type, beam.x.astype(float)).mean()
    assert ll_beam > ll_sampled


def test_a_tiny_temperature_tends_to_the_mode_without_nan():
    q = decoded_distribution(np.array(PROBS), DecodingParams("sample", temperature=1e-300))
    np.testing.assert_array_equal(q, [1, 0, 0, 0, 0])
