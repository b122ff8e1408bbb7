"""Agent-based simulation of the human–AI content ecosystem.

AI models are trained on the web; their outputs are decoded, curated, uploaded and scraped back
into the training data of the next generation, while people on a social graph write with AI, pick
up "GPT words" and drift in their opinions.

>>> import ecosystem
>>> sc = ecosystem.load_scenario("scenarios/baseline.toml")     # doctest: +SKIP
>>> run = ecosystem.simulate(sc, seed=7)                        # doctest: +SKIP
>>> run.timeseries                                              # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from ecosystem.scenario import Scenario, ScenarioError, load_scenario

try:
    __version__ = version("ecosystem")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

__all__ = ["Run", "Scenario", "ScenarioError", "__version__", "calibrate", "load_scenario",
           "simulate", "sweep"]


def __getattr__(name: str):
    # Heavier layers load on first use, so `import ecosystem` stays quick.
    if name in ("Run", "simulate"):
        from ecosystem import run

        return getattr(run, name)
    if name == "sweep":
        from ecosystem.experiments.sweep import sweep

        return sweep
    if name == "calibrate":
        from ecosystem.experiments.calibrate import calibrate

        return calibrate
    raise AttributeError(f"module 'ecosystem' has no attribute {name!r}")
