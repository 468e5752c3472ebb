"""Administration of the background jobs and of the reminder and escalation policies.

Operators see each job's last run, next run, items handled and failures (the same figures as
``lexflow scheduler status``) and may run a job now: jobs claim their items from rows, so a
run from this page alongside the schedulers does nothing twice. Policies are rows an
administrator edits per document type and step (:mod:`workflows.reminders`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.scheduling import job_statuses, run_job
from web import scheduler as web_scheduler
from web.auth import current_actor
from web.extensions import lifecycle
from web.i18n import localize
from web.views.admin_common import FormError, admin_only, bp, record, write_session
from workflows.drafts import DOCUMENT_TYPES
from workflows.reminders import (
    DEFAULT_POLICY,
    PolicyProblem,
    PolicyValues,
    delete_policy,
    policies,
    save_policy,
)

MONITORING_PROCESS = "regulation_monitoring"
POLICY_TYPES = (*DOCUMENT_TYPES, MONITORING_PROCESS)


# Jobs ------------------------------------------------------------------------------------------
@bp.get("/jobs")
@admin_only
def jobs() -> Any:
    scheduler = web_scheduler.build(current_app)
    running_here = web_scheduler.running_scheduler(current_app) is not None
    return render_template(
        "admin/jobs.html",
        statuses=job_statuses(scheduler.db, scheduler.jobs),
        mode=current_app.config.get("SCHEDULER_MODE", "web"),
        running_here=running_here,
    )


@bp.post("/jobs/<name>/run")
@admin_only
def run_job_now(name: str) -> Any:
    scheduler = web_scheduler.build(current_app)
    job = next((j for j in scheduler.jobs if j.name == name), None)
    if job is None:
        return render_template(
            "errors/error.html", code=404, message=_("There is no job named %(name)s.", name=name)
        ), 404
    with write_session() as session:
        record(session, "scheduler", "run_job", job=name)
    outcome = run_job(scheduler.db, job, runner=f"admin:{current_actor().id}")
    if outcome.ok:
        flash(_("%(job)s ran: %(n)s handled.", job=name, n=outcome.handled), "info")
    else:
        flash(_("%(job)s failed: %(error)s", job=name, error=outcome.error or ""), "error")
    return redirect(url_for("admin.jobs"))


# Reminder and escalation policies --------------------------------------------------------------
def _policies_page(
    error: str | None = None,
    problems: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Any:
    with lifecycle().db.read() as session:
        rows = policies(session)
    return render_template(
        "admin/reminders.html",
        rows=rows,
        default=DEFAULT_POLICY,
        document_types=POLICY_TYPES,
        error=error,
        problems=problems or {},
        values=values or {},
    ), (422 if error else 200)


def _days(name: str, label: str, *, optional: bool) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        if optional:
            return None
        raise FormError(_("%(field)s is required.", field=label))
    if not raw.isdigit() or len(raw) > 3:
        raise FormError(_("%(field)s is a whole number of working days.", field=label))
    return int(raw)


@bp.get("/reminders")
@admin_only
def reminders() -> Any:
    return _policies_page()


@bp.post("/reminders")
@admin_only
def save_reminder_policy() -> Any:
    form = request.form
    try:
        document_type = form.get("document_type", "")
        if document_type and document_type not in POLICY_TYPES:
            raise FormError(_("Choose a document type, or every type."))
        values = PolicyValues(
            remind_days_before=_days(
                "remind_days_before", _("Remind before (working days)"), optional=False
            )
            or 0,
            remind_on_due=form.get("remind_on_due") == "1",
            escalate_head_after=_days(
                "escalate_head_after", _("Tell the agency head after"), optional=True
            ),
            escalate_office_after=_days(
                "escalate_office_after", _("Tell the office after"), optional=True
            ),
            repeat_every=_days("repeat_every", _("Repeat every"), optional=True),
        )
        with write_session() as session:
            save_policy(
                session,
                current_actor(),
                document_type,
                form.get("step", "")[:200],
                values,
                known_types=set(POLICY_TYPES),
            )
    except FormError as exc:
        return _policies_page(str(exc), values=form.to_dict())
    except PolicyProblem as exc:
        problems = {field: localize(message) for field, message in exc.problems.items()}
        return _policies_page(
            _("The policy was not saved: correct the fields marked below."),
            problems,
            form.to_dict(),
        )
    flash(_("The policy was saved; the next reminders follow it."), "info")
    return redirect(url_for("admin.reminders"))


@bp.post("/reminders/<int:policy_id>/delete")
@admin_only
def delete_reminder_policy(policy_id: int) -> Any:
    with write_session() as session:
        if not delete_policy(session, current_actor(), policy_id):
            return _policies_page(_("That policy no longer exists."))
    flash(_("The policy was deleted; the more general one applies."), "info")
    return redirect(url_for("admin.reminders"))
