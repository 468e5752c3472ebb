"""Firing due timers exactly once, however many runners poll at the same time.

Each instance row carries ``next_timer_at``, its earliest waiting timer. A runner claims one
due row at a time: on PostgreSQL with ``SELECT ... FOR UPDATE SKIP LOCKED`` inside the
transaction that fires it; on SQLite (one writer at a time) by setting a short lease in one
transaction and firing in the next, so a runner that dies mid-way only delays the timer
until its lease expires. Firing refreshes the workflow's timers, runs the engine and saves
the step through the usual optimistic lock.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from . import audit, clock, persistence
from .context import EngineContext
from .errors import Conflict, EngineError
from .instances import InstanceService
from .models import ProcessInstance
from .run_bounds import RunBoundExceeded

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
RETRY_AFTER = timedelta(minutes=10)


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class TimerRun:
    """What one call of :meth:`TimerService.fire_due` did."""

    fired: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    skipped: int = 0


def _due(now: datetime) -> list:
    return [
        ProcessInstance.status == "running",
        ProcessInstance.next_timer_at.is_not(None),
        ProcessInstance.next_timer_at <= now,
    ]


class TimerService:
    def __init__(self, ctx: EngineContext, instances: InstanceService) -> None:
        self.ctx = ctx
        self.instances = instances

    def fire_due(
        self, now: datetime | None = None, *, limit: int = 100, runner: str | None = None
    ) -> TimerRun:
        moment = clock.as_utc(now) if now is not None else clock.now()
        runner = runner or runner_name()
        result = TimerRun()
        done: set[int] = set()
        with clock.frozen_at(moment):
            while len(done) < limit:
                if self.ctx.db.is_sqlite:
                    instance_id = self._lease_one(moment, runner, done)
                    if instance_id is None:
                        break
                    done.add(instance_id)
                    self._fire_leased(instance_id, moment, runner, result)
                else:
                    instance_id = self._fire_one_locked(moment, done, result)
                    if instance_id is None:
                        break
                    done.add(instance_id)
        return result

    # PostgreSQL --------------------------------------------------------------------------------
    def _fire_one_locked(self, now: datetime, done: set[int], result: TimerRun) -> int | None:
        claimed: int | None = None
        try:
            with self.ctx.db.write() as session:
                query = (
                    select(ProcessInstance)
                    .where(*_due(now))
                    .order_by(ProcessInstance.next_timer_at)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
                if done:
                    query = query.where(ProcessInstance.id.not_in(done))
                row = session.execute(query).scalar_one_or_none()
                if row is None:
                    return None
                claimed = row.id
                self._fire(session, row.id)
            result.fired.append(claimed)
            return claimed
        except EngineError as exc:
            if claimed is None:
                raise
            exc.instance_id = exc.instance_id or claimed
            self._record_failure(claimed, now, exc, result)
            return claimed

    # SQLite ------------------------------------------------------------------------------------
    def _lease_one(self, now: datetime, runner: str, done: set[int]) -> int | None:
        with self.ctx.db.write() as session:
            query = (
                select(ProcessInstance.id)
                .where(
                    *_due(now),
                    or_(
                        ProcessInstance.timer_lease_until.is_(None),
                        ProcessInstance.timer_lease_until < now,
                    ),
                )
                .order_by(ProcessInstance.next_timer_at)
                .limit(1)
            )
            if done:
                query = query.where(ProcessInstance.id.not_in(done))
            instance_id = session.execute(query).scalar_one_or_none()
            if instance_id is None:
                return None
            session.execute(
                update(ProcessInstance)
                .where(ProcessInstance.id == instance_id)
                .values(timer_lease_until=now + LEASE, timer_lease_owner=runner)
            )
            return int(instance_id)

    def _fire_leased(self, instance_id: int, now: datetime, runner: str, result: TimerRun) -> None:
        try:
            with self.ctx.db.write() as session:
                row = session.get(ProcessInstance, instance_id)
                if row is None or row.timer_lease_owner != runner:
                    result.skipped += 1
                    return
                row.timer_lease_until = None
                row.timer_lease_owner = None
                if not (row.status == "running" and row.next_timer_at and row.next_timer_at <= now):
                    result.skipped += 1
                    return
                self._fire(session, instance_id)
            result.fired.append(instance_id)
        except EngineError as exc:
            exc.instance_id = exc.instance_id or instance_id
            self._record_failure(instance_id, now, exc, result)

    # Both --------------------------------------------------------------------------------------
    def _fire(self, session: Session, instance_id: int) -> None:
        opened = self.instances.open(session, instance_id)
        due = opened.runtime.fired_timers()
        opened.runtime.step()
        persistence.save(
            self.ctx,
            session,
            opened.row,
            opened.runtime,
            seen_version=opened.seen_version,
            actor="system",
            action="timer",
            data={"timers": due},
        )

    def _record_failure(
        self, instance_id: int, now: datetime, exc: EngineError, result: TimerRun
    ) -> None:
        """Keep the instance as it was, note the error, and retry it later (not in a loop)."""
        result.failed[instance_id] = str(exc)
        log.warning("timer of instance %s failed: %s", instance_id, exc)
        if isinstance(exc, RunBoundExceeded):
            self.instances.fail_alone(instance_id, exc)  # retrying would run away again
            return
        if isinstance(exc, Conflict):
            return  # someone else changed it meanwhile; the next poll sees the new state
        try:
            with self.ctx.db.write() as session:
                row = session.get(ProcessInstance, instance_id)
                if row is None:
                    return
                event = audit.instance_event(
                    row,
                    actor="system",
                    action="timer_failed",
                    data={"error": str(exc), "element_id": exc.element_id},
                )
                persistence.update_instance(
                    session,
                    row,
                    row.version,
                    event=event,
                    timer_lease_until=None,
                    timer_lease_owner=None,
                    next_timer_at=now + RETRY_AFTER,
                )
        except EngineError:
            log.exception("could not record the timer failure of instance %s", instance_id)
