"""The objects an app holds once: the lifecycle (engine + domain), Babel, CSRF protection.

Views reach the lifecycle through :func:`lifecycle`, never through a module-level global, so
two apps (tests) never share an engine.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from engine import Database
from workflows.lifecycle import Lifecycle

babel = Babel()
csrf = CSRFProtect()


def init_lifecycle(app: Flask) -> Lifecycle:
    instance = Lifecycle(Database(app.config["DATABASE_URL"]))
    app.extensions["lexflow"] = instance
    return instance


def lifecycle() -> Lifecycle:
    return current_app.extensions["lexflow"]  # type: ignore[no-any-return]
