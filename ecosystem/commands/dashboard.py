"""``ecosystem dashboard``: start the Solara dashboard on a scenario.

The scenario is validated first (bad input exits with status 2 before anything starts). The
server runs ``solara run viz.app`` in a subprocess, so the ``ecosystem`` package never imports
the dashboard; it listens on 127.0.0.1 unless told otherwise, and the command prints the address
once the server accepts connections. Ctrl-C (or SIGTERM) stops the server with the command.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_PORT = 8765
STARTUP_SECONDS = 120.0
SCENARIO_ENV = "ECOSYSTEM_DASHBOARD_SCENARIO"
"""Tells the page which scenario file to open (read by ``viz.state``)."""


def register(subparsers) -> None:
    """Add ``ecosystem dashboard`` to the command's subparsers."""
    parser = subparsers.add_parser(
        "dashboard", help="open the interactive dashboard (a Solara web page) on a scenario",
        description="Serve the dashboard: a baseline run and a run with your what-if changes, "
        "side by side, in your browser.",
    )
    parser.add_argument(
        "scenario", nargs="?", metavar="SCENARIO",
        help="scenario file to open (default: scenarios/baseline.toml)",
    )
    parser.add_argument(
        "--port", type=int, metavar="P",
        help=f"port to serve on (default {DEFAULT_PORT}, or a free one if that is taken)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: only this computer can open the page)",
    )
    parser.set_defaults(handler=cmd_dashboard)


def _project_root() -> Path:
    import ecosystem

    return Path(ecosystem.__file__).resolve().parents[1]


def default_scenario() -> Path:
    """``scenarios/baseline.toml`` of the project (or of the working folder)."""
    for root in (_project_root(), Path.cwd()):
        candidate = root / "scenarios" / "baseline.toml"
        if candidate.is_file():
            return candidate
    return Path("scenarios") / "baseline.toml"


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    """A port the system reports free on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def check_host(host: str) -> None:
    """Refuse a ``--host`` this machine cannot listen on, saying why (not "already in use")."""
    from ecosystem.cli import UsageError

    try:
        infos = socket.getaddrinfo(host or None, 0, socket.AF_INET, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UsageError(f"--host {host}: no such host name or address; give an address of "
                         "this machine, e.g. 127.0.0.1 (this computer only) or 0.0.0.0 (every "
                         "network it is on)") from None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((infos[0][4][0], 0))
        except OSError as exc:
            if exc.errno == errno.EADDRNOTAVAIL:
                raise UsageError(f"--host {host}: this address is not on this machine; give "
                                 "one of its own addresses, e.g. 127.0.0.1 (this computer "
                                 "only) or 0.0.0.0 (every network it is on)") from None
            raise UsageError(f"--host {host}: cannot listen there ({exc.strerror or exc})"
                             ) from None


def _choose_port(host: str, asked: int | None) -> int:
    from ecosystem.cli import UsageError

    check_host(host)
    if asked is None:
        return DEFAULT_PORT if port_is_free(host, DEFAULT_PORT) else free_port(host)
    if not 1 <= asked <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, got {asked}")
    if not port_is_free(host, asked):
        raise UsageError(f"--port {asked}: already in use on {host}; pick another port")
    return asked


def _dashboard_path() -> str:
    """PYTHONPATH entries that make the server import the same ``ecosystem`` and ``viz``."""
    from ecosystem.cli import UsageError

    spec = importlib.util.find_spec("viz")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("the dashboard package 'viz' is not installed beside 'ecosystem'")
    roots = [str(Path(next(iter(spec.submodule_search_locations))).parent),
             str(_project_root())]
    existing = os.environ.get("PYTHONPATH")
    return os.pathsep.join(dict.fromkeys(roots + ([existing] if existing else [])))


def _wait_until_listening(process: subprocess.Popen, host: str, port: int) -> bool:
    target = "127.0.0.1" if host in ("0.0.0.0", "") else host
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection((target, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cmd_dashboard(args: argparse.Namespace) -> int:
    """``ecosystem dashboard``: validate the scenario, serve the page, print its address."""
    from ecosystem.cli import UsageError
    from ecosystem.scenario import load_scenario

    path = Path(args.scenario) if args.scenario else default_scenario()
    load_scenario(path)  # bad input stops here, with exit status 2
    port = _choose_port(args.host, args.port)
    env = {**os.environ, SCENARIO_ENV: str(path.resolve()), "PYTHONPATH": _dashboard_path()}
    _warn_if_browser_files_missing(env)
    # Solara reports usage to its makers unless told not to; a research tool should not.
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # Solara's corner banner would sit on top of the bottom-right chart.
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    command = [sys.executable, "-m", "solara", "run", "viz.app", "--host", args.host,
               "--port", str(port), "--production", "--no-open"]
    # SIGTERM ends the command like Ctrl-C, so the server never outlives it.
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    process = subprocess.Popen(command, env=env)
    try:
        if not _wait_until_listening(process, args.host, port):
            code = process.poll()
            raise UsageError(
                f"the dashboard server did not start (exit status {code})" if code is not None
                else f"the dashboard server did not answer on port {port} within "
                f"{STARTUP_SECONDS:.0f} s"
            )
        shown = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host
        print(f"Dashboard: http://{shown}:{port}/  (scenario {path}; Ctrl-C to stop)",
              flush=True)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"note: listening on {args.host}: other computers on the network can open "
                  "the page", flush=True)
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(process)
        signal.signal(signal.SIGTERM, previous)


def _warn_if_browser_files_missing(env: dict[str, str]) -> None:
    """Say how to fix a blank page before it happens: Solara's files not cached, CDN unreachable."""
    check = subprocess.run([sys.executable, "-m", "viz.frontend", "--check"], env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    if check.returncode != 0:
        print("note: Solara's browser files are not cached here; the page fetches them from "
              "cdn.jsdelivr.net and stays blank where that is out of reach. Run "
              "`python -m viz.frontend` once to fetch them with npm.", file=sys.stderr,
              flush=True)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt
