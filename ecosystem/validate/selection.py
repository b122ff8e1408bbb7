"""Decoding and curation distort what is uploaded: greedy decoding and best-of-N.

- Greedy decoding (Taori & Hashimoto): the model always writes its mode, so one generation
  trained on greedy outputs holds the majority dialect at 100 %. Sampling draws types with the
  fitted probabilities, so a type's share is a martingale: its expectation stays put.
- Best-of-N (the article's "safe 80 beats the eccentric 79"): a curator keeps the best-scoring of
  N drafts, the score being quality plus a bonus for typical styles. One round posts the
  eccentric style with probability N·q·∫ f_e(s) F(s)^(N−1) ds (q its probability, f_e the
  density of its drafts' scores, F the distribution of any draft's score), below q; repeated, the
  eccentric style goes extinct while the safe one survives.

References
----------
Taori & Hashimoto, "Data feedback loops: model-driven amplification of dataset biases",
ICML 2023.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from ecosystem.core.fit import ModelState
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

TAORI = (
    "Taori & Hashimoto, \"Data feedback loops: model-driven amplification of dataset biases\", "
    "ICML 2023"
)
ARTICLE = (
    "Sato, \"Model collapse: AI and diversity\" (the problem of filtering: best-of-N, the safe "
    "80 and the eccentric 79); order statistics of N independent drafts"
)
DIALECT_KEYS = ["content.types", "content.type_weights", "content.initial_docs",
                "ai.outputs_per_generation", "ai.data_regime", "decoding.method"]
STYLE_KEYS = ["content.types", "content.type_weights", "content.initial_docs",
              "ai.outputs_per_generation", "ai.data_regime", "curation.best_of_n",
              "curation.typicality_weight"]


def dialects(method: str, steps: int):
    """The article's sidewalk / pavement / footpath: 85 % American, 10 % British, 5 % Australian."""
    return chain_scenario(f"validate-dialects-{method}", steps,
                          content={"types": 3, "type_weights": [85.0, 10.0, 5.0],
                                   "initial_docs": 2000},
                          ai={"outputs_per_generation": 2000}, decoding={"method": method})


def decoding_rows(budget: Budget) -> list[Row]:
    """Greedy decoding takes the majority to 100 % in one round; sampling keeps its share."""
    steps = 10
    greedy_sc, sample_sc = dialects("greedy", steps), dialects("sample", steps)
    greedy_runs, sample_runs = budget.pick(10, 30), budget.pick(150, 1000)
    majority = lambda model: model.current.state.probs[0]  # noqa: E731
    greedy = trajectories(greedy_sc, range(greedy_runs), majority)
    sampled = trajectories(sample_sc, range(sample_runs), majority)
    x = np.arange(steps + 1)

    def plot(ax):
        band(ax, x, greedy, "greedy (mean ± 4 SE)", "C3")
        band(ax, x, sampled, "sample (mean ± 4 SE)", "C0")
        ax.axhline(1.0, color="C3", linestyle="--", label="theory, greedy: 100 % after one round")
        ax.axhline(sampled[:, 0].mean(), color="C0", linestyle="--",
                   label="theory, sample: the initial share")
        ax.set_xlabel("generation")
        ax.set_ylabel("share of the majority dialect")
        ax.legend(fontsize="small")

    mean, se = mean_and_se(greedy[:, 1])
    tolerance = 0.0
    passed = bool(np.all(greedy[:, 1] == 1.0))  # deterministic: every run, exactly
    greedy_row = Row(
        key="greedy-majority",
        claim="greedy: the majority dialect is 100 % after one round",
        source="Taori & Hashimoto, ICML 2023", reference=TAORI,
        theory=1.0, simulated=mean, se=se, tolerance=tolerance, passed=passed, relation="=",
        replicates=f"{greedy_runs} runs", setting=setting_text(greedy_sc, DIALECT_KEYS),
        method=("The majority (American) dialect's probability in generation 1, fitted to the "
                "greedy outputs of generation 0. A deterministic claim: it must hold in every "
                "run."),
        plot=plot,
    )
    # Two independent figures per run: the share must stay put on average (a martingale) AND
    # move by exactly Wright–Fisher noise, E[(p_t − p_0)² | p_0] = p_0(1 − p_0)(1 − (1 − 1/N)^t)
    # with N outputs per generation. A chain that is not retrained keeps the share but cannot
    # move it, and fails the second figure.
    outputs = sample_sc.ai.outputs_per_generation
    start, end = sampled[:, 0], sampled[:, steps]
    initial = float(start.mean())
    difference, se = mean_and_se(end - start)
    tolerance, share_ok = compare_equal(initial, initial + difference, se)
    spread_theory = start * (1 - start) * (1 - (1 - 1 / outputs) ** steps)
    spread_gap, spread_se = mean_and_se((end - start) ** 2 - spread_theory)
    spread_expected = float(spread_theory.mean())
    spread_tolerance, spread_ok = compare_equal(0.0, spread_gap, spread_se)
    spread_simulated = spread_expected + spread_gap
    sample_row = Row(
        key="sampling-keeps-majority",
        claim=(f"sampling: the majority's share stays at its initial share, moved only by "
               f"drift (t = {steps})"),
        source="Taori & Hashimoto, ICML 2023", reference=TAORI,
        theory=initial, simulated=initial + difference, se=se, tolerance=tolerance,
        passed=share_ok and spread_ok, relation="=", replicates=f"{sample_runs} runs",
        theory_text=f"{initial:.4g}; drift² {spread_expected:.3g}",
        simulated_text=(f"{initial + difference:.4g} ± {se:.2g}; drift² "
                        f"{spread_simulated:.3g} ± {spread_se:.2g}"),
        setting=setting_text(sample_sc, DIALECT_KEYS),
        method=("The majority dialect's probability after t generations of sampled outputs. "
                "Two figures, both required: its mean, against its probability in generation 0 "
                "(a martingale; the standard error is that of the per-run change); and its "
                "mean squared change (drift²), against the Wright–Fisher variance "
                "p₀(1 − p₀)(1 − (1 − 1/N)^t) with N outputs per generation, per run from its own "
                f"p₀ (tolerance ± {spread_tolerance:.2g}, 4 SE of the paired difference). A "
                "chain that is not retrained keeps the mean but has no drift, and fails."),
        plot=plot,
    )
    return [greedy_row, sample_row]


