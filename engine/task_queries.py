"""Task lists over the human-task projection (inboxes): never a workflow deserialized.

Each view is a small set of index range scans ("access paths"): my claimed tasks, the open
tasks of each role grant, an organisation's open work. They are cut to the page window,
merged by due date in one statement, and only the page's rows are then loaded, so the cost
stays flat as the table grows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, literal, select, text, union_all
from sqlalchemy.orm import Session

from . import clock
from .authorization import RoleGrant
from .models import OPEN_STATES, HumanTask
from .task_attributes import NORMAL, PRIORITY_NAMES, today


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
    priority: int = NORMAL  # engine.task_attributes.PRIORITIES
    follow_up_on: date | None = None

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
            priority=row.priority if row.priority is not None else NORMAL,
            follow_up_on=row.follow_up_on,
        )

    def is_overdue(self, now: datetime | None = None) -> bool:
        if self.due_at is None or self.state not in OPEN_STATES:
            return False
        return self.due_at < (now or clock.now())

    @property
    def priority_name(self) -> str:
        return PRIORITY_NAMES.get(self.priority, "normal")


#: ``TaskQuery.follow_up``: follow-up today, before today, today or before, or none set.
FOLLOW_UP_FILTERS = ("today", "overdue", "due", "none")
#: ``TaskQuery.sort``: soonest due first; highest priority first (then soonest due);
#: soonest follow-up first (tasks without one last, then soonest due).
SORTS = ("due", "priority", "follow_up")


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
    priorities: tuple[int, ...] | None = None
    follow_up: str | None = None  # one of FOLLOW_UP_FILTERS
    sort: str = "due"  # one of SORTS
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
    if query.priorities is not None:
        conditions.append(HumanTask.priority.in_(query.priorities))
    if query.follow_up is not None:
        conditions.append(_follow_up_is(query.follow_up))
    return conditions


def _follow_up_is(kind: str) -> ColumnElement[bool]:
    day = today()
    if kind == "today":
        return HumanTask.follow_up_on == day
    if kind == "overdue":
        return HumanTask.follow_up_on < day
    if kind == "due":
        return HumanTask.follow_up_on <= day
    if kind == "none":
        return HumanTask.follow_up_on.is_(None)
    raise ValueError(f"unknown follow-up filter {kind!r}")


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


_KEY_COLUMNS = (
    HumanTask.id,
    HumanTask.due_at,
    HumanTask.created_at,
    HumanTask.priority,
    HumanTask.follow_up_on,
)
_DATED = HumanTask.due_at.is_not(None)
_UNDATED = HumanTask.due_at.is_(None)
_FOLLOWED = HumanTask.follow_up_on.is_not(None)
_UNFOLLOWED = HumanTask.follow_up_on.is_(None)
_Partition = tuple[tuple[ColumnElement[bool], ...], tuple[Any, ...]]


def _by_due(c: Any) -> tuple[Any, ...]:
    return (c.due_at.is_(None), c.due_at, c.created_at, c.id)


#: Per sort: the partitions of an access path (extra conditions, their order, which must
#: agree with the merged order inside the partition) and the merged order itself.
_SORTS: dict[str, tuple[tuple[_Partition, ...], Callable[[Any], tuple[Any, ...]]]] = {
    "due": (
        (
            ((_DATED,), (HumanTask.due_at, HumanTask.id)),
            ((_UNDATED,), (HumanTask.created_at, HumanTask.id)),
        ),
        _by_due,
    ),
    "priority": (
        (
            (
                (_DATED,),
                (HumanTask.priority.desc(), HumanTask.due_at, HumanTask.created_at, HumanTask.id),
            ),
            ((_UNDATED,), (HumanTask.priority.desc(), HumanTask.created_at, HumanTask.id)),
        ),
        lambda c: (c.priority.desc(), *_by_due(c)),
    ),
    "follow_up": (
        (
            ((_FOLLOWED,), (HumanTask.follow_up_on, *_by_due(HumanTask))),
            ((_UNFOLLOWED, _DATED), (HumanTask.due_at, HumanTask.created_at, HumanTask.id)),
            ((_UNFOLLOWED, _UNDATED), (HumanTask.created_at, HumanTask.id)),
        ),
        lambda c: (c.follow_up_on.is_(None), c.follow_up_on, *_by_due(c)),
    ),
}


def list_tasks(session: Session, query: TaskQuery) -> list[TaskInfo]:
    statement, whole_rows = _list_statement(query, _day_of(query))
    if whole_rows:
        return [TaskInfo.of(row) for row in session.execute(statement).scalars()]
    ids = list(dict.fromkeys(session.execute(statement).scalars()))
    if not ids:
        return []
    rows = {row.id: row for row in session.execute(_ROWS_BY_ID, {"ids": ids}).scalars()}
    return [TaskInfo.of(rows[task_id]) for task_id in ids if task_id in rows]


_ROWS_BY_ID = select(HumanTask).where(HumanTask.id.in_(bindparam("ids", expanding=True)))


def _day_of(query: TaskQuery) -> date | None:
    """The day a follow-up filter compares with: part of a cached statement's key."""
    return today() if query.follow_up is not None else None


