"""Small scenarios for the dashboard's tests: a few hundred people, a few steps."""

from __future__ import annotations

import pytest

SMALL = """\
# A small ecosystem with people, for the dashboard's tests.
[scenario]
name = "small"
description = "A few hundred people"
steps = 6
seed = 3

[population]
humans = 300
ai_users = 0.5

[content]
types = 12
initial_docs = 400

[ai]
data_regime = "accumulate"
outputs_per_generation = 200
"""

BROKEN = """\
# Fails validation: a temperature of zero and an unknown regime.
[decoding]
temperature = 0.0

[ai]
data_regime = "forget-everything"
"""


@pytest.fixture
def scenario_folder(tmp_path):
    """A folder with a small valid scenario and a broken one."""
    (tmp_path / "small.toml").write_text(SMALL, encoding="utf-8")
    (tmp_path / "broken.toml").write_text(BROKEN, encoding="utf-8")
    return tmp_path


@pytest.fixture
def small_file(scenario_folder):
    return scenario_folder / "small.toml"