def best_of_n_shares(state: ModelState, n: int, typicality_weight: float) -> np.ndarray:
    """Probability that the best of ``n`` sampled drafts has each type (order statistics).

    A draft of type k scores Q_k + s·Z + w·p_k / max p (quality, noise, typicality bonus). The
    best of n is of type k with probability n·p_k·∫ φ_k(x)·F(x)^(n−1) dx, F = Σ_j p_j Φ_j.
    Quality clipping to [0, 100] is left out; :func:`clip_bound` bounds its effect.
    """
    p = state.probs
    known = np.flatnonzero(p > 0)
    centre = state.quality[known] + state.quality_shift + typicality_weight * p[known] / p.max()
    s = state.quality_std
    x = np.linspace(centre.min() - 12 * s, centre.max() + 12 * s, 40_001)
    z = (x[None, :] - centre[:, None]) / s
    cdf = p[known] @ norm.cdf(z)
    density = norm.pdf(z) / s
    out = np.zeros_like(p)
    out[known] = n * p[known] * np.trapezoid(density * cdf ** (n - 1), x, axis=1)
    return out


def clip_bound(state: ModelState, n: int) -> float:
    """Bound on how far quality clipping can move :func:`best_of_n_shares`.

    Without a clipped draft the curator's choice is the unclipped one, so the shares move by at
    most the probability that one of the n drafts is clipped.
    """
    known = state.probs > 0
    centre = state.quality[known] + state.quality_shift
    outside = norm.cdf(-centre / state.quality_std) + norm.sf((100 - centre) / state.quality_std)
    return float(min(1.0, n * outside.max()))


TYPICALITY_WEIGHT = 20.0
"""Bonus, in quality points, for the most typical style: twice the human quality spread."""


def styles(best_of_n: int, steps: int):
    """A safe style (60 %) and an eccentric one (40 %) of the same quality.

    The bonus for typicality is twice the quality spread. With a smaller bonus the safe style
    usually wins but not always: the eccentric drafts that beat the bonus are the best ones, so
    the eccentric style's fitted quality rises above the safe style's, and if chance keeps its
    share high for the first rounds it can take over (with a bonus of 5 points, about a quarter
    of runs).
    """
    return chain_scenario(f"validate-best-of-{best_of_n}", steps,
                          content={"types": 2, "type_weights": [60.0, 40.0],
                                   "initial_docs": 1000},
                          ai={"outputs_per_generation": 1000},
                          curation={"best_of_n": best_of_n,
                                    "typicality_weight": TYPICALITY_WEIGHT})


