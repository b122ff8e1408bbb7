"""Linear regression retrained on its own predictions, with the project's corpus and scraper.

The setting of Gerstgrasser et al. (after Dohmatob et al.): d features, T samples, a fixed design
X (T × d, standard normal), labels y = X·w* + ε with ε ~ N(0, σ²). Generation 0 is ordinary
least squares on the real labels; each later generation labels the same X with the previous
model's predictions plus fresh noise, and the next model is fitted on the data its regime keeps.
The test error ‖ŵ − w*‖² (isotropic test points, irreducible noise left out) is, in expectation,

- replace: n·σ²d/(T − d − 1) after n fits (each fit adds an independent (XᵀX)⁻¹Xᵀε);
- accumulate: σ²d/(T − d − 1)·Σ_{i=1}^{n} 1/i² < (π²/6)·σ²d/(T − d − 1), because the stacked
  fit on n copies of X averages the per-copy fits, so fit i's noise enters with weight 1/i.

How the project drives it: every labelled sample is a document of :class:`~ecosystem.core.corpus
.Docs` whose style point ``x`` holds the d features followed by the label, appended to a
:class:`~ecosystem.core.corpus.Corpus` with its ``step`` (the generation that wrote it) and
``origin`` (``HUMAN`` for the real labels). The training rows of each generation are chosen by
the lab's scraper, :func:`ecosystem.core.scrape.scrape`, under the data regime being validated;
only the model fitted to those rows (least squares instead of the style model) is new here.

References
----------
Gerstgrasser et al., "Is model collapse inevitable? Breaking the curse of recursion by
accumulating real and synthetic data", COLM 2024.
Dohmatob, Feng & Kempe, "Model collapse demystified: the case of regression", NeurIPS 2024.
"""

from __future__ import annotations

import numpy as np

from ecosystem.core.corpus import HUMAN, NO_AUTHOR, Corpus, Docs
from ecosystem.core.scrape import ScrapeParams, scrape
from ecosystem.validate.base import (
    Budget,
    Check,
    Row,
    band,
    compare_below,
    compare_equal,
    mean_and_se,
)

REFERENCE = (
    "Gerstgrasser et al., \"Is model collapse inevitable? Breaking the curse of recursion by "
    "accumulating real and synthetic data\", COLM 2024, Theorem 1 (after Dohmatob, Feng & "
    "Kempe, \"Model collapse demystified: the case of regression\", NeurIPS 2024)"
)


def labelled_docs(features: np.ndarray, labels: np.ndarray, origin: int, step: int) -> Docs:
    """Samples as documents: the style point holds the features, then the label."""
    n = labels.shape[0]
    return Docs.build(
        type=np.zeros(n), x=np.column_stack([features, labels]), quality=np.zeros(n),
        artifact=np.zeros(n), gpt_rate=np.zeros(n), stance=np.zeros(n),
        origin=np.full(n, origin), author=np.full(n, NO_AUTHOR), step=np.full(n, step),
    )


def regression_chain(
    regime: str, d: int, samples: int, generations: int, sigma: float, seed: int
) -> np.ndarray:
    """Test errors ‖ŵ_g − w*‖² of generations 0 … ``generations`` of one run.

    Parameters
    ----------
    regime : str
        The lab's data regime (``replace`` or ``accumulate``), applied by the core's scraper.
    d, samples : int
        Features and samples per generation (T).
    generations : int
        Refits after generation 0.
    sigma : float
        Label noise standard deviation.
    seed : int
        Root seed of the run.
    """
    design_rng, noise_rng, scrape_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(3)
    )
    # round the design to the corpus's float32 storage, so the stored rows are the design
    features = design_rng.standard_normal((samples, d)).astype(np.float32).astype(np.float64)
    truth = design_rng.standard_normal(d)
    corpus = Corpus(d + 1, capacity=samples * (generations + 1))
    corpus.append(labelled_docs(
        features, features @ truth + sigma * noise_rng.standard_normal(samples), HUMAN, 0))
    params = ScrapeParams(data_regime=regime)

    def least_squares(rows: Docs) -> np.ndarray:
        x = rows.x.astype(np.float64)
        return np.linalg.lstsq(x[:, :d], x[:, d], rcond=None)[0]

    weights = least_squares(corpus.docs)
    errors = [float(np.sum((weights - truth) ** 2))]
    for generation in range(1, generations + 1):
        labels = features @ weights + sigma * noise_rng.standard_normal(samples)
        corpus.append(labelled_docs(features, labels, generation - 1, generation))
        docs = corpus.docs
        chosen = scrape(docs.step, docs.origin, generation, generation - 1, samples, params,
                        scrape_rng)
        weights = least_squares(docs.take(chosen))
        errors.append(float(np.sum((weights - truth) ** 2)))
    return np.array(errors)


BOUND_FIT = 6
"""The fit at which the π²/6 bound is asserted on the simulation (see the accumulate row)."""


