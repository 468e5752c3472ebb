"""``/models/lint``: check a model against Lexflow's lint rules without deploying it.

The browser modeler calls this as its owner edits, so the problems panel shows exactly what
a deploy would refuse (the same :meth:`engine.Engine.lint`, the same rules), in the
caller's language. Process owners and administrators only, like deploying.
"""

from __future__ import annotations

from flask import Response, jsonify
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from engine import Forbidden
from engine.lint import LintProblem
from engine.xmlsafety import MAX_XML_BYTES
from web import access
from web.api.common import api_blueprint, json_object
from web.auth import current_actor
from web.extensions import lifecycle
from web.i18n import localize

bp = api_blueprint("models", __name__)
KINDS = ("bpmn", "dmn")


def serialize(problem: LintProblem) -> dict[str, object]:
    return {
        "rule": problem.rule,
        "severity": problem.severity,
        "element_id": problem.element_id,
        "message": localize(problem.message),
    }


@bp.post("/models/lint")
def lint() -> Response:
    if not access.edits_models(current_actor()):
        raise Forbidden("only process owners and administrators check models")
    body = json_object()
    kind = body.get("kind", "bpmn")
    xml = body.get("xml")
    if kind not in KINDS:
        raise BadRequest("'kind' must be 'bpmn' or 'dmn'.")
    if not isinstance(xml, str) or not xml.strip():
        raise BadRequest("Send the model's XML as the text field 'xml'.")
    try:
        raw = xml.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadRequest("The XML is not valid Unicode text.") from exc
    if len(raw) > MAX_XML_BYTES:
        raise RequestEntityTooLarge(f"A model has at most {MAX_XML_BYTES} bytes.")
    problems = lifecycle().engine.lint({f"model.{kind}": raw})
    return jsonify(
        {
            "ok": not any(problem.is_error for problem in problems),
            "problems": [serialize(problem) for problem in problems],
        }
    )
