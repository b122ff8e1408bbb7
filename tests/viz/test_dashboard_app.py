"""The page rendered headless with Solara's test renderer: controls, steps, errors, export,
and the worker that keeps the page answering while the runs step."""

import io
import time
import zipfile

import ipyvuetify as v
import pytest
import solara

import ecosystem
from viz import app
from viz.runs import LARGER
from viz.state import SCENARIO_ENV, Dashboard


@pytest.fixture
def dash(small_file, scenario_folder):
    return Dashboard(small_file, folders=(scenario_folder,), replicates=3)


@pytest.fixture
def page(dash):
    """The page without a worker: each test does the work with ``dash.wait()``."""
    _box, rc = solara.render(app.DashboardView(dash, worker=False), handle_error=False)
    dash.wait()
    yield rc
    dash.pause()
    rc.close()


@pytest.fixture
def live(dash):
    """The page with its worker thread, as the server runs it."""
    _box, rc = solara.render(app.DashboardView(dash), handle_error=False)
    yield rc
    dash.pause()
    rc.close()
    dash.close()


def _type(rc, key, text, dash=None):
    """Type into a number field and leave it, as a user would."""
    field = rc.find(v.TextField, meta_ref=key).widget
    field.v_model = text
    field.fire_event("focusout", None)
    if dash is not None:
        dash.wait()


def _alerts(rc):
    texts = []
    for alert in rc.find(v.Alert).widgets:
        for child in alert.children:
            texts.append(getattr(child, "unsafe_innerHTML", None) or str(child))
    return "\n".join(texts)


def _status(rc):
    return rc.find(v.Html, class_="ecosystem-status").widget.children[0]


def _figures(rc):
    return list(rc.find(app.figure_widget_class()).widgets)


