"""Lexflow's web application: pages for civil servants and a JSON API for scripts."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, g

from web import assets, auth, errors, i18n, input_guard, security, templating, throttle
from web.config import settings
from web.extensions import csrf, init_lifecycle
from workflows import accounts


def refuse_to_serve_with_test_settings() -> None:
    """Raise when the process hashes passwords the test suite's cheap way: the serving entry
    points (``web.wsgi``, ``lexflow run``) call it, tests build apps without it."""
    if accounts.insecure_fast_hashing():
        raise RuntimeError(
            f"{accounts.FAST_HASHING_VARIABLE}=1 makes password hashes cheap to crack; it is for "
            "the test suite only: unset it to serve Lexflow"
        )


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build an app; ``config`` overrides settings (tests pass DATABASE_URL, SECRET_KEY...)."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings(Path(app.instance_path)))
    if config:
        app.config.from_mapping(config)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # SpiffWorkflow logs every task state change at INFO: lines no operator reads, written on
    # every step of every request (Lexflow's own audit log records what happened).
    logging.getLogger("spiff").setLevel(logging.WARNING)
    input_guard.init_app(app)  # first: bounds route ids, refuses NUL bytes before anything reads
    init_lifecycle(app)
    csrf.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    throttle.init_app(app)
    templating.init_app(app)
    app.before_request(auth.load_current_user)

    from web import api, dashboards, modeler, public, views

    app.register_blueprint(assets.bp)
    app.register_blueprint(auth.bp)
    views.register(app)
    api.register(app)
    app.register_blueprint(modeler.bp)
    app.register_blueprint(dashboards.bp)
    public.init_app(app)

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {"user": g.get("user"), "actor": g.get("actor")}

    return app
