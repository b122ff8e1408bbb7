"""A Gaussian style refitted by maximum likelihood: variance collapse, and mean error by regime.

One style type, ``dims`` independent dimensions: every dimension of every run is an independent
chain (the documents' coordinates are drawn independently, and the fit is per dimension), so a
run of ``dims`` dimensions gives ``dims`` replicates.

- Variance (Shumailov et al.): refitting N samples with the biased ML variance multiplies the
  variance by a scaled χ²_{N−1}/N each generation, so E[ln σ²_t] − ln σ²_0 =
  t·(ψ((N − 1)/2) + ln(2/N)) exactly (ψ the digamma function).
- Mean's squared error against the true mean, in units of σ²/N (σ² the true variance):
  replacement adds the previous generation's variance / N each generation, and the biased
  variance shrinks by (N − 1)/N in expectation, so the error is
  1 + (N − 1)(1 − ((N − 1)/N)^t) — it grows like σ²(1 − ((N − 1)/N)^t), the random walk of the
  mean. Accumulation dilutes generation i's contribution by 1/(i + 1), so its error is
  1 + Σ_{i=1}^{t} v_{i−1}/(i + 1)² with v the expected variance, below Σ 1/i² < π²/6.

References
----------
Shumailov et al., "AI models collapse when trained on recursively generated data", Nature 2024.
Gerstgrasser et al., "Is model collapse inevitable? Breaking the curse of recursion by
accumulating real and synthetic data", COLM 2024.
Kazdan et al., "Collapse or thrive? Perils and promises of synthetic data in a self-generating
world", arXiv:2410.16713, 2024.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from ecosystem.validate.base import (
    Budget,
    Check,
    Row,
    band,
    chain_scenario,
    compare_below,
    compare_equal,
    mean_and_se,
    setting_text,
    trajectories,
)

SHUMAILOV = (
    "Shumailov, Shumaylov, Zhao, Papernot, Anderson & Gal, \"AI models collapse when trained on "
    "recursively generated data\", Nature 631, 755–759 (2024)"
)
GERSTGRASSER = (
    "Gerstgrasser et al., \"Is model collapse inevitable? Breaking the curse of recursion by "
    "accumulating real and synthetic data\", COLM 2024; Kazdan et al., \"Collapse or thrive? "
    "Perils and promises of synthetic data in a self-generating world\", arXiv:2410.16713 (2024)"
)
KEYS = ["content.types", "content.dims", "content.initial_docs", "ai.outputs_per_generation",
        "ai.data_regime"]


def log_variance_drift(n: int, t: np.ndarray) -> np.ndarray:
    """E[ln σ²_t] − ln σ²_0 after t refits on n samples: t·(ψ((n − 1)/2) + ln(2/n))."""
    return t * (digamma((n - 1) / 2) + np.log(2 / n))


def variance_row(budget: Budget) -> Row:
    """Shumailov et al.: the log variance of a refitted Gaussian drifts down linearly."""
    n, t, dims = 20, 10, 8
    runs = budget.pick(300, 2000)
    sc = chain_scenario("validate-gaussian-variance", t,
                        content={"types": 1, "dims": dims, "initial_docs": n},
                        ai={"outputs_per_generation": n})
    variances = trajectories(sc, range(runs), lambda model: model.current.state.variances[0])
    # (runs, t + 1, dims) → one chain per (run, dimension)
    log_ratio = np.log(variances / variances[:, :1]).transpose(0, 2, 1).reshape(-1, t + 1)
    expected = log_variance_drift(n, np.arange(t + 1))
    mean, se = mean_and_se(log_ratio[:, t])
    tolerance, passed = compare_equal(float(expected[t]), mean, se)

    def plot(ax):
        steps = np.arange(t + 1)
        band(ax, steps, log_ratio, "simulated (mean ± 4 SE)")
        ax.plot(steps, expected, "k--", label="theory t·(ψ((N−1)/2) + ln(2/N))")
        ax.set_xlabel("generation t")
        ax.set_ylabel("ln σ²_t − ln σ²_0")
        ax.legend()

    return Row(
        key="gaussian-variance",
        claim=f"E[ln σ²_t] − ln σ²_0 = t·(ψ((N−1)/2) + ln(2/N)) (N = {n}, t = {t})",
        source="Shumailov et al., Nature 2024", reference=SHUMAILOV,
        theory=float(expected[t]), simulated=mean, se=se, tolerance=tolerance, passed=passed,
        relation="=", replicates=f"{runs * dims} chains ({runs} runs × {dims} dims)",
        setting=setting_text(sc, KEYS),
        method=(
            "One style type; each generation is fitted by maximum likelihood (biased variance) "
            "to the N documents the previous one wrote. Per dimension of each run: the log of "
            "the fitted variance at generation t over generation 0's."
        ),
        plot=plot,
    )


def accumulated_error(n: int, t: int) -> np.ndarray:
    """Expected squared error of the mean under accumulation, in units σ²/N, for 0 … t.

    Generation i trains on (i + 1)·N documents: its mean moves by (x̄_i − μ_{i−1})/(i + 1),
    of variance v_{i−1}/(N(i + 1)²); pooling N draws into i·N documents multiplies the expected
    ML variance by 1 − 1/(N(i + 1)²); generation 0's variance is (N − 1)/N of the truth.
    """
    out = np.empty(t + 1)
    out[0] = 1.0
    v = (n - 1) / n
    for i in range(1, t + 1):
        out[i] = out[i - 1] + v / (i + 1) ** 2
        v *= 1 - 1 / (n * (i + 1) ** 2)
    return out


def replaced_error(n: int, t: np.ndarray) -> np.ndarray:
    """Expected squared error of the mean under replacement, in units σ²/N."""
    return 1 + (n - 1) * (1 - ((n - 1) / n) ** t)


BOUND_GENERATION = 5
"""The generation at which the π²/6 bound is asserted on the simulation (accumulate row)."""


def mean_error_rows(budget: Budget) -> list[Row]:
    """Gerstgrasser et al.: accumulation bounds the mean's error by π²/6; replacement walks."""
    n, t, dims = 50, 20, 16
    runs = budget.pick(200, 1000)
    scenarios = {
        regime: chain_scenario(f"validate-mean-{regime}", t,
                               content={"types": 1, "dims": dims, "initial_docs": n},
                               ai={"outputs_per_generation": n, "data_regime": regime})
        for regime in ("accumulate", "replace")
    }
    sigma2 = scenarios["accumulate"].content.type_std ** 2

    def squared_error(model):
        # the true mean of the human distribution is the culture's type centre
        gap = model.current.state.means[0] - model.culture.centres[0]
        return gap * gap * n / sigma2

    errors = {}
    for regime, sc in scenarios.items():
        values = trajectories(sc, range(runs), squared_error)
        errors[regime] = values.transpose(0, 2, 1).reshape(-1, t + 1)
    steps = np.arange(t + 1)
    theory = {"accumulate": accumulated_error(n, t), "replace": replaced_error(n, steps)}
    bound = np.pi**2 / 6

    def plot(ax):
        for regime, colour in (("accumulate", "C0"), ("replace", "C3")):
            band(ax, steps, errors[regime], f"{regime}: simulated (mean ± 4 SE)", colour)
            ax.plot(steps, theory[regime], "--", color=colour, label=f"{regime}: theory")
        ax.axhline(bound, color="k", linestyle=":", label="π²/6")
        ax.set_yscale("log")
        ax.set_xlabel("generation t")
        ax.set_ylabel("squared error of the mean / (σ²/N)")
        ax.legend(fontsize="small")

    rows = []
    chains = f"{runs * dims} chains ({runs} runs × {dims} dims)"
    mean, se = mean_and_se(errors["accumulate"][:, t])
    tolerance, matches = compare_equal(float(theory["accumulate"][t]), mean, se)
    # the bound, asserted on the simulation at generation h: generation 0's error has
    # expectation exactly 1 (the mean of N draws), so each chain's error at h is paired with it
    h = BOUND_GENERATION
    below, below_se = mean_and_se(errors["accumulate"][:, h] - errors["accumulate"][:, 0])
    below += 1.0
    below_tolerance, bounded = compare_below(bound, below, below_se)
    rows.append(Row(
        key="accumulate-mean-error",
        claim=f"accumulate: mean's squared error ≤ (π²/6)·σ²/N (N = {n}, t = {t})",
        source="Gerstgrasser et al., COLM 2024", reference=GERSTGRASSER,
        theory=float(theory["accumulate"][t]), simulated=mean, se=se, tolerance=tolerance,
        passed=matches and bounded, relation="=", replicates=chains,
        theory_text=f"{theory['accumulate'][t]:.4g} (≤ π²/6 = {bound:.4g})",
        setting=setting_text(scenarios["accumulate"], KEYS),
        method=(
            "Squared distance of the model's mean from the true mean of the human distribution "
            "(the culture's type centre), per dimension, in units of σ²/N (σ² the true "
            "variance). Two assertions, both required. (1) At t the simulation matches the "
            "exact expectation 1 + Σ v_{i−1}/(i + 1)². (2) The bound, asserted on the "
            f"simulation: at generation {h} the simulated mean {below:.4g} ± {below_se:.2g} "
            "(paired with generation 0, whose expectation is exactly 1) plus 4 SE "
            f"({below_tolerance:.2g}) lies below π²/6 = {bound:.4g}. It is checked at "
            f"generation {h} because the expected error approaches π²/6 from below like 1/t: "
            f"the gap is {bound - theory['accumulate'][h]:.3f} there and "
            f"{bound - theory['accumulate'][t]:.3f} at t = {t}, which these replicates cannot "
            "tell from 0."
        ),
        plot=plot,
    ))
    mean, se = mean_and_se(errors["replace"][:, t])
    tolerance, passed = compare_equal(float(theory["replace"][t]), mean, se)
    rows.append(Row(
        key="replace-mean-error",
        claim="replace: mean's squared error = σ²/N + σ²(1 − 1/N)(1 − ((N−1)/N)^t)",
        source="Gerstgrasser et al., COLM 2024", reference=GERSTGRASSER,
        theory=float(theory["replace"][t]), simulated=mean, se=se, tolerance=tolerance,
        passed=passed, relation="=", replicates=chains,
        setting=setting_text(scenarios["replace"], KEYS),
        method=(
            "As the accumulate row, with each generation trained only on the previous "
            "generation's N outputs: generation 0's error σ²/N plus the random walk of the "
            "mean, σ²(1 − 1/N)(1 − ((N − 1)/N)^t), in units of σ²/N."
        ),
        plot=plot,
    ))
    return rows


