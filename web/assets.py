"""Serves the front-end libraries installed from npm (never committed) under ``/assets``.

Only files from an explicit list of package folders are reachable, so ``node_modules`` as a
whole is not exposed.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.wrappers import Response

bp = Blueprint("assets", __name__)

ALLOWED = {
    "bpmn-js": "bpmn-js/dist",
    "htmx": "htmx.org/dist",
}


@bp.get("/assets/<library>/<path:filename>")
def library_file(library: str, filename: str) -> Response:
    folder = ALLOWED.get(library)
    if folder is None:
        abort(404)
    root = Path(current_app.config["ASSETS_DIR"]) / folder
    if not root.is_dir():
        abort(404, f"{library} is not installed: run `make setup` (npm install)")
    response = send_from_directory(root, filename, max_age=86400)
    return response
