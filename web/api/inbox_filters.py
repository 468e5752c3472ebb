"""``/inbox/filters``: the caller's saved inbox filters and those shared with their
organisations (list, save, delete), the same ones the inbox shows as tabs."""

from __future__ import annotations

from flask import Response, jsonify

from web.api import serializers
from web.api.common import api_blueprint, checked_body
from web.auth import current_actor
from web.extensions import lifecycle
from web.views.inbox_filters import checked_params
from workflows import inbox_filters

bp = api_blueprint("inbox_filters", __name__)


@bp.get("/inbox/filters")
def index() -> Response:
    actor = current_actor()
    with lifecycle().db.read() as session:
        rows = inbox_filters.visible_filters(session, actor)
        return jsonify([serializers.saved_filter(row, actor.id) for row in rows])


@bp.post("/inbox/filters")
def create() -> tuple[Response, int]:
    actor = current_actor()
    body = checked_body("SavedFilterCreate")
    chosen = checked_params(body.get("params") or {})
    with lifecycle().db.write() as session:
        row = inbox_filters.create_filter(
            session, actor, body["name"], chosen, body.get("shared_with_organisation")
        )
        return jsonify(serializers.saved_filter(row, actor.id)), 201


@bp.delete("/inbox/filters/<int:filter_id>")
def delete(filter_id: int) -> Response:
    """Only the owner deletes; a filter shared with the caller is 403, any other 404."""
    actor = current_actor()
    with lifecycle().db.write() as session:
        row = inbox_filters.visible_filter(session, actor, filter_id)
        shape = serializers.saved_filter(row, actor.id)
        inbox_filters.delete_filter(session, actor, filter_id)
    return jsonify(shape)
