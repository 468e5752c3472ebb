"""Process instances: start, read, list, cancel, suspend and resume."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import audit, clock, persistence
from .authorization import Actor
from .context import EngineContext
from .definitions import DefinitionService
from .errors import Conflict, EngineError, Forbidden, InvalidData, NotFound
from .messages import Message
from .models import OPEN_STATES, HumanTask, ProcessInstance
from .run_bounds import RunBoundExceeded, RunBudget
from .runtime import ProcessRuntime
from .scripting import RunContext
from .serialization import STATE_FORMAT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstanceInfo:
    id: int
    definition_id: int
    definition_key: str
    business_key: str | None
    organisation: str | None
    status: str
    version: int
    next_timer_at: datetime | None
    started_by: str
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    state_bytes: int
    #: ``message:NAME`` / ``signal:NAME`` entries the instance waits for.
    waiting_for: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: ProcessInstance) -> InstanceInfo:
        return cls(
            id=row.id,
            definition_id=row.definition_id,
            definition_key=row.definition_key,
            business_key=row.business_key,
            organisation=row.organisation,
            status=row.status,
            version=row.version,
            next_timer_at=row.next_timer_at,
            started_by=row.started_by,
            started_at=row.started_at,
            updated_at=row.updated_at,
            ended_at=row.ended_at,
            state_bytes=len(row.state or b""),
            waiting_for=tuple(row.waiting_for or ()),
        )


@dataclass
class OpenInstance:
    """An instance row loaded for a mutation, with its workflow restored."""

    row: ProcessInstance
    seen_version: int
    runtime: ProcessRuntime
    run: RunContext


def status_refusal(instance_id: int, status: str) -> Message:
    """Why an instance in ``status`` refuses the action (one whole sentence per status)."""
    if status == "suspended":
        return Message("process instance %(instance)s is suspended", instance=instance_id)
    if status == "completed":
        return Message("process instance %(instance)s is completed", instance=instance_id)
    if status == "cancelled":
        return Message("process instance %(instance)s is cancelled", instance=instance_id)
    if status == "running":
        return Message("process instance %(instance)s is running", instance=instance_id)
    if status == "failed":
        return Message(
            "process instance %(instance)s has failed and no longer runs", instance=instance_id
        )
    return Message(
        "process instance %(instance)s is %(status)s", instance=instance_id, status=status
    )


def _check_data(data: Mapping[str, Any] | None) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InvalidData(Message("process data must be a JSON object"))
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise InvalidData(
                Message(
                    "'%(key)s' is not a valid variable name (letters, digits and _, not "
                    "starting with _ or a digit)",
                    key=key,
                )
            )
    return dict(data)


@dataclass(frozen=True)
class StartEvent:
    """A message or signal that starts a process: what its start event is given."""

    kind: str
    name: str
    event: Any  # SpiffWorkflow's BpmnEvent
    payload: Any


class InstanceService:
    def __init__(self, ctx: EngineContext, definitions: DefinitionService) -> None:
        self.ctx = ctx
        self.definitions = definitions

    # Loading -------------------------------------------------------------------------------
    def open(
        self, session: Session, instance_id: int, *, require_running: bool = True
    ) -> OpenInstance:
        row = session.get(ProcessInstance, instance_id)
        if row is None:
            raise NotFound(
                Message("no process instance %(instance)s", instance=instance_id),
                instance_id=instance_id,
            )
        if require_running and row.status != "running":
            raise Conflict(status_refusal(instance_id, row.status), instance_id=instance_id)
        loaded = self.definitions.loaded_by_id(session, row.definition_id)
        run = RunContext(
            instance_id=row.id,
            process_key=row.definition_key,
            business_key=row.business_key,
            session=session,
            budget=RunBudget(self.ctx.limits, row.id),
        )
        runtime = ProcessRuntime.restore(
            loaded, self.ctx.serializer, row.state, self.ctx.script_engine(run)
        )
        return OpenInstance(row=row, seen_version=row.version, runtime=runtime, run=run)

    # Mutations -------------------------------------------------------------------------------
    def start(
        self,
        session: Session,
        key: str,
        *,
        actor: Actor,
        business_key: str | None = None,
        data: Mapping[str, Any] | None = None,
        organisation: str | None = None,
        labels: Mapping[str, Any] | None = None,
        version: int | None = None,
        event: StartEvent | None = None,
    ) -> ProcessInstance:
        """Start an instance of the newest (or the given) version of ``key``.

        ``event``: the message or signal its start event waits for, given once the start
        event waits (a process started by a message); None for a plain start.
        """
        reason = self.ctx.authorizer.refuse_start(actor, key)
        if reason:
            raise Forbidden(reason)
        variables = _check_data(data)
        definition = self.definitions.latest(session, key, version)
        loaded = self.definitions.loaded(session, definition)
        now = clock.now()
        row = ProcessInstance(
            definition_id=definition.id,
            definition_key=definition.key,
            business_key=business_key,
            organisation=organisation,
            status="running",
            state=b"",
            state_format=STATE_FORMAT,
            version=1,
            started_by=actor.id,
            started_at=now,
            updated_at=now,
            audit_seq=0,
            labels=dict(labels or {}),
        )
        session.add(row)
        session.flush()
        run = RunContext(
            instance_id=row.id,
            process_key=key,
            business_key=business_key,
            session=session,
            budget=RunBudget(self.ctx.limits, row.id),
        )
        runtime = ProcessRuntime.create(loaded, self.ctx.script_engine(run), variables)
        runtime.step()
        audited: dict[str, Any] = {
            "definition_id": definition.id,
            "version": definition.version,
            "business_key": business_key,
            "data": variables,
        }
        if event is not None:
            if not runtime.catch(event.event):
                raise Conflict(
                    Message(
                        "process '%(key)s' does not start with the %(kind)s '%(name)s'",
                        key=key,
                        kind=event.kind,
                        name=event.name,
                    )
                )
            runtime.step()
            audited[event.kind] = {"name": event.name, "payload": event.payload}
        persistence.save(
            self.ctx,
            session,
            row,
            runtime,
            seen_version=None,
            actor=actor.id,
            action="start",
            data=audited,
            labels=dict(labels or {}),
        )
        return row

    def cancel(
        self, session: Session, instance_id: int, *, actor: Actor, reason: str
    ) -> ProcessInstance:
        opened = self._open_managed(session, instance_id, actor, allow_suspended=True)
        opened.runtime.cancel()
        persistence.save(
            self.ctx,
            session,
            opened.row,
            opened.runtime,
            seen_version=opened.seen_version,
            actor=actor.id,
            action="cancel",
            data={"reason": reason},
            changes={
                "status": "cancelled",
                "ended_at": clock.now(),
                "next_timer_at": None,
                "waiting_for": None,
            },
        )
        return opened.row

    def suspend(
        self, session: Session, instance_id: int, *, actor: Actor, reason: str
    ) -> ProcessInstance:
        row = self._managed_row(session, instance_id, actor)
        if row.status != "running":
            raise Conflict(status_refusal(instance_id, row.status), instance_id=instance_id)
        return self._set_status(session, row, "suspended", actor, "suspend", reason)

    def resume(
        self, session: Session, instance_id: int, *, actor: Actor, reason: str | None = None
    ) -> ProcessInstance:
        row = self._managed_row(session, instance_id, actor)
        if row.status != "suspended":
            raise Conflict(status_refusal(instance_id, row.status), instance_id=instance_id)
        return self._set_status(session, row, "running", actor, "resume", reason)

    def fail_alone(self, instance_id: int | None, error: RunBoundExceeded) -> bool:
        """:meth:`fail` in a transaction of its own, after the run's was rolled back."""
        if instance_id is None:
            return False
        try:
            with self.ctx.db.write() as session:
                return self.fail(session, instance_id, error)
        except EngineError:
            log.exception("could not mark instance %s failed", instance_id)
            return False

    def fail(self, session: Session, instance_id: int, error: RunBoundExceeded) -> bool:
        """Mark an instance ``failed`` after a run of it hit a bound (the transaction of that
        run was rolled back: this is a new one). Its open steps are cancelled and nothing
        fires for it any more; the audit log says which bound and where. False when the
        instance does not exist (a start rolled back) or has ended meanwhile."""
        row = session.get(ProcessInstance, instance_id)
        if row is None or row.status not in ("running", "suspended"):
            return False
        now = clock.now()
        event = audit.instance_event(
            row,
            actor="system",
            action="fail",
            data={"error": str(error), "bound": error.bound, "element_id": error.element_id},
        )
        persistence.update_instance(
            session,
            row,
            row.version,
            event=event,
            status="failed",
            updated_at=now,
            ended_at=now,
            next_timer_at=None,
            waiting_for=None,
        )
        session.execute(
            update(HumanTask)
            .where(HumanTask.instance_id == instance_id, HumanTask.state.in_(OPEN_STATES))
            .values(state="cancelled", completed_at=now)
        )
        return True

    def _managed_row(self, session: Session, instance_id: int, actor: Actor) -> ProcessInstance:
        row = session.get(ProcessInstance, instance_id)
        if row is None:
            raise NotFound(
                Message("no process instance %(instance)s", instance=instance_id),
                instance_id=instance_id,
            )
        refusal = self.ctx.authorizer.refuse_manage_instance(actor, row.organisation)
        if refusal:
            raise Forbidden(refusal, instance_id=instance_id)
        return row

    def _open_managed(
        self, session: Session, instance_id: int, actor: Actor, *, allow_suspended: bool
    ) -> OpenInstance:
        row = self._managed_row(session, instance_id, actor)
        if row.status not in (("running", "suspended") if allow_suspended else ("running",)):
            raise Conflict(status_refusal(instance_id, row.status), instance_id=instance_id)
        return self.open(session, instance_id, require_running=False)

    def _set_status(
        self,
        session: Session,
        row: ProcessInstance,
        status: str,
        actor: Actor,
        action: str,
        reason: str | None,
    ) -> ProcessInstance:
        event = audit.instance_event(row, actor=actor.id, action=action, data={"reason": reason})
        persistence.update_instance(
            session, row, row.version, event=event, status=status, updated_at=clock.now()
        )
        session.flush()
        return row

    # Reading -----------------------------------------------------------------------------------
    def get(self, session: Session, instance_id: int) -> ProcessInstance:
        row = session.get(ProcessInstance, instance_id)
        if row is None:
            raise NotFound(
                Message("no process instance %(instance)s", instance=instance_id),
                instance_id=instance_id,
            )
        return row

    def data(self, session: Session, instance_id: int) -> dict[str, Any]:
        return self.open(session, instance_id, require_running=False).runtime.data()

    def list(
        self,
        session: Session,
        *,
        key: str | None = None,
        status: str | None = None,
        business_key: str | None = None,
        organisation: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ProcessInstance]:
        query = select(ProcessInstance).order_by(ProcessInstance.id.desc())
        if key:
            query = query.where(ProcessInstance.definition_key == key)
        if status:
            query = query.where(ProcessInstance.status == status)
        if business_key:
            query = query.where(ProcessInstance.business_key == business_key)
        if organisation:
            query = query.where(ProcessInstance.organisation == organisation)
        query = query.limit(max(1, min(limit, 1000))).offset(max(0, offset))
        return list(session.execute(query).scalars())
