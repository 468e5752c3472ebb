"""The registry of regulations in force, the links between them, and their impact history.

Monitoring asks of every regulation in force whether it has a clear effect in practice; the
provinces report it as counts (e.g. of 171 resolutions: 164 clear, 6 unclear, 1 not yet), so
the history is kept per assessment and the current class is the latest one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import InvalidData, Message, clock
from engine.models import Base
from workflows import search
from workflows.calendar import vietnam_date

STATUSES = ("in_force", "amended", "replaced", "suspended", "expired")
IMPACTS = ("clear", "unclear", "not_yet")
LINK_KINDS = ("amends", "replaces", "suspends", "repeals", "details")
#: What a new regulation does to the one it links to (the target's status afterwards).
LINK_STATUS = {
    "amends": "amended",
    "replaces": "replaced",
    "suspends": "suspended",
    "repeals": "expired",
}
#: Statuses an expiry date ends: past it, the regulation is "expired" whatever it said.
LIVE_STATUSES = ("in_force", "amended")


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
    # From this day on it is no longer in force ("hết hiệu lực từ ngày"); see status_on.
    expires_on: Mapped[date | None] = mapped_column(Date)
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
    expires_on: date | None = None,
    draft_id: int | None = None,
) -> Regulation:
    if effective_on < signed_on:
        raise InvalidData(Message("a regulation cannot take effect before it is signed"))
    if expires_on is not None and expires_on <= effective_on:
        raise InvalidData(Message("a regulation cannot stop being in force before it takes effect"))
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
        expires_on=expires_on,
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


def link_and_apply(session: Session, source_id: int, target_id: int, kind: str) -> RegulationLink:
    """Record that ``source`` amends/replaces/suspends/repeals ``target`` and give the target
    the status that follows (:data:`LINK_STATUS`).

    The one way a regulation changes another: the lifecycle's ``register_regulation`` step
    and the registry's entry form and import all call it, so they cannot disagree.
    """
    if source_id == target_id:
        raise InvalidData(Message("a regulation cannot amend or replace itself"))
    row = link(session, source_id, target_id, kind)
    target = session.get(Regulation, target_id)
    if target is not None and kind in LINK_STATUS:
        target.status = LINK_STATUS[kind]
    return row


def unlink_and_restore(session: Session, row: RegulationLink) -> None:
    """Undo :func:`link_and_apply` (a corrected entry): the target's status follows from the
    newest status-changing link left pointing at it, or is "in force" again without one."""
    target_id = row.target_id
    session.delete(row)
    session.flush()
    newest = session.execute(
        select(RegulationLink.kind)
        .where(RegulationLink.target_id == target_id, RegulationLink.kind.in_(tuple(LINK_STATUS)))
        .order_by(RegulationLink.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    target = session.get(Regulation, target_id)
    if target is not None:
        target.status = LINK_STATUS[newest] if newest else "in_force"


def status_on(regulation: Regulation, today: date) -> str:
    """The status as of ``today``: a live regulation past its expiry date is "expired".

    Decided when read, from the clock, so no job has to flip rows at midnight and the
    answer is right on any day (including a day the clock travels to in tests).
    """
    expires = regulation.expires_on
    if regulation.status in LIVE_STATUSES and expires is not None and expires <= today:
        return "expired"
    return regulation.status


def status_is(status: str, today: date) -> ColumnElement[bool]:
    """SQL condition: the regulation's :func:`status_on` ``today`` is ``status``."""
    lapsed = and_(
        Regulation.status.in_(LIVE_STATUSES),
        Regulation.expires_on.is_not(None),
        Regulation.expires_on <= today,
    )
    if status == "expired":
        return or_(Regulation.status == "expired", lapsed)
    if status in LIVE_STATUSES:
        return and_(Regulation.status == status, not_(lapsed))
    return Regulation.status == status


def registry_today() -> date:
    """Vietnamese today, the day every in-force decision is taken on."""
    return vietnam_date(clock.now())


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


def impact_summary(
    session: Session, document_type: str | None = None, today: date | None = None
) -> ImpactSummary:
    """Counts over the regulations in force ``today`` (Vietnamese today by default)."""
    query = select(Regulation.id).where(status_is("in_force", today or registry_today()))
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
    today: date | None = None  # the day ``status`` is judged on; Vietnamese today if None
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
        query = query.where(status_is(flt.status, flt.today or registry_today()))
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
