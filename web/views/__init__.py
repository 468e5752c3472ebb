"""One blueprint per area, each in its own module here exposing ``bp``; all are mounted."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def register(app: Flask) -> None:
    # Import every module before registering any blueprint: several modules may add routes
    # to one blueprint (the administration pages share ``admin_common.bp``).
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
    ]
    registered: set[int] = set()
    for module in modules:
        blueprint = getattr(module, "bp", None)
        if blueprint is not None and id(blueprint) not in registered:
            registered.add(id(blueprint))
            app.register_blueprint(blueprint)
