"""The daily digest: one notification a day gathering what each person chose to receive
that way.

:func:`build_digests` is called once a day by the scheduler (any number of processes may
call it: a digest is unique per recipient and day, and each notification is carried by one
digest only). It takes every digest-delivered notification not yet carried, created before
the end of ``day`` in Vietnam, so nothing created after one run is lost: it rides with the
next day's digest.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from engine import Database
from workflows.calendar import VIETNAM_TZ
from workflows.notifications.kinds import DIGEST_KIND
from workflows.notifications.model import DIGEST, Notification
from workflows.notifications.notify import notify_users

#: At most this many notifications are listed in one digest (the rest follow the next day).
MAX_ITEMS = 200


def end_of_vietnam_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=VIETNAM_TZ)


def build_digests(db: Database, day: date) -> int:
    """Create the digest of ``day`` for everybody who has something in it; returns how many
    digests were created (0 when they exist already)."""
    until = end_of_vietnam_day(day)
    with db.read() as session:
        recipients = list(
            session.execute(
                select(Notification.recipient)
                .where(
                    Notification.delivery == DIGEST,
                    Notification.digest_id.is_(None),
                    Notification.created_at < until,
                )
                .distinct()
                .order_by(Notification.recipient)
            ).scalars()
        )
    created = 0
    for recipient in recipients:  # one short transaction per person
        with db.write() as session:
            items = list(
                session.execute(
                    select(Notification)
                    .where(
                        Notification.recipient == recipient,
                        Notification.delivery == DIGEST,
                        Notification.digest_id.is_(None),
                        Notification.created_at < until,
                    )
                    .order_by(Notification.created_at, Notification.id)
                    .limit(MAX_ITEMS)
                ).scalars()
            )
            if not items:
                continue
            rows = notify_users(
                session,
                [recipient],
                DIGEST_KIND,
                period=day.isoformat(),
                params={
                    "day": day.isoformat(),
                    "items": [
                        {"id": item.id, "kind": item.kind, "params": item.params} for item in items
                    ],
                },
            )
            if not rows:
                continue  # already built (by another process), or the account is gone
            session.execute(
                update(Notification)
                .where(Notification.id.in_([item.id for item in items]))
                .values(digest_id=rows[0].id)
            )
            created += 1
    return created
