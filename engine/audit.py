"""The append-only, hash-chained audit log.

Each event belongs to a stream ("instance:42", "definition:key"); its hash covers its own
fields and the previous event's hash, and the instance row keeps the head of its chain. So
editing, deleting or reordering events, or cutting off the newest ones, is detected by
:func:`verify`. The database also refuses UPDATE and DELETE on ``audit_event`` (triggers
created by the migration); the hash chain catches what someone with raw access does anyway.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .models import AuditEvent, ProcessInstance


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(
    *,
    stream: str,
    seq: int,
    instance_id: int | None,
    task_id: str | None,
    actor: str,
    action: str,
    data: dict[str, Any],
    at: datetime,
    prev_hash: str | None,
) -> str:
    payload = _canonical(
        {
            "stream": stream,
            "seq": seq,
            "instance_id": instance_id,
            "task_id": task_id,
            "actor": actor,
            "action": action,
            "data": data,
            "at": clock.as_utc(at).isoformat(timespec="microseconds"),
            "prev": prev_hash,
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _json_safe(data: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(_canonical(data or {}))


def instance_event(
    instance: ProcessInstance,
    *,
    actor: str,
    action: str,
    task_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """The next event of the instance's chain (not yet added to any session).

    The caller stores it together with the instance's new ``audit_seq``/``audit_head`` in the
    same versioned update (:func:`engine.persistence.update_instance`), so the chain of an
    instance is extended by one writer at a time.
    """
    return _build(
        stream=f"instance:{instance.id}",
        seq=(instance.audit_seq or 0) + 1,
        instance_id=instance.id,
        task_id=task_id,
        actor=actor,
        action=action,
        data=data,
        prev_hash=instance.audit_head,
    )


def append_stream_event(
    session: Session,
    stream: str,
    *,
    actor: str,
    action: str,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append to a stream that has no instance row (deployments, administration).

    Two writers racing on one stream collide on the unique (stream, seq) key; the loser's
    transaction fails instead of forking the chain.
    """
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.stream == stream)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    event = _build(
        stream=stream,
        seq=(last.seq if last else 0) + 1,
        instance_id=None,
        task_id=None,
        actor=actor,
        action=action,
        data=data,
        prev_hash=last.hash if last else None,
    )
    session.add(event)
    return event


def _build(
    *,
    stream: str,
    seq: int,
    instance_id: int | None,
    task_id: str | None,
    actor: str,
    action: str,
    data: dict[str, Any] | None,
    prev_hash: str | None,
) -> AuditEvent:
    at = clock.record_time()
    safe = _json_safe(data)
    digest = event_hash(
        stream=stream,
        seq=seq,
        instance_id=instance_id,
        task_id=task_id,
        actor=actor,
        action=action,
        data=safe,
        at=at,
        prev_hash=prev_hash,
    )
    return AuditEvent(
        stream=stream,
        seq=seq,
        instance_id=instance_id,
        task_id=task_id,
        actor=actor,
        action=action,
        data=safe,
        at=at,
        prev_hash=prev_hash,
        hash=digest,
    )


@dataclass(frozen=True)
class AuditReport:
    """Result of checking one stream: ``ok`` or the first event where the chain breaks."""

    stream: str
    events: int
    ok: bool
    problem: str | None = None
    broken_seq: int | None = None


def verify(session: Session, stream: str, expected_head: str | None = None) -> AuditReport:
    events = (
        session.execute(
            select(AuditEvent).where(AuditEvent.stream == stream).order_by(AuditEvent.seq)
        )
        .scalars()
        .all()
    )
    prev: str | None = None
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return AuditReport(
                stream,
                len(events),
                False,
                f"event {expected_seq} is missing (found {event.seq} next)",
                expected_seq,
            )
        if event.prev_hash != prev:
            return AuditReport(
                stream,
                len(events),
                False,
                f"event {event.seq} does not link to the event before it",
                event.seq,
            )
        recomputed = event_hash(
            stream=event.stream,
            seq=event.seq,
            instance_id=event.instance_id,
            task_id=event.task_id,
            actor=event.actor,
            action=event.action,
            data=event.data,
            at=event.at,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            return AuditReport(
                stream,
                len(events),
                False,
                f"event {event.seq} ({event.action}) was altered after it was written",
                event.seq,
            )
        prev = event.hash
    if expected_head is not None and prev != expected_head:
        return AuditReport(
            stream,
            len(events),
            False,
            "the newest events of this instance are missing (the chain ends early)",
            len(events) + 1,
        )
    return AuditReport(stream, len(events), True)


def verify_instance(session: Session, instance: ProcessInstance) -> AuditReport:
    return verify(session, f"instance:{instance.id}", expected_head=instance.audit_head)
