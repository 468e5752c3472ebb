"""The editor's JSON endpoints: save a draft, check a model or one expression, deploy.

They ride on the session cookie, so Flask-WTF's CSRF protection applies: the page sends its
token in ``X-CSRFToken``. Bad input is a 400/422 with a message in the user's language;
deploying goes through the engine's deploy (the same validation as an uploaded file) and, in
the same transaction, removes the draft that became the new version.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request, url_for
from flask_babel import gettext as _

from engine import EngineError, NotFound
from web.auth import current_actor
from web.extensions import lifecycle
from web.i18n import format_datetime, localize
from web.modeler import bp
from web.modeler.checks import MAX_SOURCE, check_source, dry_run, problems_of
from web.modeler.views import editors_only
from workflows import model_drafts
from workflows.model_drafts import ModelDraft

MAX_XML_CHARS = 2 * 1024 * 1024
MAX_NOTE = 500


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description=_("The body must be a JSON object."))
    return body


def _xml(body: dict[str, Any]) -> str:
    xml = body.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        abort(400, description=_("The body must carry the model's XML in 'xml'."))
    if len(xml) > MAX_XML_CHARS:
        abort(413, description=_("The file is too large"))
    return xml


def _optional_id(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        abort(400, description=_("'%(name)s' must be a positive whole number.", name=name))
    return value


def _draft_json(draft: ModelDraft) -> dict[str, Any]:
    return {
        "id": draft.id,
        "key": draft.key,
        "name": draft.name,
        "author": draft.author,
        "updated_at": format_datetime(draft.updated_at),
        "url": url_for("modeler.edit_draft", draft_id=draft.id),
        "save_url": url_for("modeler.save_draft", draft_id=draft.id),
    }


def _problems_response(exc: EngineError) -> Any:
    body = {
        "error": "invalid_data",
        "message": localize(exc.message),
        "problems": problems_of(exc),
    }
    return jsonify(body), 422


@bp.post("/drafts")
@editors_only
def create_draft() -> Any:
    body = _body()
    xml = _xml(body)
    base = _optional_id(body, "base_definition_id")
    try:
        with lifecycle().db.write() as session:
            if base is not None:
                lifecycle().engine.definition(base, session=session)  # NotFound -> 404
            draft = model_drafts.save(session, current_actor().id, xml, base_definition_id=base)
            answer = _draft_json(draft)
    except NotFound:
        raise
    except EngineError as exc:
        return _problems_response(exc)
    return jsonify(answer), 201


@bp.post("/drafts/<int:draft_id>")
@editors_only
def save_draft(draft_id: int) -> Any:
    xml = _xml(_body())
    try:
        with lifecycle().db.write() as session:
            draft = model_drafts.save(session, current_actor().id, xml, draft_id=draft_id)
            answer = _draft_json(draft)
    except NotFound:
        raise
    except EngineError as exc:
        return _problems_response(exc)
    return jsonify(answer)


def _draft_forms(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The form schemas stored in the draft named by ``draft_id`` (none without one)."""
    draft_id = _optional_id(body, "draft_id")
    if draft_id is None:
        return []
    with lifecycle().db.read() as session:
        return sorted((model_drafts.get(session, draft_id).forms or {}).items())


@bp.post("/check")
@editors_only
def check() -> Any:
    """Lint without deploying: what a deployment of this XML would refuse."""
    body = _body()
    if body.get("kind", "bpmn") != "bpmn":
        abort(400, description=_("The modeler checks BPMN models only."))
    xml = _xml(body)
    try:
        key, _name = model_drafts.describe(xml)
    except EngineError as exc:
        problems = problems_of(exc)
    else:
        problems = dry_run(f"{key}.bpmn", xml, current_actor().id, _draft_forms(body))
    return jsonify({"ok": not problems, "problems": problems})


@bp.post("/check-expression")
@editors_only
def check_expression() -> Any:
    body = _body()
    kind = body.get("kind")
    source = body.get("source")
    if kind not in ("expression", "script") or not isinstance(source, str):
        abort(400, description=_("Send 'kind' (expression or script) and 'source' (text)."))
    if len(source) > MAX_SOURCE:
        abort(413, description=_("The text is too long."))
    ok, message = check_source(kind, source)
    return jsonify({"ok": ok, "message": message})


@bp.post("/deploy")
@editors_only
def deploy() -> Any:
    body = _body()
    xml = _xml(body)
    note = body.get("note")
    if not isinstance(note, str) or not note.strip():
        abort(422, description=_("Write a note saying what changed and why."))
    note = note.strip()[:MAX_NOTE]
    draft_id = _optional_id(body, "draft_id")
    actor = current_actor().id
    try:
        with lifecycle().db.write() as session:
            forms: list[tuple[str, str]] = []
            if draft_id is not None:
                forms = sorted((model_drafts.get(session, draft_id).forms or {}).items())
            key, _name = model_drafts.describe(xml)
            deployed = lifecycle().engine.deploy(
                [(f"{key}.bpmn", xml), *forms], actor, note, session=session
            )
            if draft_id is not None:
                model_drafts.delete(session, actor, draft_id, reason="deployed")
    except NotFound:
        raise
    except EngineError as exc:
        return _problems_response(exc)
    info = next(d for d in deployed if d.kind == "bpmn" and d.key == key)
    return jsonify(
        {
            "key": info.key,
            "version": info.version,
            "definition_id": info.id,
            "created": info.created,
            "note": info.note,
            "url": url_for("models.show", definition_id=info.id),
        }
    )
