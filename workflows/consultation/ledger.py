"""One ledger of every opinion on a draft, and the drafter's answer to each entry.

Entries, each with its source, author, organisation, article and text:

- the public's comments (all but those hidden as spam; a pending one still needs moderating
  before it can be answered);
- what the steps that give an opinion submitted (read from :meth:`engine.Engine.submissions`,
  the record the engine keeps of every completed step, so nothing is copied): each consulted
  agency's reply and whether it agrees (``Task_cns_reply``), the Fatherland Front's social
  criticism (``Task_cns_mttq``), and in the later stages the Department of Justice's
  appraisal (``Task_apr_appraise``) and the People's Council committee's examination
  (``Task_exm_examine``) with their conclusion.

Each entry carries the draft version it was made on: uploading a new version keeps the
earlier entries in the ledger (their answers too), shown as made on that version and, while
unanswered, *carried over* to the new one.

Each source is answered at the step the law gives it (:data:`ANSWERED_AT`): the synthesis
(``Task_cns_synthesis``) answers the public, the agencies and the Front; the report on the
appraisal opinions (``Task_apr_intake``) answers the appraisal; the answer to the examination
(``Task_exm_answer``) the examination. :func:`ledger_check`, a completion check, refuses
such a step while one of its entries is unanswered; for the synthesis it also writes the
counts its gateway compares into the step's data (nobody types them) and attaches the
synthesis table to the dossier.
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
from workflows.directory import Organisation, User
from workflows.drafts import Draft

REPLY_STEP = "Task_cns_reply"
SYNTHESIS_STEP = "Task_cns_synthesis"
ANSWERS = ("accepted", "partly_accepted", "explained")
SOURCES = ("public", "agency", "mttq", "appraisal", "examination")


@dataclass(frozen=True)
class OpinionStep:
    """A step whose submission is an opinion: which fields hold the text and the verdict."""

    source: str
    text_field: str
    verdict_field: str
    #: The verdict value that means "agrees" / "ready" (None: the field is a boolean).
    positive: str | None = None


#: The steps whose submissions enter the ledger (element id -> how to read them).
OPINION_STEPS = {
    REPLY_STEP: OpinionStep("agency", "opinion", "agrees"),
    "Task_cns_mttq": OpinionStep("mttq", "mttq_opinion", "mttq_agrees"),
    "Task_apr_appraise": OpinionStep("appraisal", "appraisal_summary", "appraisal_result", "ready"),
    "Task_exm_examine": OpinionStep(
        "examination", "examination_summary", "examination_result", "ready"
    ),
}
#: The step that must answer each source's entries before it completes.
ANSWERED_AT = {
    SYNTHESIS_STEP: ("public", "agency", "mttq"),
    "Task_apr_intake": ("appraisal",),
    "Task_exm_answer": ("examination",),
}

#: The dossier items a step's completion makes itself (the task page does not ask for them).
MADE_AT = {SYNTHESIS_STEP: (synthesis_table.ITEM,)}


class LedgerAnswer(Base):
    __tablename__ = "ledger_answer"
    __table_args__ = (UniqueConstraint("draft_id", "entry_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    entry_key: Mapped[str] = mapped_column(String(60))  # public:<id> | <source>:<task id>
    answer: Mapped[str] = mapped_column(String(20))
    article: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    answered_by: Mapped[str] = mapped_column(String(100))
    answered_at: Mapped[datetime]


@dataclass(frozen=True)
class Entry:
    key: str
    source: str  # one of SOURCES
    author: str
    organisation: str | None
    article: str | None
    text: str
    #: Agrees with the draft (agency, Front) or finds it ready (appraisal, examination).
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
        opinions = [
            s
            for s in engine.submissions(draft.instance_id, session=session)
            if s.task.element_id in OPINION_STEPS
        ]
        # The person who gave the opinion, by name (the synthesis table is a public record).
        usernames = {s.task.completed_by for s in opinions if s.task.completed_by}
        query_names = select(User.username, User.full_name).where(
            User.username.in_(sorted(usernames))
        )
        names = {username: name for username, name in session.execute(query_names).all()}
        for submission in opinions:
            step = OPINION_STEPS[submission.task.element_id]
            data: dict[str, Any] = submission.data
            verdict = data.get(step.verdict_field)
            agrees = bool(verdict) if step.positive is None else verdict == step.positive
            key = f"{step.source}:{submission.task.id}"
            by = submission.task.completed_by or ""
            result.append(
                Entry(
                    key, step.source, names.get(by, by),
                    submission.task.organisation, None, str(data.get(step.text_field) or ""),
                    agrees, False, answers.get(key), _version_at(uploads, submission.at), current,
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


def ledger_check(engine: Engine, draft_of: Any) -> Any:
    """A completion check: refuse a step of :data:`ANSWERED_AT` while one of its entries is
    unanswered; for the synthesis, fill the counts and attach the synthesis table."""

    def check(request: CompletionRequest) -> None:
        sources = ANSWERED_AT.get(request.task.spec_id)
        if sources is None:
            return
        draft = draft_of(request.session, request.task.instance_id)
        if draft is None:
            return
        items = [e for e in entries(request.session, engine, draft) if e.source in sources]
        open_items = [e for e in items if e.answer is None]
        if open_items and request.task.spec_id == SYNTHESIS_STEP:
            raise InvalidData(
                Message(
                    "%(n)s comments in the ledger have no answer yet: answer each one "
                    "(accepted, partly accepted or explained) before completing the synthesis",
                    n=len(open_items),
                ),
                task_id=request.task.id,
            )
        if open_items:
            raise InvalidData(
                Message(
                    "%(n)s findings in the ledger have no answer yet: answer each one "
                    "(accepted, partly accepted or explained) before completing this step",
                    n=len(open_items),
                ),
                task_id=request.task.id,
            )
        if request.task.spec_id != SYNTHESIS_STEP:
            return
        # The submitted data is the dict the engine completes the step with: the counts
        # the gateway compares come from the ledger, never from the form.
        cast(dict[str, Any], request.data).update(counts(items))
        # The synthesis table goes into the dossier (before the dossier check looks for it).
        codes = {draft.lead_agency, *(e.organisation for e in items if e.source != "public")}
        names = {
            o.code: o.name_vi
            for o in request.session.execute(
                select(Organisation).where(Organisation.code.in_([c for c in codes if c]))
            ).scalars()
        }
        synthesis_table.attach(
            request.session, draft, items, names.get(draft.lead_agency, draft.lead_agency),
            request.actor.id, task_id=request.task.id, organisation_names=names,
        )  # fmt: skip

    return check
