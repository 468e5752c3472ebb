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
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from . import audit, clock, persistence
from .context import EngineContext
from .errors import Conflict, EngineError
from .instances import InstanceService
from .models import OPEN_STATES, HumanTask, ProcessInstance
from .run_bounds import RunBoundExceeded

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
RETRY_AFTER = timedelta(minutes=10)
#: Instances fired per transaction: one commit (and, on SQLite, one lease round trip) for the
#: whole batch instead of two per instance. Each instance fires in its own savepoint, so one
#: failing instance never undoes the others.
BATCH_POSTGRESQL = 25
BATCH_SQLITE = 10
#: An instance still due after this many firings in one run (a cycle timer far behind, or a
#: model that re-arms in the past) waits for the next run instead of holding this one.
MAX_FIRINGS_PER_RUN = 20


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class TimerRun:
    """What one call of :meth:`TimerService.fire_due` did."""

    fired: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    skipped: int = 0
    #: Whether timers were still due when the run stopped at its ``limit``.
    more_due: bool = False


def _due(now: datetime) -> list:
    return [
        ProcessInstance.status == "running",
        ProcessInstance.next_timer_at.is_not(None),
        ProcessInstance.next_timer_at <= now,
    ]


def _open_tasks(session: Session, instance_ids: list[int]) -> dict[int, list[HumanTask]]:
    """The open task rows of a batch's instances, in one read instead of one per instance.

    Only an instance's own step changes its task rows, so what is read here before the
    batch fires is what each instance's save would have read.
    """
    found: dict[int, list[HumanTask]] = {}
    if instance_ids:
        query = select(HumanTask).where(
            HumanTask.instance_id.in_(instance_ids), HumanTask.state.in_(OPEN_STATES)
        )
        for row in session.execute(query).scalars():
            found.setdefault(row.instance_id, []).append(row)
    return found


