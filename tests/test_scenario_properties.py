"""Property: any scenario dictionary gives a valid run or exit 2 naming a key, never a traceback.

Hypothesis draws scenario dictionaries that mix valid values, values out of range, wrong types,
NaN and infinities, unknown keys and sections; sizes stay small so that a valid scenario runs
in a moment. Each is written as TOML and given to ``ecosystem check`` and ``ecosystem run``.
"""

from __future__ import annotations

import math
import re

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosystem.cli import main
from ecosystem.scenario import SECTIONS

SMALL = {  # sizes kept small when valid, so that a valid scenario runs fast
    "scenario.steps": st.integers(-2, 3),
    "population.humans": st.integers(-5, 40),
    "content.initial_docs": st.integers(-5, 300),
    "content.types": st.integers(-1, 30),
    "content.dims": st.integers(-1, 4),
    "ai.outputs_per_generation": st.integers(-5, 300),
    "ai.training_docs": st.one_of(st.just("all"), st.integers(-2, 300)),
    "curation.best_of_n": st.integers(-1, 4),
    "decoding.beam_width": st.integers(-1, 4),
    "decoding.top_k": st.integers(-1, 40),
    "network.m": st.integers(-1, 5),
    "network.k": st.integers(-1, 8),
    "network.blocks": st.integers(-1, 5),
}

ANY = st.one_of(
    st.floats(-3, 3, allow_nan=False),
    st.integers(-3, 3),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0]),
    st.booleans(),
    st.text(max_size=8),
    st.lists(st.one_of(st.floats(-1, 5), st.just(math.nan)), max_size=4),
    st.sampled_from(["zipf", "uniform", "sample", "greedy", "replace", "accumulate",
                     "barabasi_albert", "edgelist", "erdos_renyi", "all", "unlimited"]),
)

SETTABLE = [f"{section}.{key}" for section, model in SECTIONS.items() if section != "sweep"
            for key in model.model_fields]


@st.composite
def scenario_dicts(draw) -> dict:
    data: dict = {"scenario": {"steps": 2}, "population": {"humans": 20},
                  "content": {"initial_docs": 150, "types": 8}}
    for dotted in draw(st.lists(st.sampled_from(SETTABLE), max_size=6, unique=True)):
        section, key = dotted.split(".", 1)
        value = draw(SMALL.get(dotted, ANY))
        data.setdefault(section, {})[key] = value
    if draw(st.integers(0, 9)) == 0:
        data.setdefault(draw(st.sampled_from(["ai", "nonsense"])), {})["unknown_key"] = 1
    return data


KEY = re.compile(r"\b[a-z_]+\.[a-z_]+\b|\[[a-z_]+\]")


@pytest.mark.timeout(600)
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=scenario_dicts())
def test_any_scenario_runs_or_is_refused_naming_a_key(tmp_path_factory, capsys, data):
    folder = tmp_path_factory.mktemp("case")
    path = folder / "s.toml"
    path.write_text(tomli_w.dumps(data))
    checked = main(["check", str(path)])
    check_err = capsys.readouterr().err
    ran = main(["run", str(path), "--out", str(folder / "run")])
    run_err = capsys.readouterr().err
    for status, err in ((checked, check_err), (ran, run_err)):
        assert status in (0, 2), err
        assert "Traceback" not in err
        if status == 2:
            assert err.startswith("error: ") and KEY.search(err), err
    if checked == 0:
        assert ran == 0, run_err  # what check accepts runs
    assert (folder / "run").exists() == (ran == 0)
