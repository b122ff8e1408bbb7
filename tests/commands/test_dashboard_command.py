"""``ecosystem dashboard``: bad input exits 2 before a server starts; the model never loads viz.

Starting the server and using the page is tested in ``tests/viz/test_dashboard_browser.py``.
"""

import socket
import subprocess
import sys

from tests.conftest import ROOT


def test_missing_scenario_file_exits_2_without_traceback(cli, tmp_path):
    result = cli("dashboard", str(tmp_path / "nowhere.toml"), "--port", "1")
    assert result.returncode == 2
    assert "error:" in result.stderr and "no such scenario file" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_invalid_scenario_names_the_keys(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[decoding]\ntemperature = -2\n[ai]\ndata_regime = 'forget'\n")
    result = cli("dashboard", str(path))
    assert result.returncode == 2
    assert "decoding.temperature" in result.stderr and "ai.data_regime" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_out_of_range_exits_2(cli):
    result = cli("dashboard", "--port", "70000")
    assert result.returncode == 2
    assert "--port must be between 1 and 65535" in result.stderr


def test_port_in_use_exits_2(cli):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("dashboard", "--port", str(port))
    assert result.returncode == 2
    assert f"--port {port}: already in use" in result.stderr


def test_help_names_the_options(cli):
    result = cli("dashboard", "--help")
    assert result.returncode == 0
    for word in ("SCENARIO", "--port", "--host", "127.0.0.1"):
        assert word in result.stdout


def test_ecosystem_never_imports_viz():
    code = (
        "import sys, ecosystem, ecosystem.cli, ecosystem.model, ecosystem.run, "
        "ecosystem.commands.dashboard\n"
        "ecosystem.cli._register_extensions(); ecosystem.cli.build_parser()\n"
        "print(sorted(m for m in sys.modules if m == 'viz' or m.startswith('viz.') "
        "or m.startswith('solara')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "[]"
    for source in (ROOT / "ecosystem").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "import viz" not in text and "from viz" not in text, source
