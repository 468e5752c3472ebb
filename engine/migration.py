"""Moving a running instance to another version of its definition.

SpiffWorkflow's spec diff aligns the old and new task specs by BPMN id (and by structure where
ids changed). A migration is refused, with the reason, when a task that is active now (a user
task waiting for someone, a timer or message being waited for, a running call activity) has
no counterpart in the target version: the person working on it would lose it. A dry run
reports what would happen without writing anything.

:meth:`MigrationService.plan` does the dry run for every running instance of a process
that is on an older version than the newest; :meth:`MigrationService.migrate_many` moves a
selection (or all that can), one transaction per instance, so a refused or failing instance
is left as it was and never undoes the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import persistence
from .authorization import Actor
from .context import EngineContext
from .definitions import DefinitionService
from .errors import Conflict, EngineError, Forbidden, InvalidData
from .instances import InstanceService, status_refusal
from .messages import Message
from .models import OPEN_STATES, HumanTask, ProcessInstance
from .runtime import ProcessRuntime

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
JOINS = (ParallelGateway, InclusiveGateway)


@dataclass
class MigrationReport:
    instance_id: int
    from_definition_id: int
    to_definition_id: int
    from_version: int
    to_version: int
    possible: bool
    dry_run: bool
    refusals: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def refused(self, reason: str | None = None) -> MigrationReport:
        """This report as the answer to a real run that did not move the instance."""
        refusals = [*self.refusals, *([reason] if reason else [])]
        return MigrationReport(
            **{**self.__dict__, "possible": False, "dry_run": False, "refusals": refusals}
        )


@dataclass
class MigrationPlan:
    """Reports for the instances of one process on older versions than ``to_version``."""

    key: str
    to_definition_id: int
    to_version: int
    reports: list[MigrationReport] = field(default_factory=list)

    @property
    def movable(self) -> list[MigrationReport]:
        return [report for report in self.reports if report.possible]

    def by_version(self) -> dict[int, int]:
        """How many instances run on each older version."""
        counts: dict[int, int] = {}
        for report in self.reports:
            counts[report.from_version] = counts.get(report.from_version, 0) + 1
        return dict(sorted(counts.items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "to_definition_id": self.to_definition_id,
            "to_version": self.to_version,
            "by_version": {str(v): n for v, n in self.by_version().items()},
            "instances": [report.to_json() for report in self.reports],
        }


def _refused(
    instance_id: int,
    target: Any,
    reason: str,
    *,
    dry_run: bool,
    to: tuple[int, int] | None = None,
) -> MigrationReport:
    to_id, to_version = to if to is not None else (target.id, target.version)
    return MigrationReport(
        instance_id=instance_id,
        from_definition_id=0,
        to_definition_id=to_id,
        from_version=0,
        to_version=to_version,
        possible=False,
        dry_run=dry_run,
        refusals=[reason],
    )


def _label(task_spec: Any) -> str:
    name = getattr(task_spec, "bpmn_name", None)
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name
    return f"{element} ({name})" if name else element


class MigrationService:
    def __init__(
        self, ctx: EngineContext, definitions: DefinitionService, instances: InstanceService
    ) -> None:
        self.ctx = ctx
        self.definitions = definitions
        self.instances = instances

    def migrate(
        self,
        session: Session,
        instance_id: int,
        target_definition_id: int,
        *,
        actor: Actor,
        dry_run: bool = False,
    ) -> MigrationReport:
        row = self.instances.get(session, instance_id)
        refusal = self.ctx.authorizer.refuse_migrate(actor, row.organisation)
        if refusal:
            raise Forbidden(refusal, instance_id=instance_id)
        if row.status not in ("running", "suspended"):
            raise Conflict(status_refusal(instance_id, row.status), instance_id=instance_id)
        current = self.definitions.get(session, row.definition_id)
        target = self.definitions.get(session, target_definition_id)
        if target.key != current.key or target.kind != "bpmn":
            raise InvalidData(
                Message(
                    "definition %(definition)s is '%(key)s', not a version of '%(current)s'",
                    definition=target.id,
                    key=target.key,
                    current=current.key,
                ),
                instance_id=instance_id,
            )
        opened = self.instances.open(session, instance_id, require_running=False)
        workflow = opened.runtime.workflow
        new_loaded = self.definitions.loaded(session, target)
        registry = self.ctx.serializer.registry
        top_diff, sub_diffs = diff_workflow(
            registry, workflow, new_loaded.spec, new_loaded.subprocess_specs
        )
        report = MigrationReport(
            instance_id=instance_id,
            from_definition_id=current.id,
            to_definition_id=target.id,
            from_version=current.version,
            to_version=target.version,
            possible=True,
            dry_run=dry_run,
        )
        for task in top_diff.removed:
            if task.has_state(ACTIVE):
                report.refusals.append(
                    f"the active step {_label(task.task_spec)} does not exist in version "
                    f"{target.version}"
                )
        for task in top_diff.changed:
            if task.has_state(TaskState.WAITING) and isinstance(task.task_spec, JOINS):
                report.refusals.append(
                    f"it waits at the join {_label(task.task_spec)}, whose incoming branches "
                    f"changed in version {target.version}"
                )
        report.changed = sorted({_label(task.task_spec) for task in top_diff.changed})
        for sp_id, sp_diff in sub_diffs.items():
            subprocess = workflow.subprocesses[sp_id]
            if subprocess.completed:
                continue
            if sp_diff is None:
                report.refusals.append(
                    f"the running sub-process '{subprocess.spec.name}' is not called by version "
                    f"{target.version}"
                )
                continue
            for task in sp_diff.removed:
                if task.has_state(ACTIVE):
                    report.refusals.append(
                        f"the active step {_label(task.task_spec)} of '{subprocess.spec.name}' "
                        f"does not exist in version {target.version}"
                    )
        report.possible = not report.refusals
        if dry_run:
            return report
        if not report.possible:
            raise Conflict(
                Message(
                    "the instance cannot be migrated: %(reasons)s",
                    reasons="; ".join(report.refusals),
                ),
                instance_id=instance_id,
                details=report.to_json(),
            )
        carried = self._open_assignments(session, instance_id)
        migrate_workflow(top_diff, workflow, new_loaded.spec)
        for sp_id, sp_diff in sub_diffs.items():
            subprocess = workflow.subprocesses[sp_id]
            if sp_diff is not None and not subprocess.completed:
                migrate_workflow(
                    sp_diff, subprocess, new_loaded.subprocess_specs[subprocess.spec.name]
                )
        workflow.subprocess_specs = new_loaded.subprocess_specs
        runtime = ProcessRuntime(new_loaded, workflow)
        if row.status == "running":
            runtime.step()
        row.definition_id = target.id
        created = persistence.save(
            self.ctx,
            session,
            row,
            runtime,
            seen_version=opened.seen_version,
            actor=actor.id,
            action="migrate",
            data={
                "from_definition_id": current.id,
                "to_definition_id": target.id,
                "from_version": current.version,
                "to_version": target.version,
            },
        )
        for new_row in created:
            previous = carried.get(new_row.spec_id)
            if previous is not None:
                new_row.created_at = previous.created_at
                new_row.due_at = new_row.due_at or previous.due_at
                if previous.state == "claimed":
                    new_row.state = "claimed"
                    new_row.assignee = previous.assignee
                    new_row.claimed_at = previous.claimed_at
                    new_row.claimed_by = previous.claimed_by
        session.flush()
        return report

    # Every instance of a process --------------------------------------------------------------
    def plan(self, session: Session, key: str, actor: Actor) -> MigrationPlan:
        """The dry run for every running or suspended instance of ``key`` on an older
        version than the newest: which can move and, for each that cannot, why."""
        target = self.definitions.latest(session, key)
        rows = session.execute(
            select(ProcessInstance.id, ProcessInstance.definition_id)
            .where(
                ProcessInstance.definition_key == key,
                ProcessInstance.status.in_(("running", "suspended")),
                ProcessInstance.definition_id != target.id,
            )
            .order_by(ProcessInstance.id)
        ).all()
        plan = MigrationPlan(key=key, to_definition_id=target.id, to_version=target.version)
        for instance_id, _definition_id in rows:
            try:
                report = self.migrate(session, instance_id, target.id, actor=actor, dry_run=True)
            except Forbidden:
                raise
            except EngineError as exc:
                report = _refused(instance_id, target, str(exc), dry_run=True)
            plan.reports.append(report)
        return plan

    def migrate_many(
        self, key: str, actor: Actor, instance_ids: list[int] | None = None
    ) -> MigrationPlan:
        """Move the given instances of ``key`` (None: every one that can) to its newest
        version, each in a transaction of its own; the reports say what moved and why the
        others did not (a refused instance is untouched)."""
        with self.ctx.db.read() as session:
            planned = self.plan(session, key, actor)
        by_id = {report.instance_id: report for report in planned.reports}
        chosen = (
            [r.instance_id for r in planned.reports if r.possible]
            if instance_ids is None
            else list(dict.fromkeys(instance_ids))
        )
        result = MigrationPlan(
            key=key, to_definition_id=planned.to_definition_id, to_version=planned.to_version
        )
        for instance_id in chosen:
            dry = by_id.get(instance_id)
            if dry is None:
                result.reports.append(
                    _refused(
                        instance_id,
                        None,
                        f"process instance {instance_id} is not a running instance of "
                        f"'{key}' on an older version",
                        dry_run=False,
                        to=(planned.to_definition_id, planned.to_version),
                    )
                )
                continue
            if not dry.possible:
                result.reports.append(dry.refused())
                continue
            try:
                with self.ctx.db.write() as session:
                    report = self.migrate(
                        session, instance_id, planned.to_definition_id, actor=actor
                    )
            except EngineError as exc:
                report = dry.refused(str(exc.message))
            result.reports.append(report)
        return result

    def _open_assignments(self, session: Session, instance_id: int) -> dict[str, _Carried]:
        """Snapshot of the open tasks, to carry claims over to the re-created tasks."""
        rows = session.execute(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.state.in_(OPEN_STATES)
            )
        ).scalars()
        return {
            row.spec_id: _Carried(
                row.state, row.assignee, row.claimed_at, row.claimed_by, row.created_at, row.due_at
            )
            for row in rows
        }


@dataclass(frozen=True)
class _Carried:
    state: str
    assignee: str | None
    claimed_at: datetime | None
    claimed_by: str | None
    created_at: datetime
    due_at: datetime | None
