"""The dashboard's settings: which keys they set, and the baseline and intervention scenarios."""

import numpy as np
import pytest

import ecosystem
from ecosystem import ScenarioError
from ecosystem.scenario import flat_keys
from tests.conftest import ROOT
from viz.controls import (
    CONTROLS,
    DASHBOARD_MAX_HUMANS,
    LOOP_KEY,
    REPLICATES,
    WHATIF,
    WORLD,
    build_scenarios,
    check_replicates,
    describe_changes,
    loop_of,
    open_scenario,
    scenario_files,
    values_of,
    whatif_scenario,
)


@pytest.fixture
def base(small_file):
    scenario, notes = open_scenario(small_file)
    assert notes == []
    return scenario


def test_every_control_sets_a_scenario_key_and_offers_only_allowed_choices(base):
    keys = set(flat_keys())
    world, whatif = values_of(base, WORLD), values_of(base, WHATIF)
    for control in WORLD + WHATIF:
        assert control.key in keys
        assert control.label and len(control.help) > 40, control.key
        for value, _ in control.choices:
            if value == "edgelist":
                continue  # needs a file; offered only when the scenario names one
            if control in WORLD:
                baseline, intervention, _ = build_scenarios(
                    base, {**world, control.key: value}, whatif)
                assert baseline.get(control.key) == value
            else:
                _, intervention, _ = build_scenarios(
                    base, world, {**whatif, control.key: value})
            if control.key == LOOP_KEY:
                assert loop_of(intervention) == value  # a loop sets several keys
            else:
                assert intervention.get(control.key) == value


def test_issue_knobs_all_have_controls():
    wanted = {
        "ai.data_regime", "interventions.human_data_reserve", "interventions.detector_recall",
        "decoding.method", "decoding.temperature", "curation.best_of_n", "population.ai_users",
        "prompts.custom_share", "ai.capacity", "population.innovation", "population.humans",
        "network.kind", "scenario.seed", "scenario.steps",
    }
    assert wanted <= set(CONTROLS)
    assert {c.key for c in WORLD} == {"population.humans", "network.kind", "scenario.seed",
                                      "scenario.steps"}


def test_unchanged_settings_give_two_identical_scenarios(base):
    baseline, intervention, changes = build_scenarios(
        base, values_of(base, WORLD), values_of(base, WHATIF)
    )
    assert changes == {}
    assert baseline == base
    assert intervention == base


def test_world_settings_apply_to_both_runs_and_whatif_only_to_the_intervention(base):
    world = {**values_of(base, WORLD), "population.humans": 123, "scenario.seed": 9}
    whatif = {**values_of(base, WHATIF), "ai.data_regime": "replace",
              "decoding.temperature": 0.5, "interventions.detector_recall": 0.8}
    baseline, intervention, changes = build_scenarios(base, world, whatif)
    for scenario in (baseline, intervention):
        assert scenario.population.humans == 123
        assert scenario.scenario.seed == 9
    assert baseline.ai.data_regime == "accumulate"
    assert baseline.decoding.temperature == 1.0
    assert intervention.ai.data_regime == "replace"
    assert intervention.decoding.temperature == 0.5
    assert intervention.interventions.detector_recall == 0.8
    assert changes == {"ai.data_regime": "replace", "decoding.temperature": 0.5,
                       "interventions.detector_recall": 0.8}
    lines = describe_changes(changes, baseline)
    assert "What the lab trains on: Everything ever uploaded (accumulate) → Only the newest " \
           "uploads (replace)" in lines
    assert "Temperature: 1.0 → 0.5" in lines


def test_empty_capacity_means_unlimited(base):
    assert values_of(base, WHATIF)["ai.capacity"] is None
    whatif = {**values_of(base, WHATIF), "ai.capacity": 5}
    _, intervention, changes = build_scenarios(base, values_of(base, WORLD), whatif)
    assert intervention.ai.capacity == 5 and changes == {"ai.capacity": 5}
    whatif["ai.capacity"] = None
    _, intervention, changes = build_scenarios(base, values_of(base, WORLD), whatif)
    assert intervention.ai.capacity == "unlimited" and changes == {}


def test_fixed_size_subsample_gets_the_size_of_the_original_corpus(base):
    whatif = {**values_of(base, WHATIF), "ai.data_regime": "accumulate-subsample"}
    _, intervention, _ = build_scenarios(base, values_of(base, WORLD), whatif)
    assert intervention.ai.training_docs == base.content.initial_docs


def test_training_loops_map_to_the_papers_keys(base):
    """Each choice of "What the lab trains on" is one of the papers' loops (README table)."""
    world, whatif = values_of(base, WORLD), values_of(base, WHATIF)
    n = originals = base.content.initial_docs  # the small scenario trains on "all"

    def loop(name):
        return build_scenarios(base, world, {**whatif, LOOP_KEY: name})[1]

    fixed = loop("fixed-real")
    assert (fixed.ai.data_regime, fixed.ai.training_docs) == ("replace", originals + n)
    # The reserve contract: round(r·M) originals, the same N every generation.
    assert round(fixed.interventions.human_data_reserve * fixed.ai.training_docs) == originals
    fresh = loop("fresh-real")
    assert fresh.ai.data_regime == "replace" and fresh.interventions.fresh_human_docs == n // 2
    assert loop("accumulate").ai.training_docs == "all"
    assert loop("replace").interventions.fresh_human_docs == 0


