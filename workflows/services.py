"""The service operations lifecycle models call (see ``bpmn/README.md``).

Each runs inside the engine transaction of the step that reached it (``call.session``), so
what it writes (a number, a registry entry, a follow-up draft) commits or rolls back with
the step. Results land in the process data under the task's result variable.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from engine import InvalidData, Message, ProcessError, ServiceCall, ServiceRegistry, clock
from engine.authorization import SYSTEM
from engine.models import OPEN_STATES, HumanTask
from workflows import registry as reg
from workflows.calendar import vietnam_date
from workflows.deadlines import rules_snapshot, step_name
from workflows.directory import RoleAssignment, User
from workflows.drafts import DOCUMENT_TYPES, Draft
from workflows.notifications import ESCALATION, notify_users
from workflows.plan_entry import enter_plan as link_to_plan

if TYPE_CHECKING:
    from workflows.lifecycle import Lifecycle

FOLLOW_UP_LINK = {
    "amend": "amends",
    "replace": "replaces",
    "suspend": "suspends",
    "repeal": "repeals",
}
FOLLOW_UP_TITLE = {
    "amend": "Sửa đổi, bổ sung",
    "replace": "Thay thế",
    "suspend": "Ngưng hiệu lực",
    "repeal": "Bãi bỏ",
}


def _draft(call: ServiceCall) -> Draft:
    draft = call.session.execute(
        select(Draft).where(Draft.code == call.business_key)
    ).scalar_one_or_none()
    if draft is None:
        raise ProcessError(
            Message("no draft with code %(code)s", code=call.business_key),
            element_id=call.element_id,
        )
    return draft


def _as_date(value: Any, default: date) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return default


def _holders(call: ServiceCall, role: str, organisation: str) -> list[str]:
    return list(
        call.session.execute(
            select(User.username)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.role == role,
                RoleAssignment.organisation_code == organisation,
                User.active,
            )
        ).scalars()
    )


def register_services(services: ServiceRegistry, lifecycle: Lifecycle) -> None:
    """Register every operation named in :data:`workflows.service_names.SERVICE_NAMES`."""

    @services.register("escalate")
    def escalate(call: ServiceCall, step: str = "") -> dict[str, Any]:
        """Tell the lead agency's head and whoever holds the late step that it is overdue."""
        data = call.data
        lead = data.get("lead_agency") or ""
        late = call.session.execute(
            select(HumanTask).where(
                HumanTask.instance_id == call.instance_id, HumanTask.state.in_(OPEN_STATES)
            )
        ).scalars()
        recipients = set(_holders(call, "agency_head", lead)) if lead else set()
        late_steps = []
        for task in late:
            late_steps.append({"vi": task.title, "en": task.title_en or task.title})
            if task.assignee:
                recipients.add(task.assignee)
        draft = call.session.execute(
            select(Draft).where(Draft.code == call.business_key)
        ).scalar_one_or_none()
        params: dict[str, Any] = {
            "step": {"vi": step_name(step, "vi"), "en": step_name(step, "en")},
            "late_steps": late_steps,
        }
        if draft is None:
            params.update(draft_code=data.get("draft_code") or call.business_key or "")
        notify_users(
            call.session,
            recipients,
            ESCALATION,
            draft_id=draft.id if draft else None,
            period=f"{step}:{call.task_id}",
            params=params,
        )
        return {"step": step, "notified": sorted(recipients), "at": clock.now().isoformat()}

    @services.register("enter_plan")
    def enter_plan(call: ServiceCall) -> dict[str, Any]:
        """The registration was approved: the draft joins (or already is) an item of the plan."""
        answer = call.data.get("target_session")
        entry = link_to_plan(
            call.session,
            _draft(call),
            SYSTEM.id,
            target_session=answer if isinstance(answer, str) else None,
        )
        return entry.as_data()

    @services.register("assign_number")
    def assign_number(call: ServiceCall) -> dict[str, Any]:
        draft = _draft(call)
        if draft.number:
            return {"number": draft.number}
        suffix = DOCUMENT_TYPES[draft.document_type][2]
        year = vietnam_date(clock.now()).year
        draft.number = reg.next_number(call.session, draft.issuing_body, year, suffix)
        return {"number": draft.number}

    @services.register("publish")
    def publish(call: ServiceCall) -> dict[str, Any]:
        draft = _draft(call)
        # The day the office sent it, as entered; today only when no date was entered.
        draft.published_on = _as_date(call.data.get("sent_on"), vietnam_date(clock.now()))
        return {"published_on": draft.published_on.isoformat()}

    @services.register("register_regulation")
    def register_regulation(call: ServiceCall) -> dict[str, Any]:
        draft = _draft(call)
        if not draft.number:
            raise ProcessError(
                Message("the document has no number yet"), element_id=call.element_id
            )
        today = vietnam_date(clock.now())
        signed = _as_date(call.data.get("signed_on"), draft.signed_on or today)
        effective = _as_date(call.data.get("effective_on"), draft.effective_on or signed)
        draft.signed_on, draft.effective_on = signed, effective
        regulation = reg.register(
            call.session,
            number=draft.number,
            title=draft.title,
            document_type=draft.document_type,
            issuing_body=draft.issuing_body,
            lead_agency=draft.lead_agency,
            signed_on=signed,
            effective_on=effective,
            published_on=draft.published_on,
            draft_id=draft.id,
        )
        if draft.follows_regulation_id and draft.follow_up_kind in FOLLOW_UP_LINK:
            reg.link_and_apply(
                call.session,
                regulation.id,
                draft.follows_regulation_id,
                FOLLOW_UP_LINK[draft.follow_up_kind],
            )
        return {"regulation_id": regulation.id}

    @services.register("start_monitoring")
    def start_monitoring(call: ServiceCall) -> dict[str, Any]:
        draft = _draft(call)
        regulation = call.session.execute(
            select(reg.Regulation).where(reg.Regulation.draft_id == draft.id)
        ).scalar_one_or_none()
        if regulation is None:
            raise ProcessError(Message("no regulation to monitor"), element_id=call.element_id)
        return {"monitoring_instance_id": lifecycle.start_monitoring(call.session, regulation)}

    @services.register("record_impact")
    def record_impact(call: ServiceCall, impact: str = "") -> dict[str, Any]:
        regulation_id = call.data.get("regulation_id")
        if not regulation_id:
            raise ProcessError(
                Message("no regulation_id in the process"), element_id=call.element_id
            )
        try:
            # Credited to whoever filed the report, for the half-year it reports on.
            row = reg.record_impact(
                call.session,
                int(regulation_id),
                impact,
                call.actor or str(call.data.get("assessed_by") or "system"),
                period=call.data.get("report_period") or None,
                note=call.data.get("report_summary") or call.data.get("impact_note"),
            )
        except InvalidData as exc:
            raise ProcessError(exc.message, element_id=call.element_id) from exc
        return {"impact": row.impact, "period": row.period}

    @services.register("create_follow_up_draft")
    def create_follow_up_draft(call: ServiceCall, kind: str = "") -> dict[str, Any]:
        if kind not in FOLLOW_UP_LINK:
            raise ProcessError(
                Message("'%(kind)s' is not amend/replace/suspend/repeal", kind=kind),
                element_id=call.element_id,
            )
        original = call.session.get(reg.Regulation, call.data.get("regulation_id"))
        if original is None:
            raise ProcessError(
                Message("no regulation_id in the process"), element_id=call.element_id
            )
        draft = lifecycle.start_follow_up(call.session, original, kind)
        return {"follow_up_draft_id": draft.id, "follow_up_code": draft.code}

    @services.register("close_draft")
    def close_draft(call: ServiceCall, outcome: str = "dropped") -> dict[str, Any]:
        draft = _draft(call)
        if outcome not in ("dropped", "done"):
            raise ProcessError(
                Message("outcome must be 'dropped' or 'done'"), element_id=call.element_id
            )
        draft.status = outcome
        if outcome == "dropped":
            draft.stage = "dropped"
        else:
            draft.stage = "monitoring" if draft.number else "done"
        return {"outcome": outcome}


def monitoring_variables(session: Any, regulation: reg.Regulation) -> dict[str, Any]:
    first_report = regulation.effective_on + timedelta(days=182)
    return {
        "regulation_id": regulation.id,
        "regulation_number": regulation.number,
        "title": regulation.title,
        "document_type": regulation.document_type,
        "lead_agency": regulation.lead_agency or regulation.issuing_body,
        "issuing_body": regulation.issuing_body,
        "first_report_on": first_report.isoformat(),
        "deadline_rules": rules_snapshot(
            session, regulation.document_type, vietnam_date(clock.now())
        ),
        "procedure": "normal",
    }


__all__ = ["SYSTEM", "monitoring_variables", "register_services"]
