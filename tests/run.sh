#!/usr/bin/env bash
# Set up everything the tests need, then run them: the package with its test dependencies,
# Debian's Chromium for the browser test of the dashboard (Playwright drives the system browser;
# it never downloads one), and Solara's browser files (fetched with npm where its CDN is out of
# reach). Extra arguments go to pytest.
#
# Under CI (CI=true, which .ci/run sets) nothing may be missing: a set-up step that fails stops
# the run with its reason, and the browser test fails rather than skips.
set -euo pipefail
cd "$(dirname "$0")/.."
ci=false
[ "${CI:-}" = true ] && ci=true

missing() {  # say what is missing; under CI, stop
  if $ci; then
    echo "CI: $1" >&2
    exit 1
  fi
  echo "$1: the browser test will skip" >&2
}

apt_install() {  # install Debian packages, when this is root on Debian
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's $* for the browser test"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

python3 -m pip install --quiet --disable-pip-version-check -e ".[test]"
if ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium || missing "chromium is not installed and cannot be installed here (needs root and apt-get)"
fi
# The dashboard page loads Solara's browser files from a CDN; where that is out of reach, put the
# same npm packages in Solara's cache once (a no-op when they are there).
cdn_reachable() {
  python3 -c "import socket; socket.create_connection(('cdn.jsdelivr.net', 443), timeout=3)" \
    >/dev/null 2>&1
}
if ! python3 -m viz.frontend --check >/dev/null 2>&1 && ! cdn_reachable; then
  if ! command -v npm >/dev/null 2>&1; then
    apt_install npm || missing "npm is not installed and cannot be installed here, Solara's browser files are not cached and cdn.jsdelivr.net is unreachable"
  fi
  if command -v npm >/dev/null 2>&1; then
    python3 -m viz.frontend || missing "could not fetch Solara's browser files (python -m viz.frontend)"
  fi
fi
# The tests run on every core (pytest-xdist; the conftest starts the long ones first and lets the
# browser test run alone); tests marked xdist_group share a process. Pass -n 0 to run in one.
exec python3 -m pytest -n auto --dist loadgroup "$@"
