"""Decoding and curation distort what is uploaded: greedy decoding and best-of-N.

- Greedy decoding (Taori & Hashimoto): the model always writes its mode, so one generation
  trained on greedy outputs holds the majority dialect at 100 %. Sampling draws types with the
  fitted probabilities, so a type's share is a martingale: its expectation stays put.
- Best-of-N (the article's "safe 80 beats the eccentric 79"): a curator keeps the best-scoring of
  N drafts, the score being quality plus a bonus for typical styles. One round posts the
  eccentric style with probability N·q·∫ f_e(s) F(s)^(N−1) ds (q its probability, f_e the
  density of its drafts' scores, F the distribution of any draft's score), below q. Repeated,
  one of the two styles is lost; which one depends on the bonus: at the article's contrast
  (1 point) the eccentric style often takes over, because the curated eccentric drafts are its
  best ones and the next generation learns a higher quality for it (see the rows' text).

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
    Z,
    band,
    chain_scenario,
    compare_above,
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


def dialects(method: str, steps: int, temperature: float = 1.0):
    """The article's sidewalk / pavement / footpath: 85 % American, 10 % British, 5 % Australian."""
    return chain_scenario(f"validate-dialects-{method}", steps,
                          content={"types": 3, "type_weights": [85.0, 10.0, 5.0],
                                   "initial_docs": 2000},
                          ai={"outputs_per_generation": 2000},
                          decoding={"method": method, "temperature": temperature})


def tempered(probs: np.ndarray, temperature: float) -> np.ndarray:
    """The type distribution sampled at temperature T: p^(1/T) / Σ p^(1/T)."""
    weights = np.where(probs > 0, probs, 0.0) ** (1.0 / temperature)
    return weights / weights.sum(axis=-1, keepdims=True)


def temperature_row(budget: Budget) -> Row:
    """One round of sampling at temperature T moves the type distribution to p^(1/T)/Σp^(1/T)."""
    temperature = 0.5
    runs = budget.pick(100, 600)
    sc = dialects("sample", 1, temperature)
    probs = trajectories(sc, range(runs), lambda model: model.current.state.probs)
    law = tempered(probs[:, 0, :], temperature)
    per_type = [mean_and_se(probs[:, 1, k] - law[:, k]) for k in range(3)]
    checks = [compare_equal(0.0, d, s)[1] for d, s in per_type]
    theory = float(law[:, 0].mean())
    gap, se = per_type[0]
    tolerance, _ = compare_equal(theory, theory + gap, se)
    lines = "; ".join(f"dialect {k}: p₀ {probs[:, 0, k].mean():.4f}, theory "
                      f"{law[:, k].mean():.4f}, simulated {probs[:, 1, k].mean():.4f}"
                      for k in range(3))

    def plot(ax):
        x = np.arange(3)
        ax.bar(x - 0.25, probs[:, 0].mean(axis=0), width=0.25, label="generation 0")
        ax.bar(x, law.mean(axis=0), width=0.25, label="theory p^(1/T) / Σ p^(1/T)")
        ax.bar(x + 0.25, probs[:, 1].mean(axis=0), width=0.25,
               yerr=[Z * s for _, s in per_type], label="simulated generation 1 (± 4 SE)")
        ax.set_xlabel("dialect (American, British, Australian)")
        ax.set_ylabel("probability")
        ax.legend(fontsize="small")

    return Row(
        key="temperature-round",
        claim=f"sampling at temperature T = {temperature}: one round moves p to p^(1/T)/Σp^(1/T)",
        source="Taori & Hashimoto, ICML 2023", reference=TAORI,
        theory=theory, simulated=theory + gap, se=se, tolerance=tolerance, passed=all(checks),
        relation="=", replicates=f"{runs} runs", setting=setting_text(
            sc, [*DIALECT_KEYS, "decoding.temperature"]),
        method=("Each run's generation-1 dialect probabilities, fitted to outputs sampled at "
                "temperature T, against the tempered distribution of its generation 0; every "
                "dialect within 4 SE of the paired difference (the table shows the majority). "
                f"{lines}. Temperature below 1 sharpens the choice of type: the majority gains."),
        plot=plot,
    )


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
    return [greedy_row, sample_row, temperature_row(budget)]


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


