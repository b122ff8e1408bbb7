"""The validation can fail: a deliberately broken mechanism fails its row, and only its rows.

Each test breaks one mechanism in-process (monkeypatch), runs the quick checks that depend on it
together with checks that do not, and expects exactly the dependent rows to fail.
"""

import dataclasses
import importlib

import numpy as np
import polars as pl
import pytest

import ecosystem.model
from ecosystem.cli import main
from ecosystem.validate import run_checks

# the package re-exports functions named like their modules (decode, scrape): patch the modules
curate = importlib.import_module("ecosystem.core.curate")
decode = importlib.import_module("ecosystem.core.decode")
scrape = importlib.import_module("ecosystem.core.scrape")


def outcomes(rows) -> dict[str, bool]:
    return {row.key: row.passed for row in rows}


def test_unbiased_variance_fails_the_shumailov_row(monkeypatch):
    original_fit = ecosystem.model.fit

    def unbiased_fit(docs, n_types, params, rng, generation=0):
        # the textbook unbiased estimator, n/(n − 1) times the maximum-likelihood variance
        state = original_fit(docs, n_types, params, rng, generation=generation)
        counts = np.bincount(docs.type, minlength=n_types).astype(float)
        factor = np.where(counts > 1, counts / np.maximum(counts - 1, 1), 1.0)
        return dataclasses.replace(state, variances=state.variances * factor[:, None])

    monkeypatch.setattr(ecosystem.model, "fit", unbiased_fit)
    result = outcomes(run_checks(quick=True, only=["gaussian-variance", "greedy",
                                                   "best-of-n"]))
    assert result == {"gaussian-variance": False, "greedy-majority": True,
                      "sampling-keeps-majority": True, "best-of-n-round": True,
                      "best-of-n-extinction": True}


def test_accumulation_that_forgets_fails_the_accumulate_rows(monkeypatch):
    original_range = scrape.regime_range

    def forgetful(step, now, last_retrain, params):
        # "accumulate" that silently keeps only the newest uploads, as replace does
        if params.data_regime == "accumulate":
            params = dataclasses.replace(params, data_regime="replace")
        return original_range(step, now, last_retrain, params)

    monkeypatch.setattr(scrape, "regime_range", forgetful)
    result = outcomes(run_checks(quick=True, only=["mean-error", "regression"]))
    assert result == {"accumulate-mean-error": False, "replace-mean-error": True,
                      "regression-replace": True, "regression-accumulate": False}


def test_greedy_that_samples_fails_the_greedy_row_and_the_command_exits_1(monkeypatch, tmp_path,
                                                                          capsys):
    original = decode.decoded_distribution

    def sampling_greedy(probs, params):
        if params.method == "greedy":
            params = dataclasses.replace(params, method="sample")
        return original(probs, params)

    monkeypatch.setattr(decode, "decoded_distribution", sampling_greedy)
    out = tmp_path / "report"
    status = main(["validate", "--quick", "--only", "greedy", "--out", str(out)])
    assert status == 1
    printed = capsys.readouterr().out
    assert "FAIL" in printed and "1 of 2 rows agree with theory; failed: greedy-majority" in printed
    results = pl.read_csv(out / "results.csv")
    assert dict(zip(results["key"], results["passed"], strict=True)) == {
        "greedy-majority": False, "sampling-keeps-majority": True}
    assert "FAIL" in (out / "report.md").read_text()


def test_curation_without_typicality_fails_the_best_of_n_rows(monkeypatch):
    monkeypatch.setattr(curate, "typicality",
                        lambda state, types: np.zeros(types.shape[0]))
    result = outcomes(run_checks(quick=True, only=["best-of-n"]))
    assert result == {"best-of-n-round": False, "best-of-n-extinction": False}


def test_unknown_check_is_a_value_error():
    with pytest.raises(ValueError, match="unknown check 'nope'; checks are: wright-fisher"):
        run_checks(quick=True, only=["nope"])


def test_prompts_that_are_ignored_fail_the_custom_prompt_row(monkeypatch):
    original = decode._draw_types

    def deaf(state, n, params, rng, prompts, width):
        return original(state, n, params, rng, None, width)

    monkeypatch.setattr(decode, "_draw_types", deaf)
    result = outcomes(run_checks(quick=True, only=["prompts"]))
    assert result == {"prompts-vs-default": False, "prompts-vs-natural": True}
