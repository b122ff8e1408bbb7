"""Draw the README's tour figures: one per scenario file, beside the comparison it names.

    python3 docs/make_figures.py            # writes docs/figures/SCENARIO.png

Each figure shows the measures a scenario is about over time, as the file runs (solid) and with
the change its comment suggests for comparison (dashed), mean over three seeds. A scenario-
discovery file is swept as written (2 worker processes) and drawn as ``ecosystem discover``
draws its boxes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ecosystem  # noqa: E402

OUT = ROOT / "docs" / "figures"
SEEDS = (0, 1, 2)

# scenario: (measures, label of the file as written, {label of a comparison: overrides})
TOUR = {
    "baseline": (["ai_share", "tail_mass", "gpt_rate_nonusers", "neutral_share_users"],
                 "baseline", {"with interventions": "interventions"}),
    "interventions": (["tail_mass", "model_richness", "quality_ai"], "interventions",
                      {"baseline": "baseline"}),
    "collapse": (["model_richness", "tail_mass", "drift"], "replace",
                 {"accumulate": {"ai.data_regime": "accumulate"}}),
    "accumulate": (["model_richness", "drift", "model_variance"], "accumulate",
                   {"replace": {"ai.data_regime": "replace"}}),
    "greedy-dialects": (["top_share", "model_richness"], "greedy",
                        {"sampling": {"decoding.method": "sample"}}),
    "best-of-n": (["tail_mass", "model_richness", "quality_ai"], "best of 4",
                  {"best of 1": {"curation.best_of_n": 1}}),
    "finite-capacity": (["model_richness", "tail_mass"], "capacity 12, min_count 5",
                        {"unlimited": {"ai.capacity": "unlimited", "ai.min_count": 1}}),
    "quality-decay": (["artifact", "quality_ai"], "replace",
                      {"accumulate": {"ai.data_regime": "accumulate"}}),
    "gpt-words": (["gpt_rate_users", "gpt_rate_nonusers"], "40 % use AI",
                  {"nobody uses AI": {"population.ai_users": 0.0}}),
    "neutral-opinions": (["neutral_share_users", "neutral_share_nonusers", "stance_std"],
                         "AI pulls to neutral", {"no pull": {"opinion.ai_neutral_pull": 0.0}}),
    "prompts": (["model_entropy", "model_richness", "web_effective_styles"],
                "half use custom prompts",
                {"default prompts": {"prompts.custom_share": 0.0},
                 "no AI": {"population.ai_users": 0.0}}),
    "creativity": (["web_effective_styles", "people_richness", "model_richness"],
                   "innovation 0.01",
                   {"no innovation": {"population.innovation": 0.0}}),
    "sweep-data-regimes": (["model_richness", "drift"], "replace",
                           {"window": {"ai.data_regime": "window"},
                            "accumulate": {"ai.data_regime": "accumulate"}}),
    "sensitivity-collapse": (["model_richness", "drift"], "as written",
                             {"T = 0.5": {"decoding.temperature": 0.5}}),
}


DISCOVERY = {
    "policy-discovery": ("web_effective_styles", "above", 18.0),
}
"""Scenario-discovery files: (measure, direction, threshold) of the outcome drawn."""


def mean_run(scenario) -> pl.DataFrame:
    """The timeseries averaged over the seeds."""
    tables = [ecosystem.simulate(scenario, seed=seed).timeseries for seed in SEEDS]
    return pl.concat(tables).group_by("step").mean().sort("step")


def draw(name: str) -> Path:
    """Run one scenario and its comparisons, and draw the figure."""
    measures, label, comparisons = TOUR[name]
    base = ecosystem.load_scenario(ROOT / "scenarios" / f"{name}.toml")
    lines = {label: mean_run(base)}
    for other, change in comparisons.items():
        if isinstance(change, str):
            other_sc = ecosystem.load_scenario(ROOT / "scenarios" / f"{change}.toml")
        else:
            other_sc = base.with_overrides(change)
        lines[other] = mean_run(other_sc)
    figure = Figure(figsize=(3.2 * len(measures), 2.6), layout="constrained")
    axes = figure.subplots(1, len(measures), squeeze=False)[0]
    for ax, measure in zip(axes, measures, strict=True):
        for i, (text, table) in enumerate(lines.items()):
            values = table[measure].to_numpy().astype(float)
            ax.plot(table["step"], values, linestyle="-" if i == 0 else "--",
                    color=f"C{i}", label=text)
        ax.set_title(measure, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    figure.suptitle(f"{name}.toml: mean of seeds {', '.join(map(str, SEEDS))}", fontsize=9)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    figure.savefig(path, dpi=90)
    return path


def draw_discovery(name: str) -> Path:
    """Sweep a scenario-discovery file and draw PRIM's boxes for its outcome."""
    import tempfile

    from ecosystem.experiments.discover import discover, draw_discovery
    from ecosystem.experiments.sweep import run_sweep

    metric, direction, threshold = DISCOVERY[name]
    with tempfile.TemporaryDirectory() as tmp:
        run_sweep(ROOT / "scenarios" / f"{name}.toml", Path(tmp) / "sweep", workers=2)
        result = discover(Path(tmp) / "sweep", metric, **{direction: threshold})
    figure = draw_discovery(result)
    figure.suptitle(f"{name}.toml: {figure.get_suptitle()}", fontsize=9)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    figure.savefig(path, dpi=90)
    return path


def main() -> None:
    """Draw every figure of the tour."""
    for name in TOUR:
        print(draw(name))
    for name in DISCOVERY:
        print(draw_discovery(name))


if __name__ == "__main__":
    main()
