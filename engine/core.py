"""The engine's public Python API.

:class:`Engine` composes the services and gives each call its own transaction, or joins the
caller's when ``session=`` is passed, so the domain can, say, create a draft and start its
process in one commit. It returns plain dataclasses, never ORM rows or Spiff objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, task_forms
from .authorization import Actor, ActorDirectory, Authorizer, StaticDirectory
from .context import CompletionCheck, EngineContext, StepListener, TaskListener
from .database import Database
from .definitions import DefinitionInfo, DefinitionService
from .errors import NotFound
from .events import Delivery, EventService
from .expressions import SafeEvaluator
from .instances import InstanceInfo, InstanceService
from .lint import LintProblem, Rule
from .lint.check import check_upload
from .messages import Message
from .migration import MigrationPlan, MigrationReport, MigrationService
from .models import AuditEvent, HumanTask, ProcessInstance
from .run_bounds import RunBoundExceeded, RunLimits
from .services import ServiceRegistry
from .specs import LoadedSpec, UserTaskInfo
from .state_pruning import completed_specs
from .task_attributes import UNSET, AttributeChange, Unset
from .task_forms import FormState, Submission
from .task_queries import TaskInfo, TaskQuery
from .tasks import TaskService, state_refusal
from .timer_events import armed_timers
from .timers import TimerRun, TimerService


@dataclass(frozen=True)
class WaitingTimer:
    """A timer an instance waits on: ``on_step`` for a deadline attached to an open step."""

    element_id: str
    name: str | None
    due_at: datetime
    on_step: bool
    properties: dict[str, Any]


class Engine:
    """Deploy definitions, run instances, work tasks, fire timers, read the audit log."""

    def __init__(
        self,
        db: Database | str | None = None,
        *,
        services: ServiceRegistry | None = None,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        directory: ActorDirectory | None = None,
        authorizer: Authorizer | None = None,
        role_known: Callable[[str], bool] | None = None,
        label_properties: tuple[str, ...] = (),
        organisation_known: Callable[[Session, str], bool] | None = None,
        limits: RunLimits | None = None,
    ) -> None:
        database = db if isinstance(db, Database) else Database(db)
        ctx = EngineContext(
            db=database,
            evaluator=SafeEvaluator(functions or {}),
            services=services or ServiceRegistry(),
            directory=directory or StaticDirectory(),
            authorizer=authorizer or Authorizer(),
        )
        if role_known is not None:
            ctx.role_known = role_known
        ctx.label_properties = label_properties
        ctx.organisation_known = organisation_known
        if limits is not None:
            ctx.limits = limits
        self.ctx = ctx
        self.db = database
        self.definitions_service = DefinitionService(ctx)
        self.instances_service = InstanceService(ctx, self.definitions_service)
        self.tasks_service = TaskService(ctx, self.instances_service)
        self.timers_service = TimerService(ctx, self.instances_service)
        self.migration_service = MigrationService(
            ctx, self.definitions_service, self.instances_service
        )
        self.events_service = EventService(ctx, self.definitions_service, self.instances_service)

    # Transactions -------------------------------------------------------------------------
    @contextmanager
    def _write(self, session: Session | None) -> Iterator[Session]:
        """The caller's transaction, or one of our own; a run of ours that hits a bound is
        rolled back and its instance marked failed in a fresh transaction (a caller that
        passed its session gets the error and decides: its transaction holds the lock)."""
        if session is not None:
            yield session
            return
        try:
            with self.db.write() as own:
                yield own
        except RunBoundExceeded as exc:
            self.instances_service.fail_alone(exc.instance_id, exc)
            raise

    @contextmanager
    def _read(self, session: Session | None) -> Iterator[Session]:
        if session is not None:
            yield session
            return
        with self.db.read() as own:
            yield own

    def add_step_listener(self, listener: StepListener) -> None:
        """Call ``listener`` after every saved step, inside the step's transaction."""
        self.ctx.step_listeners.append(listener)

    def add_task_listener(self, listener: TaskListener) -> None:
        """Call ``listener`` after a task is claimed, released, assigned or re-routed, inside
        that transaction."""
        self.ctx.task_listeners.append(listener)

    def add_completion_check(self, check: CompletionCheck) -> None:
        """Call ``check`` before a user task is completed; it refuses by raising InvalidData."""
        self.ctx.completion_checks.append(check)

    @property
    def services(self) -> ServiceRegistry:
        return self.ctx.services

    @property
    def evaluator(self) -> SafeEvaluator:
        return self.ctx.evaluator

    def actor(self, actor_id: str) -> Actor:
        """Resolve an actor id through the directory (NotFound if unknown)."""
        actor = self.ctx.directory.get(actor_id)
        if actor is None:
            raise NotFound(Message("no user '%(user)s'", user=actor_id))
        return actor

    # Definitions ----------------------------------------------------------------------------
    def deploy(
        self,
        files: Mapping[str, bytes | str] | Iterable[tuple[str, bytes | str]],
        actor: str,
        note: str | None = None,
        *,
        session: Session | None = None,
        warnings: list[LintProblem] | None = None,
    ) -> list[DefinitionInfo]:
        """Deploy a bundle; lint errors refuse it, lint warnings go to ``warnings``."""
        with self._write(session) as s:
            return self.definitions_service.deploy(s, files, actor, note, warnings)

    def lint(
        self,
        files: Mapping[str, bytes | str] | Iterable[tuple[str, bytes | str]],
        *,
        session: Session | None = None,
    ) -> list[LintProblem]:
        """What deploying these files would say, without storing anything.

        The same rules as :meth:`deploy`; a file that cannot even be read is a problem too,
        never an exception.
        """
        items = list(files.items()) if isinstance(files, Mapping) else list(files)
        with self._read(session) as s:
            return check_upload(self.ctx, s, items, tolerant=True).problems

    def add_lint_rule(self, rule: Rule) -> None:
        """Run ``rule`` on every deploy and lint (the domain's own rules)."""
        self.ctx.lint_rules.add(rule)

    def definitions(
        self, key: str | None = None, *, latest_only: bool = False, session: Session | None = None
    ) -> list[DefinitionInfo]:
        with self._read(session) as s:
            return self.definitions_service.list(s, key, latest_only)

    def definition(self, definition_id: int, *, session: Session | None = None) -> DefinitionInfo:
        with self._read(session) as s:
            return DefinitionInfo.of(self.definitions_service.get(s, definition_id))

    def definition_xml(self, definition_id: int, *, session: Session | None = None) -> str:
        with self._read(session) as s:
            return self.definitions_service.get(s, definition_id).xml

    def loaded_spec(self, definition_id: int, *, session: Session | None = None) -> LoadedSpec:
        """The parsed spec of a definition. The definition's row (its XML, tens of kilobytes)
        is not read: a dashboard asks for the specs of every step of every version."""
        with self._read(session) as s:
            return self.definitions_service.loaded_by_id(s, definition_id)

    def user_task_info(
        self, task_id: str, *, session: Session | None = None
    ) -> UserTaskInfo | None:
        """The definition facts (documentation, properties, form) of a task's step."""
        with self._read(session) as s:
            row = self.tasks_service.get(s, task_id)
            instance = s.get(ProcessInstance, row.instance_id)
            assert instance is not None  # noqa: S101 - foreign key
            loaded = self.definitions_service.loaded_by_id(s, instance.definition_id)
            return loaded.user_task_by_element(row.spec_id)

    # Instances ------------------------------------------------------------------------------
    def start(
        self,
        key: str,
        *,
        actor: Actor,
        business_key: str | None = None,
        data: Mapping[str, Any] | None = None,
        organisation: str | None = None,
        labels: Mapping[str, Any] | None = None,
        version: int | None = None,
        session: Session | None = None,
    ) -> InstanceInfo:
        with self._write(session) as s:
            row = self.instances_service.start(
                s,
                key,
                actor=actor,
                business_key=business_key,
                data=data,
                organisation=organisation,
                labels=labels,
                version=version,
            )
            return InstanceInfo.of(row)

    def instance(self, instance_id: int, *, session: Session | None = None) -> InstanceInfo:
        with self._read(session) as s:
            return InstanceInfo.of(self.instances_service.get(s, instance_id))

    def instance_data(self, instance_id: int, *, session: Session | None = None) -> dict[str, Any]:
        with self._read(session) as s:
            return self.instances_service.data(s, instance_id)

    def instances(self, *, session: Session | None = None, **filters: Any) -> list[InstanceInfo]:
        with self._read(session) as s:
            return [InstanceInfo.of(row) for row in self.instances_service.list(s, **filters)]

    def cancel(
        self, instance_id: int, *, actor: Actor, reason: str, session: Session | None = None
    ) -> InstanceInfo:
        with self._write(session) as s:
            return InstanceInfo.of(
                self.instances_service.cancel(s, instance_id, actor=actor, reason=reason)
            )

    def suspend(
        self, instance_id: int, *, actor: Actor, reason: str, session: Session | None = None
    ) -> InstanceInfo:
        with self._write(session) as s:
            return InstanceInfo.of(
                self.instances_service.suspend(s, instance_id, actor=actor, reason=reason)
            )

    def resume(
        self,
        instance_id: int,
        *,
        actor: Actor,
        reason: str | None = None,
        session: Session | None = None,
    ) -> InstanceInfo:
        with self._write(session) as s:
            return InstanceInfo.of(
                self.instances_service.resume(s, instance_id, actor=actor, reason=reason)
            )

    def completed_elements(
        self, instance_id: int, *, session: Session | None = None
    ) -> dict[str, list[str]]:
        """BPMN ids of completed and active elements (for highlighting a diagram)."""
        from SpiffWorkflow.util.task import TaskState

        with self._read(session) as s:
            workflow = self.instances_service.open(
                s, instance_id, require_running=False
            ).runtime.workflow
            completed, active = set(), set()
            for task in workflow.get_tasks(
                state=TaskState.READY | TaskState.WAITING | TaskState.STARTED
            ):
                if element := getattr(task.task_spec, "bpmn_id", None):
                    active.add(element)
            for spec in completed_specs(workflow):  # pruned tasks included
                if element := getattr(spec, "bpmn_id", None):
                    completed.add(element)
            return {"completed": sorted(completed - active), "active": sorted(active)}

    def waiting_timers(
        self, instance_id: int, *, session: Session | None = None
    ) -> list[WaitingTimer]:
        """The timers the instance waits on (a posting period, an effective date, a deadline),
        soonest first, so a page can say what a draft waits for and until when."""
        from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent

        with self._read(session) as s:
            row = self.instances_service.get(s, instance_id)
            if row.status not in ("running", "suspended"):
                return []
            workflow = self.instances_service.open(
                s, instance_id, require_running=False
            ).runtime.workflow
            found = []
            for timer in armed_timers(workflow):
                spec = timer.element
                found.append(
                    WaitingTimer(
                        element_id=getattr(spec, "bpmn_id", None) or spec.name,
                        name=getattr(spec, "bpmn_name", None),
                        due_at=timer.due_at,
                        on_step=isinstance(spec, BoundaryEvent),
                        properties=dict(
                            (getattr(spec, "extensions", None) or {}).get("properties") or {}
                        ),
                    )
                )
            return sorted(found, key=lambda timer: timer.due_at)

    # Tasks ------------------------------------------------------------------------------------
    def tasks(
        self, query: TaskQuery | None = None, *, session: Session | None = None
    ) -> list[TaskInfo]:
        with self._read(session) as s:
            return self.tasks_service.list(s, query or TaskQuery())

    def count_tasks(
        self, query: TaskQuery, *, cap: int = 1000, session: Session | None = None
    ) -> int:
        with self._read(session) as s:
            return self.tasks_service.count(s, query, cap)

    def count_each(
        self, queries: Sequence[TaskQuery], *, cap: int = 1000, session: Session | None = None
    ) -> list[int]:
        """:meth:`count_tasks` of each query, in one statement (tab badges)."""
        with self._read(session) as s:
            return self.tasks_service.count_each(s, queries, cap)

    def task(self, task_id: str, *, session: Session | None = None) -> TaskInfo:
        with self._read(session) as s:
            return TaskInfo.of(self.tasks_service.get(s, task_id))

    def task_form(self, task_id: str, *, session: Session | None = None) -> dict[str, Any] | None:
        with self._read(session) as s:
            return self.tasks_service.form_schema(s, self.tasks_service.get(s, task_id))

    def form_state(self, task_id: str, *, session: Session | None = None) -> FormState:
        """The step's form with its allowed choices, defaults and the step's earlier answer."""
        with self._read(session) as s:
            row = self.tasks_service.get(s, task_id)
            schema = self.tasks_service.form_schema(s, row)
            data: dict[str, Any] = {}
            if row.state in ("open", "claimed"):
                opened = self.instances_service.open(s, row.instance_id, require_running=False)
                data = dict(opened.runtime.find_task(task_id).data)
            return task_forms.form_state(s, row, schema, data, self.ctx.evaluator)

    def submissions(self, instance_id: int, *, session: Session | None = None) -> list[Submission]:
        """What every completed step of the instance recorded, in order, with its form schema
        (so a page can label each value the way the step's form did)."""
        with self._read(session) as s:
            instance = self.instances_service.get(s, instance_id)
            loaded = self.definitions_service.loaded_by_id(s, instance.definition_id)
            data = task_forms.completion_data(s, instance_id)
            rows = s.execute(
                select(HumanTask)
                .where(HumanTask.instance_id == instance_id, HumanTask.state == "completed")
                .order_by(HumanTask.completed_at, HumanTask.id)
            ).scalars()
            result = []
            for row in rows:
                info = loaded.user_task_by_element(row.spec_id)
                result.append(
                    task_forms.Submission(
                        task=TaskInfo.of(row),
                        data=data.get(row.id, {}),
                        schema=info.form_schema if info else None,
                        at=row.completed_at or row.created_at,
                    )
                )
            return result

    def task_data(self, task_id: str, *, session: Session | None = None) -> dict[str, Any]:
        """The data the task would see (its input), read from the workflow."""
        with self._read(session) as s:
            row = self.tasks_service.get(s, task_id)
            opened = self.instances_service.open(s, row.instance_id, require_running=False)
            return dict(opened.runtime.find_task(task_id).data)

    def refusal(
        self, task_id: str, actor: Actor, action: str, *, session: Session | None = None
    ) -> str | None:
        """Why ``actor`` may not ``claim``/``complete``/``unclaim``/``plan`` (set the priority
        and follow-up date of) the task now (None: may)."""
        with self._read(session) as s:
            row = self.tasks_service.get(s, task_id)
            facts = self.tasks_service.facts(s, row)
            policy = self.ctx.authorizer
            if action == "claim":
                if row.state != "open":
                    return state_refusal(row.state)
                return policy.refuse_claim(actor, facts)
            if action == "complete":
                if row.state not in ("open", "claimed"):
                    return state_refusal(row.state)
                return policy.refuse_complete(actor, facts)
            if action == "unclaim":
                if row.state != "claimed":
                    return Message("the task is not claimed")
                return policy.refuse_unclaim(actor, facts)
            if action == "plan":
                if row.state not in ("open", "claimed"):
                    return state_refusal(row.state)
                return policy.refuse_plan(actor, facts)
            raise ValueError(f"unknown action {action}")

    def claim(self, task_id: str, actor: Actor, *, session: Session | None = None) -> TaskInfo:
        with self._write(session) as s:
            return TaskInfo.of(self.tasks_service.claim(s, task_id, actor))

    def unclaim(self, task_id: str, actor: Actor, *, session: Session | None = None) -> TaskInfo:
        with self._write(session) as s:
            return TaskInfo.of(self.tasks_service.unclaim(s, task_id, actor))

    def assign(
        self, task_id: str, actor: Actor, assignee: str, *, session: Session | None = None
    ) -> TaskInfo:
        with self._write(session) as s:
            return TaskInfo.of(self.tasks_service.assign(s, task_id, actor, assignee))

    def plan_task(
        self,
        task_id: str,
        actor: Actor,
        *,
        priority: int | str | Unset = UNSET,
        follow_up_on: date | Unset | None = UNSET,
        session: Session | None = None,
    ) -> TaskInfo:
        """Change the priority and/or the follow-up date of an open task in one audited step
        (leave either out to keep it; ``follow_up_on=None`` clears the date).

        The assignee or a supervisor of the task's organisation only (Forbidden); a level that
        is not one or a day before today is InvalidData; a concurrent change is Conflict.
        """
        change = AttributeChange(priority=priority, follow_up_on=follow_up_on)
        with self._write(session) as s:
            return TaskInfo.of(self.tasks_service.plan(s, task_id, actor, change))

    def set_priority(
        self, task_id: str, level: int | str, actor: Actor, *, session: Session | None = None
    ) -> TaskInfo:
        """Set a task's priority (``low``/``normal``/``high``/``urgent`` or 0-3)."""
        return self.plan_task(task_id, actor, priority=level, session=session)

    def set_follow_up(
        self, task_id: str, day: date | None, actor: Actor, *, session: Session | None = None
    ) -> TaskInfo:
        """Set (or with ``None`` clear) the day to look at a task again (today or later)."""
        return self.plan_task(task_id, actor, follow_up_on=day, session=session)

    def reroute(
        self,
        task_id: str,
        actor: Actor,
        *,
        organisation: str,
        role: str,
        reason: str,
        session: Session | None = None,
    ) -> TaskInfo:
        """Send an open task to another organisation and/or role (administrators; audited)."""
        with self._write(session) as s:
            return TaskInfo.of(
                self.tasks_service.reroute(
                    s, task_id, actor, organisation=organisation, role=role, reason=reason
                )
            )

    def complete(
        self,
        task_id: str,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
        *,
        session: Session | None = None,
    ) -> TaskInfo:
        with self._write(session) as s:
            return TaskInfo.of(self.tasks_service.complete(s, task_id, actor, data))

    # Messages and signals -----------------------------------------------------------------------
    def deliver_message(
        self,
        name: str,
        *,
        actor: Actor,
        correlation_key: str | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> Delivery:
        """Deliver the message ``name`` to the instance(s) waiting for it whose business key
        is ``correlation_key`` (without a key: the one instance waiting), each in its own
        transaction; when none waits, start the processes whose start event waits for it.
        NotFound when nothing takes it; Conflict when a key is needed or every receiver
        failed."""
        return self.events_service.deliver(
            "message", name, actor=actor, correlation_key=correlation_key, payload=payload
        )

    def broadcast_signal(
        self, name: str, *, actor: Actor, payload: Mapping[str, Any] | None = None
    ) -> Delivery:
        """Give the signal ``name`` to every instance waiting for it (or start the processes
        whose start event waits for it), one transaction each; NotFound when none does."""
        return self.events_service.deliver("signal", name, actor=actor, payload=payload)

    # Timers -----------------------------------------------------------------------------------
    def fire_due_timers(
        self, now: datetime | None = None, *, limit: int | None = None, runner: str | None = None
    ) -> TimerRun:
        """Fire every due timer (all of them unless ``limit``); see :class:`TimerService`."""
        return self.timers_service.fire_due(now, limit=limit, runner=runner)

    # Audit -------------------------------------------------------------------------------------
    def audit_events(self, instance_id: int, *, session: Session | None = None) -> list[AuditEvent]:
        with self._read(session) as s:
            return list(
                s.execute(
                    select(AuditEvent)
                    .where(AuditEvent.stream == f"instance:{instance_id}")
                    .order_by(AuditEvent.seq)
                ).scalars()
            )

    def verify_audit(
        self, instance_id: int, *, session: Session | None = None
    ) -> audit.AuditReport:
        with self._read(session) as s:
            row = self.instances_service.get(s, instance_id)
            return audit.verify_instance(s, row)

    def task_history(self, instance_id: int, *, session: Session | None = None) -> list[TaskInfo]:
        with self._read(session) as s:
            rows = s.execute(
                select(HumanTask)
                .where(HumanTask.instance_id == instance_id)
                .order_by(HumanTask.created_at, HumanTask.id)
            ).scalars()
            return [TaskInfo.of(row) for row in rows]

    # Migration ---------------------------------------------------------------------------------
    def migration_plan(self, key: str, *, actor: Actor) -> MigrationPlan:
        """Dry run for every running instance of ``key`` on an older version than its newest:
        which can move to the newest and, for each that cannot, why."""
        with self.db.read() as s:
            return self.migration_service.plan(s, key, actor)

    def migrate_instances(
        self, key: str, *, actor: Actor, instance_ids: list[int] | None = None
    ) -> MigrationPlan:
        """Move the given instances of ``key`` (None: all that can) to its newest version,
        one audited transaction each; refused ones are reported and left untouched."""
        return self.migration_service.migrate_many(key, actor, instance_ids)

    def migrate(
        self,
        instance_id: int,
        to_definition_id: int,
        *,
        actor: Actor,
        dry_run: bool = False,
        session: Session | None = None,
    ) -> MigrationReport:
        if dry_run:
            with self._read(session) as s:
                return self.migration_service.migrate(
                    s, instance_id, to_definition_id, actor=actor, dry_run=True
                )
        with self._write(session) as s:
            return self.migration_service.migrate(
                s, instance_id, to_definition_id, actor=actor, dry_run=False
            )
