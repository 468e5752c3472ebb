"""The task page: what the step is, its deadline, the dossier, the form, and the actions
(claim, release, delegate, and the assignee's priority and follow-up date).

Reading needs the task to be visible to the user (its own people or readers of its draft);
every action is decided by the engine's authorizer (role, organisation, claim, four-eyes),
so the page only *offers* what the engine would accept and explains why not otherwise
(a suspended draft: who suspended it, when and why, instead of a form that would fail).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from engine import Conflict, Forbidden, InvalidData, Message, ProcessError, clock
from engine.models import HumanTask, ProcessInstance
from engine.task_attributes import PRIORITIES, UNSET, today
from engine.task_queries import TaskInfo
from web import pickers, step_records
from web.access import can_view_task
from web.auth import current_actor, login_required
from web.extensions import lifecycle
from web.forms import (
    DECISION_FIELD,
    decision_choices,
    fields_from_schema,
    localized,
    parse_submission,
    with_choices,
)
from web.i18n import localize
from web.public import moderation
from web.templating import dossier_item_name, locale_code, task_title, wants_rows_only
from workflows import comments, dossier, draft_admin
from workflows.calendar import vietnam_date
from workflows.consultation import ledger
from workflows.directory import RoleAssignment, User
from workflows.drafts import Draft

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def _task_row(session: Any, task_id: str) -> HumanTask:
    row = session.get(HumanTask, task_id)
    if row is None or not can_view_task(session, current_actor(), row):
        abort(404)
    return row


def _draft(session: Any, row: HumanTask) -> Draft | None:
    return lifecycle().dossier_draft(session, row.instance_id)


def _required_items(properties: dict[str, str]) -> list[str]:
    return [c.strip() for c in properties.get("requiredDocuments", "").split(",") if c.strip()]


def _eligible_users(session: Any, row: HumanTask) -> list[tuple[str, str]]:
    query = (
        select(User.username, User.full_name)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(User.active, RoleAssignment.role == row.role)
        .distinct()
        .order_by(User.full_name)
    )
    if row.organisation:
        query = query.where(RoleAssignment.organisation_code == row.organisation)
    return [(username, name) for username, name in session.execute(query).all()]


def _working_days_left(due: Any) -> int | None:
    if due is None:
        return None
    calendar = lifecycle().calendar()
    return calendar.working_days_between(vietnam_date(clock.now()), vietnam_date(due))


def _page(
    task_id: str,
    *,
    form_data: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> Any:
    actor = current_actor()
    life = lifecycle()
    engine = life.engine
    locale = locale_code()
    with life.db.read() as session:
        row = _task_row(session, task_id)
        draft = _draft(session, row)
        info = engine.user_task_info(task_id, session=session)
        properties = dict(info.properties) if info else {}
        required = _required_items(properties)
        versions = dossier.versions(session, draft.id) if draft else []
        present = {v.item_code for v in versions}
        notes = comments.comments_of(session, draft.id) if draft else []
        open_now = row.state in ("open", "claimed")
        refusals = (
            {
                action: engine.refusal(task_id, actor, action, session=session)
                for action in ("claim", "complete", "unclaim", "plan")
            }
            if open_now
            else {}
        )
        delegates = _eligible_users(session, row) if open_now else []
        state = engine.form_state(task_id, session=session) if open_now else None
        if form_data is not None:
            values = dict(form_data)
        else:
            values = state.initial_values() if state else {}
        history = engine.task_history(row.instance_id, session=session) if draft else []
        returned = _sent_back(engine, row, session) if open_now else None
        earlier = step_records.records(engine.submissions(row.instance_id, session=session))
        consultation = None
        if draft is not None and row.spec_id in ledger.ANSWERED_AT:
            article, source = request.args.get("article", ""), request.args.get("source", "")
            consultation = moderation.panel(session, draft, actor, article[:20], source[:10])
        picked = pickers.choices(session, state.choices if state else {}, info)
        reroute = pickers.reroute_options(session) if open_now and actor.is_admin else None
        instance = session.get(ProcessInstance, row.instance_id)
        suspended = open_now and instance is not None and instance.status == "suspended"
        suspension = (
            draft_admin.last_suspension(engine.audit_events(row.instance_id, session=session))
            if suspended
            else None
        )
    schema = info.form_schema if info else None
    fields = with_choices(fields_from_schema(schema, locale), picked)
    labels = {f.name: f.label for f in fields}
    readable = [_readable(error, labels) for error in errors or []]
    field_errors: dict[str, list[str]] = {}
    for error in readable:
        if error.get("name"):
            field_errors.setdefault(error["name"], []).append(error["message"])
    return render_template(
        "tasks/show.html",
        task=row,
        info=info,
        properties=properties,
        draft=draft,
        fields=fields,
        decisions=decision_choices(schema, locale),
        form_title=localized(schema, "title", locale) if schema else None,
        form_description=localized(schema, "description", locale) if schema else None,
        values=values,
        errors=readable,
        field_errors=field_errors,
        earlier=[record for record in earlier if record.task_id != row.id],
        reroute=reroute,
        returned=returned,
        required=required,
        present=present,
        versions=versions,
        notes=notes,
        refusals=refusals,
        can_work=open_now and not suspended and refusals.get("complete") is None,
        suspended=suspended,
        suspension=suspension,
        delegates=[d for d in delegates if d[0] != row.assignee],
        working_days_left=_working_days_left(row.due_at),
        task_info=TaskInfo.of(row),
        priorities=list(PRIORITIES),
        today=today(),
        history=history,
        dossier_items=dossier.DOSSIER_ITEMS,
        made_here=ledger.MADE_AT.get(row.spec_id, ()),
        consultation=consultation,
    ), status


def _readable(error: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """A form error as the user reads it: the field's label, the message in their language."""
    field = error.get("field")
    label = labels.get(field or "", field)
    message = error.get("message")
    name = field if field in labels else None
    if isinstance(message, Message) and message.template == "this field is required":
        return {"name": name, "field": None, "message": _("%(field)s is required.", field=label)}
    if field == "documents" and error.get("item"):
        item = dossier_item_name(error["item"])
        return {
            "name": None,
            "field": None,
            "message": _("The dossier still lacks: %(item)s.", item=item),
        }
    return {**error, "name": name, "field": label, "message": localize(message)}


