"""The modeler's form field editor endpoints: read a form as a field list, store it in a draft.

A user task's form is edited as a list of fields (:mod:`web.modeler.form_fields`) and stored
in the draft model as the JSON Schema the engine runs; deploying the draft deploys the model
and its forms together (:func:`web.modeler.drafting.deploy`), so the task's
``formJsonSchemaFilename`` names a form of the same deployment. A form is checked when it is
stored by the engine's own deploy checks, so the owner hears about a bad rule at once.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, jsonify, request
from flask_babel import gettext as _

from engine import EngineError, NotFound
from engine.validation import form_schema_problems
from web.auth import current_actor
from web.extensions import lifecycle
from web.i18n import localize
from web.modeler import bp
from web.modeler.form_fields import FORM_NAME, FormProblems, to_fields, to_schema
from web.modeler.views import editors_only
from workflows import model_drafts

MAX_FORM_CHARS = 512 * 1024


def _name(name: str) -> str:
    if not FORM_NAME.match(name):
        abort(
            400,
            description=_(
                "A form's file name has lower-case letters, digits, _ and - and ends in .json."
            ),
        )
    return name


def deployed_form(name: str) -> dict[str, Any] | None:
    """The newest deployed version of the form schema ``name``, or None."""
    engine = lifecycle().engine
    found = [d for d in engine.definitions(name, latest_only=True) if d.kind == "json"]
    if not found:
        return None
    schema = json.loads(engine.definition_xml(found[0].id))
    return schema if isinstance(schema, dict) else None


@bp.get("/forms/<name>")
@editors_only
def form_fields(name: str) -> Any:
    """A form as the editor's field list: the draft's own copy, else the deployed one."""
    name = _name(name)
    draft_id = request.args.get("draft_id", type=int)
    schema: dict[str, Any] | None = None
    source = "new"
    if draft_id:
        with lifecycle().db.read() as session:
            text = (model_drafts.get(session, draft_id).forms or {}).get(name)
        if text is not None:
            schema, source = json.loads(text), "draft"
    if schema is None:
        schema = deployed_form(name)
        source = "deployed" if schema is not None else source
    form = to_fields(schema) if schema is not None else {"title": "", "fields": [], "rules": []}
    return jsonify({"name": name, "source": source, "form": form})


def _refused(problems: list[dict[str, Any]]) -> Any:
    listed = [{"field": p.get("field"), "message": localize(p["message"])} for p in problems]
    first = listed[0]
    where = f"{first['field']}: " if first["field"] else ""
    body = {
        "error": "invalid_data",
        "message": _("The form cannot be saved: %(problem)s", problem=where + first["message"]),
        "problems": listed,
    }
    return jsonify(body), 422


@bp.post("/drafts/<int:draft_id>/forms/<name>")
@editors_only
def save_form(draft_id: int, name: str) -> Any:
    """Store a field list as one form schema of the draft (422 with each field's problem)."""
    name = _name(name)
    if (request.content_length or 0) > MAX_FORM_CHARS:
        abort(413, description=_("The file is too large"))
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("form"), dict):
        abort(400, description=_("The body must carry the field list in 'form'."))
    try:
        schema = to_schema(body["form"])
    except FormProblems as exc:
        return _refused(exc.problems)
    found = form_schema_problems(schema, lifecycle().engine.evaluator)
    if found:
        return _refused([{"field": None, "message": problem} for problem in found])
    text = json.dumps(schema, ensure_ascii=False, indent=2)
    try:
        with lifecycle().db.write() as session:
            model_drafts.save_form(session, current_actor().id, draft_id, name, text)
    except NotFound:
        raise
    except EngineError as exc:
        return _refused([{"field": None, "message": exc.message}])
    # Not jsonify: it sorts keys, and the order of the properties is the form's field order.
    body = json.dumps({"name": name, "schema": schema}, ensure_ascii=False)
    return Response(body, mimetype="application/json")
