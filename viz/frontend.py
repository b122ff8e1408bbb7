"""Solara's browser files, for machines that cannot reach its CDN.

The Solara page loads its JavaScript and styles (Vue, Vuetify, the widget manager, RequireJS,
Font Awesome) from ``/_solara/cdn/...``; the server answers from its cache folder and fills the
cache from cdn.jsdelivr.net on first use. A machine without access to that CDN shows a blank
page. This module puts the same npm packages in the cache with ``npm pack`` (npm's registry is
often reachable where the CDN is not):

    python -m viz.frontend            # fetch what is missing
    python -m viz.frontend --check    # list what is missing; exit status 1 if anything is

The packages are read from Solara's own page template, so they follow Solara's versions.

The charts are plotly's widget, whose browser code (about 5 MB) comes with the installed
``plotly`` package. Sent inline, every chart would carry its own copy over the page's socket;
instead :func:`install_plotly_bundle` puts one copy in the same cache (from the installed
package, no download) and each chart loads it by address (:data:`PLOTLY_LOADER`), so the
browser fetches and compiles it once. Both ``python -m viz.frontend`` and the dashboard's
start-up install it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

_PACKAGE = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+)/")


def cache_dir() -> Path:
    """The folder the Solara server serves ``/_solara/cdn`` from."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def required_packages() -> list[str]:
    """The npm packages (``name@version``) the Solara page loads."""
    import solara.server
    from solara.server import settings
    from solara.util import IPYVUETIFY_V3

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    specs = dict.fromkeys(_PACKAGE.findall(template.read_text(encoding="utf-8")))
    # The template names the app for both Vuetify versions; the page loads one.
    unused = "/solara-vuetify-app@" if IPYVUETIFY_V3 else "/solara-vuetify3-app@"
    specs = [spec for spec in specs if unused not in spec]
    if settings.assets.fontawesome_enabled:
        match = re.match(r"/?((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+)/",
                         settings.assets.fontawesome_path)
        if match:
            specs.append(match.group(1))
    return specs


def missing(cache: Path | None = None) -> list[str]:
    """Required packages with no files in the cache (the plotly bundle included)."""
    cache = cache_dir() if cache is None else cache
    absent = [spec for spec in required_packages()
              if not (cache / spec).is_dir() or not any((cache / spec).iterdir())]
    if not _bundle_current(cache):
        absent.append(plotly_bundle_spec())
    return absent


def plotly_bundle_spec() -> str:
    """The cache folder of plotly's widget code, named after the installed plotly."""
    import plotly

    return f"ecosystem-plotly-widget@{plotly.__version__}"


def _plotly_source() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"


def _bundle_current(cache: Path) -> bool:
    target = cache / plotly_bundle_spec() / "widgetbundle.js"
    try:
        return target.stat().st_size == _plotly_source().stat().st_size
    except OSError:
        return False


def install_plotly_bundle(cache: Path | None = None) -> bool:
    """Copy plotly's widget code into the cache (once); False if the cache is not writable."""
    try:
        cache = cache_dir() if cache is None else cache
        if _bundle_current(cache):
            return True
        folder = _ensure(cache / plotly_bundle_spec())
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".part") as part:
            part.write(_plotly_source().read_bytes())
        Path(part.name).replace(folder / "widgetbundle.js")
        return True
    except OSError:
        return False


