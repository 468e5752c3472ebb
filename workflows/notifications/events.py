"""What the steps of a process tell people: new work, rework, released and assigned tasks.

Two engine listeners, both running inside the transaction of the change, so a notification
exists exactly when its cause was committed (a step that rolls back, or loses the race for
its instance, notifies nobody):

- :func:`on_step` after every saved step: each task the step opened is news for the
  holders of its role in its organisation ("new task"), or — when the workflow had done the
  same step before — rework, for the earlier author the task was routed back to
  (:mod:`engine.task_routing`) or for the group;
- :func:`on_task_change` after a task changes hands: released (back to the group),
  assigned or delegated (to the new assignee), re-routed (to the new group).

Nobody is told of what they did themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine import clock
from engine.context import StepEvent, TaskChange
from engine.models import HumanTask
from workflows.directory import User
from workflows.notifications.kinds import REWORK, TASK_ASSIGNED, TASK_NEW, TASK_RETURNED
from workflows.notifications.notify import notify_role_holders, notify_users


def _done_before(session: Session, event: StepEvent) -> set[str]:
    """Steps among those just opened that the workflow had completed before (rework).

    Asked of the task rows only for the steps the workflow's own task tree says it has done
    before (``event.repeated``): a first pass, such as a timer opening the next step, costs
    no query.
    """
    specs = sorted({task.spec_id for task in event.created})
    if event.repeated is not None:
        specs = [spec for spec in specs if spec in event.repeated]
    if not specs:
        return set()
    # The next instance of a sequential step is not rework: the step's own task is left out
    # ("" when no task was completed: no task has that id).
    params = {"instance_id": event.instance.id, "specs": specs, "task_id": event.task_id or ""}
    return set(session.execute(_DONE_BEFORE, params).scalars())


_DONE_BEFORE = select(HumanTask.spec_id).where(
    HumanTask.instance_id == bindparam("instance_id"),
    HumanTask.state == "completed",
    HumanTask.spec_id.in_(bindparam("specs", expanding=True)),
    HumanTask.id != bindparam("task_id"),
)


def _others(names: Iterable[str], actor: str) -> list[str]:
    return [name for name in names if name != actor]


def on_step(event: StepEvent) -> None:
    """Step listener: notify who the tasks opened by this step are for."""
    if not event.created:
        return
    session = event.session
    again = _done_before(session, event)
    for task in event.created:
        kind = REWORK if task.spec_id in again else TASK_NEW
        if task.assignee:
            notify_users(session, _others([task.assignee], event.actor), kind, task=task)
        else:
            notify_role_holders(
                session, task.role, task.organisation, kind, task=task, exclude=event.actor
            )


def on_task_change(change: TaskChange) -> None:
    """Task listener: a released, assigned or re-routed task is news for its new holders."""
    session, task = change.session, change.task
    period = clock.now().isoformat()  # the same task may be released or assigned again
    by = _display_name(session, change.actor)
    if change.action in ("unclaim", "reroute"):
        notify_role_holders(
            session,
            task.role,
            task.organisation,
            TASK_RETURNED if change.action == "unclaim" else TASK_NEW,
            task=task,
            exclude=change.actor,
            period=period,
            params={"by": by},
        )
    elif change.action == "assign" and task.assignee:
        notify_users(
            session,
            _others([task.assignee], change.actor),
            TASK_ASSIGNED,
            task=task,
            period=period,
            params={"by": by},
        )


def _display_name(session: Session, username: str) -> str:
    name = session.execute(
        select(User.full_name).where(User.username == username)
    ).scalar_one_or_none()
    return name or username
