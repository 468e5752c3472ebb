"""``/drafts/{id}/documents``: a draft's dossier: its versions, uploads and downloads.

Anyone who may see the draft may read its dossier. Adding a version is part of working the
draft, so only someone who could complete one of its open steps (eligible for it, or its
assignee) may upload; files are checked by :func:`workflows.dossier.check_file` (PDF, DOCX
or ODT by content, not by name).
"""

from __future__ import annotations

import io

from flask import Response, jsonify, request, send_file
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

from engine import Actor, Forbidden, InvalidData, NotFound, TaskQuery
from engine.models import OPEN_STATES
from web.api import serializers
from web.api.common import api_blueprint
from web.api.visibility import draft_or_404
from web.auth import current_actor
from web.extensions import lifecycle
from workflows import dossier
from workflows.drafts import Draft

bp = api_blueprint("documents", __name__)


@bp.get("/drafts/<int:draft_id>/documents")
def index(draft_id: int) -> Response:
    with lifecycle().db.read() as session:
        draft = draft_or_404(session, current_actor(), draft_id)
        rows = sorted(
            dossier.versions(session, draft.id),
            key=lambda row: (row.uploaded_at, row.id),
            reverse=True,
        )
        return jsonify([serializers.document_version(row) for row in rows])


@bp.post("/drafts/<int:draft_id>/documents")
def upload(draft_id: int) -> tuple[Response, int]:
    caller = current_actor()
    task_id = (request.form.get("task_id") or "").strip() or None
    with lifecycle().db.write() as session:
        draft = draft_or_404(session, caller, draft_id)
        _check_may_upload(session, caller, draft, task_id)
        item = (request.form.get("item") or "").strip()
        file = request.files.get("file")
        if not item or file is None:
            raise BadRequest("send multipart/form-data with the fields 'item' and 'file'")
        row = dossier.add_version(
            session,
            draft.id,
            item,
            file.filename or "document",
            file.read(),
            caller.id,
            note=request.form.get("note"),
            task_id=task_id,
        )
        return jsonify(serializers.document_version(row)), 201


def _check_may_upload(session: Session, caller: Actor, draft: Draft, task_id: str | None) -> None:
    """Forbidden unless ``caller`` may complete an open task of the draft (``task_id``'s)."""
    engine = lifecycle().engine
    open_tasks = (
        engine.tasks(TaskQuery(instance_id=draft.instance_id, states=OPEN_STATES), session=session)
        if draft.instance_id is not None
        else []
    )
    if task_id is not None:
        open_tasks = [task for task in open_tasks if task.id == task_id]
        if not open_tasks:
            raise InvalidData(
                f"{task_id} is not an open task of draft {draft.code}",
                task_id=task_id,
                details=[{"field": "task_id", "message": "not an open task of this draft"}],
            )
    if not any(
        engine.refusal(task.id, caller, "complete", session=session) is None for task in open_tasks
    ):
        raise Forbidden(f"only someone working an open step of {draft.code} may add to its dossier")


@bp.get("/drafts/<int:draft_id>/documents/<int:version_id>/download")
def download(draft_id: int, version_id: int) -> Response:
    with lifecycle().db.read() as session:
        draft = draft_or_404(session, current_actor(), draft_id)
        row = session.get(dossier.DocumentVersion, version_id)
        if row is None or row.draft_id != draft.id:
            raise NotFound(f"no document version {version_id} in draft {draft.code}")
        try:
            data = dossier.read_file(row)
        except FileNotFoundError as exc:  # the stored file was removed from the disk
            raise NotFound(f"the file of document version {version_id} is missing") from exc
    response = send_file(
        io.BytesIO(data),
        mimetype=row.content_type,
        as_attachment=True,
        download_name=row.filename,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
