"""Custom prompts keep some diversity: more than default prompts, less than natural data.

Hataya et al. found that diversifying the prompts of the generator that pollutes the next
generation's data helps only slightly, and far less than training on natural data. In the model,
people write posts; AI users write through the current generation, either with the default
prompt (the model's typical styles, best-of-N curated) or with a custom prompt that conditions the
model on their own style (worth ``prompts.strength`` documents of it: p_cond(t | a) ∝ p(t) ·
N(a | μ_t, σ²_t)^strength). The lab retrains on the newest posts.
Three arms of the same population:

- natural data: nobody uses AI (``population.ai_users = 0``), everyone writes by hand;
- default prompts: AI users prompt the model with the default prompt (``prompts.custom_share = 0``);
- custom prompts: every AI user prompts it with their own style (``prompts.custom_share = 1``).

Why the ordering: a custom prompt can draw out a style the model still holds, but not one it has
forgotten (probability 0, or dropped by ``ai.min_count``), and the model's own preferences p(t)
leak into every prompt; so prompted output is more varied than default output yet narrower than
people's own.

References
----------
Hataya, Bao & Arai, "Will large-scale generative models corrupt future datasets?", ICCV 2023.
"""

from __future__ import annotations

import numpy as np

from ecosystem.scenario import load_scenario
from ecosystem.validate.base import (
    Budget,
    Check,
    Row,
    band,
    compare_above,
    mean_and_se,
    setting_text,
    trajectories,
)

REFERENCE = (
    "Hataya, Bao & Arai, \"Will large-scale generative models corrupt future datasets?\", "
    "ICCV 2023 (diversified prompts help slightly, far less than natural data)"
)
KEYS = ["population.humans", "population.creators", "population.ai_users", "content.types",
        "content.zipf_exponent", "ai.data_regime", "ai.min_count", "curation.best_of_n",
        "curation.typicality_weight", "prompts.custom_share", "prompts.strength"]
ARMS = {
    "natural data": {"population.ai_users": 0.0},
    "default prompts": {"prompts.custom_share": 0.0},
    "custom prompts": {"prompts.custom_share": 1.0},
}


def prompt_scenario(arm: str, steps: int):
    """The shared population, with one arm's overrides."""
    base = {
        "scenario": {"name": "validate-prompts", "steps": steps},
        "population": {"humans": 2000, "creators": 0.5, "ai_users": 0.8, "innovation": 0.0},
        "content": {"types": 40, "zipf_exponent": 1.2, "initial_docs": 2000},
        "ai": {"data_regime": "replace", "retrain_every": 1, "min_count": 3,
               "outputs_per_generation": 0},
        "curation": {"best_of_n": 2, "typicality_weight": 3.0},
        "prompts": {"custom_share": 1.0, "strength": 1.0},
    }
    return load_scenario(base, overrides=ARMS[arm])


def prompts_rows(budget: Budget) -> list[Row]:
    """Entropy of styles: default prompts < custom prompts < natural data."""
    steps, last = 30, 10
    # the default-prompt arm varies most between runs (which styles survive is luck), and its
    # runs are the cheapest: it gets the most replicates
    runs = {"natural data": budget.pick(15, 60), "default prompts": budget.pick(40, 160),
            "custom prompts": budget.pick(15, 60)}
    entropy = {}
    for arm, count in runs.items():
        sc = prompt_scenario(arm, steps)
        entropy[arm] = trajectories(sc, range(count), entropy_of)
    # per run, the mean over the last generations: a steadier figure than the last one alone
    settled = {arm: values[:, -last:].mean(axis=1) for arm, values in entropy.items()}
    summary = {arm: mean_and_se(values) for arm, values in settled.items()}
    x = np.arange(steps + 1)

    def plot(ax):
        for (arm, values), colour in zip(entropy.items(), ("C2", "C3", "C0"), strict=True):
            band(ax, x, values, f"{arm} (mean ± 4 SE)", colour)
        ax.axvspan(steps - last + 1, steps, color="0.9", label="averaged", zorder=0)
        ax.set_xlabel("generation")
        ax.set_ylabel("entropy of the model's styles (nats)")
        ax.legend(fontsize="small")

    arms_text = "; ".join(f"{arm}: {m:.3f} ± {s:.3f} nats over {runs[arm]} runs"
                          for arm, (m, s) in summary.items())
    method = (
        "Entropy of the model's style probabilities, averaged per run over the last "
        f"{last} of {steps} generations; {arms_text}. The row compares two arms: the "
        "difference of their means must exceed 0 by 4 standard errors of the difference "
        "(independent runs). The claim is about where recursive training leads, so it is "
        "measured at the end (see the figure for the whole path)."
    )
    rows = []
    for key, claim, better, worse in (
        ("prompts-vs-default", "custom prompts keep more diversity than default prompts",
         "custom prompts", "default prompts"),
        ("prompts-vs-natural", "custom prompts keep less diversity than natural data",
         "natural data", "custom prompts"),
    ):
        difference = summary[better][0] - summary[worse][0]
        se = float(np.hypot(summary[better][1], summary[worse][1]))
        tolerance, passed = compare_above(0.0, difference, se)
        rows.append(Row(
            key=key, claim=claim, source="Hataya et al., ICCV 2023", reference=REFERENCE,
            theory=0.0, simulated=difference, se=se, tolerance=tolerance, passed=passed,
            relation=">", replicates=f"{runs[better]} + {runs[worse]} runs",
            theory_text="entropy gap > 0",
            setting=(setting_text(prompt_scenario("custom prompts", steps), KEYS)
                     + f"; arms: natural data = {ARMS['natural data']}, default prompts = "
                     f"{ARMS['default prompts']}, custom prompts = {ARMS['custom prompts']}"),
            method=f"Entropy of {better} minus entropy of {worse}. " + method,
            plot=plot,
        ))
    return rows


def entropy_of(model) -> float:
    """Entropy (nats) of the current generation's style probabilities."""
    p = model.current.state.probs
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


CHECK = Check(name="prompts",
              title="Custom prompts vs default prompts vs natural data (Hataya et al.)",
              run=prompts_rows)
