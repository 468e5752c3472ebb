"""The page of one draft: facts, timeline against the limits, dossier, comments, diagram, audit.

The timeline shows each step's time in working days against its statutory limit, the
diagrams are the definitions the draft runs on (the document type's process and the stage
it is in), with completed steps and open ones highlighted by the bpmn-js viewer.
Administrators also find here the box that suspends, resumes or cancels the draft
(:mod:`workflows.draft_admin` decides; a refusal re-renders the page with its reason).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine import Conflict, Forbidden, InvalidData, audit, clock
from engine.models import Definition, ProcessInstance
from engine.task_queries import TaskInfo
from web import step_records
from web.access import can_view_draft
from web.auth import current_actor, login_required
from web.extensions import lifecycle
from web.i18n import localize
from workflows import comments, dossier, draft_admin
from workflows.calendar import vietnam_date
from workflows.directory import organisation_names
from workflows.drafts import Draft
from workflows.reports import admin_document, dossier_summary, standard_documents
from workflows.reports.admin_document import AdminDocument
from workflows.reports.plan_watch import BackwardPlanner
from workflows.reports.schedule import BackwardPlan

bp = Blueprint("draft", __name__)


def _draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None or not can_view_draft(session, current_actor(), draft):
        abort(404)
    return draft


@dataclass(frozen=True)
class TimelineRow:
    task: TaskInfo
    working_days: int | None  # time taken (or so far)
    limit_days: int | None  # the due date's distance from the start, in working days
    late: bool


def timeline(history: list[TaskInfo], now: datetime) -> list[TimelineRow]:
    calendar = lifecycle().calendar()
    rows = []
    for task in history:
        start = vietnam_date(task.created_at)
        end = vietnam_date(task.completed_at or now)
        taken = calendar.working_days_between(start, end)
        limit = None
        if task.due_at is not None:
            limit = calendar.working_days_between(start, vietnam_date(task.due_at))
        finished = task.completed_at or now
        late = bool(task.due_at and finished > task.due_at and task.state != "cancelled")
        rows.append(TimelineRow(task, taken, limit, late))
    return rows


def called_definitions(session: Session, definition: Definition) -> list[Definition]:
    """The versions of the processes this definition calls, as recorded when it was deployed."""
    called = (definition.dependencies or {}).get("called_ids") or {}
    rows = [session.get(Definition, called[key]) for key in sorted(called) if called[key]]
    # In the order the process calls them (drafting, consultation, appraisal...), not by name.
    xml = definition.xml or ""
    return sorted(
        (row for row in rows if row is not None),
        key=lambda row: xml.find(f'calledElement="{row.key}"') % (len(xml) + 1),
    )


@bp.get("/drafts/<int:draft_id>")
@login_required
def show(draft_id: int) -> Any:
    return _page(draft_id)


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.get("/drafts/<int:draft_id>/summary.docx")
@login_required
def summary_docx(draft_id: int) -> Any:
    """The dossier summary as DOCX, for whoever sees the draft page; each export is logged."""
    actor = current_actor()
    life = lifecycle()
    with life.db.write() as session:
        draft = _draft(session, draft_id)
        steps = (
            life.engine.task_history(draft.instance_id, session=session)
            if draft.instance_id
            else []
        )
        content = dossier_summary.summary_docx(
            draft, steps, dossier.versions(session, draft.id), organisation_names(session)
        )
        audit.append_stream_event(
            session,
            f"export:{actor.id}",
            actor=actor.id,
            action="dossier_summary_exported",
            data={"draft": draft.code},
        )
    return Response(
        content,
        mimetype=DOCX,
        headers={"Content-Disposition": f'attachment; filename="{draft.code}-tom-tat.docx"'},
    )


PDF = "application/pdf"


def report_names() -> dict[str, str]:
    return {
        standard_documents.APPRAISAL: _("Appraisal report"),
        standard_documents.EXAMINATION: _("Examination report"),
        standard_documents.SUBMISSION: _("Submission (tờ trình) skeleton"),
    }


def document_response(document: AdminDocument, fmt: str, stem: str) -> Response:
    """``document`` as a DOCX or PDF download named ``stem``."""
    if fmt == "pdf":
        content, mimetype = admin_document.pdf_bytes(document), PDF
    else:
        content, mimetype = admin_document.docx_bytes(document), DOCX
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


@bp.get("/drafts/<int:draft_id>/reports/<kind>.<any(docx, pdf):fmt>")
@login_required
def draft_report(draft_id: int, kind: str, fmt: str) -> Any:
    """A standard document filled from the draft's recorded steps, for whoever sees the
    draft page; each export is logged on the reader's export stream."""
    if kind not in standard_documents.DRAFT_REPORTS:
        abort(404)
    actor = current_actor()
    life = lifecycle()
    with life.db.write() as session:
        draft = _draft(session, draft_id)
        submissions = (
            life.engine.submissions(draft.instance_id, session=session) if draft.instance_id else []
        )
        try:
            document = standard_documents.draft_report(
                session, kind, draft, step_records.report_records(submissions)
            )
        except standard_documents.ReportUnavailable:
            abort(
                409,
                _(
                    "The %(report)s cannot be made yet: its step has not been recorded.",
                    report=report_names()[kind],
                ),
            )
        audit.append_stream_event(
            session,
            f"export:{actor.id}",
            actor=actor.id,
            action="draft_report_exported",
            data={"draft": draft.code, "report": kind, "format": fmt},
        )
        stem = f"{draft.code}-{standard_documents.FILE_WORDS[kind]}"
    return document_response(document, fmt, stem)


