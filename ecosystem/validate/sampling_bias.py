"""Sampling bias with fresh real data: the variance settles at p / (1 − (1 − p)·λ).

Alemohammad et al.'s self-consuming loop with a fresh real share p: each generation trains on a
share p of original human documents and 1 − p of the previous generation's outputs, decoded with
a sampling bias λ (here the temperature: it scales the Gaussian's variance by λ). In units of the
original variance, V' = p·1 + (1 − p)·λ·V, whose fixed point is p / (1 − (1 − p)·λ); without
fresh data (p = 0) the variance collapses as λ^t.

In the model: ``interventions.human_data_reserve = p`` draws the real share from a large original
corpus, ``ai.training_docs = ai.outputs_per_generation = M`` with the replace regime fills the
rest with outputs, and ``decoding.temperature = λ``. The closed form leaves out terms of order
1/M (the biased ML variance of each part, and the spread between the two parts' means); their
exact expectation is computed by :func:`expected_variance`, and their size is added to the
tolerance as a stated, computed band.

References
----------
Alemohammad et al., "Self-consuming generative models go MAD", ICLR 2024.
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
    "Alemohammad, Casco-Rodriguez, Luzi, Humayun, Babaei, LeJeune, Siahkoohi & Baraniuk, "
    "\"Self-consuming generative models go MAD\", ICLR 2024"
)


def settled_variance(p: float, temperature: float) -> float:
    """The fixed point p / (1 − (1 − p)·λ) of V' = p + (1 − p)·λ·V."""
    return p / (1 - (1 - p) * temperature)


def expected_variance(
    reserve: int, synthetic: int, original: int, temperature: float, generations: int
) -> np.ndarray:
    """Exact expected ML variance of generations 0 … ``generations``, in original units.

    Parameters
    ----------
    reserve : int
        Original documents per training set, drawn without replacement from ``original``.
    synthetic : int
        Outputs of the previous generation per training set.
    original : int
        Size of the original corpus (whose ML variance is the unit).
    temperature : float
        λ: outputs are drawn with variance λ times the model's.
    generations : int
        Refits after generation 0.

    Notes
    -----
    With R reserve and S synthetic documents (M = R + S, r = R/M), the pooled ML variance is
    r·v_R + (1 − r)·v_S + r(1 − r)(m_R − m_S)². Taking expectations, with D the expected
    squared distance of the model's mean from the original mean and f = (N₀ − R)/(N₀ − 1) the
    finite-population factor::

        V' = r(1 − 1/R)·N₀/(N₀ − 1) + (1 − r)λV(1 − 1/S) + r(1 − r)(f/R + D + λV/S)
        D' = r²f/R + (1 − r)²(D + λV/S)
    """
    total = reserve + synthetic
    r = reserve / total
    f = (original - reserve) / (original - 1)
    v, drift = 1.0, 0.0
    out = [v]
    for _ in range(generations):
        v, drift = (
            r * (1 - 1 / reserve) * original / (original - 1)
            + (1 - r) * temperature * v * (1 - 1 / synthetic)
            + r * (1 - r) * (f / reserve + drift + temperature * v / synthetic),
            r * r * f / reserve + (1 - r) ** 2 * (drift + temperature * v / synthetic),
        )
        out.append(v)
    return np.array(out)


def sampling_bias_row(budget: Budget) -> Row:
    """The variance with a fresh real share p and temperature λ settles at p/(1 − (1 − p)λ)."""
    p, temperature = 0.2, 0.8
    original, size, dims = 20_000, 2_000, 16
    generations, burn_in = 40, 20
    runs = budget.pick(15, 100)
    sc = chain_scenario(
        "validate-sampling-bias", generations,
        content={"types": 1, "dims": dims, "initial_docs": original},
        ai={"outputs_per_generation": size, "training_docs": size},
        decoding={"temperature": temperature},
        interventions={"human_data_reserve": p},
    )
    variances = trajectories(sc, range(runs), lambda model: model.current.state.variances[0])
    ratio = (variances / variances[:, :1]).transpose(0, 2, 1).reshape(-1, generations + 1)
    reserve = round(p * size)
    exact = expected_variance(reserve, size - reserve, original, temperature, generations)
    ideal = settled_variance(p, temperature)
    window = slice(burn_in, generations + 1)
    # per chain, the average over the settled generations; chains are independent
    mean, se = mean_and_se(ratio[:, window].mean(axis=1))
    finite_sample = abs(float(exact[window].mean()) - ideal)
    tolerance, passed = compare_equal(ideal, mean, se, extra=finite_sample)

    def plot(ax):
        steps = np.arange(generations + 1)
        band(ax, steps, ratio, f"simulated, p = {p} (mean ± 4 SE)")
        ax.plot(steps, exact, "k-", linewidth=0.8, label="exact expectation, finite M")
        ax.axhline(ideal, color="k", linestyle="--", label="theory p / (1 − (1 − p)λ)")
        ax.plot(steps, temperature**steps, ":", color="C3", label="theory without fresh data, λ^t")
        ax.axvspan(burn_in, generations, color="0.9", label="averaged", zorder=0)
        ax.set_xlabel("generation")
        ax.set_ylabel("variance / original variance")
        ax.legend(fontsize="small")

    return Row(
        key="sampling-bias",
        claim=f"variance settles at p/(1 − (1−p)λ) (p = {p}, λ = {temperature})",
        source="Alemohammad et al., ICLR 2024", reference=REFERENCE,
        theory=ideal, simulated=mean, se=se, tolerance=tolerance, passed=passed, relation="=",
        replicates=f"{runs * dims} chains ({runs} runs × {dims} dims)",
        setting=setting_text(sc, ["content.types", "content.dims", "content.initial_docs",
                                  "ai.data_regime", "ai.outputs_per_generation",
                                  "ai.training_docs", "interventions.human_data_reserve",
                                  "decoding.temperature"]),
        method=(
            "Per dimension of each run: the fitted variance over generation 0's (the original "
            f"corpus's), averaged over generations {burn_in}–{generations}. Tolerance: 4 SE plus "
            f"the computed finite-sample correction {finite_sample:.1e} (the exact expectation "
            "at M documents per training set minus the closed form)."
        ),
        plot=plot,
    )


CHECK = Check(name="sampling-bias",
              title="Sampling bias with fresh real data (Alemohammad et al.)",
              run=lambda budget: [sampling_bias_row(budget)])
