"""The page rendered headless with Solara's test renderer: controls, steps, errors, export."""

import io
import threading
import time
import zipfile

import ipyvuetify as v
import ipywidgets as widgets
import pytest
import solara

import ecosystem
from viz import app
from viz.state import SCENARIO_ENV, Dashboard


@pytest.fixture
def dash(small_file, scenario_folder):
    return Dashboard(small_file, folders=(scenario_folder,))


@pytest.fixture
def page(dash):
    _box, rc = solara.render(app.DashboardView(dash), handle_error=False)
    yield rc
    dash.pause()
    rc.close()


def _type(rc, key, text):
    """Type into a number field and leave it, as a user would."""
    field = rc.find(v.TextField, meta_ref=key).widget
    field.v_model = text
    field.fire_event("focusout", None)


def _alerts(rc):
    texts = []
    for alert in rc.find(v.Alert).widgets:
        for child in alert.children:
            texts.append(getattr(child, "unsafe_innerHTML", None) or str(child))
    return "\n".join(texts)


def _images(rc):
    return [image.value for image in rc.find(widgets.Image).widgets]


def test_page_opens_with_two_identical_runs(dash, page):
    assert dash.snapshot.value.step == 0
    baseline = dash.pair.value.scenarios["baseline"]
    assert dash.pair.value.scenarios["intervention"] == baseline
    assert baseline.scenario.name == "small"
    assert "No changes yet" in _alerts(page)
    assert len(_images(page)) == 7
    page.find(v.Html, children=["Month 0 of 6 · AI generation 0 (as picked) / 0 (with your "
                                "changes)"]).assert_single()


def test_whatif_controls_change_the_intervention_run_only(dash, page):
    page.find(v.Select, meta_ref="ai.data_regime").widget.v_model = (
        "Only the newest uploads (replace)")
    page.find(v.Slider, meta_ref="interventions.detector_recall").widget.v_model = 0.5
    _type(page, "decoding.temperature", "0.5")
    _type(page, "curation.best_of_n", "3")
    page.find(v.Select, meta_ref="decoding.method").widget.v_model = (
        "Top-k (only the k likeliest styles)")
    models = dash.pair.value.models
    used = models["intervention"].scenario
    assert used.ai.data_regime == "replace"
    assert used.interventions.detector_recall == 0.5
    assert used.decoding.temperature == 0.5
    assert used.curation.best_of_n == 3
    assert used.decoding.method == "top_k"
    assert models["intervention"].decoding.temperature == 0.5  # the model runs with it
    same = models["baseline"].scenario
    assert (same.ai.data_regime, same.interventions.detector_recall,
            same.decoding.temperature, same.curation.best_of_n) == ("accumulate", 0.0, 1.0, 1)
    assert "Your changes:" in _alerts(page) and "Temperature: 1.0 → 0.5" in _alerts(page)
    assert page.find(v.TextField, meta_ref="decoding.temperature").widget.label == (
        "Temperature (changed)")


def test_world_controls_change_both_runs(dash, page):
    _type(page, "population.humans", "200")
    _type(page, "scenario.seed", "11")
    page.find(v.Select, meta_ref="network.kind").widget.v_model = (
        "Small world (Watts–Strogatz)")
    for model in dash.pair.value.models.values():
        assert model.people.size == 200
        assert model.seed == 11
        assert model.scenario.network.kind == "watts_strogatz"
    assert dash.changes.value == {}


def test_step_updates_the_plots_data(dash, page):
    before = _images(page)
    page.find(v.Btn, meta_ref="step").widget.click()
    snapshot = dash.snapshot.value
    assert snapshot.step == 1
    assert snapshot.timeseries.height == 4
    lines = dash.figures.plots["ai_share"].lines
    assert all(len(line.get_xdata()) == 2 for *_, line in lines)
    after = _images(page)
    assert sum(a != b for a, b in zip(before, after, strict=True)) >= 6
    page.find(v.Html, children=["Month 1 of 6 · AI generation 1 (as picked) / 1 (with your "
                                "changes)"]).assert_single()
    page.find(v.Btn, meta_ref="reset").widget.click()
    assert dash.snapshot.value.step == 0


