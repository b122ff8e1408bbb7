"""The validation can fail: every row fails when the mechanism it checks is broken.

Each mutation breaks one mechanism in-process (monkeypatch), runs the quick checks that depend on
it together with checks that do not, and expects the dependent rows to fail and the independent
ones to pass. ``test_every_row_has_a_mutation_that_fails_it`` proves the list covers every row.
"""

import dataclasses
import importlib

import numpy as np
import polars as pl
import pytest

import ecosystem.model
from ecosystem.cli import main
from ecosystem.validate import run_checks, seddik, wright_fisher
from tests.validate.test_validate_command import ROW_KEYS

# the package re-exports functions named like their modules (decode, scrape): patch the modules
curate = importlib.import_module("ecosystem.core.curate")
decode = importlib.import_module("ecosystem.core.decode")
scrape = importlib.import_module("ecosystem.core.scrape")


def outcomes(rows) -> dict[str, bool]:
    return {row.key: row.passed for row in rows}


# -- the mutations ------------------------------------------------------------------------------
def retraining_no_op(monkeypatch):
    """The lab never retrains: every generation is generation 0."""
    monkeypatch.setattr(ecosystem.model.EcosystemModel, "retrain", lambda self, now: None)
    # nothing ever fixes without drift: short limits keep the broken runs cheap (the rows fail
    # whatever the limit, since no run can fix)
    monkeypatch.setattr(wright_fisher, "FIXATION_LIMIT", 5)
    monkeypatch.setattr(seddik, "COLLAPSE_LIMIT", 12)


def reserve_empty(monkeypatch):
    """The human-data reserve draws nothing; the regime's share is unchanged."""
    original = scrape.reserve_size

    def empty(params, available, n_original):
        return 0, original(params, available, n_original)[1]

    monkeypatch.setattr(scrape, "reserve_size", empty)


def temperature_ignored_in_type_choice(monkeypatch):
    """Types are drawn at temperature 1 whatever ``decoding.temperature`` says."""
    original = decode.decoded_distribution

    def untempered(probs, params):
        return original(probs, dataclasses.replace(params, temperature=1.0))

    monkeypatch.setattr(decode, "decoded_distribution", untempered)


def best_of_n_argmin(monkeypatch):
    """The curator keeps the worst-scoring draft instead of the best."""

    def worst_of_n(state, n, decoding, curation, rng, *, prompts=None, prompt_strength=0.0,
                   author=-1, step=0):
        width = curation.best_of_n
        drafts, typical = curate.decode_with_typicality(
            state, n * width, decoding, rng,
            None if prompts is None else np.repeat(prompts, width, axis=0), prompt_strength,
            author if np.ndim(author) == 0 else np.repeat(author, width), step)
        if typical is None:
            scores = curate.score(state, drafts, curation.typicality_weight)
        else:
            scores = drafts.quality.astype(np.float64) + curation.typicality_weight * typical
        if width == 1:
            return drafts, scores
        worst = scores.reshape(n, width).argmin(axis=1) + np.arange(n) * width
        return drafts.take(worst), scores[worst]

    monkeypatch.setattr(curate, "best_of_n", worst_of_n)


def bradley_terry_ignored(monkeypatch):
    """``curation.choice = "bradley-terry"`` keeps the first draft: no curation at all."""
    original = curate.best_of_n

    def ignored(state, n, decoding, curation, rng, **kwargs):
        if curation.choice == "bradley-terry":
            curation = dataclasses.replace(curation, best_of_n=1)
        return original(state, n, decoding, curation, rng, **kwargs)

    monkeypatch.setattr(curate, "best_of_n", ignored)


def fit_knows_every_type(monkeypatch):
    """Add-one smoothing: the fit gives every type a positive probability, seen or not."""
    original_fit = ecosystem.model.fit

    def smoothed(docs, n_types, params, rng, generation=0):
        state = original_fit(docs, n_types, params, rng, generation=generation)
        counts = np.bincount(docs.type, minlength=n_types).astype(float)
        return dataclasses.replace(state, probs=(counts + 1) / (counts.sum() + n_types))

    monkeypatch.setattr(ecosystem.model, "fit", smoothed)


def unbiased_variance(monkeypatch):
    """The textbook unbiased estimator, n/(n − 1) times the maximum-likelihood variance."""
    original_fit = ecosystem.model.fit

    def unbiased_fit(docs, n_types, params, rng, generation=0):
        state = original_fit(docs, n_types, params, rng, generation=generation)
        counts = np.bincount(docs.type, minlength=n_types).astype(float)
        factor = np.where(counts > 1, counts / np.maximum(counts - 1, 1), 1.0)
        return dataclasses.replace(state, variances=state.variances * factor[:, None])

    monkeypatch.setattr(ecosystem.model, "fit", unbiased_fit)


def _regime_swap(monkeypatch, broken: str, becomes: str):
    original_range = scrape.regime_range

    def swapped(step, now, last_retrain, params):
        if params.data_regime == broken:
            params = dataclasses.replace(params, data_regime=becomes)
        return original_range(step, now, last_retrain, params)

    monkeypatch.setattr(scrape, "regime_range", swapped)


