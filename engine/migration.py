"""Moving a running instance to another version of its definition.

SpiffWorkflow's spec diff aligns the old and new task specs by BPMN id (and by structure where
ids changed). A migration is refused, with the reason, when a task that is active now (a user
task waiting for someone, a timer or message being waited for, a running call activity) has
no counterpart in the target version: the person working on it would lose it. A dry run
reports what would happen without writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import persistence
from .authorization import Actor
from .context import EngineContext
from .definitions import DefinitionService
from .errors import Conflict, Forbidden, InvalidData
from .instances import InstanceService, status_refusal
from .messages import Message
from .models import OPEN_STATES, HumanTask
from .runtime import ProcessRuntime

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


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
        refusal = self.ctx.authorizer.refuse_manage_instance(actor, row.organisation)
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
