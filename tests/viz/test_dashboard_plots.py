"""The plotly figures draw the snapshot's means and bands, and are updated in place."""

import json
import time
from dataclasses import replace

import numpy as np
import plotly.graph_objects as go
import plotly.io
import pytest

import ecosystem
from viz.plots import PANELS, FigureSet, LiveChart, apply, figures
from viz.runs import RUNS, RunSet


@pytest.fixture
def runs(small_file):
    small = ecosystem.load_scenario(small_file)
    return RunSet(small, small.with_overrides({"population.ai_users": 1.0}), replicates=3)


def _lines(fig):
    """Mean lines by name (bands are unnamed in the legend and skip hover)."""
    return {t.name: t for t in fig.data if t.hoverinfo != "skip" and t.mode == "lines"}


def test_every_line_draws_its_sides_mean_and_band(runs):
    for _ in range(2):
        snapshot = runs.advance()
    built = figures(snapshot)
    for panel in PANELS:
        fig = built[panel.name]
        n_columns = sum(len(columns) for _, columns in panel.axes)
        assert len(fig.data) == 2 * 2 * n_columns  # band + mean, per side and column
        for _ylabel, columns in panel.axes:
            for column, label in columns:
                for run in RUNS:
                    mean, low, high = snapshot.band(run, column)
                    line = next(t for t in fig.data if t.name and t.name.startswith(label)
                                and t.name.endswith("as picked" if run == "baseline"
                                                     else "your changes"))
                    np.testing.assert_allclose(np.array(line.y, dtype=float), mean)
                    np.testing.assert_allclose(np.array(line.customdata, dtype=float),
                                               np.column_stack([low, high]))
                    assert "%{y" in line.hovertemplate and "±2 SE" in line.hovertemplate
        assert all(label for label, _ in panel.axes)  # every axis is titled
    # The whole figure is valid JSON for the browser (no NaN).
    json.loads(plotly.io.to_json(built["neutral"]))


def test_update_moves_the_data_of_the_same_widget(runs):
    figure_set = FigureSet()
    widget = go.Figure()
    holder = {}
    assert apply(widget, figure_set.update(runs.snapshot())["ai_share"], holder)  # built
    traces = widget.data
    snapshot = runs.advance()
    assert not apply(widget, figure_set.update(snapshot)["ai_share"], holder)  # only data
    assert all(a is b for a, b in zip(traces, widget.data, strict=True))
    mean, _, _ = snapshot.band("intervention", "ai_share")
    line = widget.data[3]  # intervention mean
    np.testing.assert_allclose(np.array(line.y, dtype=float), mean)
    # A run of another length changes the axes: rebuilt.
    longer = replace(snapshot, total_steps=snapshot.total_steps + 5)
    assert apply(widget, figure_set.update(longer)["ai_share"], holder)


def test_chain_panels_have_no_people_lines(small_file):
    chain = ecosystem.load_scenario(small_file).with_overrides({"population.humans": 0})
    snapshot = RunSet(chain, chain, replicates=2).advance()
    built = figures(snapshot)
    for trace in _lines(built["neutral"]).values():
        assert all(v is None for v in trace.y)  # nothing to measure: gaps, not zeros
    texts = [a.text for a in built["network"].layout.annotations]
    assert "no people in this scenario" in texts


def test_types_figure_orders_styles_by_the_original_culture(runs):
    snapshot = runs.advance()
    fig = figures(snapshot)["types"]
    order = np.argsort(-snapshot.culture, kind="stable")
    np.testing.assert_allclose(fig.data[0].y, snapshot.culture[order])
    for run, trace in zip(RUNS, fig.data[1:], strict=True):
        np.testing.assert_allclose(trace.y, snapshot.type_probs[run][order])


def test_types_figure_shows_invented_styles_only_while_a_model_holds_them(runs):
    snapshot = runs.snapshot()
    original = snapshot.culture.size
    figure_set = FigureSet()
    assert len(figure_set.update(snapshot)["types"].data[1]["y"]) == original
    grown = dict(snapshot.type_probs)
    # Three styles invented; the intervention's model has learned the third only.
    grown["intervention"] = np.append(grown["intervention"] * 0.9, [0.0, 0.0, 0.1])
    grown["baseline"] = np.append(grown["baseline"], [0.0])
    update = figure_set.update(replace(snapshot, type_probs=grown))["types"]
    assert update.key != figure_set.update(snapshot)["types"].key
    assert len(update.data[2]["y"]) == original + 1
    assert update.data[2]["y"][-1] == pytest.approx(0.1)
    assert update.data[1]["y"][-1] == 0.0


