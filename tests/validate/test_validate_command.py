"""``ecosystem validate``: the quick run passes every row but the findings; writes its report."""

import json

import polars as pl

from ecosystem.cli import main
from ecosystem.validate import CHECKS, check_names

FINDINGS = {"lever-best-of-n-tail"}
"""Rows the model fails, each explained in its method as a finding:
on the baseline, top-p decoding already keeps the tail out of AI drafts, so best-of-N has no
tail left to trade that shows in the model's tail_mass (the row ``lever-best-of-n-head`` shows
best-of-N's homogenisation at the head instead)."""


def test_validate_quick_passes_every_row_but_the_findings_and_writes_the_report(cli, tmp_path):
    out = tmp_path / "validation"
    result = cli("validate", "--quick", "--out", str(out), timeout=400)
    results = pl.read_csv(out / "results.csv")
    failed = results.filter(~pl.col("passed"))
    assert set(failed["key"]) == FINDINGS, failed
    assert result.returncode == 1, result.stdout + result.stderr  # a failed row is reported
    assert results.height >= 12
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
    assert "is not a validation report" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
    assert main(["validate", "--quick", "--only", "greedy", "--out",
                 str(tmp_path / "mine.txt")]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err


def test_validate_only_runs_the_named_check_and_may_replace_its_report(tmp_path):
    out = tmp_path / "report"
    for _ in range(2):  # the second run replaces the first report
        assert main(["validate", "--quick", "--only", "greedy", "--out", str(out)]) == 0
    assert pl.read_csv(out / "results.csv")["key"].to_list() == [
        "greedy-majority", "sampling-keeps-majority"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["report"]  # no staging left
