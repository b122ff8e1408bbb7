"""The subcommands of ``ecosystem``, one module each (``cli.py`` only parses and dispatches).

Each module defines ``register(subparsers)``, which adds its subcommand with a ``handler``;
modules import their heavy dependencies inside the handler, so the command starts quickly.
"""

import importlib
import pkgutil

REGISTER = [
    importlib.import_module(f"{__name__}.{info.name}").register
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
]