# Building these statements (a UNION ALL of a dozen nested selects for a user with a few
# grants) and computing their cache keys cost more than running them: an inbox page asks
# the same few queries again and again, so each is built once and kept (statements are
# immutable; the key is the whole query, the day included when a filter depends on it).
@functools.lru_cache(maxsize=512)
def _list_statement(query: TaskQuery, day: date | None) -> tuple[Any, bool]:
    """The statement listing ``query``'s page; True when it returns whole rows (one
    instance's tasks), False when it returns the page's ids in order."""
    limit = max(1, min(query.limit, 500))
    offset = max(0, query.offset)
    window = limit + offset
    branches = _branches(query)
    if query.instance_id is not None and len(branches) == 1:
        return (
            select(HumanTask)
            .where(*branches[0])
            .order_by(HumanTask.created_at, HumanTask.id)
            .limit(limit)
            .offset(offset),
            True,
        )
    # Each access path is cut into partitions that its index can hand over in order (dated
    # tasks soonest due first, undated ones oldest first...), each cut to the page window, so
    # the cost does not grow with the table; one UNION ALL merges them in the sort's order
    # and only the page's rows are then loaded.
    partitions, merged_order = _SORTS[query.sort if query.sort in _SORTS else "due"]
    parts = [
        select(
            select(*_KEY_COLUMNS)
            .where(*conditions, *extra)
            .order_by(*order)
            .limit(window)
            .subquery()
        )
        for conditions in branches
        for extra, order in partitions
    ]
    merged = union_all(*parts).subquery()
    return (
        select(merged.c.id).order_by(*merged_order(merged.c)).limit(limit).offset(offset),
        False,
    )


def count_tasks(session: Session, query: TaskQuery, cap: int = 1000) -> int:
    """Number of matching tasks, counted up to ``cap`` (inbox badges show "1000+").

    Counting a constant lets each access path be answered from its partial index alone.
    """
    return count_each(session, [query], cap)[0]


def count_each(session: Session, queries: Sequence[TaskQuery], cap: int = 1000) -> list[int]:
    """:func:`count_tasks` of each query, all in one statement (an inbox's tab badges: one
    round trip instead of one per tab)."""
    if not queries:
        return []
    key = tuple((_counted(query), _day_of(query)) for query in queries)
    return [int(n) for n in session.execute(_counts_statement(key, cap)).one()]


def _counted(query: TaskQuery) -> TaskQuery:
    return replace(query, sort="due", limit=0, offset=0)  # no bearing on a count


@functools.lru_cache(maxsize=512)
def _counts_statement(key: tuple[tuple[TaskQuery, date | None], ...], cap: int) -> Any:
    if len(key) == 1:
        return _count_statement(key[0][0], cap, key[0][1])
    return select(*(_count_statement(query, cap, day).scalar_subquery() for query, day in key))


@functools.lru_cache(maxsize=512)
def _count_statement(query: TaskQuery, cap: int, day: date | None) -> Any:
    parts = [
        select(select(literal(1).label("one")).where(*conditions).limit(cap).subquery())
        for conditions in _branches(query)
    ]
    inner = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    return select(func.count()).select_from(select(inner.c.one).limit(cap).subquery())
