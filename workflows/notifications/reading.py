"""A person's own notifications: the list, the unread count, marking them read.

Reading is not a change to any workflow and is not audited; nobody can see or mark another
person's notifications (an id that is not theirs is as unknown as one that does not exist).
"""

from __future__ import annotations

from sqlalchemy import Integer, bindparam, func, select, update
from sqlalchemy.orm import Session

from engine import clock
from workflows.notifications.model import Notification


def notifications_of(session: Session, username: str, limit: int = 100) -> list[Notification]:
    """The user's notifications, newest first."""
    return list(
        session.execute(
            select(Notification)
            .where(Notification.recipient == username)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        ).scalars()
    )


def unread_count(session: Session, username: str, cap: int = 100) -> int:
    """How many of the user's notifications are unread, counted up to ``cap``."""
    return int(session.execute(_UNREAD, {"username": username, "cap": cap}).scalar_one())


#: Built once: every page's top bar runs it.
_UNREAD = select(func.count()).select_from(
    select(Notification.id)
    .where(Notification.recipient == bindparam("username"), Notification.read_at.is_(None))
    .limit(bindparam("cap", type_=Integer))
    .subquery()
)


def mark_read(session: Session, username: str, notification_id: int) -> bool:
    """Mark one of the user's notifications read; False when it is not theirs."""
    row = session.get(Notification, notification_id)
    if row is None or row.recipient != username:
        return False
    row.read_at = row.read_at or clock.now()
    return True


def mark_all_read(session: Session, username: str) -> int:
    """Mark every unread notification of the user read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(Notification.recipient == username, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    return int(result.rowcount or 0)
