"""Tail cutting: a model fitted on T documents of a Zipf culture misses the unseen tail for good.

A model fitted by counts knows exactly the styles that appear in its training set. With T
documents drawn independently from a culture with style probabilities pᵢ (Zipf: pᵢ ∝ i^(−β)),
style i is missing with probability (1 − pᵢ)^T, so the model

- knows Σᵢ 1 − (1 − pᵢ)^T styles in expectation, and
- misses Σᵢ pᵢ (1 − pᵢ)^T of the culture's mass in expectation.

Retraining on its own output cannot bring a missing style back: a type with probability 0 is
never generated, so it never appears in a later training set. Under replacement the known set
only shrinks, and the missing mass only grows (Hutter's and Dohmatob et al.'s tail cutting: the
power-law tail is truncated at the sample size, and every generation cuts it further).

References
----------
Hutter, "Learning curve theory", arXiv:2102.04074 (2021).
Dohmatob, Feng, Yang, Charton & Kempe, "A tale of tails: model collapse as a change of scaling
laws", ICML 2024.
"""

from __future__ import annotations

import numpy as np

from ecosystem.core.corpus import type_weights
from ecosystem.validate.base import (
    Budget,
    Check,
    Row,
    band,
    chain_scenario,
    compare_above,
    compare_equal,
    mean_and_se,
    setting_text,
    trajectories,
)

REFERENCE = (
    "Hutter, \"Learning curve theory\", arXiv:2102.04074 (2021); Dohmatob, Feng, Yang, Charton "
    "& Kempe, \"A tale of tails: model collapse as a change of scaling laws\", ICML 2024"
)
SOURCE = "Hutter 2021; Dohmatob et al., ICML 2024"
KEYS = ["content.types", "content.type_weights", "content.zipf_exponent",
        "content.initial_docs", "ai.outputs_per_generation", "ai.data_regime", "ai.min_count",
        "ai.capacity"]


def expected_known(weights: np.ndarray, t: int) -> float:
    """Expected number of styles seen at least once in T independent documents."""
    return float(np.sum(1.0 - (1.0 - weights) ** t))


def expected_missing(weights: np.ndarray, t: int) -> float:
    """Expected culture mass of the styles not seen in T independent documents."""
    return float(np.sum(weights * (1.0 - weights) ** t))


def tail_rows(budget: Budget) -> list[Row]:
    """Known styles and missing mass after one fit; no recovery under retraining."""
    types, beta, docs, generations = 300, 1.1, 500, 10
    runs = budget.pick(100, 1000)
    sc = chain_scenario(
        "validate-tails", generations,
        content={"types": types, "type_weights": "zipf", "zipf_exponent": beta,
                 "initial_docs": docs},
        ai={"outputs_per_generation": docs},
    )

    def probe(model):
        known = model.current.state.known
        return np.concatenate([known, [np.sum(model.culture.weights[~known])]])

    values = trajectories(sc, range(runs), probe)  # (runs, generations + 1, types + 1)
    known = values[:, :, :types] > 0
    missing = values[:, :, types]
    # the culture's weights do not depend on the seed (Zipf over the types)
    weights = type_weights(types, "zipf", beta)
    theory_known, theory_missing = expected_known(weights, docs), expected_missing(weights, docs)
    count = known.sum(axis=2)
    mean_known, se_known = mean_and_se(count[:, 0])
    tol_known, ok_known = compare_equal(theory_known, mean_known, se_known)
    mean_missing, se_missing = mean_and_se(missing[:, 0])
    tol_missing, ok_missing = compare_equal(theory_missing, mean_missing, se_missing)
    # never recovers: in every run and generation the known set is a subset of the previous one
    regained = int(np.count_nonzero(known[:, 1:] & ~known[:, :-1]))
    growth, se_growth = mean_and_se(missing[:, -1] - missing[:, 0])
    tol_growth, grows = compare_above(0.0, growth, se_growth)
    steps = np.arange(generations + 1)
    setting = setting_text(sc, KEYS)

    def plot_known(ax):
        band(ax, steps, count, "styles the model knows (mean ± 4 SE)", "C0")
        ax.axhline(theory_known, color="C0", linestyle="--",
                   label="theory at generation 0: Σ 1 − (1 − pᵢ)^T")
        ax.axhline(types, color="0.5", linestyle=":", label="styles in the culture")
        ax.set_xlabel("generation")
        ax.set_ylabel("styles known")
        ax.legend(fontsize="small")

    def plot_missing(ax):
        band(ax, steps, missing, "culture mass the model misses (mean ± 4 SE)", "C3")
        ax.axhline(theory_missing, color="C3", linestyle="--",
                   label="theory at generation 0: Σ pᵢ (1 − pᵢ)^T")
        ax.set_xlabel("generation")
        ax.set_ylabel("missing mass")
        ax.legend(fontsize="small")

    return [
        Row(
            key="tail-known-styles",
            claim=f"fitted on T documents, the model knows Σ 1 − (1 − pᵢ)^T styles "
                  f"(Zipf β = {beta}, T = {docs})",
            source=SOURCE, reference=REFERENCE,
            theory=theory_known, simulated=mean_known, se=se_known, tolerance=tol_known,
            passed=ok_known, relation="=", replicates=f"{runs} runs", setting=setting,
            method=(f"Styles with a positive probability in generation 0, fitted by counts to "
                    f"the original corpus of T documents drawn from a Zipf culture of {types} "
                    "styles; theory from the culture's weights."),
            plot=plot_known,
        ),
        Row(
            key="tail-missing-mass",
            claim=f"fitted on T documents, the model misses Σ pᵢ (1 − pᵢ)^T of the mass "
                  f"(T = {docs})",
            source=SOURCE, reference=REFERENCE,
            theory=theory_missing, simulated=mean_missing, se=se_missing, tolerance=tol_missing,
            passed=ok_missing, relation="=", replicates=f"{runs} runs", setting=setting,
            method=("The culture's probability mass on the styles generation 0 does not know "
                    "(probability 0), against its expectation."),
            plot=plot_missing,
        ),
        Row(
            key="tail-never-recovers",
            claim=f"retraining on its own output never recovers a lost style "
                  f"({generations} generations)",
            source=SOURCE, reference=REFERENCE,
            theory=0.0, simulated=growth, se=se_growth, tolerance=tol_growth,
            passed=grows and regained == 0, relation=">", replicates=f"{runs} runs",
            theory_text="missing mass only grows",
            setting=setting,
            method=(f"Each generation is fitted to T outputs of the previous one (replace). Two "
                    "assertions: no style unknown to a generation is known to a later one, in "
                    f"any run or generation ({regained} such returns); and the missing mass "
                    f"after {generations} generations exceeds generation 0's by more than 4 SE "
                    "of the per-run increase (the table shows the increase)."),
            plot=plot_missing,
        ),
    ]


CHECK = Check(name="tails", title="Tail cutting by a finite sample (Hutter; Dohmatob et al.)",
              run=tail_rows)
