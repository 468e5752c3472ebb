"""``/definitions``: reading deployed models, and deploying new versions of them.

Reading models is open to every signed-in user (the procedures are public law); deploying
changes how every future draft runs, so only process owners and administrators may.
"""

from __future__ import annotations

from pathlib import PurePath

from flask import Response, jsonify, request
from werkzeug.exceptions import BadRequest

from engine import Forbidden
from web import access, params
from web.api import serializers
from web.api.common import api_blueprint, checked_body
from web.auth import current_actor
from web.extensions import lifecycle

bp = api_blueprint("definitions", __name__)


@bp.get("/definitions")
def index() -> Response:
    infos = lifecycle().engine.definitions(params.text("key"), latest_only=params.boolean("latest"))
    return jsonify([serializers.definition(info) for info in infos])


@bp.get("/definitions/<int:definition_id>")
def show(definition_id: int) -> Response:
    engine = lifecycle().engine
    info = engine.definition(definition_id)
    return jsonify({**serializers.definition(info), "xml": engine.definition_xml(definition_id)})


@bp.post("/definitions")
def deploy() -> tuple[Response, int]:
    """Deploy a bundle; 201 when a new version was created, 200 when all were unchanged."""
    caller = current_actor()
    if not access.edits_models(caller):
        raise Forbidden("only process owners and administrators deploy models")
    files, note = _uploaded_bundle()
    infos = lifecycle().engine.deploy(files, caller.id, note)
    status = 201 if any(info.created for info in infos) else 200
    return jsonify([serializers.definition(info) for info in infos]), status


def _uploaded_bundle() -> tuple[list[tuple[str, bytes | str]], str | None]:
    """The files and note of a multipart upload (field ``files``) or a JSON body."""
    if request.mimetype == "multipart/form-data":
        uploads = request.files.getlist("files")
        if not uploads:
            raise BadRequest("send one or more files in the multipart field 'files'")
        files: list[tuple[str, bytes | str]] = [
            (PurePath((upload.filename or "").replace("\\", "/")).name or "upload", upload.read())
            for upload in uploads
        ]
        return files, (request.form.get("note") or "").strip()[:2000] or None
    if request.mimetype == "application/json":
        body = checked_body("DeployRequest")
        return list(body["files"].items()), body.get("note")
    raise BadRequest("send the files as multipart/form-data (field 'files') or as JSON")
