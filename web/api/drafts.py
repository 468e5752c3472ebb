"""``/drafts``: listing the drafts the caller may see, reading one, registering a new one,
and (administrators) suspending, resuming or cancelling one.

Registering a draft starts its lifecycle process (the process whose id is the document type)
in the same transaction; ``start_draft`` itself checks that the caller drafts for, or heads,
the lead agency. :mod:`workflows.draft_admin` decides who may stop a draft and when.
"""

from __future__ import annotations

from datetime import date

from flask import Response, jsonify, request

from engine import InvalidData, NotFound
from web import access, params
from web.api import serializers
from web.api.common import api_blueprint, checked_body
from web.api.schemas import DRAFT_STATUSES
from web.api.visibility import draft_or_404
from web.auth import current_actor
from web.extensions import lifecycle
from workflows import draft_admin
from workflows.drafts import DOCUMENT_TYPES, DraftFilter, list_drafts
from workflows.roles import STAGE_CODES

bp = api_blueprint("drafts", __name__)
OPTIONAL_FIELDS = (
    "plan_year",
    "target_session",
    "ground",
    "legal_basis",
    "summary",
    "commune",
    "consulted_agencies",
)


@bp.get("/drafts")
def index() -> Response:
    page = params.page()
    with lifecycle().db.read() as session:
        visible = access.visible_organisations(session, current_actor())
    flt = DraftFilter(
        text=params.text("text"),
        document_type=params.choice("document_type", DOCUMENT_TYPES),
        stage=params.choice("stage", STAGE_CODES),
        status=params.choice("status", DRAFT_STATUSES),
        lead_agency=params.text("lead_agency", 40),
        plan_year=params.integer("plan_year", minimum=2000, maximum=2100),
        visible_to=visible,
        worked_by=current_actor().id,
        limit=page.limit,
        offset=page.offset,
    )
    with lifecycle().db.read() as session:
        rows, total = list_drafts(session, flt)
        items = [serializers.draft(row) for row in rows]
    return jsonify(serializers.page(items, total, page.limit, page.offset))


@bp.post("/drafts")
def create() -> tuple[Response, int]:
    body = checked_body("DraftCreate")
    options = {name: body[name] for name in OPTIONAL_FIELDS if body.get(name) is not None}
    if body.get("target_date"):
        options["target_date"] = date.fromisoformat(body["target_date"])
    domain = lifecycle()
    try:
        with domain.db.write() as session:
            row = domain.start_draft(
                session,
                current_actor(),
                title=body["title"],
                document_type=body["document_type"],
                lead_agency=body["lead_agency"],
                **options,
            )
            result = serializers.draft(row)
    except NotFound as exc:  # the document type's process is not deployed yet
        raise InvalidData(
            exc.message, details=[{"field": "document_type", "message": exc.message}]
        ) from exc
    return jsonify(result), 201


@bp.get("/drafts/<int:draft_id>")
def show(draft_id: int) -> Response:
    with lifecycle().db.read() as session:
        return jsonify(serializers.draft(draft_or_404(session, current_actor(), draft_id)))


@bp.post("/drafts/<int:draft_id>/suspend")
def suspend(draft_id: int) -> Response:
    return _administer(draft_id, draft_admin.suspend_draft)


@bp.post("/drafts/<int:draft_id>/resume")
def resume(draft_id: int) -> Response:
    return _administer(draft_id, draft_admin.resume_draft)


@bp.post("/drafts/<int:draft_id>/cancel")
def cancel(draft_id: int) -> Response:
    return _administer(draft_id, draft_admin.cancel_draft)


def _administer(draft_id: int, operation: draft_admin.Operation) -> Response:
    """The draft after the operation; a body is optional only where the reason is (resume)."""
    body = checked_body("DraftAdminRequest") if request.get_data() else {}
    domain = lifecycle()
    with domain.db.write() as session:
        row = draft_or_404(session, current_actor(), draft_id)
        operation(session, domain.engine, current_actor(), row, body.get("reason"))
        return jsonify(serializers.draft(row))
