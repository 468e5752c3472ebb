"""Working human tasks: claim, unclaim, assign, complete (lists are in task_queries).

Each operation is one transaction that takes the instance's optimistic lock, so two people
acting on the same task at the same time get one success and one :class:`Conflict`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema
import re2
from referencing.exceptions import Unresolvable
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from . import audit, clock, form_extensions, form_schemas, persistence, task_attributes
from .authorization import Actor, TaskFacts
from .context import CompletionRequest, EngineContext, TaskChange
from .errors import Conflict, Forbidden, InvalidData, NotFound
from .instances import InstanceService, OpenInstance, _check_data, status_refusal
from .messages import Message
from .models import OPEN_STATES, HumanTask, ProcessInstance
from .task_queries import TaskInfo, TaskQuery, count_each, count_tasks, list_tasks

#: Built once: a statement object is compiled once per process and its cache key memoized,
#: instead of being assembled again for every step.
_TASK_WITH_OPEN_TASKS = (
    select(HumanTask, ProcessInstance)
    .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    .where(
        HumanTask.instance_id
        == select(HumanTask.instance_id)
        .where(HumanTask.id == bindparam("task_id"))
        .scalar_subquery(),
        or_(HumanTask.id == bindparam("task_id"), HumanTask.state.in_(OPEN_STATES)),
    )
    .execution_options(populate_existing=True)
)


def state_refusal(state: str) -> Message:
    """Why a task in ``state`` refuses the action (one whole sentence per state)."""
    if state == "claimed":
        return Message("the task is already claimed")
    if state == "cancelled":
        return Message("the task is already cancelled")
    if state == "completed":
        return Message("the task is already completed")
    return Message("the task is %(state)s", state=state)


class TaskService:
    def __init__(self, ctx: EngineContext, instances: InstanceService) -> None:
        self.ctx = ctx
        self.instances = instances

    # Queries -----------------------------------------------------------------------------
    def list(self, session: Session, query: TaskQuery) -> list[TaskInfo]:
        return list_tasks(session, query)

    def count(self, session: Session, query: TaskQuery, cap: int = 1000) -> int:
        return count_tasks(session, query, cap)

    def count_each(
        self, session: Session, queries: Sequence[TaskQuery], cap: int = 1000
    ) -> list[int]:
        return count_each(session, queries, cap)

    def get(self, session: Session, task_id: str) -> HumanTask:
        row = session.get(HumanTask, task_id)
        if row is None:
            raise NotFound(Message("no task %(task)s", task=task_id), task_id=task_id)
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
        row, instance, _open_rows = self._read_with_open_tasks(session, task_id)
        return row, instance

    def _read_with_open_tasks(
        self, session: Session, task_id: str
    ) -> tuple[HumanTask, ProcessInstance, list[HumanTask]]:
        """Read the task, its instance and the instance's open tasks in one statement.

        One statement is one snapshot: under READ COMMITTED a task row read *before* its
        instance could predate a change the instance version already includes; reading them
        together means the version we later check is the one our decision was based on (and
        any later change to these rows bumps that version, so a stale set cannot be saved).
        """
        found = session.execute(_TASK_WITH_OPEN_TASKS, {"task_id": task_id}).all()
        target = next((pair for pair in found if pair[0].id == task_id), None)
        if target is None:
            raise NotFound(Message("no task %(task)s", task=task_id), task_id=task_id)
        row, instance = target
        instance_id = instance.id
        if row.state not in OPEN_STATES:
            raise Conflict(
                state_refusal(row.state),
                task_id=task_id,
                instance_id=instance_id,
            )
        if instance.status != "running":
            raise Conflict(
                status_refusal(instance.id, instance.status),
                instance_id=instance_id,
                task_id=task_id,
            )
        return row, instance, [pair[0] for pair in found if pair[0].state in OPEN_STATES]

    def claim(self, session: Session, task_id: str, actor: Actor) -> HumanTask:
        row, instance = self._read_for_update(session, task_id)
        if row.state == "claimed":
            if row.assignee == actor.id:
                raise Conflict(Message("you have already claimed this task"), task_id=task_id)
            raise Conflict(
                Message("the task is already claimed by %(who)s", who=row.assignee),
                task_id=task_id,
            )
        refusal = self.ctx.authorizer.refuse_claim(actor, self.facts(session, row))
        if refusal:
            raise Forbidden(refusal, task_id=task_id)
        event = audit.instance_event(instance, actor=actor.id, action="claim", task_id=task_id)
        persistence.update_instance(session, instance, instance.version, event=event)
        now = clock.now()
        row.state, row.assignee, row.claimed_at, row.claimed_by = "claimed", actor.id, now, actor.id
        session.flush()
        self._tell(session, row, "claim", actor, None)
        return row

    def unclaim(self, session: Session, task_id: str, actor: Actor) -> HumanTask:
        row, instance = self._read_for_update(session, task_id)
        if row.state != "claimed":
            raise Conflict(Message("the task is not claimed"), task_id=task_id)
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
        self._tell(session, row, "unclaim", actor, previous)
        return row

    def assign(self, session: Session, task_id: str, actor: Actor, target_id: str) -> HumanTask:
        row, instance = self._read_for_update(session, task_id)
        target = self.ctx.directory.get(target_id)
        if target is None:
            raise InvalidData(Message("no user '%(user)s'", user=target_id), task_id=task_id)
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
        self._tell(session, row, "assign", actor, previous)
        return row

    def plan(
        self,
        session: Session,
        task_id: str,
        actor: Actor,
        change: task_attributes.AttributeChange,
    ) -> HumanTask:
        """Set the priority and/or follow-up date of an open task (assignee or supervisor).

        One audited, versioned update like a claim; changing nothing writes nothing.
        """
        row, instance = self._read_for_update(session, task_id)
        refusal = self.ctx.authorizer.refuse_plan(actor, self.facts(session, row))
        if refusal:
            raise Forbidden(refusal, task_id=task_id)
        values, data = task_attributes.planned_values(row, change)
        if not values:
            return row
        event = audit.instance_event(
            instance, actor=actor.id, action="plan_task", task_id=task_id, data=data
        )
        persistence.update_instance(session, instance, instance.version, event=event)
        for name, value in values.items():
            setattr(row, name, value)
        session.flush()
        return row

    def reroute(
        self,
        session: Session,
        task_id: str,
        actor: Actor,
        *,
        organisation: str,
        role: str,
        reason: str,
    ) -> HumanTask:
        """Move an open task to another organisation/role, so that no draft can be stuck."""
        row, instance = self._read_for_update(session, task_id)
        if not actor.is_admin:
            raise Forbidden(Message("only an administrator may re-route a task"), task_id=task_id)
        reason = (reason or "").strip()
        if not 5 <= len(reason) <= 2000:
            raise InvalidData(
                Message("give the reason for re-routing (5 to 2000 characters)"),
                task_id=task_id,
                details=[{"field": "reason", "message": Message("this field is required")}],
            )
        if not self.ctx.knows_role(session, role):
            raise InvalidData(Message("'%(role)s' is not a role of the processes", role=role))
        known = self.ctx.organisation_known
        if not organisation or (known is not None and not known(session, organisation)):
            raise InvalidData(Message("no organisation '%(code)s'", code=organisation))
        if (organisation, role) == (row.organisation, row.role):
            raise InvalidData(Message("the task is already with this organisation and role"))
        event = audit.instance_event(
            instance,
            actor=actor.id,
            action="reroute",
            task_id=task_id,
            data={
                "from_organisation": row.organisation,
                "from_role": row.role,
                "organisation": organisation,
                "role": role,
                "previous_assignee": row.assignee,
                "reason": reason,
            },
        )
        persistence.update_instance(session, instance, instance.version, event=event)
        previous = row.assignee
        row.organisation, row.role = organisation, role
        row.state, row.assignee, row.claimed_at, row.claimed_by = "open", None, None, None
        session.flush()
        self._tell(session, row, "reroute", actor, previous)
        return row

    def _tell(
        self, session: Session, row: HumanTask, action: str, actor: Actor, previous: str | None
    ) -> None:
        change = TaskChange(
            session=session, task=row, action=action, actor=actor.id, previous_assignee=previous
        )
        for listener in self.ctx.task_listeners:
            listener(change)

    def complete(
        self, session: Session, task_id: str, actor: Actor, data: Mapping[str, Any] | None = None
    ) -> HumanTask:
        row, _instance, open_rows = self._read_with_open_tasks(session, task_id)
        refusal = self.ctx.authorizer.refuse_complete(actor, self.facts(session, row))
        if refusal:
            raise Forbidden(refusal, task_id=task_id)
        submitted = _check_data(data)
        opened = self.instances.open(session, row.instance_id)  # same row object, same version
        task = opened.runtime.find_task(task_id)
        self._validate_form(row, opened, submitted, task.data)
        if str(task.id) not in {str(t.id) for t in opened.runtime.ready_user_tasks()}:
            raise Conflict(Message("the task is no longer waiting for input"), task_id=task_id)
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
        opened.run.actor = actor.id  # services reached by this step know who did it
        opened.runtime.complete_user_task(task, submitted)
        _refuse_bounce(row, task, opened)
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
            open_rows=open_rows,
        )
        return row

    def _validate_form(
        self,
        row: HumanTask,
        opened: OpenInstance,
        data: dict[str, Any],
        task_data: Mapping[str, Any],
    ) -> None:
        info = opened.runtime.loaded.user_task_by_element(row.spec_id)
        schema = info.form_schema if info is not None else None
        if schema is None:
            return
        allowed = set((schema.get("properties") or {}).keys())
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise InvalidData(
                Message(
                    "this step does not accept the field(s) %(fields)s", fields=", ".join(unknown)
                ),
                task_id=row.id,
                details=[
                    {"field": name, "message": Message("this step has no such field")}
                    for name in unknown
                ],
            )
        try:
            errors = sorted(
                form_schemas.validator(schema).iter_errors(data),
                key=lambda e: list(e.absolute_path),
            )
        except (Unresolvable, re2.error) as exc:  # a model deployed before the checks
            raise InvalidData(
                Message(
                    "the form of this step cannot be checked (%(problem)s); ask the process "
                    "owner to correct the model",
                    problem=str(exc)[:200],
                ),
                task_id=row.id,
            ) from exc
        if errors:
            # jsonschema reports each missing property of one "required" on its own: once each.
            unique = {(d["field"], d["message"]): d for e in errors for d in _form_error_details(e)}
            details = list(unique.values())
            raise InvalidData(
                Message(
                    "the form is not valid: %(problems)s",
                    problems="; ".join(
                        f"{d['field'] or 'form'}: {d['message']}" for d in details[:5]
                    ),
                ),
                task_id=row.id,
                details=details,
            )
        broken = form_extensions.problems(schema, task_data, data, self.ctx.evaluator)
        if broken:
            raise InvalidData(
                Message(
                    "the form is not valid: %(problems)s",
                    problems="; ".join(f"{d['field'] or 'form'}: {d['message']}" for d in broken),
                ),
                task_id=row.id,
                details=broken,
            )


def _refuse_bounce(row: HumanTask, task: Any, opened: OpenInstance) -> None:
    """Refuse a completion that the model sends straight back to the same step.

    A gateway that loops to the step itself (votes that do not add up: "enter again") would
    otherwise show "done" and silently open the same step again; the user must instead be told
    that what they entered is not accepted. Multi-instance steps and steps reached again
    through other work are not bounces.
    """
    spec = task.task_spec
    if task.parent is not None and isinstance(task.parent.task_spec, LoopTask):
        return
    again = [
        ready
        for ready in opened.runtime.ready_user_tasks()
        if ready.task_spec is spec and ready.id != task.id
    ]
    if again:
        raise InvalidData(
            Message(
                "the process sends this step straight back: what you entered does not satisfy "
                "the model's conditions; check the values and submit again"
            ),
            task_id=row.id,
        )


def _form_error_details(error: jsonschema.ValidationError) -> list[dict[str, Any]]:
    """One entry per field: a missing required property is reported on that property."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        return [
            {"field": ".".join([*path, name]), "message": Message("this field is required")}
            for name in missing
        ]
    return [{"field": ".".join(path) or None, "message": _field_problem(error)}]


def _field_problem(error: jsonschema.ValidationError) -> str:
    """The common schema failures as translatable sentences; jsonschema's text otherwise."""
    limit = error.validator_value
    if error.validator == "minLength":
        return Message("needs at least %(n)s characters", n=limit)
    if error.validator == "maxLength":
        return Message("takes at most %(n)s characters", n=limit)
    if error.validator == "minimum":
        return Message("must not be below %(n)s", n=limit)
    if error.validator == "maximum":
        return Message("must not be above %(n)s", n=limit)
    if error.validator in ("enum", "const"):
        return Message("is not one of the allowed choices")
    if error.validator == "format" and limit == "date":
        return Message("is not a valid date")
    if error.validator == "type":
        return Message("has the wrong kind of value (expected %(type)s)", type=limit)
    if error.validator == "pattern":
        return Message("is not in the expected form")
    return error.message
