"""A task that kills its worker process, for the crash test of the sweep's process pool.

In a module of its own so that a spawned worker imports only this, not the test module.
"""

import os


def die_on_seed_three(scenario, seed):
    """Stand in for ``ecosystem.experiments.sweep.run_one``; dies (no exception) on seed 3."""
    if seed == 3:
        os._exit(1)
    return {"timeseries": None, "wall_seconds": 0.0, "host": None}
