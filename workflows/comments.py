"""Comments on a draft by the people working on it (the public's comments come later)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import InvalidData, Message, clock
from engine.models import Base

MAX_COMMENT = 5000


class DraftComment(Base):
    __tablename__ = "draft_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    author: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


def add_comment(
    session: Session, draft_id: int, author: str, body: str, task_id: str | None = None
) -> DraftComment:
    text = (body or "").strip()
    if not text:
        raise InvalidData(Message("a comment cannot be empty"))
    if len(text) > MAX_COMMENT:
        raise InvalidData(Message("a comment has at most %(n)s characters", n=MAX_COMMENT))
    row = DraftComment(
        draft_id=draft_id, task_id=task_id, author=author, body=text, created_at=clock.now()
    )
    session.add(row)
    session.flush()
    return row


def comments_of(session: Session, draft_id: int) -> list[DraftComment]:
    return list(
        session.execute(
            select(DraftComment).where(DraftComment.draft_id == draft_id).order_by(DraftComment.id)
        ).scalars()
    )
