"""The levers row: a working lever passes, a broken one fails its row."""

import dataclasses
import importlib

import numpy as np

import ecosystem.model
from ecosystem.validate import check_names
from ecosystem.validate.base import Budget
from ecosystem.validate.levers import ARMS, LEVERS, lever_rows


def outcomes(rows):
    return {row.key: row.passed for row in rows}


def test_every_dashboard_what_if_control_has_a_lever_row():
    from viz.controls import WHATIF

    pulled = {key for arm in ARMS.values() for key in arm}
    assert {control.key for control in WHATIF} <= pulled
    assert {lever.arm for lever in LEVERS} | {lever.reference for lever in LEVERS} <= set(ARMS)
    assert "levers" in check_names()


def test_a_dropped_reserve_fails_its_row(monkeypatch):
    budget = Budget(quick=True)
    assert outcomes(lever_rows(budget, names=["lever-reserve"])) == {"lever-reserve": True}
    original = ecosystem.model.scrape_params

    def no_reserve(scenario):
        return dataclasses.replace(original(scenario), human_data_reserve=0.0)

    monkeypatch.setattr(ecosystem.model, "scrape_params", no_reserve)
    rows = lever_rows(budget, names=["lever-reserve"])
    assert outcomes(rows) == {"lever-reserve": False}
    assert "Finding" in rows[0].method
    assert rows[0].simulated == 0.0  # the lever's runs are the baseline's, seed for seed


def test_ignored_prompts_fail_their_row(monkeypatch):
    budget = Budget(quick=True)
    decode = importlib.import_module("ecosystem.core.decode")
    original = decode._draw_types

    def deaf(state, n, params, rng, prompts, strength):
        return original(state, n, params, rng, None, strength)

    monkeypatch.setattr(decode, "_draw_types", deaf)
    rows = lever_rows(budget, names=["lever-prompts"])
    assert outcomes(rows) == {"lever-prompts": False}
    assert np.isfinite(rows[0].se)


def test_the_best_of_n_finding_holds_as_its_row_explains():
    """On the baseline's first generation, top-p keeps most of the tail out of AI drafts, and
    best-of-10 cuts the drafts' tail share below best-of-3's (binomial SEs, 4 each)."""
    from ecosystem.core.curate import CurationParams, best_of_n
    from ecosystem.model import EcosystemModel
    from ecosystem.validate.levers import lever_scenario

    model = EcosystemModel(lever_scenario("baseline", Budget(quick=True)), seed=0)
    state = model.current.state
    tail = np.flatnonzero(model.culture.tail)
    in_model = state.probs[tail].sum()
    n = 100_000
    shares = {}
    for drafts in (3, 10):
        posts, _ = best_of_n(state, n, model.decoding,
                             CurationParams(best_of_n=drafts, typicality_weight=3.0),
                             np.random.default_rng(drafts))
        shares[drafts] = float(np.isin(posts.type, tail).mean())
    se = np.sqrt(shares[3] * (1 - shares[3]) / n + shares[10] * (1 - shares[10]) / n)
    assert shares[3] < in_model / 2
    assert shares[3] - shares[10] > 4 * se