def best_of_n_rows(budget: Budget) -> list[Row]:
    """One round of best-of-N follows its order statistics; repeated, the eccentric style dies."""
    width, steps = 4, 40
    curated_sc = styles(width, steps)
    weight = curated_sc.curation.typicality_weight

    def one_round(model):
        state = model.current.state
        return [best_of_n_shares(state, width, weight)[1], clip_bound(state, width),
                state.probs[1]]

    rounds = budget.pick(150, 1000)
    measured = trajectories(styles(width, 1), range(rounds), one_round)
    theory = measured[:, 0, 0]
    difference, se = mean_and_se(measured[:, 1, 2] - theory)
    expected = float(theory.mean())
    tolerance, round_passed = compare_equal(expected, expected + difference, se,
                                            extra=float(measured[:, 0, 1].mean()))
    runs = budget.pick(5, 30)
    eccentric = lambda model: model.current.state.probs[1]  # noqa: E731
    curated = trajectories(curated_sc, range(runs), eccentric)
    plain = trajectories(styles(1, steps), range(runs), eccentric)
    x = np.arange(steps + 1)

    def plot_round(ax):
        ax.scatter(measured[:, 0, 2], measured[:, 1, 2], s=8, label="runs: after one round")
        ax.scatter(measured[:, 0, 2], theory, s=8, marker="x", label="theory (order statistics)")
        lim = [measured[:, :, 2].min() - 0.01, measured[:, 0, 2].max() + 0.01]
        ax.plot(lim, lim, "k:", label="no curation (share unchanged)")
        ax.set_xlabel("eccentric share in generation 0")
        ax.set_ylabel("eccentric share in generation 1")
        ax.legend(fontsize="small")

    def plot_extinction(ax):
        band(ax, x, curated, f"best of {width} (mean ± 4 SE)", "C3")
        band(ax, x, plain, "best of 1: no curation (mean ± 4 SE)", "C0")
        ax.axhline(0.0, color="k", linestyle="--", label="theory: extinct")
        ax.set_xlabel("generation")
        ax.set_ylabel("eccentric style's probability")
        ax.legend(fontsize="small")

    round_row = Row(
        key="best-of-n-round",
        claim=f"best of {width}: one round keeps the eccentric style at N·q·∫f_e·F^(N−1)",
        source="order statistics", reference=ARTICLE,
        theory=expected, simulated=expected + difference, se=se, tolerance=tolerance,
        passed=round_passed, relation="=", replicates=f"{rounds} runs",
        setting=setting_text(styles(width, 1), STYLE_KEYS),
        method=("Per run, the eccentric style's probability in generation 1 against the order-"
                "statistics prediction from generation 0's fitted probabilities, quality means, "
                "quality spread and typicality bonus. Tolerance: 4 SE of the paired difference "
                "plus the computed bound on quality clipping."),
        plot=plot_round,
    )
    mean, se = mean_and_se(curated[:, steps])
    tolerance = 0.0
    extinct = bool(np.all(curated[:, steps] == 0.0))  # in every run, not on average
    safe_survives = bool(np.all(curated[:, steps] < 1.0))
    control_keeps = bool(np.all(plain[:, steps] > 0.0))
    extinction_row = Row(
        key="best-of-n-extinction",
        claim=f"best of {width}: the eccentric style goes extinct, the safe one survives",
        source="Sato (the safe 80 beats the eccentric 79)", reference=ARTICLE,
        theory=0.0, simulated=mean, se=se, tolerance=tolerance,
        passed=extinct and safe_survives and control_keeps, relation="=",
        replicates=f"{runs} runs (+ {runs} without curation)",
        setting=setting_text(curated_sc, STYLE_KEYS),
        method=(f"The eccentric style's probability after {steps} generations: 0 in every run "
                "with best-of-N, while the safe style remains; without curation (best of 1) "
                "the eccentric style survives in every run."),
        plot=plot_extinction,
    )
    return [round_row, extinction_row]


DECODING = Check(name="greedy", title="Greedy decoding vs sampling (Taori & Hashimoto)",
                 run=decoding_rows)
BEST_OF_N = Check(name="best-of-n", title="Best-of-N curation erases the eccentric style",
                  run=best_of_n_rows)
