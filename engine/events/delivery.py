"""Delivering a message or broadcasting a signal to the instances that wait for it.

Receivers are found from ``waiting_for`` (one indexed query, no workflow opened for
nothing). Each receiver is then one transaction of its own under the optimistic lock:
its workflow catches the event, runs on, and the step is saved and audited (action
``message`` or ``signal``), so one instance that fails or loses a race never undoes the
delivery to the others. A message is correlated by name and correlation key (the
instance's business key); without a key it must be unambiguous. When no running instance
waits, a deployed process whose start event waits for it is started instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import persistence
from ..authorization import Actor
from ..context import EngineContext
from ..definitions import DefinitionService
from ..errors import Conflict, EngineError, Forbidden, InvalidData, NotFound
from ..instances import InstanceService, StartEvent
from ..messages import Message
from ..models import Definition, ProcessInstance
from ..run_bounds import RunBoundExceeded
from .waiting import KINDS, entry_of, start_events, subscription, waiting_definitions

log = logging.getLogger(__name__)

MAX_NAME = 200
#: A lost race is retried this many times before the instance counts as failed.
RETRIES = 2


@dataclass
class Delivery:
    """What one delivery did: which instances caught it, which were started by it."""

    kind: str
    name: str
    correlation_key: str | None
    received: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    #: Processes whose start event waits for it but that could not be started, and why.
    not_started: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "correlation_key": self.correlation_key,
            "received": list(self.received),
            "started": list(self.started),
            "failed": {str(key): value for key, value in self.failed.items()},
            "not_started": dict(self.not_started),
        }


def _check(kind: str, name: Any, key: Any, payload: Any) -> dict[str, Any]:
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind}")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise InvalidData(
            Message("the %(kind)s needs a name of 1 to %(max)s characters", kind=kind, max=MAX_NAME)
        )
    if key is not None and (not isinstance(key, str) or not key or len(key) > MAX_NAME):
        raise InvalidData(
            Message("the correlation key must be text of 1 to %(max)s characters", max=MAX_NAME)
        )
    if payload is None:
        return {}
    if not isinstance(payload, Mapping) or not all(isinstance(k, str) for k in payload):
        raise InvalidData(Message("the data of a message or signal must be a JSON object"))
    return dict(payload)


def _nothing_waits(kind: str, name: str, key: str | None) -> Message:
    if kind == "signal":
        return Message(
            "no process waits for the signal '%(name)s' and none starts with it", name=name
        )
    if key is None:
        return Message(
            "no process waits for the message '%(name)s' and none starts with it", name=name
        )
    return Message(
        "no process with the correlation key '%(key)s' waits for the message '%(name)s', "
        "and none starts with it",
        name=name,
        key=key,
    )


class EventService:
    def __init__(
        self, ctx: EngineContext, definitions: DefinitionService, instances: InstanceService
    ) -> None:
        self.ctx = ctx
        self.definitions = definitions
        self.instances = instances

    def deliver(
        self,
        kind: str,
        name: str,
        *,
        actor: Actor,
        correlation_key: str | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> Delivery:
        """Deliver ``kind`` ``name`` to every instance it correlates with (NotFound when
        none waits and no process starts with it; Conflict when every receiver failed)."""
        data = _check(kind, name, correlation_key, payload)
        refusal = self.ctx.authorizer.refuse_send_event(actor, kind, name)
        if refusal:
            raise Forbidden(refusal)
        key = correlation_key if kind == "message" else None
        result = Delivery(kind=kind, name=name, correlation_key=key)
        receivers = self._receivers(kind, name, key)
        if kind == "message" and key is None and len(receivers) > 1:
            raise Conflict(
                Message(
                    "%(count)s processes wait for the message '%(name)s'; give a correlation "
                    "key to say which",
                    count=len(receivers),
                    name=name,
                ),
                details=[{"instance_id": instance_id} for instance_id in receivers],
            )
        for instance_id in receivers:
            self._deliver_to(instance_id, kind, name, key, data, actor, result)
        if not result.received and not result.failed:
            self._start_processes(kind, name, key, data, actor, result)
        if not result.received and not result.started:
            problems = [*result.failed.values(), *result.not_started.values()]
            if problems:
                first = problems[0]
                raise Conflict(
                    Message(
                        "no process could take the %(kind)s '%(name)s': %(problem)s",
                        kind=kind,
                        name=name,
                        problem=first,
                    ),
                    details=[
                        {"instance_id": instance_id, "message": problem}
                        for instance_id, problem in result.failed.items()
                    ]
                    + [
                        {"process": key, "message": problem}
                        for key, problem in result.not_started.items()
                    ],
                )
            raise NotFound(_nothing_waits(kind, name, key))
        return result

    # Receivers ---------------------------------------------------------------------------------
    def _receivers(self, kind: str, name: str, key: str | None) -> list[int]:
        entry = subscription(kind, name)
        query = select(ProcessInstance.id, ProcessInstance.waiting_for).where(
            ProcessInstance.waiting_for.is_not(None), ProcessInstance.status == "running"
        )
        if key is not None:
            query = query.where(ProcessInstance.business_key == key)
        with self.ctx.db.read() as session:
            rows = session.execute(query.order_by(ProcessInstance.id)).all()
        return [row.id for row in rows if entry in (row.waiting_for or ())]

    def _deliver_to(
        self,
        instance_id: int,
        kind: str,
        name: str,
        key: str | None,
        data: dict[str, Any],
        actor: Actor,
        result: Delivery,
    ) -> None:
        for attempt in range(RETRIES + 1):
            try:
                with self.ctx.db.write() as session:
                    caught = self._catch(session, instance_id, kind, name, key, data, actor)
            except Conflict as exc:
                if attempt < RETRIES:
                    continue  # someone moved the instance meanwhile: look again
                result.failed[instance_id] = str(exc)
                return
            except RunBoundExceeded as exc:
                self.instances.fail_alone(instance_id, exc)
                result.failed[instance_id] = str(exc)
                return
            except EngineError as exc:
                log.warning("%s '%s' to instance %s failed: %s", kind, name, instance_id, exc)
                result.failed[instance_id] = str(exc)
                return
            if caught:
                result.received.append(instance_id)
            return

    def _catch(
        self,
        session: Session,
        instance_id: int,
        kind: str,
        name: str,
        key: str | None,
        data: dict[str, Any],
        actor: Actor,
    ) -> bool:
        opened = self.instances.open(session, instance_id)
        runtime = opened.runtime
        entry = subscription(kind, name)
        event = None
        for task, definition in waiting_definitions(runtime.workflow):
            if entry_of(definition) == entry:
                event = _event(task, definition, data)
                break
        if event is None or not runtime.catch(event):
            return False  # it moved on meanwhile, or its correlation does not match
        opened.run.actor = actor.id
        runtime.step()
        persistence.save(
            self.ctx,
            session,
            opened.row,
            runtime,
            seen_version=opened.seen_version,
            actor=actor.id,
            action=kind,
            data={"name": name, "correlation_key": key, "payload": data},
        )
        return True

    # Start events --------------------------------------------------------------------------
    def _start_processes(
        self,
        kind: str,
        name: str,
        key: str | None,
        data: dict[str, Any],
        actor: Actor,
        result: Delivery,
    ) -> None:
        for process_key in self._started_by(kind, name):
            try:
                with self.ctx.db.write() as session:
                    definition = self.definitions.latest(session, process_key)
                    loaded = self.definitions.loaded(session, definition)
                    start = next(
                        spec
                        for spec, start_kind, start_name in start_events(loaded.spec)
                        if (start_kind, start_name) == (kind, name)
                    )
                    event = BpmnEvent(start.event_definition, payload=data)
                    row = self.instances.start(
                        session,
                        process_key,
                        actor=actor,
                        business_key=key,
                        version=definition.version,
                        event=StartEvent(kind=kind, name=name, event=event, payload=data),
                    )
                    result.started.append(row.id)
            except EngineError as exc:
                log.warning("%s '%s' could not start '%s': %s", kind, name, process_key, exc)
                result.not_started[process_key] = str(exc)

    def _started_by(self, kind: str, name: str) -> list[str]:
        """Keys of the processes whose newest version starts with ``kind`` ``name``."""
        found = []
        with self.ctx.db.read() as session:
            keys = session.execute(
                select(Definition.key).where(Definition.kind == "bpmn").distinct()
            ).scalars()
            for process_key in sorted(keys):
                newest = self.definitions.latest(session, process_key)
                loaded = self.definitions.loaded(session, newest)
                if any((k, n) == (kind, name) for _spec, k, n in start_events(loaded.spec)):
                    found.append(process_key)
        return found


def _event(task: Any, definition: Any, data: dict[str, Any]) -> BpmnEvent:
    """The event as SpiffWorkflow catches it: a message carries the correlations its
    properties compute from the payload (the instance compares them with its own)."""
    correlations = {}
    if getattr(definition, "correlation_properties", None):
        correlations = definition.get_correlations(task, data)
    return BpmnEvent(definition, payload=data, correlations=correlations)
