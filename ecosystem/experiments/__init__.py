"""Everything that runs the model many times.

``sweep`` (the engine: a plan of runs on any executor, saved as they finish, resumable),
``plan`` (grids, designs and seeds), ``sensitivity`` (SALib indices over a sweep's results),
``calibrate`` (ABC-SMC fit of scenario keys to observed figures, with pyabc), ``targets`` (its
targets files) and ``calibrate_report`` (its report and figures).
"""
