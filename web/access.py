"""Who may see what: the organisation-based visibility rules every page and API call uses.

A civil servant sees a draft (its process instance, tasks, dossier, audit log) when one of
their organisations is involved in it: the lead agency, the issuing body, or an organisation
a step of it was routed to; or when they worked one of its steps. Province-wide readers
(administrators, process owners, inspectors, the HĐND standing committee and the
chairpersons, each held in an organisation of the province rather than of a commune) see
every draft. What a user may *do* is decided by the engine's authorizer.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from engine import Actor
from engine.models import HumanTask, ProcessInstance
from workflows.directory import Organisation
from workflows.drafts import Draft

PROVINCE_READERS = frozenset(
    {"admin", "process_owner", "inspector", "hdnd_standing", "ubnd_chair", "hdnd_chair"}
)
MODEL_EDITORS = frozenset({"admin", "process_owner"})


def organisations_of(actor: Actor) -> frozenset[str]:
    return frozenset(g.organisation for g in actor.grants if g.organisation)


def _province_level(session: Session, organisation: str | None) -> bool:
    """False for an organisation of a commune (one under an organisation of kind commune)."""
    seen: set[str] = set()
    code = organisation
    while code is not None and code not in seen:
        seen.add(code)
        row = session.get(Organisation, code)
        if row is None or row.kind == "commune":
            return False
        code = row.parent_code
    return True


def reads_everything(session: Session, actor: Actor) -> bool:
    """Administrators, and the reader roles held in an organisation of the province: the
    same roles held in a commune (its chairperson, its inspector) read what their
    organisations are involved in, like everybody else."""
    return actor.is_admin or any(
        g.role in PROVINCE_READERS and _province_level(session, g.organisation)
        for g in actor.grants
    )


def edits_models(actor: Actor) -> bool:
    return actor.is_admin or any(g.role in MODEL_EDITORS for g in actor.grants)


def visible_organisations(session: Session, actor: Actor) -> frozenset[str] | None:
    """Organisation codes whose drafts the actor sees; None means every draft."""
    return None if reads_everything(session, actor) else organisations_of(actor)


def can_view_instance(session: Session, actor: Actor, instance: ProcessInstance) -> bool:
    if reads_everything(session, actor):
        return True
    orgs = organisations_of(actor)
    if instance.organisation in orgs:
        return True
    draft = session.execute(
        select(Draft).where(Draft.code == instance.business_key)
    ).scalar_one_or_none()
    if draft is not None and (draft.lead_agency in orgs or draft.issuing_body in orgs):
        return True
    involved = session.execute(
        select(HumanTask.id)
        .where(
            HumanTask.instance_id == instance.id,
            or_(
                HumanTask.organisation.in_(orgs),
                HumanTask.assignee == actor.id,
                HumanTask.completed_by == actor.id,
            ),
        )
        .limit(1)
    ).first()
    return involved is not None


def visible_instances(session: Session, actor: Actor) -> ColumnElement[bool]:
    """:func:`can_view_instance` as a WHERE clause, for lists paged in the database."""
    if reads_everything(session, actor):
        return true()
    orgs = sorted(organisations_of(actor))
    drafts = select(Draft.code).where(
        or_(Draft.lead_agency.in_(orgs), Draft.issuing_body.in_(orgs))
    )
    worked = select(HumanTask.instance_id).where(
        or_(
            HumanTask.organisation.in_(orgs),
            HumanTask.assignee == actor.id,
            HumanTask.completed_by == actor.id,
        )
    )
    return or_(
        ProcessInstance.organisation.in_(orgs),
        ProcessInstance.business_key.in_(drafts),
        ProcessInstance.id.in_(worked),
    )


def can_view_draft(session: Session, actor: Actor, draft: Draft) -> bool:
    if reads_everything(session, actor):
        return True
    orgs = organisations_of(actor)
    if draft.lead_agency in orgs or draft.issuing_body in orgs:
        return True
    if draft.instance_id is None:
        return False
    instance = session.get(ProcessInstance, draft.instance_id)
    return instance is not None and can_view_instance(session, actor, instance)


def can_view_task(session: Session, actor: Actor, task: HumanTask) -> bool:
    """The task's own people (eligible, assignee, completer, supervisors) and draft readers."""
    if task.assignee == actor.id or task.completed_by == actor.id:
        return True
    if actor.holds(task.role, task.organisation):
        return True
    instance = session.get(ProcessInstance, task.instance_id)
    return instance is not None and can_view_instance(session, actor, instance)
