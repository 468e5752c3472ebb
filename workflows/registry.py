"""The registry of regulations in force, the links between them, and their impact history.

Monitoring asks of every regulation in force whether it has a clear effect in practice; the
provinces report it as counts (e.g. of 171 resolutions: 164 clear, 6 unclear, 1 not yet), so
the history is kept per assessment and the current class is the latest one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import InvalidData, Message, clock
from engine.models import Base
from workflows import search
from workflows.calendar import vietnam_date

STATUSES = ("in_force", "amended", "replaced", "suspended", "expired")
IMPACTS = ("clear", "unclear", "not_yet")
LINK_KINDS = ("amends", "replaces", "suspends", "repeals", "details")
FOLLOW_UP_STATUS = {
    "amend": "amended",
    "replace": "replaced",
    "suspend": "suspended",
    "repeal": "expired",
}


class Regulation(Base):
    __tablename__ = "regulation"
    # Numbers restart per issuing body (each commune has its own 01/2026/NQ-HĐND).
    __table_args__ = (UniqueConstraint("issuing_body", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(500))
    document_type: Mapped[str] = mapped_column(String(40), index=True)
    issuing_body: Mapped[str] = mapped_column(ForeignKey("organisation.code"))
    lead_agency: Mapped[str | None] = mapped_column(ForeignKey("organisation.code"))
    signed_on: Mapped[date] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    effective_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # The draft it came from (no foreign key: drafts also point at regulations they amend).
    draft_id: Mapped[int | None] = mapped_column(Integer)
    monitoring_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    created_at: Mapped[datetime]
    # fold(title + number), what the registry's text filter searches (see workflows.search).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    _keep_search_text = search.folded_column_of("search_text", "title", "number")


class DocumentNumber(Base):
    """Last number given per issuing body, year and form (``12/2026/NQ-HĐND``)."""

    __tablename__ = "document_number"

    issuing_body: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    suffix: Mapped[str] = mapped_column(String(20), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


def next_number(session: Session, issuing_body: str, year: int, suffix: str) -> str:
    """Allocate the next number; the row lock (or SQLite's single writer) makes it unique."""
    row = session.execute(
        select(DocumentNumber)
        .where(
            DocumentNumber.issuing_body == issuing_body,
            DocumentNumber.year == year,
            DocumentNumber.suffix == suffix,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = DocumentNumber(issuing_body=issuing_body, year=year, suffix=suffix, last=0)
        session.add(row)
    row.last += 1
    session.flush()
    return f"{row.last:02d}/{year}/{suffix}"


class RegulationLink(Base):
    """``source`` amends/replaces/suspends/repeals/details ``target``."""

    __tablename__ = "regulation_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("regulation.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("regulation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class ImpactAssessment(Base):
    __tablename__ = "impact_assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    regulation_id: Mapped[int] = mapped_column(ForeignKey("regulation.id"), index=True)
    period: Mapped[str] = mapped_column(String(20))  # e.g. "2026-H1"
    impact: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    assessed_by: Mapped[str] = mapped_column(String(100))
    assessed_at: Mapped[datetime]


def register(
    session: Session,
    *,
    number: str,
    title: str,
    document_type: str,
    issuing_body: str,
    lead_agency: str | None,
    signed_on: date,
    effective_on: date,
    published_on: date | None = None,
    draft_id: int | None = None,
) -> Regulation:
    if effective_on < signed_on:
        raise InvalidData(Message("a regulation cannot take effect before it is signed"))
    taken = select(Regulation.id).where(
        Regulation.number == number, Regulation.issuing_body == issuing_body
    )
    if session.execute(taken).first():
        raise InvalidData(
            Message(
                "%(body)s already has a regulation numbered %(number)s",
                body=issuing_body,
                number=number,
            )
        )
    row = Regulation(
        number=number,
        title=title,
        document_type=document_type,
        issuing_body=issuing_body,
        lead_agency=lead_agency,
        signed_on=signed_on,
        published_on=published_on,
        effective_on=effective_on,
        status="in_force",
        draft_id=draft_id,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def link(session: Session, source_id: int, target_id: int, kind: str) -> RegulationLink:
    if kind not in LINK_KINDS:
        raise InvalidData(Message("'%(kind)s' is not a link kind", kind=kind))
    row = RegulationLink(
        source_id=source_id, target_id=target_id, kind=kind, created_at=clock.now()
    )
    session.add(row)
    session.flush()
    return row


def half_year(day: date) -> str:
    """The reporting half-year a day falls in: ``2026-H1`` (January-June) or ``2026-H2``."""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def last_complete_half_year(today: date) -> str:
    """The latest half-year that has ended by ``today`` (what a semi-annual report covers)."""
    return f"{today.year}-H1" if today.month >= 7 else f"{today.year - 1}-H2"


def record_impact(
    session: Session,
    regulation_id: int,
    impact: str,
    actor: str,
    *,
    period: str | None = None,
    note: str | None = None,
) -> ImpactAssessment:
    if impact not in IMPACTS:
        raise InvalidData(Message("impact must be one of %(choices)s", choices=", ".join(IMPACTS)))
    now = clock.now()
    row = ImpactAssessment(
        regulation_id=regulation_id,
        period=period or half_year(vietnam_date(now)),
        impact=impact,
        note=note,
        assessed_by=actor,
        assessed_at=now,
    )
    session.add(row)
    session.flush()
    return row


def current_impacts(session: Session) -> dict[int, str]:
    """Latest impact class per regulation that has been assessed."""
    latest = (
        select(ImpactAssessment.regulation_id, func.max(ImpactAssessment.id).label("last_id"))
        .group_by(ImpactAssessment.regulation_id)
        .subquery()
    )
    rows = session.execute(
        select(ImpactAssessment.regulation_id, ImpactAssessment.impact).join(
            latest, ImpactAssessment.id == latest.c.last_id
        )
    ).all()
    return dict(rows)


@dataclass(frozen=True)
class ImpactSummary:
    in_force: int
    clear: int
    unclear: int
    not_yet: int
    unassessed: int


def impact_summary(session: Session, document_type: str | None = None) -> ImpactSummary:
    query = select(Regulation.id).where(Regulation.status == "in_force")
    if document_type:
        query = query.where(Regulation.document_type == document_type)
    ids = set(session.execute(query).scalars())
    impacts = {k: v for k, v in current_impacts(session).items() if k in ids}
    counts = {name: sum(1 for v in impacts.values() if v == name) for name in IMPACTS}
    return ImpactSummary(
        len(ids), counts["clear"], counts["unclear"], counts["not_yet"], len(ids) - len(impacts)
    )


@dataclass(frozen=True)
class RegulationFilter:
    text: str | None = None
    document_type: str | None = None
    status: str | None = None
    impact: str | None = None
    limit: int = 50
    offset: int = 0


def list_regulations(session: Session, flt: RegulationFilter) -> tuple[list[Regulation], int]:
    query = select(Regulation)
    text = search.contains(Regulation.search_text, flt.text)
    if text is not None:
        query = query.where(text)
    if flt.document_type:
        query = query.where(Regulation.document_type == flt.document_type)
    if flt.status:
        query = query.where(Regulation.status == flt.status)
    if flt.impact:
        matching = [k for k, v in current_impacts(session).items() if v == flt.impact]
        query = query.where(Regulation.id.in_(matching))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(Regulation.signed_on.desc(), Regulation.id.desc())
        .limit(max(1, min(flt.limit, 200)))
        .offset(max(0, flt.offset))
    ).scalars()
    return list(rows), int(total)


def links_of(session: Session, regulation_id: int) -> list[RegulationLink]:
    return list(
        session.execute(
            select(RegulationLink).where(
                or_(
                    RegulationLink.source_id == regulation_id,
                    RegulationLink.target_id == regulation_id,
                )
            )
        ).scalars()
    )
