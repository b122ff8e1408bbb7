"""Write docs/calibration.md from a calibration folder's own report.

    python3 docs/make_calibration.py runs/calibration-2022-2025

The figures and tables are the calibration's (``report.md``, ``marginals.png``, ``fit.png``,
``manifest.json``), copied, not recomputed; the command that reproduces them is the one the
manifest recorded.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
FIGURES = HERE / "figures"

INTRO = """# Calibration of the baseline

`scenarios/baseline.toml` calibrated by ABC-SMC (`ecosystem calibrate`, pyabc) against the
published figures of `scenarios/targets-2022-2025.toml`: one step is a month from November 2022
(step 0); the AI share of new web articles as Graphite's classifier measures it
(`ai_share_detected`, with its 4.2 % false-positive and 0.6 % false-negative rates), Yakura et
al.'s spoken marker words, Kobak et al.'s excess-vocabulary bound for 2024 and Abdulhai et al.'s
neutral heavy users. Every figure below is quoted from the calibration's own report
(`{folder}/report.md`); this page is written from it by `docs/make_calibration.py`.

Reproduce with (same seed, same posterior; {simulations} simulations, {minutes:.0f} min on two
worker processes of a 2-core machine shared with other work; `--workers 2` changes the speed,
not the numbers):

```bash
{command}
python3 docs/make_calibration.py {folder}
```

This is a small calibration ({populations} populations of {particles} particles over
{keys} keys): enough to show where the model can and cannot reach the figures, not a precise
posterior. A longer one is the same command with a larger `[calibration]` table.
"""

MISSES = """
## Where the model misses

{lines}
"""

READING = """
### Reading the misses

- **Words rise in the order of their AI preference.** People's per-word state is low-rank
  (`ecosystem/core/words.py`): a word's rate is a mixture of the human profile and the AI's
  house profile, so its rise relative to step 0 is (g − a)/g₀ + (a/g₀)·(A_w/H_w), the same
  mixture for every word times the word's profile ratio, which is its AI preference ratio up
  to a constant. The order of the rises is therefore fixed by the ratios: "delve" (28) above
  "realm" = "adept" (both the default 9.8, no single published ratio). Yakura et al. measured
  adept (+51 %) above delve (+48 %) above realm (+35 %), an order no parameter of this file can
  give. Per-word ratios can: `"gpt_words.ai_preference.adept" = {{ prior = "loguniform", ... }}`
  in `[parameters]` fits one word's ratio (a longer calibration than this one).
- **The excess-vocabulary bound.** Kobak et al.'s bound is the largest excess frequency of a
  marker word (or of "any of them") over its counterfactual, divided by 1 − q. A document of
  L = {document_words} words written at the AI's rate r of the {n_words} words contains one of them
  with probability at most about 1 − exp(−r·L/1,000) ({contains:.2f} at the posterior median
  r), so even a web of AI text gives a bound well below its processed share; Kobak et al.
  reach 13.5 % with hundreds of excess words in abstracts. Raising r (`gpt_words.ai_rate`)
  raises the bound, but also the speech rates Yakura et al. measured: the posterior keeps r low
  (median {ai_rate}); the speech targets win and the bound is missed.
"""

OUTRO = """
## The baseline's values

`scenarios/baseline.toml` takes the posterior medians above for the six calibrated keys (each
with its 90 % interval in a comment); the rest keep their hand-set values (`docs/defaults.md`
says how they were chosen). With {populations} populations of {particles} particles the
posterior is still wide, and where a target is out of the model's reach (above) a median is a
compromise between the targets, not a fit: read the baseline's figures with the intervals above,
and rerun the command with more populations and particles (`[calibration]` in the targets file)
for a narrower posterior.

## What the calibration does not claim

The targets fix a few points of a few trajectories. The model's month is a unit of bookkeeping:
the speed of every mechanism scales with its rate parameters. Diversity (`model_richness`,
`tail_mass`) and quality have no published field measurements to calibrate against; their
behaviour is checked against theory instead (`ecosystem validate`,
`tests/test_chain_theory.py`). Kobak et al.'s second figure, "delves" at 28 times its projected
frequency in 2024 abstracts, is a per-word frequency of the texts themselves; the run's tables
hold per-word rates of the AI and of people's speech, not of the uploads, so it is not a target.
"""


def main(folder: str) -> int:
    """Write docs/calibration.md and its figures from the calibration folder ``folder``."""
    folder_path = Path(folder)
    manifest = json.loads((folder_path / "manifest.json").read_text(encoding="utf-8"))
    report = (folder_path / "report.md").read_text(encoding="utf-8")
    FIGURES.mkdir(exist_ok=True)
    for name in ("marginals", "fit"):
        shutil.copyfile(folder_path / f"{name}.png", FIGURES / f"calibration-{name}.png")
    body = report.split("\n", 1)[1]  # the report's own title goes
    start = body.find("## Populations")
    body = body[start:] if start >= 0 else body
    body = (body.replace("(marginals.png)", "(figures/calibration-marginals.png)")
            .replace("(fit.png)", "(figures/calibration-fit.png)"))
    body = body.replace("## ", "### ")
    settings = manifest["settings"]
    text = INTRO.format(
        folder=folder, command=manifest.get("command") or "ecosystem calibrate ...",
        simulations=manifest["simulations"], minutes=manifest["wall_seconds"] / 60,
        populations=len(manifest["populations"]), particles=settings["particles"],
        keys=len(manifest["parameters"]))
    text += "\n## The calibration's report\n\n" + body.rstrip() + "\n"
    misses = [row for row in manifest.get("fit", []) if row["miss_sd"] is None
              or abs(row["miss_sd"]) > 2]
    if misses:
        lines = []
        for row in misses:
            name = row["label"] or row["target"]
            if row["miss_sd"] is None:
                lines.append(f"- {name}: undefined in the model's runs.")
                continue
            direction = "above" if row["miss_sd"] > 0 else "below"
            lines.append(
                f"- {name} (`{row['target']}`): observed {row['observed']:.3g} ± {row['sd']:.2g}; "
                f"the posterior predicts {row['predicted_median']:.3g} (90 %: "
                f"{row['predicted_q05']:.3g}–{row['predicted_q95']:.3g}), "
                f"{abs(row['miss_sd']):.1f} sd {direction} it.")
        text += MISSES.format(lines="\n".join(lines))
    else:
        text += MISSES.format(lines="Every target is within 2 sd of its posterior-predictive "
                                    "median.")
    summary = {row["key"]: row for row in manifest.get("summary", [])}
    rate = summary.get("gpt_words.ai_rate")
    scenario = (folder_path / "scenario.toml").read_text(encoding="utf-8")
    resolved = tomllib.loads(scenario)
    from ecosystem.core.words import make_vocabulary

    words = resolved["gpt_words"]
    vocabulary = make_vocabulary(tuple(words["words"]), dict(words["ai_preference"]))
    median_rate = rate["median"] if rate else vocabulary.house_rate
    length = resolved["measurement"]["document_words"]
    text += READING.format(
        n_words=len(vocabulary.words),
        contains=1 - math.exp(-median_rate * length / 1000),
        document_words=resolved["measurement"]["document_words"],
        ai_rate=(f"{rate['median']:.2g} per 1,000 words, 90 %: {rate['q05']:.2g}–"
                 f"{rate['q95']:.2g}; the default house rate is {vocabulary.house_rate:.2g}")
        if rate else "not calibrated here")
    text += OUTRO.format(populations=len(manifest["populations"]),
                         particles=settings["particles"])
    (HERE / "calibration.md").write_text(text, encoding="utf-8")
    print(HERE / "calibration.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