def test_out_of_range_number_shows_the_message_and_keeps_the_runs(dash, page):
    pair = dash.pair.value
    _type(page, "decoding.temperature", "-1")
    text = _alerts(page)
    assert "Temperature — decoding.temperature: Input should be greater than 0" in text
    assert "the runs keep the last valid settings" in text
    assert dash.pair.value is pair
    page.find(v.Btn, meta_ref="step").widget.click()  # still runs
    assert dash.snapshot.value.step == 1
    _type(page, "decoding.temperature", "0.7")
    assert "greater than 0" not in _alerts(page)
    assert dash.pair.value.models["intervention"].scenario.decoding.temperature == 0.7


def test_too_many_people_are_refused_in_the_page(dash, page):
    _type(page, "population.humans", "1000000")
    assert "the dashboard runs at most 10,000 people" in _alerts(page)


def test_broken_scenario_file_shows_the_messages(dash, page):
    picker = page.find(v.Select, meta_ref="scenario-file").widget
    assert set(picker.items) == {"small.toml", "broken.toml"}
    picker.v_model = "broken.toml"
    text = _alerts(page)
    assert "broken.toml cannot be used" in text
    assert "decoding.temperature" in text and "ai.data_regime" in text
    assert "The runs keep small.toml" in text
    assert dash.pair.value.scenarios["baseline"].scenario.name == "small"
    picker.v_model = "small.toml"
    assert "cannot be used" not in _alerts(page)


def test_play_runs_to_the_end_and_stops(dash, page):
    page.find(v.Btn, meta_ref="play").widget.click()
    deadline = time.monotonic() + 60
    while dash.playing.value and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not dash.playing.value
    assert dash.errors.value == []
    assert dash.snapshot.value.step == 6
    # The loop's last redraw runs in its own thread: wait for it.
    page.find(v.Btn, meta_ref="play").wait_for(timeout=10)
    page.find(v.Btn, meta_ref="step").assert_matches_wait(disabled=True, timeout=10)


def test_network_colour_toggle(dash, page):
    page.find(v.BtnToggle, meta_ref="color-by").widget.v_model = "stance"
    assert dash.color_by.value == "stance"
    assert dash.figures.plots["network"].color_by == "stance"


def test_export_buttons_give_the_scenario_and_the_tables(dash, page):
    page.find(v.Select, meta_ref="ai.data_regime").widget.v_model = (
        "Only the newest uploads (replace)")
    page.find(v.Btn, meta_ref="step").widget.click()
    names = {w.filename for w in page.find(
        solara.components.file_download.FileDownloadWidget).widgets}
    assert names == {"small-whatif.toml", "ecosystem-runs-csv.zip", "ecosystem-runs-parquet.zip"}
    saved = ecosystem.load_scenario(__import__("tomllib").loads(dash.scenario_toml()))
    assert saved.ai.data_regime == "replace" and saved.scenario.name == "small-whatif"
    with zipfile.ZipFile(io.BytesIO(dash.export("parquet"))) as archive:
        assert "timeseries.parquet" in archive.namelist()


def test_page_opens_the_file_named_by_the_command(small_file, monkeypatch):
    monkeypatch.setenv(SCENARIO_ENV, str(small_file))
    _box, rc = solara.render(app.Page(), handle_error=False)
    try:
        rc.find(v.Select, meta_ref="scenario-file").assert_matches(v_model="small.toml")
    finally:
        rc.close()


def test_page_falls_back_to_the_baseline_when_the_file_went_bad(scenario_folder, monkeypatch):
    monkeypatch.setenv(SCENARIO_ENV, str(scenario_folder / "broken.toml"))
    dash = Dashboard.from_environment()
    assert dash.file.value.name == "baseline.toml"
    text = "\n".join(dash.errors.value)
    assert "broken.toml cannot be used" in text and "decoding.temperature" in text
    assert {p.name for p in dash.files} >= {"baseline.toml", "broken.toml", "small.toml"}


def test_a_newer_play_loop_takes_over_from_an_older_one(dash):
    dash.set_world("scenario.steps", 500)
    dash.play()
    older = threading.Thread(target=dash.run_loop)
    older.start()
    time.sleep(0.3)
    newer = threading.Thread(target=dash.run_loop)
    newer.start()
    older.join(timeout=10)
    try:
        assert not older.is_alive()
        assert dash.playing.value and newer.is_alive()  # the newer loop still plays
        step = dash.snapshot.value.step
        time.sleep(0.5)
        assert dash.snapshot.value.step > step
    finally:
        dash.pause()
        newer.join(timeout=10)
    assert not newer.is_alive() and not dash.playing.value
