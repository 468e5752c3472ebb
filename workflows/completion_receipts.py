"""Idempotent task completion: a receipt per (caller, ``Idempotency-Key``), written in the
completion's own transaction.

A client that lost the answer to a completion (a timeout, a killed server) cannot tell its own
success from someone else's: the retry would get 409 "already completed". With a key, the
receipt commits together with the completion or not at all, so a retry either finds the
receipt (and gets the first result again) or finds nothing and completes for real. A key is
the caller's own: another user's key of the same value is another receipt.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import InvalidData, Message, clock
from engine.models import Base

MAX_KEY = 200


class CompletionReceipt(Base):
    __tablename__ = "completion_receipt"
    __table_args__ = (UniqueConstraint("actor", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(100))
    idempotency_key: Mapped[str] = mapped_column(String(MAX_KEY))
    task_id: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


def checked_key(raw: str | None) -> str | None:
    """The key as sent, or None; an empty, overlong or non-printable one is refused."""
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise InvalidData(
            Message(
                "an Idempotency-Key is 1 to %(n)s printable characters",
                n=MAX_KEY,
            )
        )
    return key


def receipt(session: Session, actor: str, key: str, task_id: str) -> dict[str, Any] | None:
    """The first result of ``actor``'s completion under ``key``; None if there was none.

    The same key for another task is refused: it would be a client's bug, not a retry."""
    row = session.execute(
        select(CompletionReceipt).where(
            CompletionReceipt.actor == actor, CompletionReceipt.idempotency_key == key
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.task_id != task_id:
        raise InvalidData(
            Message(
                "the Idempotency-Key was already used to complete task %(task)s",
                task=row.task_id,
            )
        )
    return row.result


def record(session: Session, actor: str, key: str, task_id: str, result: dict[str, Any]) -> None:
    """Keep ``result`` under ``key``; call in the transaction that completed the task."""
    session.add(
        CompletionReceipt(
            actor=actor,
            idempotency_key=key,
            task_id=task_id,
            result=result,
            created_at=clock.now(),
        )
    )
    session.flush()
