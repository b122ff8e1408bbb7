"""The figures draw the snapshot's data: both runs on the same axes, updated in place."""

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

import ecosystem
from viz.plots import PANELS, FigureSet, figures, to_image
from viz.runs import RunPair


@pytest.fixture
def pair(small_file):
    small = ecosystem.load_scenario(small_file)
    return RunPair(small, small.with_overrides({"population.ai_users": 1.0}))


def _column(snapshot, run, column):
    frame = snapshot.timeseries.filter(pl.col("run") == run)
    return frame["step"].to_numpy(), frame[column].to_numpy().astype(float)


def test_every_line_draws_its_runs_column(pair):
    for _ in range(2):
        snapshot = pair.advance()
    figure_set = FigureSet()
    figure_set.update(snapshot)
    for panel in PANELS:
        plot = figure_set.plots[panel.name]
        assert len(plot.lines) == 2 * sum(len(columns) for _, columns in panel.axes)
        for _, column, run, line in plot.lines:
            steps, values = _column(snapshot, run, column)
            np.testing.assert_array_equal(line.get_xdata(), steps)
            np.testing.assert_array_equal(line.get_ydata(), values)
        for _, text in plot.empty:
            assert not text.get_visible()


def test_update_moves_the_same_figures_to_the_new_step(pair):
    figure_set = FigureSet()
    first = figure_set.update(pair.snapshot())
    image = to_image(first["gpt_words"])
    snapshot = pair.advance()
    second = figure_set.update(snapshot)
    assert all(first[name] is second[name] for name in first)  # updated in place
    (_, _, _, line), *_ = figure_set.plots["gpt_words"].lines
    assert len(line.get_xdata()) == 2
    assert to_image(second["gpt_words"]) != image
    # A new pair of runs in the same world keeps the axes; another culture redraws its styles.
    third = figure_set.update(replace(snapshot, pair=snapshot.pair + 1000, total_steps=30))
    assert third["gpt_words"] is second["gpt_words"] and third["types"] is second["types"]
    assert third["gpt_words"].axes[0].get_xlim() == (0, 30)
    fourth = figure_set.update(replace(snapshot, culture=snapshot.culture[::-1].copy()))
    assert fourth["types"] is not third["types"]
    fifth = figure_set.update(snapshot, "stance")
    assert fifth["network"] is not fourth["network"]


def test_chain_panels_say_there_are_no_people(small_file):
    chain = ecosystem.load_scenario(small_file).with_overrides({"population.humans": 0})
    figure_set = FigureSet()
    figure_set.update(RunPair(chain, chain).advance())
    (_, text), = figure_set.plots["neutral"].empty
    assert text.get_visible() and "no people" in text.get_text()
    assert figure_set.plots["network"].dots == {}


def test_types_figure_orders_styles_by_the_original_culture(pair):
    snapshot = pair.advance()
    figure_set = FigureSet()
    figure_set.update(snapshot)
    plot = figure_set.plots["types"]
    order = np.argsort(-snapshot.culture, kind="stable")
    bars = [patch.get_height() for patch in plot.bars]
    np.testing.assert_allclose(bars, snapshot.culture[order])
    for run, line in plot.lines.items():
        np.testing.assert_allclose(line.get_ydata(), snapshot.type_probs[run][order])


def test_types_figure_shows_invented_styles_only_while_a_model_holds_them(pair):
    snapshot = pair.snapshot()
    figure_set = FigureSet()
    figure_set.update(snapshot)
    original = snapshot.culture.size
    assert figure_set.plots["types"].width == original
    grown = dict(snapshot.type_probs)
    # Three styles invented; the intervention's model has learned the third only.
    grown["intervention"] = np.append(grown["intervention"] * 0.9, [0.0, 0.0, 0.1])
    grown["baseline"] = np.append(grown["baseline"], [0.0])
    figure_set.update(replace(snapshot, type_probs=grown))
    plot = figure_set.plots["types"]
    assert plot.width == original + 1
    assert plot.order[-1] == original + 2
    assert plot.lines["intervention"].get_ydata()[-1] == pytest.approx(0.1)
    assert plot.lines["baseline"].get_ydata()[-1] == 0.0
    # Forgotten again: the column goes.
    figure_set.update(snapshot)
    assert figure_set.plots["types"].width == original


@pytest.mark.parametrize("color_by", ["gpt_rate", "stance"])
def test_network_colours_are_the_peoples_state(pair, color_by):
    for _ in range(2):
        snapshot = pair.advance()
    figure_set = FigureSet()
    figure_set.update(snapshot, color_by)
    plot = figure_set.plots["network"]
    for run, dots in plot.dots.items():
        np.testing.assert_allclose(dots.get_array(), getattr(snapshot.network[run], color_by))
    if color_by == "stance":
        assert (plot.norm.vmin, plot.norm.vmax) == (-1.0, 1.0)
    with pytest.raises(ValueError, match="color_by"):
        figures(snapshot, "mood")


def test_figures_render_to_png(pair):
    images = {name: to_image(fig) for name, fig in figures(pair.advance()).items()}
    assert set(images) == {p.name for p in PANELS} | {"types", "network"}
    assert all(image.startswith(b"\x89PNG") for image in images.values())
