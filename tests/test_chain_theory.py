"""The pure retraining chain against published theory (fixed seeds, tolerances from the SE)."""

import numpy as np
import pytest
from scipy.special import digamma

import ecosystem
from ecosystem.model import EcosystemModel
from tests.conftest import chain, mean_and_se

Z = 4.0  # tolerance in standard errors: a false failure has probability ~6e-5


def unmeasured(scenario: dict) -> dict:
    """The scenario without the bootstrap of the field's AI-share estimate.

    No test here reads the ``[measurement]`` columns; they draw from a random stream of their
    own, so every model column is unchanged, and the bootstrap is most of a small chain's run.
    """
    return {**scenario, "measurement": {**scenario.get("measurement", {}), "bootstrap": 0}}


def replicate_columns(scenario: dict, seeds, *columns):
    sc = ecosystem.load_scenario(unmeasured(scenario))
    out = {c: [] for c in columns}
    for seed in seeds:
        ts = ecosystem.simulate(sc, seed=seed).timeseries
        for c in columns:
            out[c].append(ts[c].to_numpy())
    return {c: np.array(v) for c, v in out.items()}


def test_wright_fisher_gini_simpson_shrinks_by_one_minus_one_over_n():
    n, t = 100, 10
    sc = chain(scenario={"steps": t}, content={"types": 10, "type_weights": "uniform",
                                               "initial_docs": n},
               ai={"outputs_per_generation": n})
    gs = replicate_columns(sc, range(400), "model_gini_simpson")["model_gini_simpson"]
    ratio = gs[:, t] / gs[:, 0]
    mean, se = mean_and_se(ratio)
    assert mean == pytest.approx((1 - 1 / n) ** t, abs=Z * se)


def test_gaussian_variance_refit_shumailov():
    n, t = 20, 10
    sc = chain(scenario={"steps": t}, content={"types": 1, "dims": 1, "initial_docs": n},
               ai={"outputs_per_generation": n})
    var = replicate_columns(sc, range(400), "model_variance")["model_variance"]
    log_ratio = np.log(var[:, t] / var[:, 0])
    expected = t * (digamma((n - 1) / 2) + np.log(2 / n))
    mean, se = mean_and_se(log_ratio)
    assert mean == pytest.approx(expected, abs=Z * se)


@pytest.mark.long
def test_accumulation_keeps_types_and_bounds_drift_while_replacement_walks_away():
    n, t = 50, 20
    base = {"scenario": {"steps": t}, "content": {"types": 1, "dims": 1, "initial_docs": n}}
    acc = replicate_columns(chain(**base, ai={"outputs_per_generation": n,
                                              "data_regime": "accumulate"}),
                            range(300), "drift", "model_variance")
    rep = replicate_columns(chain(**base, ai={"outputs_per_generation": n}), range(300),
                            "drift", "model_variance")
    sigma2 = acc["model_variance"][:, 0]
    acc_scaled = acc["drift"][:, t] ** 2 / (sigma2 / n)
    mean, se = mean_and_se(acc_scaled)
    assert mean + Z * se < np.pi**2 / 6
    rep_scaled = rep["drift"][:, t] ** 2 / rep["model_variance"][:, 0]
    mean, se = mean_and_se(rep_scaled)
    assert mean == pytest.approx(1 - ((n - 1) / n) ** t, abs=Z * se)


def test_accumulation_never_loses_a_type():
    sc = chain(scenario={"steps": 30}, content={"types": 30, "initial_docs": 300},
               ai={"data_regime": "accumulate", "outputs_per_generation": 100})
    richness = replicate_columns(sc, range(5), "model_richness")["model_richness"]
    assert np.all(richness >= richness[:, :1])
    replaced = replicate_columns(chain(scenario={"steps": 30}, content={"types": 30,
                                       "initial_docs": 300}, ai={"outputs_per_generation": 100}),
                                 range(5), "model_richness")["model_richness"]
    assert np.all(replaced[:, -1] < replaced[:, 0])


def dialects(method: str, **decoding) -> dict:
    return chain(scenario={"steps": 3}, content={"types": 3, "type_weights": [85, 10, 5],
                                                 "initial_docs": 2000},
                 ai={"outputs_per_generation": 2000}, decoding={"method": method, **decoding})


def test_greedy_decoding_takes_the_majority_dialect_to_100_percent():
    top = replicate_columns(dialects("greedy"), range(5), "top_share")["top_share"]
    assert np.all(top[:, 1:] == 1.0)
    sampled = replicate_columns(dialects("sample"), range(100), "top_share")["top_share"]
    change = sampled[:, 1] - sampled[:, 0]
    mean, se = mean_and_se(change)
    assert mean == pytest.approx(0.0, abs=Z * se)
    assert np.all(sampled[:, 1] < 0.95)


def test_best_of_n_with_typicality_erases_the_rarer_style():
    # A bonus of twice the quality spread: at small bonuses the eccentric drafts that do win are
    # its best ones, so its learned quality rises and it sometimes takes over instead.
    def final_probs(best_of_n, seed):
        sc = ecosystem.load_scenario(unmeasured(chain(
            scenario={"steps": 40},
            content={"types": 2, "type_weights": [60, 40], "initial_docs": 1000},
            ai={"outputs_per_generation": 1000},
            curation={"best_of_n": best_of_n, "typicality_weight": 20.0})))
        model = EcosystemModel(sc, seed=seed)
        for _ in range(40):
            model.step()
        return model.current.state.probs

    for seed in range(5):
        assert final_probs(4, seed).tolist() == [1.0, 0.0], "the safe style alone survives"
        assert np.all(final_probs(1, seed) > 0), "without curation both styles survive"


@pytest.mark.parametrize("limit", [{"capacity": 5}, {"min_count": 30}])
def test_capacity_and_min_count_forget_rare_types_for_good(limit):
    sc = ecosystem.load_scenario(unmeasured(chain(
        scenario={"steps": 15}, content={"types": 20, "initial_docs": 600},
        ai={"outputs_per_generation": 600, **limit})))
    model = EcosystemModel(sc, seed=4)
    forgotten = ~model.current.state.known
    assert forgotten.any()
    for _ in range(15):
        model.step()
        known = model.current.state.known
        if "capacity" in limit:
            assert known.sum() <= 5
        assert not np.any(known & forgotten), "a forgotten type came back"
        forgotten |= ~known
