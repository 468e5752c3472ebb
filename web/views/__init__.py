"""One blueprint per area, each in its own module here exposing ``bp``; all are mounted."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def register(app: Flask) -> None:
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        blueprint = getattr(module, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)