SAFE_SHARE, ECCENTRIC_SHARE = 60.0, 40.0
"""The two styles' weights in the culture: a safe (typical) style and an eccentric one."""

ARTICLE_GAP = 1.0
"""The article's contrast: a safe draft scores 1 point more than an eccentric draft of the same
quality ("the safe 80 beats the eccentric 79")."""

ARTICLE_WEIGHT = ARTICLE_GAP / (1 - ECCENTRIC_SHARE / SAFE_SHARE)
"""The typicality weight w that gives the article's contrast at the initial shares: the bonus is
w·p/max p, so the safe style's drafts lead by w·(1 − 0.4/0.6) = w/3 points, and w = 3."""

WIDTH, GENERATIONS = 4, 40


def styles(best_of_n: int, steps: int, weight: float = ARTICLE_WEIGHT):
    """A safe style (60 %) and an eccentric one (40 %) of the same quality.

    The curator keeps the best of ``best_of_n`` drafts by quality plus a typicality bonus of
    ``weight``·p/max p points (at the article's contrast the safe drafts lead by 1 point).
    """
    return chain_scenario(f"validate-best-of-{best_of_n}", steps,
                          content={"types": 2, "type_weights": [SAFE_SHARE, ECCENTRIC_SHARE],
                                   "initial_docs": 1000},
                          ai={"outputs_per_generation": 1000},
                          curation={"best_of_n": best_of_n, "typicality_weight": weight})


def _one_style_left(model) -> bool:
    return int(model.current.state.known.sum()) == 1


def _eccentric_and_quality(model) -> list[float]:
    state = model.current.state
    return [state.probs[1], state.quality[0], state.quality[1]]


def outcomes(weight: float, runs: int, best_of_n: int = WIDTH) -> np.ndarray:
    """Per run (runs, generations + 1, 3): eccentric share, safe and eccentric learned quality.

    A run stops once one style is left (absorbing: it can never come back).
    """
    return trajectories(styles(best_of_n, GENERATIONS, weight), range(runs),
                        _eccentric_and_quality, until=_one_style_left)


def _fractions(final_share: np.ndarray) -> dict[str, tuple[float, float]]:
    """Fraction of runs (± SE) in which the eccentric style, the safe one, or neither was lost."""
    out = {}
    for name, hit in (("eccentric lost", final_share == 0.0), ("safe lost", final_share == 1.0),
                      ("both kept", (final_share > 0) & (final_share < 1))):
        share = float(hit.mean())
        out[name] = (share, float(np.sqrt(share * (1 - share) / hit.size)))
    return out


