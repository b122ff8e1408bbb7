"""Print the table of docs/measurement.md: the field's estimators against the truth.

    python3 docs/measurement_table.py

``scenarios/baseline.toml`` for 36 steps, seeds 1–3; the window truth is the share of
AI-processed documents among the uploads of the estimator's window (steps after 0, the last
``measurement.window_steps``).
"""

from __future__ import annotations

import numpy as np

import ecosystem
from ecosystem.core.corpus import HUMAN
from ecosystem.model import EcosystemModel

STEPS = (0, 6, 12, 24, 36)
COLUMNS = ("ai_share", "window", "ai_share_detected", "excess_vocabulary",
           "excess_vocabulary_se", "ai_share_estimated", "ai_share_estimated_se", "nonusers")


def one_run(seed: int) -> dict[int, dict[str, float]]:
    """The columns of the table for one seed, by step."""
    sc = ecosystem.load_scenario("scenarios/baseline.toml", overrides={"scenario.steps": 36})
    model = EcosystemModel(sc, seed)
    for _ in range(sc.scenario.steps):
        model.step()
    ts = model.timeseries()
    docs = model.corpus.docs
    uploaded = np.arange(len(docs)) >= model.n_original
    width = sc.measurement.window_steps
    base = ts["gpt_rate_nonusers"][0]
    out = {}
    for t in STEPS:
        row = ts.row(t, named=True)
        window = uploaded & (docs.step > max(0, t - width)) & (docs.step <= t)
        out[t] = {**{c: row.get(c) for c in COLUMNS},
                  "window": float(np.mean(docs.origin[window] != HUMAN)) if window.any() else None,
                  "nonusers": row["gpt_rate_nonusers"] / base}
    return out


def main() -> None:
    """Print the table, means over seeds 1–3."""
    runs = [one_run(seed) for seed in (1, 2, 3)]
    print("| step | " + " | ".join(COLUMNS) + " |")
    for t in STEPS:
        cells = []
        for c in COLUMNS:
            values = [r[t][c] for r in runs]
            cells.append("null" if values[0] is None else f"{np.mean(values):.3f}")
        print(f"| {t} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
