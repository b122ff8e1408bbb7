"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

The server is started the way a user starts it (``ecosystem dashboard FILE --port P``) and torn
down at the end. A screenshot is saved to ``tests/artifacts/dashboard.png``. Without Chromium,
Playwright or Solara's browser files the test skips, saying why; under CI (``CI=true``, set by
``.ci/run`` and by CI services) it fails instead, so a CI run never passes without it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import ecosystem
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts"

SCENARIO = """\
# A small ecosystem with people for the browser test: quick steps, visible effects.
[scenario]
name = "browser"
description = "Two thousand people, content farms, a retrained AI"
steps = 12
seed = 5

[population]
humans = 2000
ai_users = 0.5

[content]
types = 20
initial_docs = 1000

[ai]
data_regime = "accumulate"
outputs_per_generation = 500
"""

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


def _cdn_reachable() -> bool:
    try:
        with socket.create_connection(("cdn.jsdelivr.net", 443), timeout=3):
            return True
    except OSError:
        return False


def _cannot_run(reason: str) -> None:
    """Skip, or under CI (``CI=true``) fail with the reason: CI must run the browser test."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _require_browser() -> None:
    if not CHROMIUM.exists():
        _cannot_run(f"Debian's chromium is not installed at {CHROMIUM} (tests/run.sh installs "
                    "it with apt)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _cannot_run("playwright (Python) is not installed (pip install -e '.[test]')")
    from viz import frontend

    absent = frontend.missing()
    if absent and not _cdn_reachable():
        _cannot_run(f"Solara's browser files {absent} are not cached and cdn.jsdelivr.net is "
                    "unreachable: run `python -m viz.frontend` (tests/run.sh does)")


@pytest.fixture
def server(tmp_path):
    """``ecosystem dashboard`` on a free port; yields (url, output lines)."""
    _require_browser()
    scenario = tmp_path / "browser.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen(
        [sys.executable, "-m", "ecosystem", "dashboard", str(scenario), "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while not any(line.startswith(f"Dashboard: {url}") for line in lines):
            assert process.poll() is None, "server exited:\n" + "".join(lines)
            assert time.monotonic() < deadline, "server did not start:\n" + "".join(lines)
            time.sleep(0.2)
        yield url, lines
    finally:
        # SIGTERM reaches the command, which stops its server; the group catches stragglers.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=5)
    time.sleep(0.5)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the server outlived the command"


def _status(page) -> str:
    return page.locator(".ecosystem-status").inner_text()


def _wait_for_month(page, month: int, timeout: float = 60_000) -> None:
    page.locator(".ecosystem-status", has_text=f"Month {month} of").wait_for(timeout=timeout)


def test_dashboard_in_chromium(server):
    from playwright.sync_api import expect, sync_playwright

    url, output = server
    page_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2300})
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.goto(url)
            _wait_for_month(page, 0, timeout=90_000)
            diversity = page.locator(".ecosystem-plot-diversity img")
            words = page.locator(".ecosystem-plot-gpt_words img")
            diversity.wait_for()
            before = diversity.screenshot(), words.screenshot()

            # Flip an intervention: the lab trains only on the newest uploads.
            page.locator(".v-select", has_text="What the lab trains on").click()
            page.get_by_role("option", name="Only the newest uploads (replace)").click()
            page.get_by_text("What the lab trains on (changed)").first.wait_for()
            page.get_by_text("Your changes: What the lab trains on").wait_for()

            page.get_by_role("button", name="Step").click()
            _wait_for_month(page, 1)
            page.get_by_role("button", name="Play").click()
            _wait_for_month(page, 12, timeout=120_000)
            page.get_by_role("button", name="Play").wait_for()  # stopped at the end
            after = diversity.screenshot(), words.screenshot()
            assert after[0] != before[0], "the diversity plot did not change"
            assert after[1] != before[1], "the marker-word plot did not change"
            assert page.locator(".ecosystem-error").count() == 0

            # The settings download as a scenario file that runs the solid lines again.
            with page.expect_download() as download:
                page.get_by_text("Save settings as a scenario file").click()
            assert download.value.suggested_filename == "browser-whatif.toml"
            saved = ecosystem.load_scenario(Path(download.value.path()))
            assert saved.ai.data_regime == "replace" and saved.population.humans == 2000

            page.get_by_role("button", name="Reset").click()
            _wait_for_month(page, 0)

            # A number out of range gets a message; the server keeps running.
            temperature = page.get_by_label("Temperature")
            temperature.fill("-1")
            temperature.press("Enter")
            error = page.locator(".ecosystem-error")
            expect(error).to_contain_text("Temperature — decoding.temperature")
            expect(error).to_contain_text("greater than 0")
            page.get_by_role("button", name="Step").click()
            _wait_for_month(page, 1)  # the runs go on with the last valid settings
            temperature.fill("1")
            temperature.press("Enter")
            error.wait_for(state="detached")

            page.get_by_role("button", name="Play").click()
            _wait_for_month(page, 12, timeout=120_000)
            page.get_by_role("button", name="Play").wait_for()
            assert page.locator(".ecosystem-error").count() == 0
            assert "Traceback" not in page.locator("body").inner_text()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    assert page_errors == []
    assert not any("Traceback" in line for line in output), "".join(output)


def test_a_browser_test_that_cannot_run_skips_but_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        _cannot_run("no chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run in CI: no chromium"):
        _cannot_run("no chromium")
