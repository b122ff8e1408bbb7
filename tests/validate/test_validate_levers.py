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
