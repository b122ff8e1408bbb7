#!/usr/bin/env bash
# Set up everything the tests need, then run them: the package with its test dependencies, and
# Debian's Chromium for the browser test of the dashboard (Playwright drives the system browser;
# it never downloads one). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e ".[test]"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser test"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is not installed and cannot be installed here: the browser test will skip"
  fi
fi
# The dashboard page loads Solara's browser files from a CDN; where that is out of reach, put the
# same npm packages in Solara's cache once (a no-op when they are there).
if ! python3 -m viz.frontend --check >/dev/null 2>&1; then
  if command -v npm >/dev/null 2>&1; then
    python3 -m viz.frontend || echo "could not fetch Solara's browser files: the browser test may skip"
  else
    echo "npm is not installed: if the CDN is unreachable, the dashboard's browser test will skip"
  fi
fi
exec python3 -m pytest "$@"
