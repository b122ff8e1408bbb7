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
    """p_cond(t | a) ∝ p(t) · N(a | μ_t, σ²_t)^s: a binomial check per type, 4 SE."""
    s = state(PROBS)
    rng = np.random.default_rng(5)
    n, strength = 20_000, 0.2
    author = s.means[4] - 0.6  # an author between the rare type 4 and type 3
    near_rare = np.tile(author, (n, 1))
    docs = decode(s, n, DecodingParams("sample"), rng, prompts=near_rare,
                  prompt_strength=strength)
    log_density = (-0.5 * np.sum((s.means - author) ** 2, axis=1) / 0.25
                   - np.log(2 * np.pi * 0.25))
    with np.errstate(divide="ignore"):
        expected = np.exp(np.log(PROBS) + strength * (log_density - log_density.max()))
    expected /= expected.sum()
    share = np.bincount(docs.type, minlength=5) / n
    np.testing.assert_array_less(np.abs(share - expected),
                                 4 * np.sqrt(expected * (1 - expected) / n) + 1e-12)
    assert share[4] > 0.5 > PROBS[4]  # a rare-but-known style, drawn out by a prompt near it
    # a forgotten style (p = 0) is never drawn, however close and strong the prompt
    forgotten = decode(s, n, DecodingParams("sample"), rng,
                       prompts=np.tile(s.means[2], (n, 1)), prompt_strength=100.0)
    assert not np.any(forgotten.type == 2)
    # NaN rows are the default prompt: the model's own distribution
    mixed = np.full((n, 2), np.nan)
    default = decode(s, n, DecodingParams("sample"), rng, prompts=mixed,
                     prompt_strength=strength)
    np.testing.assert_array_less(np.abs(np.bincount(default.type, minlength=5) / n - PROBS),
                                 4 * np.sqrt(np.array(PROBS) / n) + 1e-12)


def test_prompt_points_are_known_styles_at_the_models_mean_else_the_authors_point():
    from ecosystem.core.decode import prompt_points

    s = state(PROBS)
    own = np.array([[9.0, 9.0], [1.0, 1.0], [2.0, 2.0]])
    points = prompt_points(s, np.array([1, 2, 7]), own)  # known, forgotten, invented later
    np.testing.assert_array_equal(points, [s.means[1], own[1], own[2]])


@pytest.mark.parametrize(
    "params",
    [DecodingParams("sample", temperature=0.7), DecodingParams("top_k", top_k=2),
     DecodingParams("top_p", top_p=0.6), DecodingParams("greedy")],
)
def test_decoding_acts_on_the_conditioned_distribution(params):
    """Vectorised conditioned decoding agrees with the slow reference in distribution."""
    s = state(PROBS)
    author = s.means[3] + np.array([0.5, -0.4])
    n = 6000
    fast = decode(s, n, params, np.random.default_rng(1), prompts=np.tile(author, (n, 1)),
                  prompt_strength=0.1)
    rng = np.random.default_rng(2)
    slow = np.array([decode_reference(s, params, rng, author, 0.1)[0] for _ in range(n)])
    if params.method == "greedy":
        assert set(fast.type.tolist()) == set(slow.tolist()) == {3}
        return
    table = np.array([np.bincount(fast.type, minlength=5), np.bincount(slow, minlength=5)])
    if params.method == "top_k":  # the support: the k most probable conditioned types
        assert set(np.flatnonzero(table[0])) == set(np.flatnonzero(table[1]))
    table = table[:, table.sum(axis=0) > 0]
    assert stats.chi2_contingency(table).pvalue > 1e-3


def test_best_of_n_judges_typicality_within_the_prompt():
    """A prompt near a rare style: curation keeps it (typical for that prompt), not the mode."""
    from ecosystem.core.curate import CurationParams, best_of_n

    s = state(PROBS)
    n = 4000
    prompt = np.tile(s.means[4], (n, 1))
    posts, _ = best_of_n(s, n, DecodingParams("sample"),
                         CurationParams(best_of_n=4, typicality_weight=50.0),
                         np.random.default_rng(3), prompts=prompt, prompt_strength=1.0)
    plain, _ = best_of_n(s, n, DecodingParams("sample"),
                         CurationParams(best_of_n=4, typicality_weight=50.0),
                         np.random.default_rng(3))
    assert np.mean(posts.type == 4) > 0.9
    assert np.mean(plain.type == 4) < 0.01


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