def best_of_n_rows(budget: Budget) -> list[Row]:
    """One round follows order statistics; repeated, one style is lost, which one by the bonus."""
    weight = ARTICLE_WEIGHT

    def one_round(model):
        state = model.current.state
        return [best_of_n_shares(state, WIDTH, weight)[1], clip_bound(state, WIDTH),
                state.probs[1]]

    rounds = budget.pick(150, 1000)
    measured = trajectories(styles(WIDTH, 1), range(rounds), one_round)
    theory = measured[:, 0, 0]
    difference, se = mean_and_se(measured[:, 1, 2] - theory)
    expected = float(theory.mean())
    tolerance, round_passed = compare_equal(expected, expected + difference, se,
                                            extra=float(measured[:, 0, 1].mean()))
    runs = budget.pick(12, 30)
    bonuses = (0.0, 1.0, weight, 20.0) if budget.quick else (0.0, 1.0, 2.0, weight, 5.0, 10.0,
                                                              20.0)
    scan = {w: outcomes(w, runs) for w in bonuses}
    plain = outcomes(0.0, runs, best_of_n=1)
    curated = scan[weight]
    x = np.arange(GENERATIONS + 1)
    table = {w: _fractions(values[:, -1, 0]) for w, values in scan.items()}
    at_article = table[weight]
    # the mechanism: after one round, each style's learned quality (the curated drafts' mean)
    quality_gap, quality_se = mean_and_se(curated[:, 1, 2] - curated[:, 1, 1])
    _, eccentric_ahead = compare_above(0.0, quality_gap, quality_se)
    always = [w for w in bonuses if table[w]["eccentric lost"][0] == 1.0]
    smallest_always = min(always) if always else None

    def plot_round(ax):
        ax.scatter(measured[:, 0, 2], measured[:, 1, 2], s=8, label="runs: after one round")
        ax.scatter(measured[:, 0, 2], theory, s=8, marker="x", label="theory (order statistics)")
        lim = [measured[:, :, 2].min() - 0.01, measured[:, 0, 2].max() + 0.01]
        ax.plot(lim, lim, "k:", label="no curation (share unchanged)")
        ax.set_xlabel("eccentric share in generation 0")
        ax.set_ylabel("eccentric share in generation 1")
        ax.legend(fontsize="small")

    def plot_extinction(ax):
        band(ax, x, curated[:, :, 0], f"best of {WIDTH}, article's contrast (mean ± 4 SE)",
             "C3")
        band(ax, x, plain[:, :, 0], "best of 1: no curation (mean ± 4 SE)", "C0")
        for run in curated[:, :, 0]:
            ax.plot(x, run, color="C3", alpha=0.2, linewidth=0.6)
        ax.set_xlabel("generation")
        ax.set_ylabel("eccentric style's probability")
        ax.legend(fontsize="small")

    def plot_scan(ax):
        ws = np.array(bonuses)
        for name, colour in (("eccentric lost", "C3"), ("safe lost", "C2"),
                             ("both kept", "C0")):
            mean = np.array([table[w][name][0] for w in bonuses])
            err = np.array([table[w][name][1] for w in bonuses])
            ax.errorbar(ws, mean, yerr=Z * err, marker="o", capsize=3, label=name, color=colour)
        ax.axvline(weight, color="k", linestyle="--", label="article's contrast (1 point)")
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlabel("typicality weight w (safe drafts lead by w/3 points at 60/40)")
        ax.set_ylabel(f"fraction of runs after {GENERATIONS} generations (± 4 SE)")
        ax.legend(fontsize="small")

    round_row = Row(
        key="best-of-n-round",
        claim=f"best of {WIDTH}: one round keeps the eccentric style at N·q·∫f_e·F^(N−1)",
        source="order statistics", reference=ARTICLE,
        theory=expected, simulated=expected + difference, se=se, tolerance=tolerance,
        passed=round_passed, relation="=", replicates=f"{rounds} runs",
        setting=setting_text(styles(WIDTH, 1), STYLE_KEYS),
        method=("Per run, the eccentric style's probability in generation 1 against the order-"
                "statistics prediction from generation 0's fitted probabilities, quality means, "
                "quality spread and typicality bonus (the article's contrast: safe drafts lead "
                "by 1 point). Tolerance: 4 SE of the paired difference plus the computed bound "
                "on quality clipping."),
        plot=plot_round,
    )
    curated_scenario = styles(WIDTH, GENERATIONS)
    lost_one = bool(np.all((curated[:, -1, 0] == 0.0) | (curated[:, -1, 0] == 1.0)))
    control_keeps = bool(np.all((plain[:, -1, 0] > 0.0) & (plain[:, -1, 0] < 1.0)))
    kept_share, kept_se = at_article["both kept"]
    ecc, ecc_se = at_article["eccentric lost"]
    safe, safe_se = at_article["safe lost"]
    verdict = (f" but not, at this contrast, that the eccentric style is the one lost: it took "
               f"over in {safe:.0%} of runs" if safe > 0 else
               " and that the eccentric style is the one lost")
    extinction_row = Row(
        key="best-of-n-extinction",
        claim=(f"best of {WIDTH}, safe drafts 1 point ahead: one style is lost in every run "
               f"({GENERATIONS} generations); the eccentric one in {ecc:.0%}"),
        source="Sato (the safe 80 beats the eccentric 79)", reference=ARTICLE,
        theory=0.0, simulated=kept_share, se=kept_se, tolerance=0.0,
        passed=lost_one and control_keeps and eccentric_ahead, relation="=",
        theory_text="0 runs keep both", simulated_text=f"{kept_share:.0%} keep both",
        replicates=f"{runs} runs (+ {runs} without curation)",
        setting=setting_text(curated_scenario, STYLE_KEYS),
        method=(
            "At the article's contrast (a typicality weight w = "
            f"{weight:g}: at 60/40 a safe draft scores 1 point more than an eccentric draft of "
            f"the same quality). After {GENERATIONS} generations: the eccentric style was lost "
            f"in {ecc:.0%} ± {ecc_se:.0%} of runs, the safe one in {safe:.0%} ± {safe_se:.0%}, "
            f"both kept in {kept_share:.0%}; without curation (best of 1) both survive in every "
            "run. So the model supports the article's loss of diversity (curation leaves one "
            f"style){verdict}. Why: the curator keeps an eccentric draft "
            "only when its quality beats the safe drafts' bonus, so the eccentric drafts that "
            "reach the web are its best, and the next generation learns a higher quality for "
            "the eccentric style than for the safe one (after one round, eccentric minus safe "
            f"learned quality {quality_gap:.2f} ± {quality_se:.2g} points, asserted > 0 by "
            "4 SE). That advantage offsets the bonus; whichever style chance pushes ahead is "
            "then favoured by both the bonus and its learned quality, and the other is lost. "
            "Asserted: one style lost in every curated run, both kept in every uncurated run, "
            "and the learned-quality gap. See the scan row for the bonus at which the "
            "eccentric style is the one lost."
        ),
        plot=plot_extinction,
    )
    low, high = bonuses[1], bonuses[-1]
    gap = table[high]["eccentric lost"][0] - table[low]["eccentric lost"][0]
    gap_se = float(np.hypot(table[high]["eccentric lost"][1], table[low]["eccentric lost"][1]))
    gap_tol, rises = compare_above(0.0, gap, gap_se)
    lines = "; ".join(
        f"w = {w:g} (safe ahead {w * (1 - ECCENTRIC_SHARE / SAFE_SHARE):.2g} points): "
        f"eccentric lost {t['eccentric lost'][0]:.0%}, "
        f"safe lost {t['safe lost'][0]:.0%}, both kept {t['both kept'][0]:.0%}"
        for w, t in table.items())
    holds = (f"the eccentric style was lost in every run only for w ≥ {smallest_always:g}"
             if smallest_always is not None else
             "at no bonus scanned was the eccentric style lost in every run")
    scan_row = Row(
        key="best-of-n-bonus",
        claim=(f"best of {WIDTH}: the eccentric style is the one lost more often the larger the "
               f"typicality bonus (w = {low:g} → {high:g})"),
        source="Sato (the safe 80 beats the eccentric 79)", reference=ARTICLE,
        theory=0.0, simulated=gap, se=gap_se, tolerance=gap_tol, passed=rises, relation=">",
        theory_text="P(eccentric lost) rises", replicates=f"{runs} runs per bonus",
        setting=(setting_text(curated_scenario, STYLE_KEYS[:-1])
                 + f"; curation.typicality_weight ∈ {bonuses}"),
        method=(
            f"Scan over the typicality weight w, {runs} runs each, {GENERATIONS} generations: "
            f"{lines}. The table shows P(eccentric lost) at w = {high:g} minus at w = {low:g}, "
            f"asserted > 0 by 4 SE of the difference. The article's claim (the eccentric style "
            f"is the one eliminated) holds in the model only with a large bonus: {holds}."
        ),
        plot=plot_scan,
    )
    return [round_row, extinction_row, scan_row]


DECODING = Check(name="greedy",
                 title="Greedy decoding, sampling and temperature (Taori & Hashimoto)",
                 run=decoding_rows)
BEST_OF_N = Check(name="best-of-n",
                  title="Best-of-N curation: one style lost, which one set by the bonus",
                  run=best_of_n_rows)
