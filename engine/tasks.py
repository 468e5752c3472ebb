"""Human tasks: inbox queries over the projection, and claim/unclaim/assign/complete.

Queries read only ``human_task`` (never a workflow). Each operation is one transaction that
takes the instance's optimistic lock, so two people acting on the same task at the same time
get one success and one :class:`Conflict`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jsonschema
from sqlalchemy import ColumnElement, func, literal, select, text, union_all
from sqlalchemy.orm import Session

from . import audit, clock, persistence
from .authorization import Actor, RoleGrant, TaskFacts
from .context import CompletionRequest, EngineContext
from .errors import Conflict, Forbidden, InvalidData, NotFound
from .instances import InstanceService, OpenInstance, _check_data
from .models import OPEN_STATES, HumanTask, ProcessInstance


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


class TaskService:
    def __init__(self, ctx: EngineContext, instances: InstanceService) -> None:
        self.ctx = ctx
        self.instances = instances

    # Queries -----------------------------------------------------------------------------
    def list(self, session: Session, query: TaskQuery) -> list[TaskInfo]:
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

    def count(self, session: Session, query: TaskQuery, cap: int = 1000) -> int:
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

    def get(self, session: Session, task_id: str) -> HumanTask:
        row = session.get(HumanTask, task_id)
        if row is None:
            raise NotFound(f"no task {task_id}", task_id=task_id)
        return row

    def facts(self, session: Session, row: HumanTask) -> TaskFacts:
        separate: tuple[str, ...] = ()
        excluded: frozenset[str] = frozenset()
        definition_info = self._task_info(session, row)
        if definition_info is not None and definition_info.separate_from:
            separate = definition_info.separate_from
            excluded = frozenset(
                actor
                for actor in session.execute(
                    select(HumanTask.completed_by).where(
                        HumanTask.instance_id == row.instance_id,
                        HumanTask.spec_id.in_(separate),
                        HumanTask.state == "completed",
                    )
                ).scalars()
                if actor
            )
        return TaskFacts(
            id=row.id,
            instance_id=row.instance_id,
            element_id=row.spec_id,
            role=row.role,
            organisation=row.organisation,
            assignee=row.assignee,
            state=row.state,
            separate_from=separate,
            excluded_actors=excluded,
        )

    def _task_info(self, session: Session, row: HumanTask) -> Any:
        instance = session.get(ProcessInstance, row.instance_id)
        if instance is None:
            return None
        loaded = self.instances.definitions.loaded_by_id(session, instance.definition_id)
        return loaded.user_task_by_element(row.spec_id)

    def form_schema(self, session: Session, row: HumanTask) -> dict[str, Any] | None:
        info = self._task_info(session, row)
        return info.form_schema if info is not None else None

    # Operations --------------------------------------------------------------------------------
    def _read_for_update(self, session: Session, task_id: str) -> tuple[HumanTask, ProcessInstance]:
        """Read the task and its instance in one statement: one snapshot.

        Under READ COMMITTED a task row read *before* its instance could predate a change
        the instance version already includes; reading both at once means the version we
        later check is the one our decision was based on.
        """
        found = session.execute(
            select(HumanTask, ProcessInstance)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.id == task_id)
            .execution_options(populate_existing=True)
        ).first()
        if found is None:
            raise NotFound(f"no task {task_id}", task_id=task_id)
        row, instance = found
        instance_id = instance.id
        if row.state not in OPEN_STATES:
            raise Conflict(
                f"the task is already {row.state}", task_id=task_id, instance_id=instance_id
            )
        if instance.status != "running":
            raise Conflict(
                f"the process is {instance.status}", instance_id=instance_id, task_id=task_id
            )
        return row, instance

    def claim(self, session: Session, task_id: str, actor: Actor) -> HumanTask:
        row, instance = self._read_for_update(session, task_id)
        if row.state == "claimed":
            who = "you" if row.assignee == actor.id else row.assignee
            raise Conflict(f"the task is already claimed by {who}", task_id=task_id)
        refusal = self.ctx.authorizer.refuse_claim(actor, self.facts(session, row))
        if refusal:
            raise Forbidden(refusal, task_id=task_id)
        event = audit.instance_event(instance, actor=actor.id, action="claim", task_id=task_id)
        persistence.update_instance(session, instance, instance.version, event=event)
        now = clock.now()
        row.state, row.assignee, row.claimed_at, row.claimed_by = "claimed", actor.id, now, actor.id
        session.flush()
        return row

    def unclaim(self, session: Session, task_id: str, actor: Actor) -> HumanTask:
        row, instance = self._read_for_update(session, task_id)
        if row.state != "claimed":
            raise Conflict("the task is not claimed", task_id=task_id)
        refusal = self.ctx.authorizer.refuse_unclaim(actor, self.facts(session, row))
        if refusal:
            raise Forbidden(refusal, task_id=task_id)
        previous = row.assignee
        event = audit.instance_event(
            instance,
            actor=actor.id,
            action="unclaim",
            task_id=task_id,
            data={"previous_assignee": previous},
        )
        persistence.update_instance(session, instance, instance.version, event=event)
        row.state, row.assignee, row.claimed_at, row.claimed_by = "open", None, None, None
        session.flush()
        return row

    def assign(self, session: Session, task_id: str, actor: Actor, target_id: str) -> HumanTask:
        row, instance = self._read_for_update(session, task_id)
        target = self.ctx.directory.get(target_id)
        if target is None:
            raise InvalidData(f"no user '{target_id}'", task_id=task_id)
        refusal = self.ctx.authorizer.refuse_assign(actor, self.facts(session, row), target)
        if refusal:
            raise Forbidden(refusal, task_id=task_id)
        previous = row.assignee
        event = audit.instance_event(
            instance,
            actor=actor.id,
            action="assign",
            task_id=task_id,
            data={"assignee": target.id, "previous_assignee": previous},
        )
        persistence.update_instance(session, instance, instance.version, event=event)
        now = clock.now()
        row.state, row.assignee, row.claimed_at, row.claimed_by = (
            "claimed",
            target.id,
            now,
            actor.id,
        )
        session.flush()
        return row

    def complete(
        self, session: Session, task_id: str, actor: Actor, data: Mapping[str, Any] | None = None
    ) -> HumanTask:
        row, _instance = self._read_for_update(session, task_id)
        refusal = self.ctx.authorizer.refuse_complete(actor, self.facts(session, row))
        if refusal:
            raise Forbidden(refusal, task_id=task_id)
        submitted = _check_data(data)
        opened = self.instances.open(session, row.instance_id)  # same row object, same version
        self._validate_form(row, opened, submitted)
        task = opened.runtime.find_task(task_id)
        if str(task.id) not in {str(t.id) for t in opened.runtime.ready_user_tasks()}:
            raise Conflict("the task is no longer waiting for input", task_id=task_id)
        if self.ctx.completion_checks:
            request = CompletionRequest(
                session=session,
                task=row,
                info=opened.runtime.loaded.user_task_by_element(row.spec_id),
                actor=actor,
                data=submitted,
                process_data={**task.data, **submitted},
            )
            for check in self.ctx.completion_checks:
                check(request)
        opened.runtime.complete_user_task(task, submitted)
        if row.state == "open":  # implicit claim by an eligible actor
            row.claimed_at, row.claimed_by, row.assignee = clock.now(), actor.id, actor.id
        persistence.save(
            self.ctx,
            session,
            opened.row,
            opened.runtime,
            seen_version=opened.seen_version,
            actor=actor.id,
            action="complete",
            task_id=task_id,
            data=submitted,
        )
        return row

    def _validate_form(self, row: HumanTask, opened: OpenInstance, data: dict[str, Any]) -> None:
        info = opened.runtime.loaded.user_task_by_element(row.spec_id)
        schema = info.form_schema if info is not None else None
        if schema is None:
            return
        allowed = set((schema.get("properties") or {}).keys())
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise InvalidData(
                f"this step does not accept the field(s) {', '.join(unknown)}",
                task_id=row.id,
                details=[{"field": name, "message": "unknown field"} for name in unknown],
            )
        validator = jsonschema.Draft202012Validator(schema)
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            details = [detail for error in errors for detail in _form_error_details(error)]
            raise InvalidData(
                "the form is not valid: "
                + "; ".join(f"{d['field'] or 'form'}: {d['message']}" for d in details[:5]),
                task_id=row.id,
                details=details,
            )


def _form_error_details(error: jsonschema.ValidationError) -> list[dict[str, Any]]:
    """One entry per field: a missing required property is reported on that property."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        return [
            {"field": ".".join([*path, name]), "message": "this field is required"}
            for name in missing
        ]
    return [{"field": ".".join(path) or None, "message": error.message}]