def accumulation_forgets(monkeypatch):
    """"accumulate" silently keeps only the newest uploads, as replace does."""
    _regime_swap(monkeypatch, "accumulate", "replace")


def replacement_keeps_everything(monkeypatch):
    """"replace" silently keeps everything uploaded, as accumulate does."""
    _regime_swap(monkeypatch, "replace", "accumulate")


def typicality_removed(monkeypatch):
    """The curator's score ignores how typical a style is."""
    monkeypatch.setattr(curate, "typicality", lambda state, types: np.zeros(types.shape[0]))


def prompts_ignored(monkeypatch):
    """Custom prompts are ignored: everyone gets the default prompt's output."""
    original = decode._draw_types

    def deaf(state, n, params, rng, prompts, strength):
        return original(state, n, params, rng, None, strength)

    monkeypatch.setattr(decode, "_draw_types", deaf)


# mutation, checks to run, rows that must fail, rows that must pass
MUTATIONS = {
    "retraining no-op": (
        retraining_no_op, ["wright-fisher", "seddik", "tails", "gaussian-w2", "greedy"],
        {"wright-fisher-diversity", "wright-fisher-fixation", "seddik-collision",
         "seddik-collapse", "tail-never-recovers", "gaussian-w2", "greedy-majority",
         "sampling-keeps-majority", "temperature-round"},
        {"tail-known-styles", "tail-missing-mass"},
    ),
    "retraining no-op, people": (
        retraining_no_op, ["prompts"], {"prompts-vs-default", "prompts-vs-natural"}, set(),
    ),
    "reserve empty": (
        reserve_empty, ["seddik-real", "sampling-bias", "bradley-terry", "greedy"],
        {"seddik-real-corpus", "sampling-bias", "bradley-terry-real-share"},
        {"bradley-terry-round", "bradley-terry-reward", "greedy-majority",
         "sampling-keeps-majority", "temperature-round"},
    ),
    "temperature ignored in type choice": (
        temperature_ignored_in_type_choice, ["greedy", "sampling-bias"],
        {"temperature-round"}, {"greedy-majority", "sampling-keeps-majority", "sampling-bias"},
    ),
    "best-of-N argmin": (
        best_of_n_argmin, ["best-of-n", "greedy"], {"best-of-n-round"},
        {"greedy-majority", "sampling-keeps-majority", "temperature-round"},
    ),
    "bradley-terry ignored": (
        bradley_terry_ignored, ["bradley-terry", "greedy"],
        {"bradley-terry-round", "bradley-terry-reward"},
        {"greedy-majority", "sampling-keeps-majority", "temperature-round"},
    ),
    "fit knows every type": (
        fit_knows_every_type, ["tails"],
        {"tail-known-styles", "tail-missing-mass", "tail-never-recovers"}, set(),
    ),
    "unbiased variance": (
        unbiased_variance, ["gaussian-variance", "greedy"], {"gaussian-variance"},
        {"greedy-majority", "sampling-keeps-majority", "temperature-round"},
    ),
    "accumulation forgets": (
        accumulation_forgets, ["mean-error", "regression"],
        {"accumulate-mean-error", "regression-accumulate"},
        {"replace-mean-error", "regression-replace"},
    ),
    "replacement keeps everything": (
        replacement_keeps_everything, ["mean-error", "regression"],
        {"replace-mean-error", "regression-replace"}, set(),
    ),
    "typicality removed": (
        typicality_removed, ["best-of-n"],
        {"best-of-n-round", "best-of-n-extinction", "best-of-n-bonus"}, set(),
    ),
    "prompts ignored": (
        prompts_ignored, ["prompts"], {"prompts-vs-default"}, {"prompts-vs-natural"},
    ),
}


@pytest.mark.long
@pytest.mark.parametrize("name", list(MUTATIONS))
def test_a_broken_mechanism_fails_its_rows(name, monkeypatch):
    mutate, checks, must_fail, must_pass = MUTATIONS[name]
    mutate(monkeypatch)
    result = outcomes(run_checks(quick=True, only=checks))
    assert must_fail | must_pass <= set(result), sorted(result)
    assert {key for key in must_fail if result[key]} == set(), f"{name}: rows still pass"
    assert {key for key in must_pass if not result[key]} == set(), f"{name}: unrelated rows fail"


def test_every_row_has_a_mutation_that_fails_it():
    covered = set().union(*(must_fail for _, _, must_fail, _ in MUTATIONS.values()))
    assert covered == set(ROW_KEYS)


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
    assert "FAIL" in printed and "2 of 3 rows agree with theory; failed: greedy-majority" in printed
    results = pl.read_csv(out / "results.csv")
    assert dict(zip(results["key"], results["passed"], strict=True)) == {
        "greedy-majority": False, "sampling-keeps-majority": True, "temperature-round": True}
    assert "FAIL" in (out / "report.md").read_text()


def test_unknown_check_is_a_value_error():
    with pytest.raises(ValueError, match="unknown check 'nope'; checks are: wright-fisher"):
        run_checks(quick=True, only=["nope"])
