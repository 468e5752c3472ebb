"""Task lists over the human-task projection (inboxes): never a workflow deserialized.

Each view is a small set of index range scans ("access paths"): my claimed tasks, the open
tasks of each role grant, an organisation's open work. They are cut to the page window,
merged by due date in one statement, and only the page's rows are then loaded, so the cost
stays flat as the table grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select, text, union_all
from sqlalchemy.orm import Session

from . import clock
from .authorization import RoleGrant
from .models import OPEN_STATES, HumanTask


@dataclass(frozen=True)
class TaskInfo:
    id: str
    instance_id: int
    process_key: str
    element_id: str
    name: str | None
    title: str
    lane: str | None
    role: str | None
    organisation: str | None
    assignee: str | None
    state: str
    due_at: datetime | None
    created_at: datetime
    claimed_at: datetime | None
    claimed_by: str | None
    completed_at: datetime | None
    completed_by: str | None
    labels: dict[str, Any] = field(default_factory=dict)
    title_en: str | None = None  # None: the model gives no English title

    @classmethod
    def of(cls, row: HumanTask) -> TaskInfo:
        return cls(
            id=row.id,
            instance_id=row.instance_id,
            process_key=row.process_key,
            element_id=row.spec_id,
            name=row.spec_name,
            title=row.title,
            lane=row.lane,
            role=row.role,
            organisation=row.organisation,
            assignee=row.assignee,
            state=row.state,
            due_at=row.due_at,
            created_at=row.created_at,
            claimed_at=row.claimed_at,
            claimed_by=row.claimed_by,
            completed_at=row.completed_at,
            completed_by=row.completed_by,
            labels=dict(row.labels or {}),
            title_en=row.title_en,
        )

    def is_overdue(self, now: datetime | None = None) -> bool:
        if self.due_at is None or self.state not in OPEN_STATES:
            return False
        return self.due_at < (now or clock.now())


@dataclass(frozen=True)
class TaskQuery:
    """Filters for task lists. Exactly one "view" is normally set:

    * ``assignee``: "my tasks" (claimed by that actor);
    * ``grants``: "unclaimed for my roles" (open tasks offered to those role grants);
    * ``organisation``: everything open in one organisation (for its head);
    * ``instance_id``: the tasks of one instance (all states unless ``states`` says otherwise).
    """

    assignee: str | None = None
    grants: tuple[RoleGrant, ...] | None = None
    organisation: str | None = None
    instance_id: int | None = None
    process_key: str | None = None
    element_id: str | None = None
    states: tuple[str, ...] | None = None
    due_before: datetime | None = None
    ids: tuple[str, ...] | None = None
    labels: tuple[tuple[str, str], ...] = ()
    limit: int = 50
    offset: int = 0


def _filters(query: TaskQuery) -> list[ColumnElement[bool]]:
    """The conditions every access path of ``query`` shares."""
    conditions: list[ColumnElement[bool]] = []
    if query.instance_id is not None:
        conditions.append(HumanTask.instance_id == query.instance_id)
    if query.process_key:
        conditions.append(HumanTask.process_key == query.process_key)
    if query.element_id:
        conditions.append(HumanTask.spec_id == query.element_id)
    if query.due_before is not None:
        conditions.append(HumanTask.due_at < query.due_before)
    if query.ids is not None:
        conditions.append(HumanTask.id.in_(query.ids))
    for key, value in query.labels:
        conditions.append(HumanTask.labels[key].as_string() == value)
    return conditions


# The partial indexes say ``state = 'claimed'``, ``state = 'open'`` and
# ``state IN ('open', 'claimed')``. SQLite only uses a partial index when the query's own
# condition visibly implies the index's, so these are written to match them exactly.
_OPEN_OR_CLAIMED = text("human_task.state IN ('open', 'claimed')")


def _state_is(states: tuple[str, ...]) -> ColumnElement[bool]:
    if len(states) == 1:
        return HumanTask.state == states[0]
    if tuple(sorted(states)) == ("claimed", "open"):
        return _OPEN_OR_CLAIMED  # type: ignore[return-value]
    return HumanTask.state.in_(states)


def _branches(query: TaskQuery) -> list[list[ColumnElement[bool]]]:
    """One index-friendly condition list per access path (merged by due date by callers)."""
    shared = _filters(query)
    if query.grants is not None:
        everywhere = {grant.role for grant in query.grants if grant.organisation is None}
        paths: dict[tuple[str, str | None], list[ColumnElement[bool]]] = {}
        for grant in query.grants:
            offered = [*shared, HumanTask.state == "open", HumanTask.role == grant.role]
            if grant.role in everywhere:
                paths[(grant.role, "*")] = offered
                continue
            paths[(grant.role, grant.organisation)] = [
                *offered,
                HumanTask.organisation == grant.organisation,
            ]
            paths[(grant.role, None)] = [*offered, HumanTask.organisation.is_(None)]
        return list(paths.values())
    if query.assignee is not None:
        return [
            [*shared, HumanTask.assignee == query.assignee, _state_is(query.states or ("claimed",))]
        ]
    if query.organisation is not None:
        return [
            [
                *shared,
                HumanTask.organisation == query.organisation,
                _state_is(query.states or OPEN_STATES),
            ]
        ]
    if query.instance_id is not None:
        return [[*shared, *([_state_is(query.states)] if query.states else [])]]
    return [[*shared, _state_is(query.states or OPEN_STATES)]]


def list_tasks(session: Session, query: TaskQuery) -> list[TaskInfo]:
    limit = max(1, min(query.limit, 500))
    offset = max(0, query.offset)
    window = limit + offset
    branches = _branches(query)
    if query.instance_id is not None and len(branches) == 1:
        rows = session.execute(
            select(HumanTask)
            .where(*branches[0])
            .order_by(HumanTask.created_at, HumanTask.id)
            .limit(limit)
            .offset(offset)
        ).scalars()
        return [TaskInfo.of(row) for row in rows]
    # Dated tasks first (soonest due first), then undated ones (oldest first). Each access
    # path is an index range cut to the page window, so the cost does not grow with the
    # table; one UNION ALL merges them and only the page's rows are then loaded.
    key_columns = (HumanTask.id, HumanTask.due_at, HumanTask.created_at)
    parts = []
    for conditions in branches:
        dated = (
            select(*key_columns)
            .where(*conditions, HumanTask.due_at.is_not(None))
            .order_by(HumanTask.due_at, HumanTask.id)
            .limit(window)
        )
        undated = (
            select(*key_columns)
            .where(*conditions, HumanTask.due_at.is_(None))
            .order_by(HumanTask.created_at, HumanTask.id)
            .limit(window)
        )
        parts += [select(dated.subquery()), select(undated.subquery())]
    merged = union_all(*parts).subquery()
    page = session.execute(
        select(merged.c.id)
        .order_by(merged.c.due_at.is_(None), merged.c.due_at, merged.c.created_at, merged.c.id)
        .limit(limit)
        .offset(offset)
    ).scalars()
    ids = list(dict.fromkeys(page))
    if not ids:
        return []
    rows = {
        row.id: row
        for row in session.execute(select(HumanTask).where(HumanTask.id.in_(ids))).scalars()
    }
    return [TaskInfo.of(rows[task_id]) for task_id in ids if task_id in rows]


def count_tasks(session: Session, query: TaskQuery, cap: int = 1000) -> int:
    """Number of matching tasks, counted up to ``cap`` (inbox badges show "1000+").

    Counting a constant lets each access path be answered from its partial index alone.
    """
    parts = [
        select(select(literal(1).label("one")).where(*conditions).limit(cap).subquery())
        for conditions in _branches(query)
    ]
    inner = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    total = session.execute(
        select(func.count()).select_from(select(inner.c.one).limit(cap).subquery())
    ).scalar_one()
    return int(total)
