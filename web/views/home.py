"""The root URL and the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, redirect, url_for
from sqlalchemy import text

from web.extensions import lifecycle

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> Any:
    if g.get("user") is None:
        return redirect(url_for("auth.login"))
    return redirect(url_for("inbox.index"))


@bp.get("/healthz")
def health() -> Any:
    with lifecycle().db.read() as session:
        session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