def test_no_two_training_loops_give_the_same_runs_on_the_baseline():
    """On the project's baseline (cut to 500 people and 13 months: three trainings), every
    choice of "What the lab trains on" changes what the lab trains on, so its runs differ."""
    base = ecosystem.load_scenario(
        ROOT / "scenarios" / "baseline.toml",
        overrides={"population.humans": 500, "scenario.steps": 13})
    world, whatif = values_of(base, WORLD), values_of(base, WHATIF)
    series = {}
    for value, _label in CONTROLS[LOOP_KEY].choices:
        _, intervention, _ = build_scenarios(base, world, {**whatif, LOOP_KEY: value})
        table = ecosystem.simulate(intervention, progress=False).timeseries
        series[value] = table.select("model_entropy", "tail_mass", "model_variance",
                                     "drift").to_numpy()
    names = list(series)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not np.array_equal(series[a], series[b]), (a, b)


def test_non_numeric_entries_name_the_control():
    people = CONTROLS["population.humans"]
    assert people.parse(" 100,000 ") == 100_000
    with pytest.raises(ValueError, match="People: “ten” is not a number; type a whole number"):
        people.parse("ten")
    with pytest.raises(ValueError, match=r"People: “2\.5” is not a number"):
        people.parse("2.5")
    temperature = CONTROLS["decoding.temperature"]
    assert temperature.parse("0.5") == 0.5
    with pytest.raises(ValueError, match="Temperature: “abc”"):
        temperature.parse("abc")
    capacity = CONTROLS["ai.capacity"]
    assert capacity.parse("") is None and capacity.parse("unlimited") is None
    assert capacity.to_text(None) == "unlimited" and capacity.to_text(7) == "7"


def test_months_zero_and_bad_replicates_are_refused_in_words(base):
    world = {**values_of(base, WORLD), "scenario.steps": 0}
    with pytest.raises(ScenarioError, match=r"Months to simulate — scenario\.steps: the "
                                            "dashboard needs at least 1 month"):
        build_scenarios(base, world, values_of(base, WHATIF))
    assert check_replicates(5) == 5
    for bad in (0, 21, 2.5):
        with pytest.raises(ScenarioError, match=REPLICATES.label):
            check_replicates(bad)


def test_out_of_range_numbers_are_refused_with_the_label_key_and_bounds(base):
    whatif = {**values_of(base, WHATIF), "decoding.temperature": -1.0, "curation.best_of_n": 0}
    with pytest.raises(ScenarioError) as caught:
        build_scenarios(base, values_of(base, WORLD), whatif)
    text = "\n".join(caught.value.messages)
    assert "Temperature — decoding.temperature" in text
    assert "greater than 0" in text
    assert "Drafts per post (best-of-N) — curation.best_of_n" in text
    world = {**values_of(base, WORLD), "scenario.steps": -3}
    with pytest.raises(ScenarioError, match=r"Months to simulate — scenario\.steps"):
        build_scenarios(base, world, values_of(base, WHATIF))


def test_people_above_the_dashboard_limit_are_refused(base):
    world = {**values_of(base, WORLD), "population.humans": DASHBOARD_MAX_HUMANS + 1}
    with pytest.raises(ScenarioError, match="ecosystem run"):
        build_scenarios(base, world, values_of(base, WHATIF))


def test_a_file_asking_for_more_people_is_capped_with_a_note(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text("[population]\nhumans = 2000000\n", encoding="utf-8")
    scenario, notes = open_scenario(path)
    assert scenario.population.humans == DASHBOARD_MAX_HUMANS
    assert len(notes) == 1 and "2,000,000" in notes[0] and "ecosystem run" in notes[0]


def test_a_broken_file_raises_the_schema_messages(scenario_folder):
    with pytest.raises(ScenarioError) as caught:
        open_scenario(scenario_folder / "broken.toml")
    text = "\n".join(caught.value.messages)
    assert "decoding.temperature" in text and "ai.data_regime" in text


def test_saved_scenario_is_renamed_described_and_loads_back(base, tmp_path):
    whatif = {**values_of(base, WHATIF), "curation.best_of_n": 4}
    baseline, intervention, changes = build_scenarios(base, values_of(base, WORLD), whatif)
    saved = whatif_scenario(intervention, baseline, changes)
    path = tmp_path / "saved.toml"
    path.write_text(saved.to_toml(), encoding="utf-8")
    loaded = ecosystem.load_scenario(path)
    assert loaded.scenario.name == "small-whatif"
    assert "curation.best_of_n = 4" in loaded.scenario.description
    assert loaded.curation.best_of_n == 4
    assert loaded.with_overrides({"scenario.name": "small", "scenario.description":
                                  base.scenario.description}) == intervention


def test_picker_lists_the_folders_files_and_the_opened_one(scenario_folder, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "mine.toml"
    elsewhere.write_text("[scenario]\nname = 'mine'\n", encoding="utf-8")
    files = scenario_files(scenario_folder, include=elsewhere)
    assert {p.name for p in files} == {"small.toml", "broken.toml", "mine.toml"}