VARIANCE = Check(name="gaussian-variance",
                 title="Variance of a refitted Gaussian (Shumailov et al.)", run=lambda b: [
                     variance_row(b)])
MEAN_ERROR = Check(name="mean-error",
                   title="Accumulation vs replacement of the mean (Gerstgrasser et al.)",
                   run=mean_error_rows)


def _mean_chi(samples: int) -> float:
    """E[σ̂/σ] of the ML standard deviation of M normal draws: √(2/M)·Γ(M/2)/Γ((M−1)/2)."""
    return float(np.sqrt(2.0 / samples)
                 * np.exp(gammaln(samples / 2.0) - gammaln((samples - 1) / 2.0)))


def expected_w2(sizes: np.ndarray, unbiased: bool = False) -> np.ndarray:
    """Exact E[W₂²] / σ² of generation g = 0 … len(sizes) − 1 from the true Gaussian.

    Parameters
    ----------
    sizes : ndarray of int
        M_g, the samples generation g is fitted to (generation 0: the original corpus, drawn
        from the truth; generation g > 0: the outputs of generation g − 1).
    unbiased : bool
        Use the unbiased variance (Shumailov et al.'s estimator) instead of the ML one.

    Notes
    -----
    In one dimension W₂² between N(μ, σ²) and N(μ̂, σ̂²) is (μ̂ − μ)² + (σ̂ − σ)². With the
    ML fit, σ̂²_g = σ̂²_{g−1}·χ²_{M−1}/M and μ̂_g = μ̂_{g−1} + σ̂_{g−1}·Z/√M, independent, so with
    a = (M − 1)/M and c = E√(χ²_{M−1}/M) = √(2/M)·Γ(M/2)/Γ((M−1)/2) (products over the fits
    up to g, empty products 1)::

        E[(μ̂_g − μ)²] = σ² Σ_{i ≤ g} (1/M_i) Π_{j < i} a_j
        E[(σ̂_g − σ)²] = σ² (Π_{j ≤ g} a_j − 2 Π_{j ≤ g} c_j + 1)

    To first order in 1/M, a ≈ 1 − 1/M and c ≈ 1 − 3/(4M), so the sum is (3/2)σ² Σ 1/M_i,
    Shumailov et al.'s rate; the unbiased estimator has a = 1 and c ≈ 1 − 1/(4M) and the same
    first order. The two part once Σ 1/M_i is not small: the ML variance shrinks
    geometrically, so E[W₂²] saturates at 2σ², while the unbiased one's keeps growing.
    """
    sizes = np.asarray(sizes, dtype=float)
    if unbiased:
        a = np.ones_like(sizes)
        c = np.array([_mean_chi(int(m)) * np.sqrt(m / (m - 1)) for m in sizes])
    else:
        a = (sizes - 1) / sizes
        c = np.array([_mean_chi(int(m)) for m in sizes])
    before = np.concatenate([[1.0], np.cumprod(a)[:-1]])  # Π_{j < i} a_j
    mean_part = np.cumsum(before / sizes)
    return mean_part + np.cumprod(a) - 2 * np.cumprod(c) + 1