def _wait_until(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_page_opens_with_two_identical_sides(dash, page):
    snapshot = dash.snapshot.value
    assert snapshot.step == 0 and snapshot.replicates == 3
    scenarios = dash.scenarios.value
    assert scenarios["intervention"] == scenarios["baseline"]
    assert scenarios["baseline"].scenario.name == "small"
    assert "No changes yet" in _alerts(page)
    assert len(_figures(page)) == 7
    assert _status(page) == ("Month 0 of 6 · AI generation 0 (as picked) / 0 (with your "
                             "changes) · 3 replicates a side")
    assert page.find(v.TextField, meta_ref="replicates").widget.v_model == "3"


def test_whatif_controls_change_the_intervention_side_only(dash, page):
    page.find(v.Select, meta_ref="ai.data_regime").widget.v_model = (
        "Only the newest uploads (replace)")
    page.find(v.Slider, meta_ref="interventions.detector_recall").widget.v_model = 0.5
    _type(page, "decoding.temperature", "0.5")
    _type(page, "curation.best_of_n", "3")
    page.find(v.Select, meta_ref="decoding.method").widget.v_model = (
        "Top-k (only the k likeliest styles)")
    dash.wait()
    models = dash.runs.models
    assert len(models["intervention"]) == 3
    used = models["intervention"][2].scenario
    assert used.ai.data_regime == "replace"
    assert used.interventions.detector_recall == 0.5
    assert used.decoding.temperature == 0.5
    assert used.curation.best_of_n == 3
    assert used.decoding.method == "top_k"
    assert models["intervention"][0].decoding.temperature == 0.5  # the model runs with it
    same = models["baseline"][1].scenario
    assert (same.ai.data_regime, same.interventions.detector_recall,
            same.decoding.temperature, same.curation.best_of_n) == ("accumulate", 0.0, 1.0, 1)
    assert "Your changes:" in _alerts(page) and "Temperature: 1.0 → 0.5" in _alerts(page)
    assert page.find(v.TextField, meta_ref="decoding.temperature").widget.label == (
        "Temperature (changed)")


def test_world_controls_change_both_sides(dash, page):
    _type(page, "population.humans", "200")
    _type(page, "scenario.seed", "11")
    page.find(v.Select, meta_ref="network.kind").widget.v_model = (
        "Small world (Watts–Strogatz)")
    _type(page, "replicates", "2", dash)
    for models in dash.runs.models.values():
        assert len(models) == 2
        for model in models:
            assert model.people.size == 200
            assert model.scenario.network.kind == "watts_strogatz"
        assert models[0].seed == 11
    assert dash.changes.value == {}


def test_step_moves_the_charts_data(dash, page):
    widget = next(w for w in _figures(page) if any(
        t.name and t.name.startswith("AI share") for t in w.data))
    traces = widget.data
    assert len(traces[1].x) == 1
    page.find(v.Btn, meta_ref="step").widget.click()
    dash.wait()
    assert dash.snapshot.value.step == 1
    assert all(a is b for a, b in zip(traces, widget.data, strict=True))  # same traces
    assert len(widget.data[1].x) == 2  # moved to the new month
    assert _status(page).startswith("Month 1 of 6")
    page.find(v.Btn, meta_ref="reset").widget.click()
    dash.wait()
    assert dash.snapshot.value.step == 0


def test_effect_panel_judges_the_change(dash, page):
    page.find(v.Select, meta_ref="decoding.method").widget.v_model = (
        "Greedy (always the most likely)")
    for _ in range(3):
        dash.step()
    dash.wait()
    table = next(w.unsafe_innerHTML for w in page.find(solara.widgets.HTML).widgets
                 if "ecosystem-effects" in w.unsafe_innerHTML)
    assert "Diversity of the AI (entropy, nats)" in table and LARGER in table
    csv = dash.effects_csv().decode()
    assert csv.splitlines()[0].startswith("month,measure,label")
    assert "model_entropy" in csv and LARGER in csv


def test_out_of_range_number_shows_the_message_and_keeps_the_runs(dash, page):
    runs = dash.runs
    _type(page, "decoding.temperature", "-1", dash)
    text = _alerts(page)
    assert "Temperature — decoding.temperature: Input should be greater than 0" in text
    assert "the runs keep the last valid settings" in text
    assert dash.runs is runs
    page.find(v.Btn, meta_ref="step").widget.click()  # still runs
    dash.wait()
    assert dash.snapshot.value.step == 1
    _type(page, "decoding.temperature", "0.7", dash)
    assert "greater than 0" not in _alerts(page)
    assert dash.runs.models["intervention"][0].scenario.decoding.temperature == 0.7


def test_letters_in_a_number_field_name_the_control(dash, page):
    _type(page, "population.humans", "lots", dash)
    assert "People: “lots” is not a number; type a whole number." in _alerts(page)
    field = page.find(v.TextField, meta_ref="population.humans").widget
    assert field.v_model == "lots" and field.error
    _type(page, "population.humans", "250", dash)
    assert "not a number" not in _alerts(page)
    assert field.v_model == "250" and not field.error
    assert dash.runs.models["baseline"][0].people.size == 250


def test_months_zero_gets_a_message(dash, page):
    _type(page, "scenario.steps", "0", dash)
    assert "Months to simulate — scenario.steps: the dashboard needs at least 1 month" in (
        _alerts(page))
    assert dash.snapshot.value.total_steps == 6  # the runs keep going


def test_capacity_shows_unlimited_not_none_after_switching_files(dash, page, scenario_folder):
    field = page.find(v.TextField, meta_ref="ai.capacity").widget
    assert field.v_model == "unlimited"
    (scenario_folder / "capped.toml").write_text(
        "[scenario]\nsteps = 4\n[population]\nhumans = 100\n[ai]\ncapacity = 7\n",
        encoding="utf-8")
    dash.pick(scenario_folder / "capped.toml")
    dash.wait()
    assert field.v_model == "7"
    dash.pick(scenario_folder / "small.toml")
    dash.wait()
    assert page.find(v.TextField, meta_ref="ai.capacity").widget.v_model == "unlimited"


def test_large_populations_run_fewer_replicates_and_say_so(dash, page):
    dash.set_world("population.humans", 400_000)
    assert dash.errors.value == []
    assert "At 400,000 people each side runs 2 replicates instead of 3" in _alerts(page)
    assert _status(page).startswith("Month 0 of 6 · starting 4 runs of 400,000 people")
    dash.set_world("population.humans", 300)  # not built: a newer request replaces it
    dash.wait()
    assert "replicates instead" not in _alerts(page)
    assert dash.runs.people == 300


def test_broken_scenario_file_shows_the_messages(dash, page):
    picker = page.find(v.Select, meta_ref="scenario-file").widget
    assert set(picker.items) == {"small.toml", "broken.toml"}
    picker.v_model = "broken.toml"
    text = _alerts(page)
    assert "broken.toml cannot be used" in text
    assert "decoding.temperature" in text and "ai.data_regime" in text
    assert "The runs keep small.toml" in text
    assert dash.scenarios.value["baseline"].scenario.name == "small"
    picker.v_model = "small.toml"
    assert "cannot be used" not in _alerts(page)


def test_play_runs_to_the_end_and_stops(dash, live):
    live.find(v.Btn, meta_ref="play").widget.click()
    _wait_until(lambda: not dash.playing.value)
    assert dash.errors.value == []
    assert dash.snapshot.value.step == 6
    live.find(v.Btn, meta_ref="play").wait_for(timeout=10)
    live.find(v.Btn, meta_ref="step").assert_matches_wait(disabled=True, timeout=10)


def test_a_change_while_playing_restarts_from_month_zero_and_keeps_playing(dash, live):
    dash.set_world("scenario.steps", 400)
    dash.play()
    _wait_until(lambda: dash.snapshot.value is not None and dash.snapshot.value.step >= 3)
    months = []
    dash.set_whatif("decoding.temperature", 0.5)
    assert dash.playing.value  # still playing, the new runs start from month 0
    _wait_until(lambda: not dash.starting.value)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        months.append(dash.snapshot.value.step)
        if months[-1] >= 3:
            break
        time.sleep(0.02)
    assert dash.playing.value and months[-1] >= 3
    assert months[0] <= 2  # from the start, never the old run's month
    assert months == sorted(months)
    assert dash.runs.models["intervention"][0].scenario.decoding.temperature == 0.5
    dash.pause()


def test_text_typed_while_a_new_month_arrives_is_kept_and_applied(dash, page):
    # While playing, every month redraws the page; a redraw must not put the old value back
    # into a field the user is typing in (it did, so Enter then read the old text).
    field = page.find(v.TextField, meta_ref="decoding.temperature").widget
    field.v_model = "0.5"  # typed, not yet committed
    dash.step()
    dash.wait()
    assert dash.snapshot.value.step == 1  # the page redrew for a new month
    assert field.v_model == "0.5"
    field.fire_event("keyup.enter", None)
    dash.wait()
    assert dash.whatif.value["decoding.temperature"] == 0.5
    assert dash.snapshot.value.step == 0  # the change restarted both sides
    # Leaving the field without a change does not restart the runs.
    dash.step()
    dash.wait()
    field.fire_event("focusout", None)
    dash.wait()
    assert dash.snapshot.value.step == 1


def test_pause_during_a_restart_wins(dash, live):
    dash.set_world("scenario.steps", 400)
    dash.play()
    _wait_until(lambda: dash.snapshot.value is not None and dash.snapshot.value.step >= 2)
    dash.set_world("population.humans", 2000)  # a restart that takes a moment
    dash.pause()
    _wait_until(lambda: not dash.starting.value)
    time.sleep(0.5)
    assert not dash.playing.value
    assert dash.snapshot.value.step == 0 and dash.runs.people == 2000
    live.find(v.Btn, meta_ref="play").assert_single()


def test_network_colour_toggle(dash, page):
    page.find(v.BtnToggle, meta_ref="color-by").widget.v_model = "stance"
    assert dash.color_by.value == "stance"
    widget = next(w for w in _figures(page) if w.layout.annotations
                  and "scenario as picked" in [a.text for a in w.layout.annotations])
    assert "stance" in widget.data[3].marker.colorbar.title.text


def test_export_buttons_give_the_scenario_and_the_tables(dash, page):
    page.find(v.Select, meta_ref="ai.data_regime").widget.v_model = (
        "Only the newest uploads (replace)")
    page.find(v.Btn, meta_ref="step").widget.click()
    dash.wait()
    names = {w.filename for w in page.find(
        solara.components.file_download.FileDownloadWidget).widgets}
    assert names == {"small-whatif.toml", "ecosystem-runs-csv.zip",
                     "ecosystem-runs-parquet.zip", "effects.csv"}
    saved = ecosystem.load_scenario(__import__("tomllib").loads(dash.scenario_toml()))
    assert saved.ai.data_regime == "replace" and saved.scenario.name == "small-whatif"
    with zipfile.ZipFile(io.BytesIO(dash.export("csv"))) as archive:
        assert {"timeseries.csv", "bands.csv", "effects.csv"} <= set(archive.namelist())


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


def test_pages_are_solara_routes():
    assert [route.path for route in app.routes] == ["/", "sweeps"]
    assert app.routes[0].component is app.Page
    assert app.routes[1].component is app.SweepExplorer
