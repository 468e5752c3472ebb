"""How each person wants each kind of notification e-mailed: immediately, in the daily
digest, or not at all.

The in-app list always shows every notification (it is the record of what Lexflow told
whom); the preference decides only the e-mail. Without a choice every kind is e-mailed
immediately: a reminder put into the digest would arrive the day after the day it is about,
and a task or an escalation is news the day it happens.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import InvalidData, Message
from workflows.notifications.kinds import CHOOSABLE_KINDS, DIGEST_KIND
from workflows.notifications.model import DELIVERIES, IMMEDIATE, NotificationPreference

DEFAULTS: dict[str, str] = dict.fromkeys(CHOOSABLE_KINDS, IMMEDIATE)


def preferences_of(session: Session, user_id: int) -> dict[str, str]:
    """Every choosable kind -> the user's delivery (the default where they chose none)."""
    chosen = dict(
        session.execute(
            select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    return {kind: chosen.get(kind, default) for kind, default in DEFAULTS.items()}


def delivery_default(kind: str) -> str:
    """How ``kind`` is delivered to someone who chose nothing (the digest: always e-mailed)."""
    return IMMEDIATE if kind == DIGEST_KIND else DEFAULTS.get(kind, IMMEDIATE)


def set_preferences(session: Session, user_id: int, choices: Mapping[str, str]) -> dict[str, str]:
    """Store the user's choices (every choosable kind; a missing one keeps its default).

    Raises InvalidData naming the first unknown kind or delivery; returns the new choices.
    """
    for kind, delivery in choices.items():
        if kind not in CHOOSABLE_KINDS:
            raise InvalidData(Message("'%(kind)s' is not a kind of notification", kind=kind))
        if delivery not in DELIVERIES:
            raise InvalidData(
                Message(
                    "'%(delivery)s' is not a way to deliver a notification "
                    "(immediately, in the digest or off)",
                    delivery=delivery,
                )
            )
    session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user_id))
    for kind, delivery in choices.items():
        if delivery != DEFAULTS[kind]:
            session.add(NotificationPreference(user_id=user_id, kind=kind, delivery=delivery))
    session.flush()
    return preferences_of(session, user_id)
