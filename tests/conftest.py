"""Shared test helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300):
    """Run ``python -m ecosystem ARGS`` with this source tree first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "ecosystem", *args],
        cwd=cwd or ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )


@pytest.fixture
def cli():
    """The ``ecosystem`` command, run in a subprocess."""
    return run_cli


def mean_and_se(values) -> tuple[float, float]:
    """Mean and standard error of the mean of replicate values."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


def chain(**sections) -> dict:
    """A pure retraining-chain scenario dict, with sections merged over a small default."""
    base = {
        "scenario": {"name": "test-chain", "steps": 10},
        "population": {"humans": 0},
        "content": {"types": 10, "initial_docs": 500},
        "ai": {"data_regime": "replace", "outputs_per_generation": 500},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return base
