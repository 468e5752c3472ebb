"""Drafts: the legal documents being made, each driven by one process instance.

A draft carries what the law and the plan say about the document (type, issuing body, lead
agency, plan year and target session, procedure, legal basis); its ``stage`` mirrors the
``stage`` property of the open steps of its process, kept current by a step listener.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.context import StepEvent
from engine.models import Base, HumanTask
from workflows import search
from workflows.roles import STAGE_CODES

DOCUMENT_TYPES: dict[str, tuple[str, str, str]] = {
    # process id: (Vietnamese, English, number suffix)
    "nq_hdnd_tinh": ("Nghị quyết HĐND tỉnh", "Provincial People's Council resolution", "NQ-HĐND"),
    "qd_ubnd_tinh": ("Quyết định UBND tỉnh", "Provincial People's Committee decision", "QĐ-UBND"),
    "qd_ct_ubnd_tinh": (
        "Quyết định của Chủ tịch UBND tỉnh",
        "Decision of the provincial People's Committee chairperson",
        "QĐ-CT",
    ),
    "nq_hdnd_xa": ("Nghị quyết HĐND xã", "Commune People's Council resolution", "NQ-HĐND"),
    "qd_ubnd_xa": ("Quyết định UBND xã", "Commune People's Committee decision", "QĐ-UBND"),
}
COMMUNE_TYPES = frozenset({"nq_hdnd_xa", "qd_ubnd_xa"})
#: What a draft's ``status`` may be: ``dropped`` is the process's own decision (the HĐND did
#: not pass it), ``suspended`` and ``cancelled`` an administrator's (workflows.draft_admin).
STATUSES = ("active", "suspended", "done", "dropped", "cancelled")


class Draft(Base):
    __tablename__ = "draft"
    __table_args__ = (
        # The dashboards with 100 k drafts read drafts from these indexes alone (no row):
        # a plan item's draft, what its plan state needs and its code (the plan page's search)...
        Index(
            "ix_draft_plan_item_state", "plan_item_id", "status", "number", "instance_id", "code"
        ),
        # ...and a task's draft by process instance with what step times group and filter by.
        Index(
            "ix_draft_instance_facts", "instance_id", "document_type", "procedure", "lead_agency"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    document_type: Mapped[str] = mapped_column(String(40), index=True)
    issuing_body: Mapped[str] = mapped_column(ForeignKey("organisation.code"))
    lead_agency: Mapped[str] = mapped_column(ForeignKey("organisation.code"), index=True)
    commune: Mapped[str | None] = mapped_column(String(40))
    plan_year: Mapped[int] = mapped_column(Integer)
    target_session: Mapped[str | None] = mapped_column(String(200))
    target_date: Mapped[date | None] = mapped_column(Date)
    ground: Mapped[str] = mapped_column(String(40), default="none")
    procedure: Mapped[str | None] = mapped_column(String(20))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # one of STATUSES
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("plan_item.id"))
    follows_regulation_id: Mapped[int | None] = mapped_column(ForeignKey("regulation.id"))
    follow_up_kind: Mapped[str | None] = mapped_column(String(20))
    rules_as_of: Mapped[date] = mapped_column(Date)
    number: Mapped[str | None] = mapped_column(String(60))  # unique per issuing body
    signed_on: Mapped[date | None] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    effective_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # fold(title + code), what the list's text filter searches (see workflows.search).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    _keep_search_text = search.folded_column_of("search_text", "title", "code")


#: The advisory lock key (with the year) under which draft codes are numbered on PostgreSQL.
_CODE_LOCK = 4_207_001


def next_code(session: Session, year: int) -> str:
    """The next ``DT-<year>-NNN``. On PostgreSQL, creations take turns on a transaction-level
    advisory lock until they commit, so two at once never get the same number (READ COMMITTED:
    the count after the lock sees the previous holder's draft). SQLite writers are serial."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_CODE_LOCK, year)))
    prefix = f"DT-{year}-"
    count = session.execute(
        select(func.count()).select_from(Draft).where(Draft.code.like(f"{prefix}%"))
    ).scalar_one()
    return f"{prefix}{count + 1:03d}"


@dataclass(frozen=True)
class DraftFilter:
    text: str | None = None
    document_type: str | None = None
    stage: str | None = None
    status: str | None = None
    lead_agency: str | None = None
    plan_year: int | None = None
    visible_to: frozenset[str] | None = None  # organisation codes; None = everything
    worked_by: str | None = None  # with visible_to: also drafts whose steps this user worked
    limit: int = 50
    offset: int = 0


def list_drafts(session: Session, flt: DraftFilter) -> tuple[list[Draft], int]:
    query = select(Draft)
    text = search.contains(Draft.search_text, flt.text)
    if text is not None:
        query = query.where(text)
    if flt.document_type:
        query = query.where(Draft.document_type == flt.document_type)
    if flt.stage:
        query = query.where(Draft.stage == flt.stage)
    if flt.status:
        query = query.where(Draft.status == flt.status)
    if flt.lead_agency:
        query = query.where(Draft.lead_agency == flt.lead_agency)
    if flt.plan_year:
        query = query.where(Draft.plan_year == flt.plan_year)
    if flt.visible_to is not None:
        involved = [HumanTask.organisation.in_(flt.visible_to)]
        if flt.worked_by:
            involved += [
                HumanTask.assignee == flt.worked_by,
                HumanTask.completed_by == flt.worked_by,
            ]
        query = query.where(
            or_(
                Draft.lead_agency.in_(flt.visible_to),
                Draft.issuing_body.in_(flt.visible_to),
                Draft.instance_id.in_(select(HumanTask.instance_id).where(or_(*involved))),
            )
        )
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(Draft.updated_at.desc(), Draft.id.desc())
        .limit(max(1, min(flt.limit, 200)))
        .offset(max(0, flt.offset))
    ).scalars()
    return list(rows), int(total)


