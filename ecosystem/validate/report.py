"""The validation table, printed and written as a Markdown report with one figure per row."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from ecosystem.folders import staged_folder
from ecosystem.validate.base import Row, Z

REPORT = "report.md"
RESULTS = "results.csv"
MANIFEST = "manifest.json"

COLUMNS = ("claim", "source", "theory", "simulated (mean ± SE)", "tolerance", "result")


def _cells(row: Row) -> tuple[str, ...]:
    return (row.claim, row.source, row.theory_label(), row.simulated_label(),
            row.tolerance_label(), "pass" if row.passed else "FAIL")


def format_table(rows: Sequence[Row]) -> str:
    """The validation table as aligned plain text."""
    table = [COLUMNS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
             .rstrip() for line in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def summary(rows: Sequence[Row]) -> str:
    """One line: how many rows passed."""
    failed = [row.key for row in rows if not row.passed]
    head = f"{len(rows) - len(failed)} of {len(rows)} rows agree with theory"
    return head + (f"; failed: {', '.join(failed)}" if failed else "")


def results_table(rows: Sequence[Row]) -> pl.DataFrame:
    """The rows as a table (the report's ``results.csv``)."""
    return pl.DataFrame(
        {
            "key": [r.key for r in rows],
            "claim": [r.claim for r in rows],
            "source": [r.source for r in rows],
            "relation": [r.relation for r in rows],
            "theory": [r.theory for r in rows],
            "simulated": [r.simulated for r in rows],
            "se": [r.se for r in rows],
            "tolerance": [r.tolerance for r in rows],
            "passed": [r.passed for r in rows],
            "replicates": [r.replicates for r in rows],
            "check_seconds": [round(r.seconds, 3) for r in rows],
        }
    )


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(rows: Sequence[Row], manifest: dict) -> str:
    """The report's Markdown text."""
    mode = "quick" if manifest["quick"] else "full"
    out = [
        "# Validation of the ecosystem model against published results",
        "",
        f"`ecosystem validate{' --quick' if manifest['quick'] else ''}` ({mode} run), "
        f"ecosystem {manifest['ecosystem_version']}"
        + (f", commit `{manifest['git_commit'][:12]}`" if manifest.get("git_commit") else "")
        + f", {manifest['finished']}, {manifest['wall_seconds']:.0f} s.",
        "",
        f"**{summary(rows)}.** Each row runs small scenarios through the real model "
        "(`ecosystem.model.EcosystemModel`, or for the regression rows the model's corpus and "
        "scraper) over fixed seeds. The simulated figure is the mean over independent replicates "
        f"± its standard error (SE); a row passes when it lies within the tolerance, {Z:g} SE "
        "(plus, where stated, a computed bound on an approximation in the closed form; the "
        "lever rows: above 2 SE of the paired difference, as their method says).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows:
        out.append("| " + " | ".join(_markdown_cell(c) for c in _cells(row)) + " |")
    out.append("")
    for row in rows:
        out += [
            f"## {row.claim}",
            "",
            f"![{row.key}]({row.key}.png)",
            "",
            f"- **Result:** {'pass' if row.passed else 'FAIL'}: theory {row.theory_label()}, "
            f"simulated {row.simulated_label()} over {row.replicates}, tolerance "
            f"{row.tolerance_label()}.",
            f"- **Source:** {row.reference}.",
            f"- **Setting:** {row.setting}.",
            f"- **Method:** {row.method}",
            f"- **Row key:** `{row.key}`; its check took {row.seconds:.1f} s.",
            "",
        ]
    commit = f", commit {manifest['git_commit'][:12]}" if manifest.get("git_commit") else ""
    out += [
        "## Reproducing and citing",
        "",
        "Rerun with `ecosystem validate` (full) or `ecosystem validate --quick`; the seeds are "
        "fixed, so the same version gives the same figures. `results.csv` holds the table, "
        "`manifest.json` the version, commit and platform. The model is described in "
        "`docs/ODD.md`. To cite this validation, name the version and the run:",
        "",
        f"> ecosystem {manifest['ecosystem_version']}{commit}: validation against published "
        f"results (`ecosystem validate{' --quick' if manifest['quick'] else ''}`), "
        f"{summary(rows)}, {manifest['finished'][:10]}.",
        "",
    ]
    return "\n".join(out)


def draw(row: Row, path: Path) -> None:
    """Save the row's figure as a PNG (matplotlib's Agg canvas; no pyplot state)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = figure.subplots()
    row.plot(ax)
    ax.set_title(row.claim, fontsize="small")
    ax.grid(alpha=0.3)
    figure.savefig(path, dpi=100)


def is_report_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a validation report (which may be replaced)."""
    return (folder / REPORT).is_file() and (folder / MANIFEST).is_file()


def write_report(rows: Sequence[Row], folder: str | Path, manifest: dict) -> Path:
    """Write ``report.md``, one PNG per row, ``results.csv`` and ``manifest.json``.

    The folder is written to a temporary sibling and renamed into place, so a report folder
    that exists is complete.

    Returns
    -------
    pathlib.Path
        The folder written.
    """
    target = Path(folder)
    with staged_folder(target) as staging:
        for row in rows:
            draw(row, staging / f"{row.key}.png")
        results_table(rows).write_csv(staging / RESULTS)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        (staging / REPORT).write_text(markdown(rows, manifest), encoding="utf-8")
    return target


