"""Loss of style types under replacement: the chain is a Wright–Fisher process.

Each generation fits type probabilities by counts to the N documents the previous generation
wrote, so the type counts are a multinomial resampling of the previous frequencies: neutral
Wright–Fisher drift. Two classical results follow, checked here through the real model:

- the expected Gini–Simpson index (heterozygosity) shrinks by (1 − 1/N) each generation, since
  E[1 − Σp'²] = 1 − Σ(p² + p(1 − p)/N) = (1 − Σp²)(1 − 1/N);
- type frequencies are martingales, so a type takes over (fixes) with probability equal to its
  initial share.

References
----------
Ewens, *Mathematical Population Genetics I*, 2nd ed., Springer 2004, §1.2 and §3.3.
Shumailov et al., "AI models collapse when trained on recursively generated data", Nature 2024.
"""

from __future__ import annotations

import numpy as np

from ecosystem.validate.base import (
    Budget,
    Check,
    Row,
    band,
    chain_scenario,
    compare_equal,
    mean_and_se,
    setting_text,
    trajectories,
)

SOURCE = "Wright–Fisher drift"
REFERENCE = (
    "Ewens, Mathematical Population Genetics I (2nd ed., Springer 2004), §1.2, §3.3; "
    "applied to recursive training by Shumailov et al., Nature 631 (2024)"
)


def gini_simpson(model) -> float:
    """Gini–Simpson index 1 − Σp² of the current generation's type probabilities."""
    p = model.current.state.probs
    return float(1.0 - np.sum(p * p))


def diversity_row(budget: Budget) -> Row:
    """Gini–Simpson under replacement shrinks as (1 − 1/N)^t."""
    n, t = 100, 20
    runs = budget.pick(300, 3000)
    sc = chain_scenario(
        "validate-wright-fisher", t,
        content={"types": 10, "type_weights": "uniform", "initial_docs": n},
        ai={"outputs_per_generation": n},
    )
    gs = trajectories(sc, range(runs), gini_simpson)
    ratio = gs / gs[:, :1]
    expected = (1 - 1 / n) ** np.arange(t + 1)
    mean, se = mean_and_se(ratio[:, t])
    tolerance, passed = compare_equal(expected[t], mean, se)

    def plot(ax):
        steps = np.arange(t + 1)
        band(ax, steps, ratio, "simulated (mean ± 4 SE)")
        ax.plot(steps, expected, "k--", label="theory (1 − 1/N)^t")
        ax.set_xlabel("generation t")
        ax.set_ylabel("Gini–Simpson / its value at t = 0")
        ax.legend()

    return Row(
        key="wright-fisher-diversity",
        claim=f"Gini–Simpson shrinks as (1 − 1/N)^t (N = {n}, t = {t})",
        source=SOURCE, reference=REFERENCE,
        theory=float(expected[t]), simulated=mean, se=se, tolerance=tolerance, passed=passed,
        relation="=", replicates=f"{runs} runs",
        setting=setting_text(sc, ["content.types", "content.type_weights", "content.initial_docs",
                                  "ai.outputs_per_generation", "ai.data_regime"]),
        method=(
            "Each run's Gini–Simpson index of the model's type probabilities at generation t, "
            "divided by its value at generation 0 (whose expectation given generation 0 is "
            "exactly (1 − 1/N)^t); mean and standard error over independent runs."
        ),
        plot=plot,
    )


FIXATION_LIMIT = 400
"""Most generations a fixation run continues (at N = 20 about 1e-9 of runs are still unfixed)."""


def fixation_row(budget: Budget) -> Row:
    """A type takes over with probability equal to its initial share."""
    n, limit = 20, FIXATION_LIMIT
    runs = budget.pick(400, 4000)
    sc = chain_scenario(
        "validate-fixation", limit,
        content={"types": 2, "type_weights": [70.0, 30.0], "initial_docs": n},
        ai={"outputs_per_generation": n},
    )

    def fixed(model) -> bool:
        return int(model.current.state.known.sum()) == 1

    share = trajectories(sc, range(runs), lambda model: model.current.state.probs[1],
                         until=fixed)
    initial, final = share[:, 0], share[:, -1]
    # Theory and simulation are independent figures: the theory is the minority's share in
    # the fitted generation 0, the simulation the fraction of runs in which it took over (an
    # indicator per run; a run not fixed by the step limit counts as not taken over, so a chain
    # that never drifts cannot pass).
    took_over = (final == 1.0).astype(float)
    unfixed = int(np.count_nonzero((final > 0) & (final < 1)))
    mean_initial = float(initial.mean())
    simulated = float(took_over.mean())
    _, se = mean_and_se(took_over - initial)
    tolerance, passed = compare_equal(mean_initial, simulated, se)

    def plot(ax):
        steps = np.arange(limit + 1)
        # draw until 99 % of runs have fixed, so the approach to fixation fills the plot
        unfixed_share = ((share > 0) & (share < 1)).mean(axis=0)
        done = np.flatnonzero(unfixed_share <= 0.01)
        shown = max(20, int(done[0]) + 1) if done.size else limit + 1
        band(ax, steps[:shown], share[:, :shown], "mean minority share (mean ± 4 SE)")
        ax.plot(steps[:shown], (share[:, :shown] == 1).mean(axis=0),
                label="runs where the minority took over")
        ax.plot(steps[:shown], (share[:, :shown] == 0).mean(axis=0),
                label="runs where the minority is extinct")
        ax.axhline(mean_initial, color="k", linestyle="--", label="theory: initial share")
        ax.set_xlabel("generation")
        ax.set_ylabel("share / fraction of runs")
        ax.legend(fontsize="small")

    return Row(
        key="wright-fisher-fixation",
        claim=f"P(a type takes over) = its initial share (N = {n})",
        source=SOURCE, reference=REFERENCE,
        theory=mean_initial, simulated=simulated, se=se, tolerance=tolerance, passed=passed,
        relation="=", replicates=f"{runs} runs",
        setting=setting_text(sc, ["content.types", "content.type_weights", "content.initial_docs",
                                  "ai.outputs_per_generation", "ai.data_regime"]),
        method=(
            "Each run continues until one of two styles is left (at most "
            f"{limit} generations; {unfixed} runs unfixed, counted as not taken over). Theory: "
            "the minority style's share in the fitted generation 0, averaged over runs; "
            "simulated: the fraction of runs in which it took over (0 or 1 per run, never "
            "built from the share). The standard error is that of the paired per-run "
            "difference (taken over − initial share)."
        ),
        plot=plot,
    )


CHECK = Check(
    name="wright-fisher",
    title="Type loss under replacement is Wright–Fisher drift",
    run=lambda budget: [diversity_row(budget), fixation_row(budget)],
)