def backward_plan(session: Session, draft: Draft) -> BackwardPlan | None:
    """The latest start of each remaining step before the target session (None: no target)."""
    planner = BackwardPlanner(session, lifecycle().calendar(), vietnam_date(clock.now()))
    return planner.for_draft(draft)


def _page(draft_id: int, *, status: int = 200, reason: str = "") -> Any:
    life = lifecycle()
    engine = life.engine
    with life.db.read() as session:
        draft = _draft(session, draft_id)
        instance = session.get(ProcessInstance, draft.instance_id) if draft.instance_id else None
        history = engine.task_history(instance.id, session=session) if instance else []
        events = engine.audit_events(instance.id, session=session) if instance else []
        audit_ok = engine.verify_audit(instance.id, session=session).ok if instance else True
        versions = dossier.versions(session, draft.id)
        notes = comments.comments_of(session, draft.id)
        definition = session.get(Definition, instance.definition_id) if instance else None
        highlight = engine.completed_elements(instance.id, session=session) if instance else None
        submissions = engine.submissions(instance.id, session=session) if instance else []
        answers = {r.task_id: r for r in step_records.records(submissions)}
        reports = standard_documents.available_reports(step_records.report_records(submissions))
        waiting = step_records.waiting_timers(engine, instance.id, session) if instance else []
        stages = called_definitions(session, definition) if definition else []
        active = set(highlight["active"]) if highlight else set()
        # Show the document type's process, then the stages that ran or are running.
        touched = set(highlight["completed"]) | active if highlight else set()
        diagrams = [definition, *stages] if definition else []
        diagrams = [d for d in diagrams if d is definition or _stage_touched(d, touched)]
        schedule = backward_plan(session, draft)
    return render_template(
        "drafts/show.html",
        draft=draft,
        schedule=schedule,
        reports=reports,
        report_names=report_names(),
        instance=instance,
        timeline=timeline(history, clock.now()),
        events=events,
        audit_ok=audit_ok,
        versions=versions,
        notes=notes,
        diagrams=diagrams,
        answers=answers,
        waiting=waiting,
        task_titles={task.id: task.title for task in history},
        completed=",".join(highlight["completed"]) if highlight else "",
        active=",".join(highlight["active"]) if highlight else "",
        reason=reason,
        suspension=draft_admin.last_suspension(events) if draft.status == "suspended" else None,
    ), status


#: The administration box's buttons: the domain operation and what the flash then says.
OPERATIONS: dict[str, tuple[draft_admin.Operation, Callable[[], str]]] = {
    "suspend": (draft_admin.suspend_draft, lambda: _("The draft is suspended.")),
    "resume": (draft_admin.resume_draft, lambda: _("The draft is resumed: work continues.")),
    "cancel": (draft_admin.cancel_draft, lambda: _("The draft is cancelled.")),
}
REFUSALS: tuple[tuple[type[Exception], int], ...] = (
    (Forbidden, 403),
    (Conflict, 409),
    (InvalidData, 422),
)


@bp.post("/drafts/<int:draft_id>/<any(suspend, resume, cancel):action>")
@login_required
def administer(draft_id: int, action: str) -> Any:
    """Suspend, resume or cancel (administrators; the reason goes into the audit log)."""
    life = lifecycle()
    operation, done = OPERATIONS[action]
    reason = request.form.get("reason", "")
    try:
        with life.db.write() as session:
            operation(session, life.engine, current_actor(), _draft(session, draft_id), reason)
    except (Forbidden, Conflict, InvalidData) as exc:
        flash(localize(exc.message), "error")
        status = next(code for kind, code in REFUSALS if isinstance(exc, kind))
        return _page(draft_id, status=status, reason=reason)
    flash(done(), "info")
    return redirect(url_for("draft.show", draft_id=draft_id))


def _stage_touched(definition: Definition, touched: set[str]) -> bool:
    return any(f'id="{element}"' in definition.xml for element in touched)


@bp.get("/drafts/<int:draft_id>/diagrams/<int:definition_id>.bpmn")
@login_required
def diagram_xml(draft_id: int, definition_id: int) -> Response:
    with lifecycle().db.read() as session:
        draft = _draft(session, draft_id)
        instance = session.get(ProcessInstance, draft.instance_id) if draft.instance_id else None
        if instance is None:
            abort(404)
        own = session.get(Definition, instance.definition_id)
        assert own is not None  # noqa: S101 - foreign key
        allowed = {own.id, *(d.id for d in called_definitions(session, own))}
        if definition_id not in allowed:
            abort(404)
        xml = session.get(Definition, definition_id).xml  # type: ignore[union-attr]
    return Response(xml, mimetype="application/xml")


@bp.get("/drafts/<int:draft_id>/documents/<int:version_id>")
@login_required
def download(draft_id: int, version_id: int) -> Response:
    with lifecycle().db.read() as session:
        _draft(session, draft_id)
        version = session.get(dossier.DocumentVersion, version_id)
        if version is None or version.draft_id != draft_id:
            abort(404)
        try:
            data = dossier.read_file(version)
        except FileNotFoundError:
            abort(404, "the stored file is missing")
        response = Response(data, mimetype=version.content_type)
        response.headers.set("Content-Disposition", "attachment", filename=version.filename)
        return response
