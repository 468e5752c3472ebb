"""One ledger of every opinion on a draft version, and the drafter's answer to each entry.

Entries: the public's comments on every posted version (all but those hidden as spam; a
pending one still needs moderating before the synthesis can answer it) and each consulted
agency's reply with whether it agrees (what their ``Task_cns_reply`` step submitted, read
from :meth:`engine.Engine.submissions`). Each entry carries the draft version it was made on:
uploading a new version keeps the earlier entries in the ledger (their answers too), shown as
made on that version and, while unanswered, *carried over* to the new one.
The synthesis step (``Task_cns_synthesis``) cannot complete while an entry is unanswered
(:func:`synthesis_check`, a completion check), and the counts its gateway compares are
written from the ledger into the step's data by the same check, so nobody types them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import Engine, InvalidData, Message, clock
from engine.context import CompletionRequest
from engine.models import Base
from workflows.consultation import synthesis_table
from workflows.consultation.comments import PublicComment
from workflows.consultation.text import draft_versions
from workflows.directory import Organisation
from workflows.drafts import Draft

REPLY_STEP = "Task_cns_reply"
SYNTHESIS_STEP = "Task_cns_synthesis"
ANSWERS = ("accepted", "partly_accepted", "explained")
SOURCES = ("public", "agency")


class LedgerAnswer(Base):
    __tablename__ = "ledger_answer"
    __table_args__ = (UniqueConstraint("draft_id", "entry_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    entry_key: Mapped[str] = mapped_column(String(60))  # public:<id> | agency:<task id>
    answer: Mapped[str] = mapped_column(String(20))
    article: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    answered_by: Mapped[str] = mapped_column(String(100))
    answered_at: Mapped[datetime]


@dataclass(frozen=True)
class Entry:
    key: str
    source: str  # public | agency
    author: str
    organisation: str | None
    article: str | None
    text: str
    agrees: bool | None
    pending: bool
    answer: LedgerAnswer | None
    #: The number of the draft version the opinion was made on (None: no draft posted yet).
    version: int | None = None
    #: The number of the draft's latest version when the ledger was read.
    current_version: int | None = None

    @property
    def carried_over(self) -> bool:
        """Made on an earlier version than the current one (and kept in the ledger)."""
        return (
            self.version is not None
            and self.current_version is not None
            and self.version < self.current_version
        )


def _version_at(uploads: list[tuple[datetime, int]], at: datetime) -> int | None:
    """The number of the latest draft version uploaded by ``at``."""
    found = None
    for uploaded_at, number in uploads:
        if uploaded_at <= at:
            found = number
    return found


def entries(session: Session, engine: Engine, draft: Draft) -> list[Entry]:
    """Every opinion on the draft, whatever version it was made on, with its answer."""
    versions = draft_versions(session, draft.id)
    number_of = {v.id: v.version for v in versions}
    uploads = [(v.uploaded_at, v.version) for v in versions]
    current = versions[-1].version if versions else None
    query = select(PublicComment).where(
        PublicComment.draft_id == draft.id, PublicComment.status != "spam"
    )
    answers = {
        a.entry_key: a
        for a in session.execute(
            select(LedgerAnswer).where(LedgerAnswer.draft_id == draft.id)
        ).scalars()
    }
    result = [
        Entry(
            f"public:{c.id}", "public", c.name, c.organisation, c.article, c.body, None,
            c.status == "pending", answers.get(f"public:{c.id}"),
            number_of.get(c.document_version_id) if c.document_version_id else None, current,
        )
        for c in session.execute(query.order_by(PublicComment.id)).scalars()
    ]  # fmt: skip
    if draft.instance_id is not None:
        for submission in engine.submissions(draft.instance_id, session=session):
            if submission.task.element_id != REPLY_STEP:
                continue
            data: dict[str, Any] = submission.data
            key = f"agency:{submission.task.id}"
            result.append(
                Entry(
                    key, "agency", submission.task.completed_by or "",
                    submission.task.organisation, None, str(data.get("opinion") or ""),
                    bool(data.get("agrees")), False, answers.get(key),
                    _version_at(uploads, submission.at), current,
                )
            )  # fmt: skip
    return result


def answer_entry(
    session: Session, engine: Engine, draft: Draft, key: str, answer: str,
    article: str | None, note: str, actor: str,
) -> LedgerAnswer:  # fmt: skip
    """Record (or change) the answer to one entry; accepted needs what changed, the others
    the reason."""
    known = {e.key: e for e in entries(session, engine, draft)}
    if key not in known:
        raise InvalidData(Message("no such entry in the ledger of this draft"))
    if known[key].pending:
        raise InvalidData(Message("publish or hide the comment before answering it"))
    if answer not in ANSWERS:
        raise InvalidData(Message("choose accepted, partly accepted or explained"))
    text = (note or "").strip()
    if len(text) < 3 or len(text) > 4000:
        raise InvalidData(
            Message("say what was changed (accepted) or why (partly accepted, explained)")
        )
    row = session.execute(
        select(LedgerAnswer).where(LedgerAnswer.draft_id == draft.id, LedgerAnswer.entry_key == key)
    ).scalar_one_or_none()
    if row is None:
        row = LedgerAnswer(draft_id=draft.id, entry_key=key)
        session.add(row)
    row.answer, row.article, row.note = answer, ((article or "").strip()[:20] or None), text
    row.answered_by, row.answered_at = actor, clock.now()
    session.flush()
    return row


def counts(items: list[Entry]) -> dict[str, int]:
    answered = [e.answer.answer for e in items if e.answer is not None]
    return {
        "comments_received": len(items),
        "comments_accepted": sum(a in ("accepted", "partly_accepted") for a in answered),
        "comments_explained": sum(a == "explained" for a in answered),
    }


def synthesis_check(engine: Engine, draft_of: Any) -> Any:
    """A completion check: refuse the synthesis while an entry is unanswered; fill counts."""

    def check(request: CompletionRequest) -> None:
        if request.task.spec_id != SYNTHESIS_STEP:
            return
        draft = draft_of(request.session, request.task.instance_id)
        if draft is None:
            return
        items = entries(request.session, engine, draft)
        open_items = [e for e in items if e.answer is None]
        if open_items:
            raise InvalidData(
                Message(
                    "%(n)s comments in the ledger have no answer yet: answer each one "
                    "(accepted, partly accepted or explained) before completing the synthesis",
                    n=len(open_items),
                ),
                task_id=request.task.id,
            )
        # The submitted data is the dict the engine completes the step with: the counts
        # the gateway compares come from the ledger, never from the form.
        cast(dict[str, Any], request.data).update(counts(items))
        # The synthesis table goes into the dossier (before the dossier check looks for it).
        lead = request.session.get(Organisation, draft.lead_agency)
        name = lead.name_vi if lead is not None else draft.lead_agency
        synthesis_table.attach(
            request.session, draft, items, name, request.actor.id, task_id=request.task.id
        )

    return check
