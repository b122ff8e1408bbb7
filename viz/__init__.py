"""The Solara dashboard of the human–AI content ecosystem.

Two runs of :class:`ecosystem.model.EcosystemModel` with the same seed step side by side: the
scenario as picked (the baseline) and the scenario with the page's what-if changes applied (the
intervention). Their measures are drawn on the same axes, so the effect of a policy is the gap
between two lines.

``viz`` imports ``ecosystem``; ``ecosystem`` never imports ``viz`` (the ``ecosystem dashboard``
command starts the Solara server on :mod:`viz.app` in a subprocess).

Modules
-------
controls
    The page's settings: which scenario keys they set, labels, tooltips, bounds; building the
    two scenarios from them.
runs
    The pair of runs stepped together, snapshots of their plot data, export of their tables.
plots
    Matplotlib figures drawn from a snapshot.
state
    One browser session's state (Solara reactive variables) and its actions.
app
    The Solara ``Page``.
sweeps
    The page of a sweep folder: each cell's lines with bands, which key matters, PRIM's boxes.
frontend
    Solara's browser files for machines that cannot reach its CDN.
"""
