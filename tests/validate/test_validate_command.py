"""``ecosystem validate``: the quick run passes every row but the findings; writes its report."""

import json

import polars as pl
import pytest

from ecosystem.cli import main
from ecosystem.validate import CHECKS, check_names
from ecosystem.validate.levers import LEVERS
from tests.conftest import run_cli

ROW_KEYS = [
    "wright-fisher-diversity", "wright-fisher-fixation",
    "seddik-collision", "seddik-collapse", "seddik-real-corpus",
    "tail-known-styles", "tail-missing-mass", "tail-never-recovers",
    "gaussian-variance", "gaussian-w2",
    "accumulate-mean-error", "replace-mean-error",
    "regression-replace", "regression-accumulate",
    "sampling-bias",
    "greedy-majority", "sampling-keeps-majority", "temperature-round",
    "best-of-n-round", "best-of-n-extinction", "best-of-n-bonus",
    "bradley-terry-round", "bradley-terry-reward", "bradley-terry-real-share",
    "prompts-vs-default", "prompts-vs-natural",
]
"""Every row of the validation table before the levers, in order (the mutation suite in
``test_validate_broken.py`` covers each; the lever rows have theirs in
``test_validate_levers.py``)."""

FINDINGS = {"lever-best-of-n-tail"}
"""Rows the model fails, each explained in its method as a finding:
on the baseline, top-p decoding already keeps the tail out of AI drafts, so best-of-N has no
tail left to trade that shows in the model's tail_mass (the row ``lever-best-of-n-head`` shows
best-of-N's homogenisation at the head instead)."""


QUICK_JOBS = 2
"""The quick run's processes: its rows are also the parallel side of
``test_checks_in_parallel_processes_give_the_same_rows``."""

SHARED = pytest.mark.xdist_group("validate-quick")
"""The tests reading the quick run share one test process, so that it runs once."""


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """``ecosystem validate --quick`` on two processes, run once: (result, report folder)."""
    out = tmp_path_factory.mktemp("quick") / "validation"
    result = run_cli("validate", "--quick", "--jobs", str(QUICK_JOBS), "--out", str(out),
                     timeout=900)
    return result, out


@pytest.mark.long
@SHARED
def test_validate_quick_passes_every_row_but_the_findings_and_writes_the_report(quick_run):
    result, out = quick_run
    results = pl.read_csv(out / "results.csv")
    failed = results.filter(~pl.col("passed"))
    assert set(failed["key"]) == FINDINGS, failed
    assert result.returncode == 1, result.stdout + result.stderr  # a failed row is reported
    assert results["key"].to_list() == ROW_KEYS + [lever.key for lever in LEVERS]
    report = (out / "report.md").read_text()
    for key, claim in zip(results["key"], results["claim"], strict=True):
        assert (out / f"{key}.png").stat().st_size > 10_000
        assert f"![{key}]({key}.png)" in report
        assert claim in result.stdout
    for key in FINDINGS:
        assert "Finding:" in report.split(f"![{key}]({key}.png)")[1].split("## ")[0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["quick"] is True and manifest["all_passed"] is False
    assert manifest["checks"] == check_names()
    passed = results.height - len(FINDINGS)
    assert f"{passed} of {results.height} rows agree with theory" in result.stdout
    assert "simulated (mean ± SE)" in result.stdout


# The cases below stop before or after a short check; they call the command in-process.
def test_validate_list_names_every_check(capsys):
    assert main(["validate", "--list"]) == 0
    printed = capsys.readouterr().out
    for check in CHECKS:
        assert check.name in printed


def test_validate_rejects_an_unknown_check_without_writing(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["validate", "--quick", "--only", "nope", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "error: --only nope: unknown check; checks are: wright-fisher" in err
    assert not out.exists()


def test_validate_refuses_a_foreign_out_folder(tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("keep me")
    assert main(["validate", "--quick", "--only", "greedy", "--out", str(tmp_path)]) == 2
    assert "is not empty; nothing was written" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
    assert main(["validate", "--quick", "--only", "greedy", "--out",
                 str(tmp_path / "mine.txt")]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err


def test_validate_only_runs_the_named_check_and_may_replace_its_report(tmp_path):
    out = tmp_path / "report"
    for again in (False, True):  # the second run replaces the first report, when asked to
        assert main(["validate", "--quick", "--only", "tails", "--out", str(out),
                     *(["--overwrite"] if again else [])]) == 0
    assert pl.read_csv(out / "results.csv")["key"].to_list() == [
        "tail-known-styles", "tail-missing-mass", "tail-never-recovers"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["report"]  # no staging left


def test_validate_rejects_jobs_below_one(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["validate", "--quick", "--only", "greedy", "--jobs", "0", "--out", str(out)]) == 2
    assert "--jobs 0: give a number of processes of at least 1" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.long
@SHARED
def test_checks_in_parallel_processes_give_the_same_rows(quick_run):
    """The same checks one after another in this process give the quick run's rows exactly.

    The quick run's checks ran in ``QUICK_JOBS`` forked processes (and drew every row's figure
    from closures that made the trip back); its ``results.csv`` keeps the floats exactly.
    """
    from ecosystem.validate import run_checks

    _, out = quick_run
    assert json.loads((out / "manifest.json").read_text())["jobs"] == QUICK_JOBS > 1
    names = ["tails", "gaussian-variance"]
    serial = run_checks(quick=True, only=names, jobs=1)
    parallel = pl.read_csv(out / "results.csv").filter(
        pl.col("key").is_in([r.key for r in serial]))
    assert list(parallel.select("key", "theory", "simulated", "se", "passed").iter_rows()) == [
        (r.key, r.theory, r.simulated, r.se, r.passed) for r in serial]
    for row in serial:  # the figures of the parallel rows were drawn
        assert (out / f"{row.key}.png").stat().st_size > 10_000
