"""Every measure of ``core.metrics`` against its slow per-type, per-document, per-person twin."""

import numpy as np
import pytest

import ecosystem
from ecosystem.core.corpus import HUMAN, Culture, Docs
from ecosystem.core.decode import DecodingParams, decode
from ecosystem.core.fit import ModelState
from ecosystem.core.metrics import (
    UPLOAD_COLUMNS,
    model_metrics,
    model_metrics_reference,
    people_metrics,
    people_metrics_reference,
    upload_metrics,
    upload_metrics_reference,
)
from ecosystem.model import MODEL_SCHEMA, EcosystemModel

PEOPLE_COLUMNS = ("gpt_rate_users", "gpt_rate_nonusers", "neutral_share_users",
                  "neutral_share_nonusers", "stance_std", "people_entropy", "people_richness")


def assert_same(fast: dict, slow: dict, columns, rel: float = 1e-9) -> None:
    """The same keys; integers equal, floats equal to ``rel``, nulls null."""
    assert set(fast) >= set(columns)
    for column in columns:
        if slow[column] is None:
            assert fast[column] is None, column
        elif isinstance(slow[column], int):
            assert fast[column] == slow[column], column
        else:
            assert fast[column] == pytest.approx(slow[column], rel=rel, abs=1e-12), column


def random_state(rng: np.random.Generator, types: int, dims: int) -> ModelState:
    probs = rng.dirichlet(np.full(types, 0.7))
    probs[rng.random(types) < 0.3] = 0.0
    if not probs.any():
        probs[rng.integers(types)] = 1.0
    probs /= probs.sum()
    known = (probs > 0)[:, None]
    return ModelState(
        generation=2, probs=probs, means=rng.normal(0, 2, (types, dims)) * known,
        variances=rng.gamma(2.0, 0.3, (types, dims)) * known,
        quality=rng.uniform(40, 80, types), quality_std=5.0, quality_shift=0.0, artifact=0.0,
        gpt_rate=3.0, stance_mean=0.0, stance_std=0.3, train_docs=100, train_ai_share=0.5,
    )


def random_culture(rng: np.random.Generator, types: int, dims: int) -> Culture:
    kind = rng.integers(3)
    weights = (np.ones(types) if kind == 0 else
               np.arange(1, types + 1, dtype=float) ** -1.0 if kind == 1 else rng.random(types))
    weights /= weights.sum()
    return Culture(weights=weights, centres=rng.normal(size=(types, dims)), type_std=0.5,
                   tail=weights < np.median(weights))


def test_model_metrics_agree_with_reference():
    """60 random generations: 1 to 30 types (some forgotten), 1 to 4 dims, types invented beyond
    the culture's, Zipf, uniform (no tail: null) and random culture weights."""
    rng = np.random.default_rng(0)
    tails = set()
    for _ in range(60):
        types, dims = int(rng.integers(1, 31)), int(rng.integers(1, 5))
        state = random_state(rng, types, dims)
        culture = random_culture(rng, int(rng.integers(1, types + 1)), dims)
        initial = rng.normal(size=dims)
        slow = model_metrics_reference(state, culture, initial)
        assert_same(model_metrics(state, culture, initial), slow, MODEL_SCHEMA)
        tails.add(slow["tail_mass"] is None)
    assert tails == {True, False}


def test_model_variance_and_drift_are_those_of_decoded_documents():
    """Monte Carlo: 200,000 documents decoded at T = 1 (20 batches for the SE).

    ``model_variance`` is the variance of their style points averaged over dims, and ``drift``
    the distance of their mean point from the initial mean, each within 4 SE of the batches.
    """
    rng = np.random.default_rng(1)
    state = random_state(rng, 8, 3)
    culture = random_culture(rng, 8, 3)
    initial = np.array([0.5, -0.2, 1.0])
    measured = model_metrics(state, culture, initial)
    batches = [decode(state, 10_000, DecodingParams(), rng).x.astype(float) for _ in range(20)]
    variance = np.array([x.var(axis=0).mean() for x in batches])
    drift = np.array([np.linalg.norm(x.mean(axis=0) - initial) for x in batches])
    for values, column in ((variance, "model_variance"), (drift, "drift")):
        se = values.std(ddof=1) / np.sqrt(values.size)
        assert values.mean() == pytest.approx(measured[column], abs=4 * se), column


def random_docs(rng: np.random.Generator, n: int, ai_share: float) -> Docs:
    is_ai = rng.random(n) < ai_share
    return Docs.build(
        type=rng.zipf(1.5, n) % 40, x=rng.normal(size=(n, 2)),
        quality=rng.uniform(0, 100, n), artifact=np.zeros(n), gpt_rate=rng.random(n),
        stance=rng.uniform(-1, 1, n), origin=np.where(is_ai, rng.integers(0, 5, n), HUMAN),
        author=np.full(n, -1), step=np.full(n, 3),
    )


@pytest.mark.parametrize(("n", "ai_share"), [(0, 0.5), (1, 1.0), (50, 0.0), (500, 0.3),
                                             (3000, 1.0), (3000, 0.7)])
def test_upload_metrics_agree_with_reference(n, ai_share):
    docs = random_docs(np.random.default_rng(n), n, ai_share)
    assert_same(upload_metrics(docs), upload_metrics_reference(docs), UPLOAD_COLUMNS)


@pytest.mark.parametrize(("n", "users"), [(0, 0.5), (1, 1.0), (40, 0.0), (1000, 0.4),
                                          (1000, 1.0)])
def test_people_metrics_agree_with_reference(n, users):
    rng = np.random.default_rng(n + 7)
    rate = rng.lognormal(0, 0.5, n).astype(np.float32)
    stance = rng.uniform(-1, 1, n).astype(np.float32)
    ai_user = rng.random(n) < users
    style = rng.integers(0, 15, n).astype(np.int32)
    fast = people_metrics(rate, stance, ai_user, 0.2, style)
    assert_same(fast, people_metrics_reference(rate, stance, ai_user, 0.2, style),
                PEOPLE_COLUMNS, rel=1e-5)
    assert fast["people_entropy"] is None or fast["people_entropy"] >= 0
    without = people_metrics(rate, stance, ai_user, 0.2)
    assert without["people_entropy"] is None and without["people_richness"] is None


def test_timeseries_rows_are_the_references_of_the_model_state():
    """Each step's row of a run with people, farms and retraining, against the references
    applied to the model's state, the step's uploads and the original corpus."""
    spec = {"scenario": {"steps": 4},
            "population": {"humans": 300, "ai_users": 0.5, "style_conformity": 0.2,
                           "cowrite_share": 0.7, "innovation": 0.02},
            "content": {"types": 12, "initial_docs": 400},
            "ai": {"outputs_per_generation": 100, "retrain_every": 2}}
    model = EcosystemModel(ecosystem.load_scenario(spec), seed=4)
    original = model.corpus.docs.take(np.arange(model.n_original))
    initial = original.x.astype(np.float64).mean(axis=0)
    for now in range(1, 5):
        model.step()
        row = model.timeseries().row(-1, named=True)
        docs = model.corpus.docs
        uploads = docs.take(np.flatnonzero(docs.step == now))
        people = model.people
        slow = {
            **model_metrics_reference(model.current.state, model.culture, initial),
            **upload_metrics_reference(uploads),
            **people_metrics_reference(people.gpt_rate, people.stance, people.ai_user,
                                       model.scenario.opinion.neutral_band, people.style_type),
        }
        assert row["step"] == now
        assert_same(row, slow, [*MODEL_SCHEMA, *UPLOAD_COLUMNS, *PEOPLE_COLUMNS], rel=1e-5)
