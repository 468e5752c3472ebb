"""Where a newly ready step goes: never to an organisation that does not exist, and back to
the person who did it before when work returns for rework.

A step sent back (a returned dossier, a redraft) is the same step of the same instance for the
same organisation. Offering it to the whole group again means a colleague who never saw it
may pick it up, or nobody does because each thinks the author will; it goes straight to the
author's own list instead, if they still hold the role there and the four-eyes rule allows.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .context import EngineContext
from .errors import ProcessError
from .messages import Message
from .models import HumanTask
from .specs import UserTaskInfo


def route(
    ctx: EngineContext,
    session: Session,
    row: HumanTask,
    info: UserTaskInfo | None,
    *,
    done_before: bool = True,
) -> None:
    """Check the new task's organisation and give rework to its earlier author.

    ``done_before``: whether the workflow has completed this step before (known in memory);
    when it has not, there is no earlier author to look up.
    """
    known = ctx.organisation_known
    if row.organisation and known is not None and not known(session, row.organisation):
        raise ProcessError(
            Message(
                "the step '%(step)s' would be offered to the organisation '%(code)s', which "
                "does not exist; nothing was saved",
                step=row.title,
                code=row.organisation,
            ),
            element_id=row.spec_id,
        )
    author = _earlier_author(session, row) if done_before else None
    if author is None:
        return
    actor = ctx.directory.get(author)
    if actor is None or not actor.holds(row.role, row.organisation):
        return
    if (
        info is not None
        and info.separate_from
        and author in _completers(session, row.instance_id, info.separate_from)
    ):
        return
    row.state, row.assignee, row.claimed_at, row.claimed_by = "claimed", author, clock.now(), author


def _earlier_author(session: Session, row: HumanTask) -> str | None:
    same_org = (
        HumanTask.organisation.is_(None)
        if row.organisation is None
        else HumanTask.organisation == row.organisation
    )
    return session.execute(
        select(HumanTask.completed_by)
        .where(
            HumanTask.instance_id == row.instance_id,
            HumanTask.spec_id == row.spec_id,
            HumanTask.state == "completed",
            same_org,
        )
        .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _completers(session: Session, instance_id: int, steps: tuple[str, ...]) -> set[str]:
    return {
        actor
        for actor in session.execute(
            select(HumanTask.completed_by).where(
                HumanTask.instance_id == instance_id,
                HumanTask.spec_id.in_(steps),
                HumanTask.state == "completed",
            )
        ).scalars()
        if actor
    }
