"""``/instances``: process instances the caller may see, their history and diagram.

Drafts are started through ``POST /drafts``, which records the draft and its organisations;
starting a bare process is a tool for process owners and administrators (tests, repairs).
"""

from __future__ import annotations

from flask import Response, jsonify
from sqlalchemy import func, select

from engine import Forbidden, InstanceInfo, InvalidData, NotFound
from engine.models import ProcessInstance
from web import access, params
from web.access import visible_instances
from web.api import serializers
from web.api.common import api_blueprint, checked_body
from web.api.schemas import INSTANCE_STATUSES
from web.api.visibility import instance_or_404
from web.auth import current_actor
from web.extensions import lifecycle

bp = api_blueprint("instances", __name__)


@bp.get("/instances")
def index() -> Response:
    page = params.page()
    filters = (
        (ProcessInstance.definition_key, params.text("key")),
        (ProcessInstance.status, params.choice("status", INSTANCE_STATUSES)),
        (ProcessInstance.business_key, params.text("business_key")),
        (ProcessInstance.organisation, params.text("organisation")),
    )
    with lifecycle().db.read() as session:
        query = select(ProcessInstance).where(visible_instances(session, current_actor()))
        for column, value in filters:
            if value is not None:
                query = query.where(column == value)
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = session.execute(
            query.order_by(ProcessInstance.id.desc()).limit(page.limit).offset(page.offset)
        ).scalars()
        items = [serializers.instance(InstanceInfo.of(row)) for row in rows]
    return jsonify(serializers.page(items, int(total), page.limit, page.offset))


@bp.post("/instances")
def start() -> tuple[Response, int]:
    caller = current_actor()
    if not access.edits_models(caller):
        raise Forbidden("only process owners and administrators start bare processes")
    body = checked_body("InstanceStart")
    try:
        info = lifecycle().engine.start(
            body["key"],
            actor=caller,
            business_key=body.get("business_key"),
            data=body.get("data"),
            organisation=body.get("organisation"),
            labels=body.get("labels"),
            version=body.get("version"),
        )
    except NotFound as exc:  # the body names a process that is not deployed
        raise InvalidData(exc.message, details=[{"field": "key", "message": exc.message}]) from exc
    return jsonify(serializers.instance(info)), 201


@bp.get("/instances/<int:instance_id>")
def show(instance_id: int) -> Response:
    with lifecycle().db.read() as session:
        row = instance_or_404(session, current_actor(), instance_id)
        return jsonify(serializers.instance(InstanceInfo.of(row)))


@bp.get("/instances/<int:instance_id>/history")
def history(instance_id: int) -> Response:
    engine = lifecycle().engine
    with lifecycle().db.read() as session:
        instance_or_404(session, current_actor(), instance_id)
        tasks = engine.task_history(instance_id, session=session)
        events = engine.audit_events(instance_id, session=session)
        intact = engine.verify_audit(instance_id, session=session).ok
        return jsonify(
            {
                "tasks": [serializers.task(task) for task in tasks],
                "events": [serializers.audit_event(event) for event in events],
                "audit_intact": intact,
            }
        )


@bp.get("/instances/<int:instance_id>/diagram")
def diagram(instance_id: int) -> Response:
    engine = lifecycle().engine
    with lifecycle().db.read() as session:
        row = instance_or_404(session, current_actor(), instance_id)
        elements = engine.completed_elements(instance_id, session=session)
        return jsonify(
            {
                "definition_id": row.definition_id,
                "xml": engine.definition_xml(row.definition_id, session=session),
                "completed": elements["completed"],
                "active": elements["active"],
            }
        )
