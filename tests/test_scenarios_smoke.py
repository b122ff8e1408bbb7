"""Every scenario in scenarios/ validates and runs a few steps."""

import tomllib

import pytest

import ecosystem
from ecosystem.experiments.calibrate import load_targets
from tests.conftest import SCENARIOS


def _is_targets_file(path) -> bool:
    return "targets" in tomllib.loads(path.read_text())


FILES = sorted(p for p in SCENARIOS.glob("*.toml") if not _is_targets_file(p))
TARGETS_FILES = sorted(p for p in SCENARIOS.glob("*.toml") if _is_targets_file(p))


def test_there_are_scenarios():
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_runs_a_few_steps(path):
    text = path.read_text()
    assert text.lstrip().startswith("#"), "each scenario says in a comment what it shows"
    sc = ecosystem.load_scenario(path)
    small = {"scenario.steps": min(sc.scenario.steps, 3)}
    if sc.population.humans > 2000:
        small["population.humans"] = 2000
    run = ecosystem.simulate(sc.with_overrides(small), seed=1)
    assert run.timeseries.height == small["scenario.steps"] + 1


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_is_in_the_readme_tour_with_a_figure(path):
    readme = (SCENARIOS.parent / "README.md").read_text()
    assert f"`scenarios/{path.name}`" in readme
    assert f"docs/figures/{path.stem}.png" in readme
    assert (SCENARIOS.parent / "docs" / "figures" / f"{path.stem}.png").is_file()


@pytest.mark.parametrize("path", TARGETS_FILES, ids=[p.stem for p in TARGETS_FILES])
def test_targets_file_checks_against_its_scenario(path):
    assert path.read_text().lstrip().startswith("#"), "each targets file says what it holds"
    calibration = load_targets(path)
    assert calibration.targets and calibration.parameters
    readme = (SCENARIOS.parent / "README.md").read_text()
    assert f"scenarios/{path.name}" in readme
    from viz.controls import scenario_files

    assert path.resolve() not in scenario_files(SCENARIOS)  # not offered as a scenario
