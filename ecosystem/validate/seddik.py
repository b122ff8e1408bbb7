"""Collision probability of a categorical model retrained on its own samples (Seddik et al.).

Seddik et al. model next-token prediction as a categorical distribution p over a vocabulary,
refitted by counts to n samples of the previous generation. In the project's chain the
vocabulary is the set of style types, the model's type probabilities are p, and one generation
is one refit:

- n is ``ai.outputs_per_generation`` (the samples each generation is fitted to, under the
  replace regime);
- m is the number of refits after generation 0;
- S₀ = Σ p₀,ᵢ² is the collision probability of generation 0, fitted to the original corpus
  (the chance that two documents drawn from the model share a style).

Theorem 1 (fully synthetic loop): E[S_m | p₀] = 1 − (1 − 1/n)^m (1 − S₀), and the chain
collapses onto a single type, type i with probability p₀,ᵢ (each pᵢ is a martingale, and
collapse is absorbing).

References
----------
Seddik, Chen, Hayou, Youssef & Debbah, "How bad is training on synthetic data? A statistical
analysis of language model collapse", COLM 2024 (arXiv:2404.05090), Theorem 1.
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

REFERENCE = (
    "Seddik, Chen, Hayou, Youssef & Debbah, \"How bad is training on synthetic data? A "
    "statistical analysis of language model collapse\", COLM 2024 (arXiv:2404.05090)"
)
SOURCE = "Seddik et al., COLM 2024"
KEYS = ["content.types", "content.type_weights", "content.zipf_exponent",
        "content.initial_docs", "ai.outputs_per_generation", "ai.data_regime"]


def collision_after(s0: np.ndarray | float, n: int, m: np.ndarray | int) -> np.ndarray:
    """Seddik et al.'s Theorem 1: E[S_m] = 1 − (1 − 1/n)^m (1 − S₀)."""
    return 1.0 - (1.0 - 1.0 / n) ** np.asarray(m) * (1.0 - np.asarray(s0))


def full_synthesis_rows(budget: Budget) -> list[Row]:
    """Collision probability after m refits, and the type the chain collapses onto."""
    n, m, types, limit = 10, 10, 6, 400
    runs = budget.pick(200, 2000)
    sc = chain_scenario(
        "validate-seddik-full-synthesis", limit,
        content={"types": types, "type_weights": "zipf", "zipf_exponent": 1.0,
                 "initial_docs": 1000},
        ai={"outputs_per_generation": n},
    )

    def collapsed(model) -> bool:
        return int(model.current.state.known.sum()) == 1

    probs = trajectories(sc, range(runs), lambda model: model.current.state.probs,
                         until=collapsed)  # (runs, limit + 1, types)
    collision = np.sum(probs * probs, axis=2)
    s0 = collision[:, 0]
    steps = np.arange(limit + 1)
    # per run, Theorem 1's expectation given that run's generation 0
    expected = collision_after(s0[:, None], n, steps[None, :])
    theory = float(expected[:, m].mean())
    gap, se = mean_and_se(collision[:, m] - expected[:, m])
    tolerance, passed = compare_equal(theory, theory + gap, se)

    final = probs[:, -1, :]
    fixed = final.max(axis=1) == 1.0
    unfixed = int(np.count_nonzero(~fixed))
    onto = (final == 1.0).astype(float)  # (runs, types): the type each run collapsed onto
    initial = probs[:, 0, :]
    per_type = [mean_and_se(onto[:, i] - initial[:, i]) for i in range(types)]
    type_ok = [compare_equal(0.0, d, s)[1] for d, s in per_type]
    top = int(np.argmax(initial.mean(axis=0)))
    top_theory = float(initial[:, top].mean())
    top_gap, top_se = per_type[top]
    top_tolerance, _ = compare_equal(top_theory, top_theory + top_gap, top_se)
    shown = m + 1

    def plot_collision(ax):
        band(ax, steps[: 3 * shown], collision[:, : 3 * shown], "simulated S_m (mean ± 4 SE)")
        ax.plot(steps[: 3 * shown], expected[:, : 3 * shown].mean(axis=0), "k--",
                label="theory 1 − (1 − 1/n)^m (1 − S₀)")
        ax.axvline(m, color="0.6", linestyle=":", label=f"compared at m = {m}")
        ax.set_xlabel("refits m")
        ax.set_ylabel("collision probability Σ p²")
        ax.legend(fontsize="small")

    def plot_collapse(ax):
        x = np.arange(types)
        ax.bar(x - 0.2, initial.mean(axis=0), width=0.4, label="theory: p₀,ᵢ (mean over runs)")
        ax.bar(x + 0.2, onto.mean(axis=0), width=0.4,
               yerr=[4 * s for _, s in per_type], label="runs collapsed onto type i (± 4 SE)")
        ax.set_xlabel("style type i")
        ax.set_ylabel("probability")
        ax.legend(fontsize="small")

    lines = "; ".join(
        f"type {i}: p₀ {initial[:, i].mean():.3f}, collapsed {onto[:, i].mean():.3f}"
        for i in range(types))
    collision_row = Row(
        key="seddik-collision",
        claim=f"full synthesis: E[S_m] = 1 − (1 − 1/n)^m (1 − S₀) (n = {n}, m = {m})",
        source=SOURCE, reference=REFERENCE + ", Theorem 1",
        theory=theory, simulated=theory + gap, se=se, tolerance=tolerance, passed=passed,
        relation="=", replicates=f"{runs} runs", setting=setting_text(sc, KEYS),
        method=(
            "Collision probability S = Σ p² of the model's style probabilities after m refits, "
            "each on the n documents the previous generation wrote (replace regime). n is "
            "ai.outputs_per_generation, m the number of refits, S₀ the collision probability of "
            "generation 0 (fitted to the original corpus). Theory: per run, Theorem 1's "
            "expectation given that run's S₀, averaged; the standard error is that of the "
            "paired per-run difference."
        ),
        plot=plot_collision,
    )
    collapse_row = Row(
        key="seddik-collapse",
        claim=f"full synthesis: collapse onto type i with probability p₀,ᵢ (n = {n})",
        source=SOURCE, reference=REFERENCE + ", Theorem 1",
        theory=top_theory, simulated=top_theory + top_gap, se=top_se, tolerance=top_tolerance,
        passed=all(type_ok) and unfixed == 0, relation="=", replicates=f"{runs} runs",
        setting=setting_text(sc, KEYS),
        method=(
            f"Each run continues until one style is left (at most {limit} refits; {unfixed} "
            "runs unfixed: the row requires none). For every type i, the fraction of runs that "
            "collapsed onto it (0 or 1 per run) against its probability in the fitted "
            "generation 0, each within 4 SE of the paired per-run difference (the table shows "
            f"the commonest type, {top}). {lines}."
        ),
        plot=plot_collapse,
    )
    return [collision_row, collapse_row]


FULL_SYNTHESIS = Check(name="seddik", title="Collision probability under full synthesis "
                       "(Seddik et al., Thm 1)", run=full_synthesis_rows)
