"""The notification tables: what a person is told, how it reaches them by e-mail, and
how each person wants each kind delivered.

A :class:`Notification` is unique per (recipient, kind, topic, period): the topic is the
task or draft it is about, the period what makes a repetition new (the day of a reminder,
the level of an escalation). Creating one twice — a retried step, two scheduler processes —
finds the row already there and creates nothing.

A notification carries no sentence, only its kind and the facts it is about (``params``:
the step's name in each language, the draft's code and title, a due date...); it is put
into words in the reader's language when shown or mailed (:mod:`.kinds`).

An :class:`OutboxMessage` is one e-mail to send, written in the transaction that created
its notification and delivered after it (:mod:`.outbox`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.models import Base

#: How a notification reaches its recipient by e-mail (besides the in-app list, always).
IMMEDIATE, DIGEST, OFF = "immediate", "digest", "off"
DELIVERIES = (IMMEDIATE, DIGEST, OFF)
#: No e-mail was due: the recipient has no address.
NO_ADDRESS = "no_address"

#: Outbox states.
PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"
OUTBOX_STATES = (PENDING, SENDING, DELIVERED, FAILED)


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("recipient", "kind", "topic", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    #: "task:<id>", "draft:<id>" or "" (a digest): what it is about, for uniqueness.
    topic: Mapped[str] = mapped_column(String(60))
    #: What makes a repetition a new notification ("" when it happens once).
    period: Mapped[str] = mapped_column(String(60))
    task_id: Mapped[str | None] = mapped_column(String(36))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("draft.id"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: immediate | digest | off | no_address: how (whether) it was to be e-mailed.
    delivery: Mapped[str] = mapped_column(String(12))
    #: The digest notification that carried it (digest deliveries only).
    digest_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """One e-mail of one notification: pending until a sender delivers it, never deleted."""

    __tablename__ = "notification_outbox"
    __table_args__ = (Index(None, "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    #: While "sending": until when the sender's claim holds (a crashed sender's expires).
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_to: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """How ``user_id`` wants notifications of ``kind`` e-mailed (no row: the default)."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    delivery: Mapped[str] = mapped_column(String(12))
