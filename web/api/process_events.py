"""``/messages`` and ``/signals``: events from outside for the processes waiting for them.

Only process owners and administrators send them (no lifecycle step waits for a message:
a step done by a person is a user task, so no other role needs to); the engine correlates,
delivers one transaction per instance and audits each.
"""

from __future__ import annotations

from flask import Response, jsonify

from engine import Actor, Forbidden
from engine.messages import Message
from web import access
from web.api.common import api_blueprint, checked_body
from web.auth import current_actor
from web.extensions import lifecycle

bp = api_blueprint("process_events", __name__)


def _sender() -> Actor:
    caller = current_actor()
    if not access.edits_models(caller):
        raise Forbidden(Message("only process owners and administrators send messages and signals"))
    return caller


@bp.post("/messages")
def deliver_message() -> Response:
    caller = _sender()
    body = checked_body("MessageRequest")
    delivery = lifecycle().engine.deliver_message(
        body["name"],
        correlation_key=body.get("correlation_key"),
        payload=body.get("data"),
        actor=caller,
    )
    return jsonify(delivery.to_json())


@bp.post("/signals")
def broadcast_signal() -> Response:
    caller = _sender()
    body = checked_body("SignalRequest")
    delivery = lifecycle().engine.broadcast_signal(
        body["name"], payload=body.get("data"), actor=caller
    )
    return jsonify(delivery.to_json())