class TimerService:
    def __init__(self, ctx: EngineContext, instances: InstanceService) -> None:
        self.ctx = ctx
        self.instances = instances

    def fire_due(
        self,
        now: datetime | None = None,
        *,
        limit: int | None = None,
        runner: str | None = None,
    ) -> TimerRun:
        """Fire every timer due at ``now`` (default: the running clock), until none is due.

        With ``now`` given the run is a simulation "as of" that moment: timers are decided at
        ``now``, audit events are stamped with the real time and carry ``as_of``. ``limit``
        caps the instances handled (``more_due`` then says whether work was left).
        """
        as_of = clock.as_utc(now) if now is not None else None
        runner = runner or runner_name()
        result = TimerRun()
        firings: dict[int, int] = {}
        held_back: set[int] = set()  # small: only instances that stay due after firing
        batch = BATCH_SQLITE if self.ctx.db.is_sqlite else BATCH_POSTGRESQL
        with clock.evaluating_as_of(as_of) if as_of is not None else nullcontext():
            while True:
                handled = len(result.fired) + len(result.failed) + result.skipped
                room = batch if limit is None else min(batch, limit - handled)
                if room <= 0:
                    result.more_due = self._any_due(clock.now(), held_back)
                    break
                moment = clock.now()
                if self.ctx.db.is_sqlite:
                    claimed = self._lease(moment, runner, held_back, room)
                    if not claimed:
                        break
                    self._fire_leased(claimed, moment, runner, as_of, result)
                else:
                    claimed = self._fire_locked(moment, held_back, room, as_of, result)
                    if not claimed:
                        break
                for instance_id in claimed:
                    firings[instance_id] = firings.get(instance_id, 0) + 1
                    if firings[instance_id] >= MAX_FIRINGS_PER_RUN:
                        held_back.add(instance_id)
        return result

    def _any_due(self, now: datetime, held_back: set[int]) -> bool:
        with self.ctx.db.read() as session:
            query = select(ProcessInstance.id).where(*_due(now)).limit(1)
            if held_back:
                query = query.where(ProcessInstance.id.not_in(held_back))
            return session.execute(query).first() is not None

    # PostgreSQL --------------------------------------------------------------------------------
    def _fire_locked(
        self,
        now: datetime,
        held_back: set[int],
        room: int,
        as_of: datetime | None,
        result: TimerRun,
    ) -> list[int]:
        """Lock up to ``room`` due rows no other runner holds, fire them, commit once."""
        with self.ctx.db.write() as session:
            query = (
                select(ProcessInstance)
                .where(*_due(now))
                .order_by(ProcessInstance.next_timer_at)
                .limit(room)
                .with_for_update(skip_locked=True)
            )
            if held_back:
                query = query.where(ProcessInstance.id.not_in(held_back))
            # Whole rows in the locking statement, held here (the session keeps only weak
            # references): firing finds each in the session instead of reading it again.
            rows = list(session.execute(query).scalars())
            open_tasks = _open_tasks(session, [row.id for row in rows])
            for row in rows:
                self._fire_in_savepoint(session, row.id, now, as_of, result, open_tasks)
        return [row.id for row in rows]

    # SQLite ------------------------------------------------------------------------------------
    def _lease(self, now: datetime, runner: str, held_back: set[int], room: int) -> list[int]:
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
                .limit(room)
            )
            if held_back:
                query = query.where(ProcessInstance.id.not_in(held_back))
            claimed = [int(i) for i in session.execute(query).scalars()]
            if claimed:
                session.execute(
                    update(ProcessInstance)
                    .where(ProcessInstance.id.in_(claimed))
                    .values(timer_lease_until=now + LEASE, timer_lease_owner=runner)
                )
            return claimed

    def _fire_leased(
        self,
        claimed: list[int],
        now: datetime,
        runner: str,
        as_of: datetime | None,
        result: TimerRun,
    ) -> None:
        with self.ctx.db.write() as session:
            # The batch's rows in one read and its leases released in one write (kept even
            # when an instance's firing fails: its savepoint comes after); firing then finds
            # each row in the session.
            rows = {
                row.id: row
                for row in session.execute(
                    select(ProcessInstance).where(ProcessInstance.id.in_(claimed))
                ).scalars()
            }
            ours = [i for i in claimed if i in rows and rows[i].timer_lease_owner == runner]
            result.skipped += len(claimed) - len(ours)  # the lease expired, another runner took it
            if ours:
                session.execute(
                    update(ProcessInstance)
                    .where(ProcessInstance.id.in_(ours))
                    .values(timer_lease_until=None, timer_lease_owner=None)
                    .execution_options(synchronize_session=False)
                )
            open_tasks = _open_tasks(session, ours)
            for instance_id in ours:
                row = rows[instance_id]
                set_committed_value(row, "timer_lease_until", None)
                set_committed_value(row, "timer_lease_owner", None)
                if not (row.status == "running" and row.next_timer_at and row.next_timer_at <= now):
                    result.skipped += 1
                    continue
                self._fire_in_savepoint(session, instance_id, now, as_of, result, open_tasks)

    # Both --------------------------------------------------------------------------------------
    def _fire_in_savepoint(
        self,
        session: Session,
        instance_id: int,
        now: datetime,
        as_of: datetime | None,
        result: TimerRun,
        open_tasks: dict[int, list[HumanTask]],
    ) -> None:
        try:
            with session.begin_nested():
                self._fire(session, instance_id, as_of, open_tasks.get(instance_id, []))
        except Exception as exc:  # one instance's failure never undoes the batch
            error = exc if isinstance(exc, EngineError) else None
            if error is None:
                log.exception("timer of instance %s raised", instance_id)
            message = str(exc) or type(exc).__name__
            result.failed[instance_id] = message
            log.warning("timer of instance %s failed: %s", instance_id, message)
            if isinstance(exc, Conflict):
                return  # someone else changed it meanwhile; the next poll sees the new state
            if isinstance(exc, RunBoundExceeded):
                self._fail_instance(session, instance_id, exc)  # a retry would run away again
                return
            self._record_failure(session, instance_id, now, message, error)
            return
        result.fired.append(instance_id)

    def _fire(
        self,
        session: Session,
        instance_id: int,
        as_of: datetime | None,
        open_rows: list[HumanTask],
    ) -> None:
        opened = self.instances.open(session, instance_id)
        due = opened.runtime.fired_timers()
        opened.runtime.step()
        data: dict[str, object] = {"timers": due}
        if as_of is not None:
            data["as_of"] = as_of.isoformat()
        persistence.save(
            self.ctx,
            session,
            opened.row,
            opened.runtime,
            seen_version=opened.seen_version,
            actor="system",
            action="timer",
            data=data,
            open_rows=open_rows,
        )

    def _fail_instance(self, session: Session, instance_id: int, exc: RunBoundExceeded) -> None:
        try:
            with session.begin_nested():
                self.instances.fail(session, instance_id, exc)
        except Exception:
            log.exception("could not mark instance %s failed", instance_id)

    def _record_failure(
        self,
        session: Session,
        instance_id: int,
        now: datetime,
        message: str,
        error: EngineError | None,
    ) -> None:
        """Keep the instance as it was, note the error, and retry it later (not in a loop)."""
        try:
            with session.begin_nested():
                row = session.get(ProcessInstance, instance_id)
                if row is None:
                    return
                session.refresh(row)
                event = audit.instance_event(
                    row,
                    actor="system",
                    action="timer_failed",
                    data={
                        "error": message,
                        "element_id": error.element_id if error is not None else None,
                    },
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
        except Exception:
            log.exception("could not record the timer failure of instance %s", instance_id)
