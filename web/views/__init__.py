"""One blueprint per area, each in its own module here exposing ``bp``; all are mounted."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def register(app: Flask) -> None:
    # Import every module before registering any blueprint: a module may add routes to a
    # blueprint another module owns (the draft page extends the drafts list's blueprint).
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
    ]
    for module in modules:
        blueprint = getattr(module, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)
