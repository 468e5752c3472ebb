"""Delivering the outbox: e-mail sent after the transaction, never inside one.

A notification's outbox row is committed with the notification. :func:`deliver_outbox`
then works in three steps per batch, each database step a short transaction of its own:

1. **claim** due rows (pending and due, or "sending" under a claim that expired): on
   PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent senders take different
   rows and never wait for each other; on SQLite the write transaction itself (``BEGIN
   IMMEDIATE``) serialises claims. A claimed row is "sending" with a lease in the sender's
   name, and the attempt is counted;
2. **send** over SMTP with no transaction open: a slow or hung mail server holds no lock;
3. **record** each result: delivered (never sent again), or back to pending with the next
   attempt after an exponential backoff (1, 2, 4 … minutes, at most 6 hours), or failed
   after :data:`MAX_ATTEMPTS` attempts or a permanent refusal — kept with its error and
   re-sendable by an administrator (:func:`resend`). A result is recorded only while the
   sender still holds the claim.

A sender that dies between sending and recording leaves a "sending" row whose lease
expires; it is then sent again (the only case in which a message can arrive twice).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from engine import Conflict, Database, Message, NotFound, audit, clock
from engine.timers import runner_name
from workflows.directory import User
from workflows.notifications.model import (
    DELIVERED,
    FAILED,
    OUTBOX_STATES,
    PENDING,
    SENDING,
    Notification,
    OutboxMessage,
)
from workflows.notifications.smtp import Mailer, OutgoingMail, PermanentFailure

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
BATCH = 20
MIN_LEASE = timedelta(minutes=5)


@dataclass
class DeliveryRun:
    """What one call of :func:`deliver_outbox` did, by outbox row id."""

    delivered: list[int] = field(default_factory=list)
    #: Will be tried again (row id -> error).
    retrying: dict[int, str] = field(default_factory=dict)
    #: Given up (permanent refusal, no address, too many attempts): row id -> error.
    failed: dict[int, str] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        return len(self.delivered) + len(self.retrying) + len(self.failed)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: doubling, capped."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


def _due(now: datetime) -> Any:
    return or_(
        and_(OutboxMessage.state == PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.state == SENDING, OutboxMessage.lease_until < now),
    )


def deliver_outbox(
    db: Database,
    mailer: Mailer,
    now: datetime | None = None,
    limit: int = 200,
    *,
    runner: str | None = None,
) -> DeliveryRun:
    """Send up to ``limit`` due outbox messages through ``mailer``; never raises for a
    failed delivery (it is recorded and retried). ``now``: the moment deliveries are due
    by (the clock's time by default)."""
    moment = clock.as_utc(now) if now is not None else clock.now()
    runner = runner or runner_name()
    run = DeliveryRun()
    while run.handled < limit:
        batch = _claim(db, moment, runner, min(BATCH, limit - run.handled), mailer.timeout, run)
        if batch is None:
            break
        outcomes = _send(mailer, batch)
        _record(db, moment, runner, outcomes, run)
    return run


def _claim(
    db: Database, now: datetime, runner: str, size: int, timeout: float, run: DeliveryRun
) -> list[OutgoingMail] | None:
    """Claim up to ``size`` due rows (one short transaction); None when none is due."""
    lease = max(MIN_LEASE, timedelta(seconds=timeout * (size + 2) * 2))
    with db.write() as session:
        rows = session.execute(
            select(OutboxMessage, Notification, User)
            .join(Notification, Notification.id == OutboxMessage.notification_id)
            .outerjoin(User, User.username == Notification.recipient)
            .where(_due(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(size)
            .with_for_update(of=OutboxMessage, skip_locked=True)
        ).all()
        if not rows:
            return None
        mails: list[OutgoingMail] = []
        for outbox, notification, user in rows:
            outbox.attempts += 1
            outbox.updated_at = clock.now()
            if user is None or not user.active or not user.email:
                outbox.state, outbox.lease_until, outbox.lease_owner = FAILED, None, None
                outbox.last_error = "the recipient has no e-mail address (or no active account)"
                run.failed[outbox.id] = outbox.last_error
                continue
            outbox.state, outbox.lease_until, outbox.lease_owner = SENDING, now + lease, runner
            mails.append(
                OutgoingMail(
                    outbox_id=outbox.id,
                    notification_id=notification.id,
                    to=user.email,
                    language=user.language if user.language in ("vi", "en") else "vi",
                    kind=notification.kind,
                    params=notification.params or {},
                    task_id=notification.task_id,
                    draft_id=notification.draft_id,
                )
            )
        return mails


@dataclass(frozen=True)
class _Outcome:
    mail: OutgoingMail
    error: str | None = None
    permanent: bool = False


def _send(mailer: Mailer, mails: list[OutgoingMail]) -> list[_Outcome]:
    """Talk to the mail server (no database transaction is open here)."""
    outcomes: list[_Outcome] = []
    composed = []
    for mail in mails:
        try:
            composed.append((mail, mailer.compose(mail)))
        except Exception as exc:  # a message that cannot be built will never be sent
            log.exception("e-mail of outbox row %s cannot be composed", mail.outbox_id)
            outcomes.append(_Outcome(mail, f"cannot compose the message: {exc}", True))
    if not composed:
        return outcomes
    pending = list(composed)
    try:
        with mailer.connect() as connection:
            while pending:
                mail, message = pending[0]
                try:
                    connection.send(message)
                except PermanentFailure as exc:
                    outcomes.append(_Outcome(mail, str(exc), True))
                except smtplib.SMTPRecipientsRefused as exc:
                    outcomes.append(_Outcome(mail, f"recipient refused: {exc.recipients}"))
                else:
                    outcomes.append(_Outcome(mail))
                pending.pop(0)
    except (OSError, smtplib.SMTPException) as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        log.warning("SMTP delivery failed (%d message(s) to retry): %s", len(pending), error)
        outcomes.extend(_Outcome(mail, error[:1000]) for mail, _message in pending)
    return outcomes


def _record(
    db: Database, now: datetime, runner: str, outcomes: list[_Outcome], run: DeliveryRun
) -> None:
    """Write the results (one short transaction), only for rows still claimed by us."""
    recorded = clock.now()
    with db.write() as session:
        for outcome in outcomes:
            row = session.get(OutboxMessage, outcome.mail.outbox_id)
            if row is None or row.state != SENDING or row.lease_owner != runner:
                continue  # our claim expired and another sender took the row
            row.lease_until, row.lease_owner, row.updated_at = None, None, recorded
            if outcome.error is None:
                row.state, row.delivered_at, row.sent_to = DELIVERED, recorded, outcome.mail.to
                row.last_error = None
                run.delivered.append(row.id)
            elif outcome.permanent or row.attempts >= MAX_ATTEMPTS:
                row.state, row.last_error = FAILED, outcome.error
                run.failed[row.id] = outcome.error
            else:
                row.state, row.last_error = PENDING, outcome.error
                row.next_attempt_at = now + backoff(row.attempts)
                run.retrying[row.id] = outcome.error


# Administration -----------------------------------------------------------------------------
def resend(session: Session, outbox_id: int, actor: str) -> OutboxMessage:
    """Send a failed (or waiting) message again at the next delivery, with fresh attempts;
    written to the audit log. A delivered message is never sent again."""
    row = session.execute(
        select(OutboxMessage).where(OutboxMessage.id == outbox_id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(Message("no outbox message %(id)s", id=outbox_id))
    if row.state not in (FAILED, PENDING):
        raise Conflict(
            Message(
                "the message is %(state)s: only a failed or waiting message is sent again",
                state=row.state,
            )
        )
    now = clock.now()
    previous = {"state": row.state, "attempts": row.attempts, "last_error": row.last_error}
    row.state, row.attempts, row.next_attempt_at, row.updated_at = PENDING, 0, now, now
    audit.append_stream_event(
        session,
        "admin:outbox",
        actor=actor,
        action="resend",
        data={"outbox_id": row.id, "notification_id": row.notification_id, **previous},
    )
    session.flush()
    return row


@dataclass(frozen=True)
class OutboxEntry:
    message: OutboxMessage
    notification: Notification
    address: str | None


def outbox_entries(
    session: Session, state: str | None = None, *, limit: int = 100, offset: int = 0
) -> list[OutboxEntry]:
    """Outbox rows for the administrators' page, newest first, optionally of one state."""
    query = (
        select(OutboxMessage, Notification, User.email)
        .join(Notification, Notification.id == OutboxMessage.notification_id)
        .outerjoin(User, User.username == Notification.recipient)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if state is not None:
        if state not in OUTBOX_STATES:
            raise ValueError(f"unknown outbox state {state!r}")
        query = query.where(OutboxMessage.state == state)
    return [OutboxEntry(m, n, email) for m, n, email in session.execute(query).all()]


def outbox_counts(session: Session) -> dict[str, int]:
    """How many outbox rows are in each state (every state listed)."""
    counts = dict(
        session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).all()
    )
    return {state: int(counts.get(state, 0)) for state in OUTBOX_STATES}


def pending_count(session: Session, now: datetime | None = None) -> int:
    """How many messages are due now (for a scheduler's status)."""
    moment = now or clock.now()
    return int(
        session.execute(
            select(func.count()).select_from(OutboxMessage).where(_due(moment))
        ).scalar_one()
    )


__all__ = [
    "MAX_ATTEMPTS",
    "DeliveryRun",
    "OutboxEntry",
    "backoff",
    "deliver_outbox",
    "outbox_counts",
    "outbox_entries",
    "pending_count",
    "resend",
]