def _sent_back(engine: Any, row: HumanTask, session: Any) -> Any:
    """The decision that sent the work back to this step, if the last one before it did."""
    done = [
        event
        for event in engine.audit_events(row.instance_id, session=session)
        if event.action == "complete" and event.at <= row.created_at
    ]
    if done and (done[-1].data or {}).get("decision") == "return":
        return done[-1]
    return None


@bp.get("/<task_id>")
@login_required
def show(task_id: str) -> Any:
    return _page(task_id)


def _act(task_id: str, action: str) -> Any:
    actor = current_actor()
    engine = lifecycle().engine
    try:
        if action == "claim":
            engine.claim(task_id, actor)
            flash(_("You claimed this task."), "info")
        elif action == "unclaim":
            engine.unclaim(task_id, actor)
            flash(_("The task is back in the shared list."), "info")
        elif action == "assign":
            assignee = request.form.get("assignee", "").strip()
            if not assignee:
                raise BadRequest(_("Choose a person to delegate to."))
            engine.assign(task_id, actor, assignee)
            flash(_("The task was delegated."), "info")
    except (Forbidden, InvalidData) as exc:
        flash(localize(exc.message), "error")
        return _page(task_id, status=403 if isinstance(exc, Forbidden) else 422)
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<task_id>/claim")
@login_required
def claim(task_id: str) -> Any:
    _ensure_visible(task_id)
    return _act(task_id, "claim")


@bp.post("/<task_id>/unclaim")
@login_required
def unclaim(task_id: str) -> Any:
    _ensure_visible(task_id)
    return _act(task_id, "unclaim")


@bp.post("/<task_id>/assign")
@login_required
def assign(task_id: str) -> Any:
    _ensure_visible(task_id)
    return _act(task_id, "assign")


@bp.post("/<task_id>/follow-up")
@login_required
def plan(task_id: str) -> Any:
    """The assignee (or a supervisor) sets the priority and the follow-up date."""
    _ensure_visible(task_id)
    raw_day = (request.form.get("follow_up_on") or "").strip()
    try:
        day = date.fromisoformat(raw_day) if raw_day else None
    except ValueError:
        flash(_("The follow-up date is not a real date: %(value)s", value=raw_day[:20]), "error")
        return _page(task_id, status=422)
    priority = (request.form.get("priority") or "").strip()
    try:
        lifecycle().engine.plan_task(
            task_id, current_actor(), priority=priority or UNSET, follow_up_on=day
        )
    except (Forbidden, InvalidData, Conflict) as exc:
        flash(localize(exc.message), "error")
        status = 403 if isinstance(exc, Forbidden) else 409 if isinstance(exc, Conflict) else 422
        return _page(task_id, status=status)
    flash(_("Priority and follow-up date saved."), "info")
    return redirect(url_for("tasks.show", task_id=task_id))


def _ensure_visible(task_id: str) -> None:
    with lifecycle().db.read() as session:
        _task_row(session, task_id)


