"""``GET /api/v1/openapi.json``: the API's description, public so tools can read it first."""

from __future__ import annotations

from flask import Response, jsonify

from web.api.common import api_blueprint
from web.api.spec import DOCUMENT

bp = api_blueprint("openapi", __name__, public=True)


@bp.get("/openapi.json")
def document() -> Response:
    return jsonify(DOCUMENT)
