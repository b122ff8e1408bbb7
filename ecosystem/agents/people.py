"""People: listeners who read and speak, creators who also post, as arrays with thin Mesa views."""

from __future__ import annotations

import polars as pl

HUMANS_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64,
    "creator": pl.Boolean,
    "ai_user": pl.Boolean,
    "custom_prompt": pl.Boolean,
    "style_type": pl.Int64,
    "gpt_rate": pl.Float64,
    "stance": pl.Float64,
    "degree": pl.Int64,
    "posts": pl.Int64,
}
"""Columns of ``humans.parquet``: one row per person at the end of a run."""
