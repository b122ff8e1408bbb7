"""Ready for the next Mesa: pinned below it, no API it removes, its deprecations fail tests."""

from __future__ import annotations

import tomllib
import warnings

import pytest

import ecosystem
from ecosystem.model import EcosystemModel
from tests.conftest import ROOT, chain


def test_mesa_is_pinned_below_its_next_major_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    mesa = [d for d in project["dependencies"] if d.lower().startswith("mesa")]
    assert mesa == ["mesa>=3.3,<4"]


def test_a_mesa_deprecation_fails_the_tests():
    with pytest.raises(FutureWarning):
        warnings.warn("model.steps is deprecated and will be removed in Mesa 4.0",
                      FutureWarning, stacklevel=1)
    with pytest.raises(DeprecationWarning):
        warnings.warn("seed= is deprecated in Mesa 3.5, use rng=", DeprecationWarning,
                      stacklevel=1)


def test_the_period_follows_model_time_where_mesa_offers_it():
    model = EcosystemModel(ecosystem.load_scenario(chain(scenario={"steps": 3})), seed=1)
    for _ in range(3):
        model.step()
    assert model.period == 3
    model.time = 7.0  # what Mesa 3.5+ keeps (and Mesa 4 alone keeps)
    assert model.period == 7
