"""Shared test helpers."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
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


# -- running in parallel (pytest-xdist, which tests/run.sh starts) -------------------------------
def pytest_configure(config):
    """In a parallel run, each test process takes its share of the cores for the compiled
    passes' threads (as a sweep's workers do), so that the processes' threads do not outnumber
    the cores; the tests of the threads themselves take every core (``all_threads``)."""
    if "PYTEST_XDIST_WORKER" in os.environ:
        from ecosystem.core.threads import share_cores

        share_cores(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))


def worker_threads(_=None) -> int:
    """In a pool's worker: the threads its compiled passes run on (a task a pool can map)."""
    import numba

    return numba.get_num_threads()


@pytest.fixture
def all_threads():
    """Every thread numba may use (``NUMBA_NUM_THREADS``) for the test, then the share back."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    yield numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(before)


def pytest_collection_modifyitems(config, items):
    """Start the long tests first and leave the browser test to the end.

    ``tests/run.sh`` runs the tests on every core (pytest-xdist), which hands them out in this
    order: the long ones (marked ``long``) start at once instead of stretching the end of the
    run, and the browser test comes last, where it runs alone (see
    :func:`pytest_runtest_protocol`). The order of the others is kept.
    """
    def rank(item) -> int:
        if item.get_closest_marker("browser"):
            return 2
        return 0 if item.get_closest_marker("long") else 1

    items[:] = sorted(items, key=rank)  # stable: the order within each rank is kept


class _RunLock:
    """A lock shared by the processes of one parallel test run (shared or exclusive).

    Two ``flock`` files: ``gate`` is held briefly by every test on its way in, and for the whole
    test by an exclusive one, so that an exclusive test waiting for the running tests to finish
    is not overtaken by the tests that come after them.
    """

    def __init__(self, folder: Path):
        self.gate = open(folder / "tests.gate", "a+")  # noqa: SIM115
        self.main = open(folder / "tests.lock", "a+")  # noqa: SIM115

    def acquire(self, exclusive: bool) -> None:
        fcntl.flock(self.gate, fcntl.LOCK_EX)
        fcntl.flock(self.main, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        if not exclusive:
            fcntl.flock(self.gate, fcntl.LOCK_UN)

    def release(self) -> None:
        fcntl.flock(self.main, fcntl.LOCK_UN)
        fcntl.flock(self.gate, fcntl.LOCK_UN)  # a no-op unless exclusive


_run_lock: _RunLock | None = None


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    """In a parallel run, a browser test runs alone: no other test runs beside it.

    It measures the months a second the dashboard shows while playing, with a server and a
    browser of its own; a heavy test in the next process would starve it. The wait comes before
    the test's timeout starts.
    """
    global _run_lock
    if "PYTEST_XDIST_WORKER" not in os.environ:  # not in a parallel run
        yield
        return
    if _run_lock is None:
        # the run's temporary folder, which holds each process's own (pytest removes old ones)
        factory = getattr(item.config, "_tmp_path_factory", None)
        folder = (factory.getbasetemp().parent if factory is not None
                  else Path(tempfile.gettempdir()) / os.environ["PYTEST_XDIST_TESTRUNUID"])
        folder.mkdir(parents=True, exist_ok=True)
        _run_lock = _RunLock(folder)
    _run_lock.acquire(exclusive=item.get_closest_marker("browser") is not None)
    try:
        yield
    finally:
        _run_lock.release()