def regression_rows(budget: Budget) -> list[Row]:
    """Replacement's test error grows linearly; accumulation's stays below π²/6 × the first."""
    d, samples, generations, sigma = 10, 100, 20, 1.0
    # the accumulate row asserts a bound on its simulated mean, so it gets more runs
    runs = {"replace": budget.pick(300, 3000), "accumulate": budget.pick(600, 3000)}
    first = sigma**2 * d / (samples - d - 1)
    fits = np.arange(1, generations + 2)  # n: generation g is the (g + 1)-th fit
    theory = {"replace": fits.astype(float), "accumulate": np.cumsum(1.0 / fits**2)}
    scaled = {regime: np.array([regression_chain(regime, d, samples, generations, sigma, seed)
                                for seed in range(runs[regime])]) / first
              for regime in ("replace", "accumulate")}
    bound = np.pi**2 / 6

    def plot(ax):
        for regime, colour in (("accumulate", "C0"), ("replace", "C3")):
            band(ax, fits, scaled[regime], f"{regime}: simulated (mean ± 4 SE)", colour)
            ax.plot(fits, theory[regime], "--", color=colour, label=f"{regime}: theory")
        ax.axhline(bound, color="k", linestyle=":", label="π²/6")
        ax.set_xlabel("fit n")
        ax.set_ylabel("test error / (σ²d/(T − d − 1))")
        ax.legend(fontsize="small")

    setting = (f"d = {d}, T = {samples}, σ = {sigma}, fixed Gaussian design; "
               f"{generations} refits; rows chosen by ecosystem.core.scrape.scrape")
    rows = []
    mean, se = mean_and_se(scaled["replace"][:, -1])
    tolerance, passed = compare_equal(float(theory["replace"][-1]), mean, se)
    rows.append(Row(
        key="regression-replace",
        claim=f"replace: test error = n·σ²d/(T−d−1) (d = {d}, T = {samples}, n = {fits[-1]})",
        source="Gerstgrasser et al., COLM 2024", reference=REFERENCE,
        theory=float(theory["replace"][-1]), simulated=mean, se=se, tolerance=tolerance,
        passed=passed, relation="=", replicates=f"{runs['replace']} runs", setting=setting,
        method=(
            "Test error ‖ŵ − w*‖² of the n-th least-squares fit, in units of the first fit's "
            "expected error σ²d/(T − d − 1); the scraper's replace regime keeps only the "
            "previous model's labels."
        ),
        plot=plot,
    ))
    mean, se = mean_and_se(scaled["accumulate"][:, -1])
    tolerance, matches = compare_equal(float(theory["accumulate"][-1]), mean, se)
    # The bound is asserted on the simulation: at fit h the simulated mean plus 4 SE must lie
    # below π²/6. The first fit's expected error is exactly 1 in these units (Gaussian design),
    # so the per-run error at h is paired with the first fit's: 1 + mean(e_h − e_1), an
    # unbiased estimate with a smaller standard error.
    h = BOUND_FIT
    below, below_se = mean_and_se(scaled["accumulate"][:, h - 1] - scaled["accumulate"][:, 0])
    below += 1.0
    below_tolerance, bounded = compare_below(bound, below, below_se)
    rows.append(Row(
        key="regression-accumulate",
        claim=f"accumulate: test error ≤ (π²/6)·σ²d/(T−d−1) (n = {fits[-1]})",
        source="Gerstgrasser et al., COLM 2024", reference=REFERENCE,
        theory=float(theory["accumulate"][-1]), simulated=mean, se=se, tolerance=tolerance,
        passed=matches and bounded, relation="=",
        theory_text=f"{theory['accumulate'][-1]:.4g} (≤ π²/6 = {bound:.4g})",
        replicates=f"{runs['accumulate']} runs", setting=setting,
        method=(
            "As the replace row, with the scraper's accumulate regime keeping the real labels "
            "and every generation's. Two assertions, both required. (1) The simulated error at "
            f"fit n = {fits[-1]} matches the exact expectation Σ_{{i≤n}} 1/i². (2) The bound, "
            f"asserted on the simulation: at fit {h} the simulated mean "
            f"{below:.4g} ± {below_se:.2g} (paired with the first fit, whose expectation is "
            f"exactly 1) plus 4 SE ({below_tolerance:.2g}) lies below π²/6 = {bound:.4g}. "
            f"The bound is checked at fit {h} because the expected error approaches π²/6 from "
            "below like 1/n: the gap is "
            f"{bound - theory['accumulate'][h - 1]:.3f} at fit {h} and "
            f"{bound - theory['accumulate'][-1]:.3f} at fit {fits[-1]}, which these "
            "replicates cannot tell from 0."
        ),
        plot=plot,
    ))
    return rows


CHECK = Check(name="regression",
              title="Linear regression on its own predictions (Gerstgrasser et al.)",
              run=regression_rows)
