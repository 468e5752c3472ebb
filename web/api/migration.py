"""``/definitions/{key}/migration``: move running instances to a process's newest version.

GET is the dry run (which instances on older versions can move, and why the others
cannot); POST moves the chosen ones or all that can, one audited transaction each.
Process owners and administrators only.
"""

from __future__ import annotations

from flask import Response, jsonify

from engine import Actor, Forbidden
from engine.messages import Message
from web import access
from web.api.common import api_blueprint, checked_body
from web.auth import current_actor
from web.extensions import lifecycle

bp = api_blueprint("migration", __name__)


def _migrator() -> Actor:
    caller = current_actor()
    if not access.edits_models(caller):
        raise Forbidden(Message("only process owners and administrators migrate instances"))
    return caller


@bp.get("/definitions/<key>/migration")
def plan(key: str) -> Response:
    caller = _migrator()
    return jsonify(lifecycle().engine.migration_plan(key[:200], actor=caller).to_json())


@bp.post("/definitions/<key>/migration")
def migrate(key: str) -> Response:
    caller = _migrator()
    body = checked_body("MigrationRequest")
    chosen = None if body.get("all") else list(body["instance_ids"])
    result = lifecycle().engine.migrate_instances(key[:200], actor=caller, instance_ids=chosen)
    return jsonify(result.to_json())
