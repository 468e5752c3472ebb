"""Finding an object for the caller, or 404: what a user may not see, the API never admits.

Reads of a draft, instance or task the caller is not allowed to see answer 404 exactly like
ids that do not exist, so ids cannot be probed. The rules themselves are
:mod:`web.access`'s (including the SQL form used to page instance lists).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine import Actor, NotFound
from engine.models import HumanTask, ProcessInstance
from web import access
from workflows.drafts import Draft


def instance_or_404(session: Session, actor: Actor, instance_id: int) -> ProcessInstance:
    row = session.get(ProcessInstance, instance_id)
    if row is None or not access.can_view_instance(session, actor, row):
        raise NotFound(f"no process instance {instance_id}", instance_id=instance_id)
    return row


def task_or_404(session: Session, actor: Actor, task_id: str) -> HumanTask:
    row = session.get(HumanTask, task_id)
    if row is None or not access.can_view_task(session, actor, row):
        raise NotFound(f"no task {task_id}", task_id=task_id)
    return row


def draft_or_404(session: Session, actor: Actor, draft_id: int) -> Draft:
    row = session.get(Draft, draft_id)
    if row is None or not access.can_view_draft(session, actor, row):
        raise NotFound(f"no draft {draft_id}")
    return row
