"""Writing a stepped workflow back: state, human-task projection, lock check, audit.

This is the only place an instance row is updated after it is created, so every mutation
gets the same guarantees: the optimistic version check runs *first* (a loser stops before
writing anything else), the projection is brought in line with the workflow's ready user
tasks, and the audit event is chained, all in the caller's transaction.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from . import audit, clock, task_attributes, task_routing
from .context import EngineContext, StepEvent
from .errors import Conflict, EngineError, ExpressionError, ProcessError
from .messages import Message
from .models import OPEN_STATES, AuditEvent, HumanTask, ProcessInstance
from .runtime import ProcessRuntime
from .specs import UserTaskInfo
from .timer_events import to_instant


def update_instance(
    session: Session,
    instance: ProcessInstance,
    seen_version: int,
    *,
    event: AuditEvent | None = None,
    **values: Any,
) -> None:
    """Write ``values`` (and the audit chain head) if nobody committed since we read.

    One ``UPDATE ... WHERE version = :seen``: the optimistic lock, the new state and the new
    audit head in a single statement; a loser gets Conflict and its transaction rolls back.
    ``event`` (from :func:`engine.audit.instance_event`) is inserted with it.
    """
    values["version"] = seen_version + 1
    if event is not None:
        values["audit_seq"], values["audit_head"] = event.seq, event.hash
    params = {**values, "_instance_id": instance.id, "_seen_version": seen_version}
    appended = event is not None and session.get_bind().dialect.name == "postgresql"
    if appended:
        params.update({f"_audit_{name}": getattr(event, name) for name in _AUDIT_COLUMNS})
        # rowcount of an INSERT is kept only when asked for (SQLAlchemy closes the cursor).
        options = {"preserve_rowcount": True}
    else:
        options = {}
    statement = _guarded_update(tuple(sorted(values)), with_event=appended)
    result = session.execute(statement, params, execution_options=options)
    if result.rowcount != 1:
        raise Conflict(
            Message("someone else changed this process at the same time; reload and try again"),
            instance_id=instance.id,
        )
    for name, value in values.items():
        set_committed_value(instance, name, value)
    if event is not None and not appended:
        # Core, as the PostgreSQL path does: nothing reads the event object back, and the
        # ORM's unit of work costs more than the statement.
        session.execute(_audit_insert(), {name: getattr(event, name) for name in _AUDIT_COLUMNS})


@functools.lru_cache(maxsize=64)
def _guarded_update(columns: tuple[str, ...], *, with_event: bool) -> Executable:
    """``UPDATE process_instance SET <columns> WHERE id = :id AND version = :seen``.

    Built once per set of columns (a handful exist), so a step does not assemble, coerce
    and key a new statement each time. ``with_event``: one round trip instead of two, the
    audit event being inserted only if the guarded update matched (a data-modifying CTE,
    PostgreSQL only; SQLite takes the two-statement path).
    """
    table = ProcessInstance.__table__
    guarded = (
        update(table)
        .where(
            table.c.id == bindparam("_instance_id", type_=table.c.id.type),
            table.c.version == bindparam("_seen_version", type_=table.c.version.type),
        )
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
    )
    if not with_event:
        return guarded
    moved = guarded.returning(table.c.id).cte("moved")
    audit_columns = [AuditEvent.__table__.c[name] for name in _AUDIT_COLUMNS]
    row = select(*(bindparam(f"_audit_{c.name}", type_=c.type) for c in audit_columns))
    return insert(AuditEvent.__table__).from_select(audit_columns, row.select_from(moved))


@functools.lru_cache(maxsize=1)
def _audit_insert() -> Executable:
    return insert(AuditEvent.__table__)


#: What an audit row holds besides its generated id.
_AUDIT_COLUMNS = (
    "stream", "seq", "instance_id", "task_id", "actor", "action", "data", "at", "prev_hash", "hash"
)  # fmt: skip


def _evaluate(
    ctx: EngineContext, source: str, data: dict[str, Any], what: str, element: str
) -> Any:
    try:
        return ctx.evaluator.evaluate(source, data)
    except ExpressionError as exc:
        raise ProcessError(
            Message(
                "the %(what)s of this step could not be computed: %(problem)s",
                what=what,
                problem=exc.message,
            ),
            element_id=element,
        ) from exc


def _instance_label(task: Any, index: Any) -> Any:
    """What tells one multi-instance child from its siblings: its input item, else the index.

    Only used when the model has no title expression; with one, the author names the
    instance (an index such as "(0)" means nothing to the person doing the work).
    """
    item = getattr(getattr(task.parent, "task_spec", None), "input_item", None)
    name = getattr(item, "bpmn_id", None)
    if name and name in task.data:
        return task.data[name]
    return index


def _new_task_row(
    ctx: EngineContext,
    instance: ProcessInstance,
    task: Any,
    info: UserTaskInfo | None,
    labels: dict[str, Any],
) -> HumanTask:
    spec = task.task_spec
    element = spec.bpmn_id or spec.name
    data = task.data
    title = spec.bpmn_name or element
    title_en: str | None = None
    organisation = instance.organisation
    due_at: datetime | None = None
    if info is not None:
        if info.title_expr:
            title = str(_evaluate(ctx, info.title_expr, data, "title", element))
        if info.title_en_expr:
            title_en = str(_evaluate(ctx, info.title_en_expr, data, "English title", element))
        if info.organisation_expr:
            value = _evaluate(ctx, info.organisation_expr, data, "organisation", element)
            organisation = str(value) if value not in (None, "") else None
        if info.due_expr:
            value = _evaluate(ctx, info.due_expr, data, "due date", element)
            if value not in (None, ""):
                try:
                    due_at = to_instant(value)
                except ValueError as exc:
                    raise ProcessError(
                        Message(
                            "the due date of this step is not a date: %(problem)s",
                            problem=str(exc),
                        ),
                        element_id=element,
                    ) from exc
    if info is not None and ctx.label_properties:
        labels = {
            **labels,
            **{key: info.properties[key] for key in ctx.label_properties if key in info.properties},
        }
    if (info is None or not info.title_expr) and "instance" in spec.task_info(task):
        title = f"{title} ({_instance_label(task, spec.task_info(task)['instance'])})"
    return HumanTask(
        id=str(task.id),
        instance_id=instance.id,
        process_key=instance.definition_key,
        spec_id=element,
        spec_name=spec.bpmn_name,
        title=title[:500],
        title_en=title_en[:500] if title_en is not None else None,
        lane=spec.lane,
        role=info.role if info else None,
        organisation=organisation,
        assignee=None,
        state="open",
        due_at=due_at,
        created_at=clock.now(),
        labels=labels,
        priority=task_attributes.model_priority(info.properties if info else {}),
    )


def sync_human_tasks(
    ctx: EngineContext,
    session: Session,
    instance: ProcessInstance,
    runtime: ProcessRuntime,
    *,
    completed_task_id: str | None = None,
    actor: str | None = None,
    open_rows: list[HumanTask] | None = None,
) -> tuple[list[HumanTask], list[HumanTask], frozenset[str]]:
    """Insert rows for newly ready user tasks; cancel rows whose task is gone.

    ``open_rows``: the instance's open rows when the caller read them with the instance
    (saves a round trip); otherwise they are read here. Returns the rows created, every
    row still open afterwards (the step listeners are shown them without a second read) and
    the steps among the created ones that the workflow had completed before (by element id,
    from the task tree: only these can be rework).
    """
    now = clock.now()
    if open_rows is None:
        open_rows = list(
            session.execute(
                select(HumanTask).where(
                    HumanTask.instance_id == instance.id, HumanTask.state.in_(OPEN_STATES)
                )
            ).scalars()
        )
    existing = {row.id: row for row in open_rows}
    ready = runtime.ready_user_tasks()
    ready_ids = {str(task.id) for task in ready}
    created: list[HumanTask] = []
    row_labels = dict(instance.labels or {})
    completed_specs: dict[int, str] | None = None  # specs the workflow has completed
    completed_steps: set[str] = set()  # their element ids
    repeated: set[str] = set()
    for task in ready:
        if str(task.id) in existing:
            continue
        if completed_specs is None:
            completed_specs = runtime.completed_spec_ids()
            completed_steps = set(completed_specs.values())
        info = runtime.loaded.task_info(task.task_spec)
        row = _new_task_row(ctx, instance, task, info, row_labels)
        task_routing.route(
            ctx, session, row, info, done_before=id(task.task_spec) in completed_specs
        )
        if row.spec_id in completed_steps:
            repeated.add(row.spec_id)
        session.add(row)
        created.append(row)
    still_open: list[HumanTask] = []
    for task_id, row in existing.items():
        if task_id in ready_ids:
            still_open.append(row)
            continue
        if task_id == completed_task_id:
            row.state = "completed"
            row.completed_by = actor
        else:
            row.state = "cancelled"
        row.completed_at = now
    still_open.sort(key=lambda row: row.created_at)
    return created, still_open + created, frozenset(repeated)


def save(
    ctx: EngineContext,
    session: Session,
    instance: ProcessInstance,
    runtime: ProcessRuntime,
    *,
    seen_version: int | None,
    actor: str,
    action: str,
    task_id: str | None = None,
    data: dict[str, Any] | None = None,
    labels: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    open_rows: list[HumanTask] | None = None,
) -> list[HumanTask]:
    """Persist ``runtime`` into ``instance`` (new when ``seen_version`` is None).

    ``changes`` are further columns of the instance to write in the same update (a new
    status, a new definition after migration).
    """
    try:
        state = runtime.dump(ctx.serializer)
    except EngineError as exc:
        exc.instance_id = exc.instance_id or instance.id
        raise
    except (TypeError, ValueError) as exc:
        raise ProcessError(
            Message("the process data cannot be stored: %(problem)s", problem=str(exc))
        ) from exc
    now = clock.now()
    values: dict[str, Any] = {
        "state": state,
        "updated_at": now,
        "next_timer_at": runtime.next_timer_at(),
        "waiting_for": runtime.waiting_for(),
    }
    if runtime.is_completed and instance.status == "running":
        values.update(status="completed", ended_at=now, next_timer_at=None, waiting_for=None)
    values.update(changes or {})
    if seen_version is None:
        for name, value in values.items():
            setattr(instance, name, value)
        instance.labels = dict(labels or {})
        session.add(instance)
        session.flush()
        event = audit.instance_event(
            instance, actor=actor, action=action, task_id=task_id, data=data
        )
        instance.audit_seq, instance.audit_head = event.seq, event.hash
        session.add(event)
    else:
        event = audit.instance_event(
            instance, actor=actor, action=action, task_id=task_id, data=data
        )
        update_instance(session, instance, seen_version, event=event, **values)
    try:
        created, still_open, repeated = sync_human_tasks(
            ctx,
            session,
            instance,
            runtime,
            completed_task_id=task_id if action == "complete" else None,
            actor=actor,
            open_rows=open_rows,
        )
    except EngineError as exc:
        exc.instance_id = exc.instance_id or instance.id
        raise
    session.flush()
    if ctx.step_listeners:
        completed = task_id if action == "complete" else None
        _notify(
            ctx,
            session,
            instance,
            runtime,
            action,
            actor,
            tuple(created),
            completed,
            still_open,
            repeated,
        )
    return created


def _notify(
    ctx: EngineContext,
    session: Session,
    instance: ProcessInstance,
    runtime: ProcessRuntime,
    action: str,
    actor: str,
    created: tuple[HumanTask, ...],
    completed_task_id: str | None,
    rows: list[HumanTask],
    repeated: frozenset[str],
) -> None:
    loaded = runtime.loaded
    event = StepEvent(
        session=session,
        instance=instance,
        loaded=loaded,
        action=action,
        actor=actor,
        open_tasks=[(row, loaded.user_task_by_element(row.spec_id)) for row in rows],
        data=runtime.data(),
        created=created,
        task_id=completed_task_id,
        repeated=repeated,
    )
    for listener in ctx.step_listeners:
        listener(event)
