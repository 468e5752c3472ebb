"""The public's comments on a draft in consultation, and their moderation by the drafter.

A comment is kept as plain text (pages escape it, so HTML in it is shown inert), anchored to
an article of the posted version or to the whole draft, and starts ``pending``: only the
drafter's agency publishes it (then the public page shows it) or hides it as spam with a
reason. Both are audited by the caller (``web.public``) in the audit log.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import InvalidData, Message, clock
from engine.models import Base

MAX_BODY = 5000
MAX_NAME = 120
MAX_EMAIL = 200
STATUSES = ("pending", "published", "spam")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class PublicComment(Base):
    __tablename__ = "public_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    document_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_version.id"))
    article: Mapped[str | None] = mapped_column(String(20))  # "3" for Điều 3; None: whole draft
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    organisation: Mapped[str | None] = mapped_column(String(MAX_NAME))
    email: Mapped[str] = mapped_column(String(MAX_EMAIL))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    moderation_reason: Mapped[str | None] = mapped_column(String(500))
    moderated_by: Mapped[str | None] = mapped_column(String(100))
    moderated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


def _plain(value: str | None, limit: int, label: str, *, required: bool = True) -> str | None:
    text = _CONTROL.sub("", (value or "")).strip()
    if not text:
        if required:
            raise InvalidData(Message("%(field)s is required", field=label))
        return None
    if len(text) > limit:
        raise InvalidData(Message("%(field)s has at most %(n)s characters", field=label, n=limit))
    return text


def add_public_comment(
    session: Session,
    draft_id: int,
    *,
    version_id: int | None,
    articles: set[str],
    article: str | None,
    name: str,
    organisation: str | None,
    email: str,
    body: str,
) -> PublicComment:
    """Keep a comment (pending moderation); bad input raises InvalidData saying why."""
    clean_email = _plain(email, MAX_EMAIL, Message("e-mail")) or ""
    if not _EMAIL.match(clean_email):
        raise InvalidData(Message("the e-mail address is not valid"))
    anchor = (article or "").strip() or None
    if anchor is not None and anchor not in articles:
        raise InvalidData(Message("the draft has no article %(n)s", n=anchor[:20]))
    row = PublicComment(
        draft_id=draft_id,
        document_version_id=version_id,
        article=anchor,
        name=_plain(name, MAX_NAME, Message("name")) or "",
        organisation=_plain(organisation, MAX_NAME, Message("organisation"), required=False),
        email=clean_email,
        body=_plain(body, MAX_BODY, Message("comment")) or "",
        status="pending",
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def moderate(session: Session, comment: PublicComment, action: str, actor: str, reason: str | None):
    """``publish`` or ``spam`` (hiding needs a reason)."""
    if action == "publish":
        comment.status, comment.moderation_reason = "published", None
    elif action == "spam":
        why = _plain(reason, 500, Message("reason"))
        comment.status, comment.moderation_reason = "spam", why
    else:
        raise InvalidData(Message("unknown moderation action '%(a)s'", a=action[:20]))
    comment.moderated_by, comment.moderated_at = actor, clock.now()
    session.flush()
    return comment


def comments_of(
    session: Session, draft_id: int, *, statuses: tuple[str, ...] = STATUSES
) -> list[PublicComment]:
    return list(
        session.execute(
            select(PublicComment)
            .where(PublicComment.draft_id == draft_id, PublicComment.status.in_(statuses))
            .order_by(PublicComment.id)
        ).scalars()
    )
