"""In-app notifications (escalations, reminders), delivered by e-mail when SMTP is set.

A notification is unique per (recipient, kind, key): firing the same escalation twice, from
two processes or after a retry, never notifies twice. Mail delivery is a separate step that
records attempts, so a failed send is retried later instead of being lost.
"""

from __future__ import annotations

import logging
import os
import smtplib
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import clock
from engine.models import Base
from workflows.directory import User, find_user

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("recipient", "kind", "dedupe_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # escalation | reminder | assigned | returned
    dedupe_key: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("draft.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


def notify(
    session: Session,
    recipient: str,
    kind: str,
    dedupe_key: str,
    subject: str,
    body: str,
    *,
    draft_id: int | None = None,
    task_id: str | None = None,
) -> Notification | None:
    """Create the notification unless it already exists; returns None for a duplicate."""
    existing = session.execute(
        select(Notification).where(
            Notification.recipient == recipient,
            Notification.kind == kind,
            Notification.dedupe_key == dedupe_key,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return None
    row = Notification(
        recipient=recipient,
        kind=kind,
        dedupe_key=dedupe_key[:200],
        subject=subject[:300],
        body=body,
        draft_id=draft_id,
        task_id=task_id,
        created_at=clock.now(),
        email_attempts=0,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # a concurrent transaction created it first
    return row


def unread(session: Session, username: str, limit: int = 20) -> list[Notification]:
    return list(
        session.execute(
            select(Notification)
            .where(Notification.recipient == username, Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc())
            .limit(limit)
        ).scalars()
    )


def mark_read(session: Session, username: str, notification_id: int) -> bool:
    row = session.get(Notification, notification_id)
    if row is None or row.recipient != username:
        return False
    row.read_at = row.read_at or clock.now()
    return True


def deliver_email(session: Session, limit: int = 50) -> int:
    """Send pending notifications by SMTP (``LEXFLOW_SMTP_HOST``); returns how many were sent."""
    host = os.environ.get("LEXFLOW_SMTP_HOST")
    if not host:
        return 0
    sender = os.environ.get("LEXFLOW_SMTP_FROM", "lexflow@localhost")
    pending = session.execute(
        select(Notification, User)
        .join(User, User.username == Notification.recipient)
        .where(
            Notification.emailed_at.is_(None),
            Notification.email_attempts < MAX_ATTEMPTS,
            User.email.is_not(None),
        )
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    sent = 0
    for notification, user in pending:
        message = EmailMessage()
        message["From"], message["To"] = sender, user.email
        message["Subject"] = notification.subject
        message.set_content(notification.body)
        notification.email_attempts += 1
        try:
            port = int(os.environ.get("LEXFLOW_SMTP_PORT", "25"))
            with smtplib.SMTP(host, port, timeout=10) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            notification.last_error = str(exc)[:500]
            log.warning("e-mail to %s failed: %s", user.email, exc)
            continue
        notification.emailed_at = clock.now()
        sent += 1
    return sent


def recipients_exist(session: Session, usernames: list[str]) -> list[str]:
    return [name for name in usernames if find_user(session, name) is not None]