@pytest.mark.parametrize("color_by", ["gpt_rate", "stance"])
def test_network_colours_are_the_peoples_state(runs, color_by):
    for _ in range(2):
        snapshot = runs.advance()
    update = FigureSet().update(snapshot, color_by)["network"]
    for i, run in enumerate(RUNS):
        np.testing.assert_allclose(update.data[2 * i + 1]["marker.color"],
                                   getattr(snapshot.network[run], color_by))
    if color_by == "stance":
        assert (update.data[1]["marker.cmin"], update.data[1]["marker.cmax"]) == (-1.0, 1.0)
    assert update.key != FigureSet().update(snapshot, "stance" if color_by == "gpt_rate"
                                            else "gpt_rate")["network"].key
    with pytest.raises(ValueError, match="color_by"):
        figures(snapshot, "mood")


def test_every_figure_serialises(runs):
    built = figures(runs.advance())
    assert set(built) == {p.name for p in PANELS} | {"types", "network"}
    for fig in built.values():
        json.loads(plotly.io.to_json(fig))


class _BrowserWidget(go.Figure):
    """A figure that, like plotly's widget, is busy from an update until its browser answers."""

    def plotly_restyle(self, *args, **kwargs):
        super().plotly_restyle(*args, **kwargs)
        self._trace_edit_in_process = True

    def answer(self, live):
        self._trace_edit_in_process = False
        live.on_answer()


def test_a_busy_browser_gets_only_the_latest_month(runs):
    figure_set = FigureSet()
    widget = _BrowserWidget()
    widget._trace_edit_in_process = False
    now = [0.0]
    live = LiveChart(widget, patience=2.0, clock=lambda: now[0])
    assert live.offer(figure_set.update(runs.snapshot())["ai_share"])  # no browser yet: sent
    snapshots = [runs.advance() for _ in range(3)]
    assert live.offer(figure_set.update(snapshots[0])["ai_share"])  # never answered: sent
    widget.answer(live)  # the browser has drawn month 1
    assert live.offer(figure_set.update(snapshots[1])["ai_share"])  # idle browser: sent
    assert live.busy()
    assert not live.offer(figure_set.update(snapshots[1])["ai_share"])  # drawing: waits
    assert not live.offer(figure_set.update(snapshots[2])["ai_share"])  # replaces the waiting
    assert live.sent == 3
    widget.answer(live)  # drawn: the latest month goes out, the skipped one never does
    assert live.sent == 4 and live.pending is None
    mean, _, _ = snapshots[2].band("intervention", "ai_share")
    np.testing.assert_allclose(np.array(widget.data[3].y, dtype=float), mean)
    # A browser silent for longer than its patience is sent the latest month anyway.
    later = runs.advance()
    now[0] += 2.5
    assert live.offer(figure_set.update(later)["ai_share"])
    live.close()


def test_a_costly_chart_is_redrawn_at_most_once_an_interval_and_the_last_month_is_drawn(runs):
    figure_set = FigureSet()
    widget = go.Figure()
    live = LiveChart(widget, min_interval=0.3)
    assert live.offer(figure_set.update(runs.snapshot())["network"])
    assert not live.offer(figure_set.update(runs.advance())["network"])  # too soon: waits
    last = runs.advance()
    assert not live.offer(figure_set.update(last)["network"])
    deadline = time.monotonic() + 10
    while live.pending is not None and time.monotonic() < deadline:
        time.sleep(0.02)  # the interval's timer sends the waiting month
    assert live.sent == 2 and live.pending is None
    colours = np.asarray(widget.data[3].marker.color, dtype=float)
    np.testing.assert_allclose(colours, last.network["intervention"].gpt_rate)
    live.close()


def test_a_new_figure_settles_until_the_browser_has_drawn_it(runs):
    figure_set = FigureSet()
    widget = _BrowserWidget()
    widget._trace_edit_in_process = False
    live = LiveChart(widget)
    live.offer(figure_set.update(runs.snapshot())["ai_share"])
    assert not live.settling()  # no browser has answered: nothing to wait for
    widget.answer(live)
    live.offer(figure_set.update(runs.advance())["ai_share"])  # same figure, new data
    assert not live.settling()
    widget.answer(live)
    longer = replace(runs.advance(), total_steps=runs.snapshot().total_steps + 5)
    live.offer(figure_set.update(longer)["ai_share"])  # a new figure: rebuilt
    widget._trace_edit_in_process = True  # sent, not drawn yet
    assert live.settling()
    widget.answer(live)
    assert not live.settling()
    live.close()