def wasserstein_row(budget: Budget) -> Row:
    """Shumailov et al. (SI): E[W₂²] of the refitted Gaussian grows as (3/2)σ² Σ 1/M_i."""
    m, t, dims = 50, 30, 16
    runs = budget.pick(100, 600)
    sc = chain_scenario("validate-gaussian-w2", t,
                        content={"types": 1, "dims": dims, "initial_docs": m},
                        ai={"outputs_per_generation": m})
    sigma = sc.content.type_std

    def w2(model):
        state = model.current.state
        gap = state.means[0] - model.culture.centres[0]
        return (gap * gap + (np.sqrt(state.variances[0]) - sigma) ** 2) / sigma**2

    values = trajectories(sc, range(runs), w2).transpose(0, 2, 1).reshape(-1, t + 1)
    sizes = np.full(t + 1, m)
    exact = expected_w2(sizes)
    unbiased = expected_w2(sizes, unbiased=True)
    linear = 1.5 * np.cumsum(1.0 / sizes)
    mean, se = mean_and_se(values[:, t])
    tolerance, passed = compare_equal(float(exact[t]), mean, se)
    steps = np.arange(t + 1)

    def plot(ax):
        band(ax, steps, values, "simulated (mean ± 4 SE)")
        ax.plot(steps, exact, "k--", label="theory, ML variance (exact)")
        ax.plot(steps, linear, ":", color="C3", label="(3/2)σ² Σ 1/M_i (Shumailov, first order)")
        ax.plot(steps, unbiased, "-.", color="C2", label="unbiased variance (exact)")
        ax.set_xlabel("generation g")
        ax.set_ylabel("W₂² to the original Gaussian / σ²")
        ax.legend(fontsize="small")

    return Row(
        key="gaussian-w2",
        claim=f"E[W₂²] grows as (3/2)σ²Σ1/M_i; ML fit, exact (M = {m}, g = {t})",
        source="Shumailov et al., Nature 2024 (SI)", reference=SHUMAILOV + ", Supplementary "
        "Information, Gaussian model collapse",
        theory=float(exact[t]), simulated=mean, se=se, tolerance=tolerance, passed=passed,
        relation="=", replicates=f"{runs * dims} chains ({runs} runs × {dims} dims)",
        setting=setting_text(sc, KEYS),
        method=(
            "Per dimension of each run: W₂² = (μ̂ − μ)² + (σ̂ − σ)² between the fitted Gaussian "
            "and the culture's (the true one), in units of σ². Shumailov et al. state the rate "
            "(3/2)σ² Σ 1/M_i for the unbiased variance; the model fits the biased ML variance, "
            "for which the exact expectation is Σ_{i≤g} (1/M_i) Π_{j<i} a_j + Π a_j − 2 Π c_j + 1 "
            "with a = (M − 1)/M, c = √(2/M)·Γ(M/2)/Γ((M − 1)/2) (derivation in docs/ODD.md and "
            "ecosystem.validate.gaussian.expected_w2); both equal (3/2)σ² Σ 1/M_i to first "
            f"order. At g = {t}: exact ML {exact[t]:.3f}, first order {linear[t]:.3f}, "
            f"unbiased {unbiased[t]:.3f}; the row compares with the exact ML form."
        ),
        plot=plot,
    )


WASSERSTEIN = Check(name="gaussian-w2",
                    title="Wasserstein distance of a refitted Gaussian (Shumailov et al., SI)",
                    run=lambda b: [wasserstein_row(b)])
