"""``/definitions/{definition_id}/changes``: what changed from an earlier version of a model.

The list the modeler's diff page shows (:mod:`web.modeler.changes`), for scripts and other
tools: added, removed, changed (with each changed property before and after) and moved
elements. Process owners and administrators only, like the page.
"""

from __future__ import annotations

import dataclasses

from flask import Response, jsonify
from werkzeug.exceptions import BadRequest

from engine import Forbidden
from engine.messages import Message
from web import access, params
from web.api.common import api_blueprint
from web.api.serializers import definition as definition_json
from web.auth import current_actor
from web.extensions import lifecycle
from web.modeler.changes import compare

bp = api_blueprint("model_changes", __name__)
BIG_ID = 9223372036854775807


@bp.get("/definitions/<int:definition_id>/changes")
def changes(definition_id: int) -> Response:
    if not access.edits_models(current_actor()):
        raise Forbidden(Message("only process owners and administrators compare models"))
    engine = lifecycle().engine
    old_id = params.integer("from", minimum=1, maximum=BIG_ID)
    if old_id is None:
        raise BadRequest("give the version to compare with: ?from=<definition id>")
    new, old = engine.definition(definition_id), engine.definition(old_id)
    if old.key != new.key or new.kind != "bpmn":
        raise BadRequest(f"{old.key} and {new.key} are not two versions of one BPMN process model")
    found = compare(engine.definition_xml(old.id), engine.definition_xml(new.id))
    body = {key: [dataclasses.asdict(c) for c in value] for key, value in vars(found).items()}
    return jsonify({"from": definition_json(old), "to": definition_json(new), **body})