def draft_by_code(session: Session, code: str | None) -> Draft | None:
    """The draft of that code (a draft's process has it as business key).

    On every step's path, several times (its stage, its step figures, its notifications),
    and a batch of timers steps many processes in one session: the drafts found are held
    for the session (its identity map keeps objects only while referenced), so each is read
    once. The object is what is held, so changes made in the session show; codes never
    change.
    """
    if not code:
        return None
    held = session.info.setdefault(_HELD_KEY, {})
    draft = held.get(code)
    if draft is not None and inspect(draft).persistent:
        return draft  # type: ignore[no-any-return]
    draft = session.execute(_BY_CODE, {"code": code}).scalar_one_or_none()
    if draft is not None:
        held[code] = draft
    return draft


_BY_CODE = select(Draft).where(Draft.code == bindparam("code"))
_HELD_KEY = "lexflow.drafts"


def track_stage(event: StepEvent) -> None:
    """Step listener: keep the draft's stage and procedure in line with its process."""
    # By business key: when the process starts, the draft does not know its instance id yet.
    draft = draft_by_code(event.session, event.instance.business_key)
    if draft is None or draft.instance_id not in (None, event.instance.id):
        return
    stages = [
        info.properties.get("stage")
        for _row, info in event.open_tasks
        if info is not None and info.properties.get("stage") in STAGE_CODES
    ]
    if stages:
        # The furthest stage among the open steps (parallel branches may differ).
        draft.stage = max(stages, key=STAGE_CODES.index)
    procedure = event.data.get("procedure")
    if procedure in ("normal", "simplified"):
        draft.procedure = procedure
    if event.instance.status == "completed" and draft.status in ("active", "done"):
        draft.status = "done"
        draft.stage = "monitoring" if draft.number else "done"
    elif event.instance.status == "cancelled":
        # Stopped from outside the model (workflows.draft_admin), not by its own decision.
        draft.status = "cancelled"
        draft.stage = "dropped"
    elif draft.status == "dropped":
        draft.stage = "dropped"
    draft.updated_at = event.instance.updated_at