@bp.post("/<task_id>/complete")
@login_required
def complete(task_id: str) -> Any:
    actor = current_actor()
    life = lifecycle()
    _ensure_visible(task_id)
    schema = life.engine.task_form(task_id)
    data = parse_submission(schema, request.form)
    decision = request.form.get(DECISION_FIELD)
    if decision:
        allowed = {choice.value for choice in decision_choices(schema)}
        if decision not in allowed:
            raise BadRequest(_("Unknown decision."))
        data[DECISION_FIELD] = decision
    try:
        info = life.engine.complete(task_id, actor, data)
    except InvalidData as exc:
        details = exc.details if isinstance(exc.details, list) else []
        flash(_("Please check what you entered") if details else localize(exc.message), "error")
        return _page(task_id, form_data=data, errors=details, status=422)
    except Forbidden as exc:
        flash(localize(exc.message), "error")
        return _page(task_id, form_data=data, status=403)
    except (Conflict, ProcessError) as exc:
        # The step could not be saved (someone else was faster, or the model refuses where it
        # would go next): say why on the page, keeping what the user entered.
        flash(localize(exc.message), "error")
        return _page(task_id, form_data=data, status=409 if isinstance(exc, Conflict) else 422)
    flash(_("Done: %(title)s", title=task_title(info)), "info")
    return redirect(url_for("inbox.index"))


def _dossier_card(task_id: str, messages: list[tuple[str, str]]) -> Any:
    """The dossier card alone, for an upload made in place (htmx): the step's form, with what
    the user has typed in it, stays as it is. Answered 200 so htmx swaps the message in."""
    actor = current_actor()
    life = lifecycle()
    with life.db.read() as session:
        row = _task_row(session, task_id)
        draft = _draft(session, row)
        info = life.engine.user_task_info(task_id, session=session)
        versions = dossier.versions(session, draft.id) if draft else []
        refusal = (
            life.engine.refusal(task_id, actor, "complete", session=session)
            if row.state in ("open", "claimed")
            else _("the task is no longer open")
        )
    return render_template(
        "tasks/_dossier.html",
        task=row,
        draft=draft,
        required=_required_items(dict(info.properties) if info else {}),
        present={v.item_code for v in versions},
        versions=versions,
        can_work=refusal is None,
        dossier_items=dossier.DOSSIER_ITEMS,
        made_here=ledger.MADE_AT.get(row.spec_id, ()),
        dossier_messages=messages,
    )


@bp.post("/<task_id>/documents")
@login_required
def upload(task_id: str) -> Any:
    actor = current_actor()
    life = lifecycle()
    in_place = wants_rows_only()
    refusal = life.engine.refusal(task_id, actor, "complete")
    _ensure_visible(task_id)
    if refusal is not None:
        text = _("You cannot add documents to this step: %(reason)s", reason=localize(refusal))
        if in_place:
            return _dossier_card(task_id, [("error", text)])
        flash(text, "error")
        return _page(task_id, status=403)
    item = request.form.get("item", "")
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        if in_place:
            return _dossier_card(task_id, [("error", _("Choose a file to upload."))])
        flash(_("Choose a file to upload."), "error")
        return _page(task_id, status=400)
    try:
        with life.db.write() as session:
            row = _task_row(session, task_id)
            draft = _draft(session, row)
            if draft is None:
                abort(404)
            version = dossier.add_version(
                session,
                draft.id,
                item,
                upload_file.filename,
                upload_file.read(),
                actor.id,
                note=request.form.get("note"),
                task_id=task_id,
            )
            added = _(
                "%(item)s: version %(version)s added.",
                item=dossier_item_name(item),
                version=version.version,
            )
    except InvalidData as exc:
        if in_place:
            return _dossier_card(task_id, [("error", localize(exc.message))])
        flash(localize(exc.message), "error")
        return _page(task_id, status=422)
    if in_place:
        return _dossier_card(task_id, [("info", added)])
    flash(added, "info")
    return redirect(url_for("tasks.show", task_id=task_id) + "#dossier")


@bp.post("/<task_id>/reroute")
@login_required
def reroute(task_id: str) -> Any:
    """An administrator sends an open task to another organisation or role (audited)."""
    actor = current_actor()
    _ensure_visible(task_id)
    if not actor.is_admin:
        abort(403)
    organisation = (request.form.get("organisation") or "").strip()
    role = (request.form.get("role") or "").strip()
    reason = (request.form.get("reason") or "").strip()
    try:
        lifecycle().engine.reroute(
            task_id, actor, organisation=organisation, role=role, reason=reason
        )
    except (Forbidden, InvalidData, Conflict) as exc:
        flash(localize(exc.message), "error")
        return _page(task_id, status=409 if isinstance(exc, Conflict) else 422)
    flash(_("The task was re-routed."), "info")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<task_id>/comments")
@login_required
def comment(task_id: str) -> Any:
    actor = current_actor()
    life = lifecycle()
    try:
        with life.db.write() as session:
            row = _task_row(session, task_id)
            draft = _draft(session, row)
            if draft is None:
                abort(404)
            comments.add_comment(
                session, draft.id, actor.id, request.form.get("body", ""), task_id=task_id
            )
    except InvalidData as exc:
        flash(localize(exc.message), "error")
        return _page(task_id, status=422)
    return redirect(url_for("tasks.show", task_id=task_id) + "#comments")
