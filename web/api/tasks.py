"""``/tasks``: the inbox for scripts, and claim / unclaim / assign / complete, and setting the
priority and follow-up date (``PATCH``).

Listing reuses the inbox's own query building (:mod:`web.views.inbox`), so a script sees
exactly what the page shows. Actions go straight to the engine, whose authorizer decides
(403), whose optimistic lock turns a lost race into 409 and whose form and dossier checks
turn bad input into 422.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import Response, jsonify, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest

from engine import Actor, Conflict, Forbidden, InvalidData, RunBoundExceeded, TaskInfo, TaskQuery
from engine.models import OPEN_STATES
from engine.task_attributes import UNSET
from web import params
from web.api import serializers
from web.api.common import api_blueprint, checked_body
from web.api.visibility import instance_or_404, task_or_404
from web.auth import current_actor
from web.extensions import lifecycle
from web.views.inbox import TABS, InboxFilters, supervised_organisations, tab_query
from workflows import completion_receipts

bp = api_blueprint("tasks", __name__)


@bp.get("/tasks")
def index() -> Response:
    params.boolean("overdue")  # strictly checked here; InboxFilters reads them leniently
    params.integer("due_within", minimum=0, maximum=365)
    page = params.page()
    base = _base_query(current_actor())
    query = replace(
        InboxFilters.from_args().apply(base, page.limit), limit=page.limit, offset=page.offset
    )
    engine = lifecycle().engine
    with lifecycle().db.read() as session:  # the page and its total from one snapshot
        items = [serializers.task(task) for task in engine.tasks(query, session=session)]
        total = engine.count_tasks(query, session=session)
    return jsonify(serializers.page(items, total, page.limit, page.offset))


def _base_query(caller: Actor) -> TaskQuery:
    """The view's query: mine, offered, an organisation's, or one instance's open tasks."""
    view = params.choice("view", TABS)
    organisation = params.text("organisation", 40)
    instance_id = params.integer("instance_id", minimum=1)
    if instance_id is not None:
        if view is not None or organisation is not None:
            raise BadRequest("instance_id replaces view and organisation; send only one")
        with lifecycle().db.read() as session:
            instance_or_404(session, caller, instance_id)
        return TaskQuery(instance_id=instance_id, states=OPEN_STATES)
    view = view or "mine"
    if view != "organisation":
        if organisation is not None:
            raise BadRequest("organisation is only used with view=organisation")
        base = tab_query(caller, view)
        assert base is not None  # noqa: S101 - mine and offered always have a query
        return base
    return TaskQuery(organisation=_supervised(caller, organisation))


def _supervised(caller: Actor, organisation: str | None) -> str:
    """The organisation whose open work the caller heads (administrators: any they name)."""
    headed = supervised_organisations(caller)
    if organisation is not None:
        if caller.is_admin or organisation in headed:
            return organisation
        raise Forbidden(f"{caller.id} does not head {organisation}")
    if len(headed) == 1:
        return headed[0]
    if not headed and not caller.is_admin:
        raise Forbidden(f"{caller.id} heads no organisation")
    raise BadRequest("name the organisation: organisation=" + (" or ".join(headed) or "<code>"))


@bp.get("/tasks/<task_id>")
def show(task_id: str) -> Response:
    engine = lifecycle().engine
    with lifecycle().db.read() as session:
        row = task_or_404(session, current_actor(), task_id)
        step = engine.user_task_info(task_id, session=session)
        return jsonify(serializers.task_detail(TaskInfo.of(row), step))


def _visible(task_id: str) -> None:
    """404 for a task the caller may not see, as when reading it: ids cannot be probed."""
    with lifecycle().db.read() as session:
        task_or_404(session, current_actor(), task_id)


@bp.patch("/tasks/<task_id>")
def update(task_id: str) -> Response:
    """``{"priority": "high", "follow_up_on": "2027-01-15"}``: either or both (null clears)."""
    _visible(task_id)
    body = checked_body("TaskUpdate")
    raw_day = body.get("follow_up_on", UNSET)
    try:
        day = date.fromisoformat(raw_day) if isinstance(raw_day, str) else raw_day
    except ValueError as exc:
        raise InvalidData(f"follow_up_on: {raw_day[:20]!r} is not a real date") from exc
    info = lifecycle().engine.plan_task(
        task_id, current_actor(), priority=body.get("priority", UNSET), follow_up_on=day
    )
    return jsonify(serializers.task(info))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Response:
    _visible(task_id)
    return jsonify(serializers.task(lifecycle().engine.claim(task_id, current_actor())))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Response:
    _visible(task_id)
    return jsonify(serializers.task(lifecycle().engine.unclaim(task_id, current_actor())))


@bp.post("/tasks/<task_id>/assign")
def assign(task_id: str) -> Response:
    _visible(task_id)
    body = checked_body("AssignRequest")
    info = lifecycle().engine.assign(task_id, current_actor(), body["assignee"])
    return jsonify(serializers.task(info))


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> Response:
    """Submit the form ``{"data": {...}}`` (an empty body submits no fields)."""
    _visible(task_id)
    body = checked_body("CompleteRequest") if request.content_length else {}
    key = completion_receipts.checked_key(request.headers.get("Idempotency-Key"))
    actor = current_actor()
    if key is None:
        info = lifecycle().engine.complete(task_id, actor, body.get("data") or {})
        return jsonify(serializers.task(info))
    try:
        with lifecycle().db.write() as session:
            first = completion_receipts.receipt(session, actor.id, key, task_id)
            if first is not None:
                return jsonify(first)  # a retry of the caller's own committed completion
            info = lifecycle().engine.complete(
                task_id, actor, body.get("data") or {}, session=session
            )
            result = serializers.task(info)
            completion_receipts.record(session, actor.id, key, task_id, result)
    except RunBoundExceeded as exc:
        # Our transaction was rolled back; fail the runaway instance as the engine would have.
        lifecycle().engine.instances_service.fail_alone(exc.instance_id, exc)
        raise
    except (Conflict, IntegrityError):
        # A retry racing its own original: once the original has committed, answer with it.
        with lifecycle().db.read() as session:
            first = completion_receipts.receipt(session, actor.id, key, task_id)
        if first is None:
            raise
        return jsonify(first)
    return jsonify(result)