def plotly_loader() -> str:
    """The ES module each chart is given: it imports the cached plotly code by address.

    It also follows the chart's box: plotly draws a widget 700 px wide when it is created
    before its card has a size, and resizes responsive charts only when the window does. The
    chart's element takes its card's width (``contain: inline-size``, so the drawing cannot
    widen the page) and a ``ResizeObserver`` on it tells plotly when that width changes.
    """
    path = f"/{plotly_bundle_spec()}/widgetbundle.js"
    return (
        "const cdn = (window.solara && window.solara.cdn) || '/_solara/cdn';\n"
        f"const mod = await import(new URL(cdn + '{path}', window.location.href).href);\n"
        "const make = typeof mod.default === 'function' ? mod.default : () => mod.default;\n"
        "export default () => {\n"
        "  const widget = make();\n"
        "  async function render(context) {\n"
        "  // The card decides the chart's width, never the chart the card's.\n"
        "  context.el.style.contain = 'inline-size';\n"
        "  context.el.style.width = '100%';\n"
        "  const cleanup = await widget.render(context);\n"
        "  let last = 0, timer = null;\n"
        "  const observer = new ResizeObserver((entries) => {\n"
        "    const width = Math.round(entries[0].contentRect.width);\n"
        "    if (width === last || width === 0) return;\n"
        "    last = width;\n"
        "    clearTimeout(timer);\n"
        "    timer = setTimeout(() => window.dispatchEvent(new Event('resize')), 50);\n"
        "  });\n"
        "  observer.observe(context.el);\n"
        "  return () => { observer.disconnect(); if (typeof cleanup === 'function') cleanup(); };\n"
        "  }\n"
        "  return { ...widget, render };\n"
        "};\n"
    )


def fetch(specs: list[str], cache: Path | None = None, npm: str = "npm") -> None:
    """Download each npm package with ``npm pack`` and unpack it into the cache.

    Raises
    ------
    RuntimeError
        If npm is missing or a package cannot be fetched.
    """
    cache = cache_dir() if cache is None else cache
    executable = shutil.which(npm)
    if executable is None:
        raise RuntimeError(f"{npm!r} not found: install Node.js's npm, or give the browser "
                           "access to cdn.jsdelivr.net")
    with tempfile.TemporaryDirectory() as scratch:
        for spec in specs:
            result = subprocess.run(
                [executable, "pack", spec, "--pack-destination", scratch, "--silent"],
                capture_output=True, text=True, check=False, timeout=600,
            )
            if result.returncode != 0:
                raise RuntimeError(f"npm pack {spec} failed: {result.stderr.strip()}")
            archive = Path(scratch) / result.stdout.strip().splitlines()[-1]
            _unpack(archive, cache / spec)


def _unpack(archive: Path, target: Path) -> None:
    """Unpack an npm tarball (files under ``package/``) into ``target``, replacing it whole."""
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=_ensure(target.parent)))
    try:
        with tarfile.open(archive) as tar:
            members = []
            for member in tar.getmembers():
                parts = Path(member.name).parts
                if len(parts) < 2 or not (member.isfile() or member.isdir()):
                    continue
                member.name = str(Path(*parts[1:]))
                members.append(member)
            tar.extractall(staging, members=members, filter="data")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def warn_if_missing() -> None:
    """Say on standard error how to fix a page that may stay blank offline."""
    try:
        absent = missing()
    except OSError:
        return
    if absent:
        print(f"note: Solara's browser files {', '.join(absent)} are not in {cache_dir()}; "
              "the server fetches them from cdn.jsdelivr.net on first load. Without access to "
              "it, run `python -m viz.frontend` once.", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Fetch Solara's missing browser files (or only list them with ``--check``)."""
    parser = argparse.ArgumentParser(prog="python -m viz.frontend", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only list what is missing")
    parser.add_argument("--cache-dir", type=Path, help="cache folder (default: Solara's)")
    args = parser.parse_args(argv)
    cache = args.cache_dir or cache_dir()
    absent = missing(cache)
    if not args.check and plotly_bundle_spec() in absent:
        if not install_plotly_bundle(cache):
            print(f"error: cannot write plotly's widget code into {cache}", file=sys.stderr)
            return 1
        print(f"copied plotly's widget code into {cache / plotly_bundle_spec()}")
        absent = missing(cache)
    if args.check or not absent:
        print("\n".join(absent) if absent else f"all of Solara's browser files are in {cache}")
        return 1 if absent else 0
    try:
        fetch(absent, cache)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"fetched {', '.join(absent)} into {cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
