"""The sweep page rendered headless: lines with bands, the ranking, PRIM's boxes, bad folders."""

from __future__ import annotations

import time

import ipyvuetify as v
import numpy as np
import polars as pl
import pytest
import solara
from plotly.graph_objs import FigureWidget

from tests.test_discover import LEVER, low_below, planted_folder
from viz import sweeps
from viz.sweeps import SweepPage, grid_ranking, load_sweep, ranking

REGIMES = ["replace", "window", "accumulate"]


@pytest.fixture(scope="module")
def designed(tmp_path_factory):
    """A latin sweep over three ranges × three data regimes; tail_mass low when the lever is
    below 0.2."""
    folder = tmp_path_factory.mktemp("page") / "designed"
    planted_folder(folder, low_below(0.2), samples=48, grid={"ai.data_regime": REGIMES})
    return folder


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """A grid sweep: data regime × reserve, 4 replicates; tail_mass set by the regime alone."""
    folder = tmp_path_factory.mktemp("page") / "grid"
    level = {"replace": 0.02, "window": 0.1, "accumulate": 0.3}

    def outcome(columns, rng):
        return level[columns["ai.data_regime"]] + rng.uniform(0, 0.05)

    planted_folder(folder, outcome, samples=0, replicates=4,
                   grid={"ai.data_regime": REGIMES, LEVER: [0.0, 0.3]})
    return folder


def _type(rc, key, text):
    field = rc.find(v.TextField, meta_ref=key).widget
    field.v_model = text
    field.fire_event("focusout", None)


def _boxes_text(rc, containing=""):
    """PRIM's boxes as text, once the page's search (in a thread) has shown them."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        widgets = rc.find(v.Html, meta_ref="boxes-text").widgets
        if widgets and containing in widgets[0].children[0]:
            return widgets[0].children[0]
        time.sleep(0.05)
    raise AssertionError(f"no boxes containing {containing!r}: {_alerts(rc)}")


def _figures(rc):
    return list(rc.find(FigureWidget).widgets)  # the charts subclass it


def _alerts(rc):
    return "\n".join(str(child) for alert in rc.find(v.Alert).widgets
                     for child in alert.children)


def test_the_page_shows_lines_ranking_and_the_planted_box(designed):
    _, rc = solara.render(SweepPage(folder=str(designed)), handle_error=False)
    lines = _figures(rc)[0]
    # a band and a mean line per grid cell, named after the cell
    assert len(lines.data) == 2 * len(REGIMES)
    assert [t.name for t in lines.data if t.mode == "lines"] == [
        f"data_regime={r}" for r in REGIMES]
    mean = next(t for t in lines.data if t.mode == "lines")
    assert list(mean.x) == [0, 5]
    _type(rc, "threshold", "0.1")
    text = _boxes_text(rc, "below 0.1")
    assert "box 1: coverage 1.00, density 1.00" in text
    assert LEVER in text
    assert len(_figures(rc)) == 4  # lines, ranking, trade-off, limits
    rc.find(v.BtnToggle, meta_ref="direction").widget.v_model = "above"
    text = _boxes_text(rc, "PRIM on tail_mass above 0.1 at step 5")
    rc.close()


def test_the_ranking_puts_the_lever_first(designed):
    data = load_sweep(designed)
    table, column, description = ranking(data, "tail_mass", 5)
    assert column == "S1" and "RBD-FAST" in description
    for cell in table.partition_by("ai.data_regime"):
        assert cell.sort("rank")["parameter"][0] == LEVER


def test_grid_ranking_is_the_correlation_ratio(grid):
    data = load_sweep(grid)
    table = grid_ranking(data, "tail_mass", 5)
    assert table["parameter"].to_list() == ["ai.data_regime", LEVER]
    # the obvious computation, run by run
    frame = pl.read_parquet(grid / "results.parquet").filter(pl.col("step") == 5)
    y = frame["tail_mass"].to_numpy()
    for key in (LEVER, "ai.data_regime"):
        values = frame[key].to_list()
        between = 0.0
        for value in set(values):
            group = y[[i for i, x in enumerate(values) if x == value]]
            between += group.size * (group.mean() - y.mean()) ** 2
        expected = between / ((y - y.mean()) ** 2).sum()
        got = table.filter(pl.col("parameter") == key)["eta_squared"][0]
        assert got == pytest.approx(expected, rel=1e-12)
    _, rc = solara.render(SweepPage(folder=str(grid)), handle_error=False)
    notes = [str(w.children) for w in rc.find(v.Html).widgets]
    assert any("share of the variance over runs each grid key explains alone (η²" in n
               for n in notes)
    rc.close()


@pytest.mark.parametrize("which", ["missing", "plain", "empty"])
def test_a_bad_folder_says_what_is_wrong(tmp_path, which, designed):
    path = {"missing": str(tmp_path / "nope"), "plain": str(tmp_path), "empty": ""}[which]
    _, rc = solara.render(SweepPage(folder=path), handle_error=False)
    message = _alerts(rc)
    expected = {"missing": "is not a folder", "plain": "is not a sweep folder",
                "empty": "Type the path of a sweep folder"}[which]
    assert expected in message
    assert not _figures(rc)
    _type(rc, "sweep-folder", str(designed))  # typing a good path opens it
    assert _figures(rc)
    rc.close()


def test_no_box_and_a_threshold_no_run_meets(designed):
    _, rc = solara.render(SweepPage(folder=str(designed)), handle_error=False)
    _type(rc, "threshold", "-1")
    deadline = time.monotonic() + 60
    while "no run has tail_mass below -1" not in _alerts(rc) and time.monotonic() < deadline:
        time.sleep(0.05)  # the search runs in a thread
    assert "no run has tail_mass below -1" in _alerts(rc)
    rc.close()


def test_page_reads_the_folder_from_the_environment(designed, monkeypatch):
    monkeypatch.setenv(sweeps.SWEEP_ENV, str(designed))
    _, rc = solara.render(sweeps.Page(), handle_error=False)
    assert _figures(rc)
    assert np.isfinite(sweeps.default_threshold(load_sweep(designed), "tail_mass"))
    rc.close()
