"""Entering items into the annual plan and editing them, by hand or from an approved registration.

The plan is the People's Committee's: its office (Văn phòng UBND) keeps it and the Department
of Justice, which appraises the plan, corrects it, so holders of the ``ubnd_office`` role,
anybody working in an organisation of kind ``justice_department`` and administrators may
enter and edit items (:func:`may_edit_plan`). Every check is made here, not in a page, so a
CLI or API caller gets the same refusals; each field's problem is reported separately
(:class:`PlanItemRejected`) so a form can show it beside the field.

Once a draft has started on an item the draft carries the item's document type and lead
agency into its process (lanes and deadlines depend on them), so those two stay fixed; the
target session and date, the title and the year may still move with the plan.

Every change is appended to the audit stream ``plan:<item id>``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, InvalidData, Message, audit, clock
from workflows.directory import Organisation
from workflows.drafts import DOCUMENT_TYPES, Draft
from workflows.plan import PlanItem

ORIGINS = ("plan", "arising")
#: Roles that keep the plan wherever they are held.
PLAN_KEEPER_ROLES = frozenset({"ubnd_office"})
#: Whoever holds any role in an organisation of these kinds keeps the plan too.
PLAN_KEEPER_KINDS = frozenset({"justice_department"})
MIN_YEAR, MAX_YEAR = 2000, 2100
MIN_TITLE, MAX_TITLE = 5, 500
MAX_SESSION = 200


@dataclass(frozen=True)
class PlanItemFields:
    """What a person enters for an item; ``None`` lead agency or type means "unchanged"."""

    year: int
    title: str
    document_type: str | None
    lead_agency: str | None
    target_session: str | None
    target_date: date | None
    origin: str = "plan"


class PlanItemRejected(InvalidData):
    """The item was not saved; ``fields`` maps each field name to what is wrong with it."""

    def __init__(self, fields: dict[str, Message]) -> None:
        super().__init__(Message("the plan item has fields to correct"))
        self.fields = fields


def may_edit_plan(session: Session, actor: Actor) -> bool:
    """True for administrators, plan keepers and anybody of the Department of Justice."""
    if actor.is_admin or any(grant.role in PLAN_KEEPER_ROLES for grant in actor.grants):
        return True
    codes = {grant.organisation for grant in actor.grants if grant.organisation}
    if not codes:
        return False
    kinds = session.execute(select(Organisation.kind).where(Organisation.code.in_(codes))).scalars()
    return any(kind in PLAN_KEEPER_KINDS for kind in kinds)


def draft_of_item(session: Session, item_id: int) -> Draft | None:
    """The draft started on the item, if any (one draft per item)."""
    return (
        session.execute(select(Draft).where(Draft.plan_item_id == item_id).limit(1))
        .scalars()
        .first()
    )


def item_problems(
    session: Session, fields: PlanItemFields, item: PlanItem | None = None
) -> dict[str, Message]:
    """What is wrong with each field, for a new item (``item`` None) or a change to ``item``;
    empty when the fields may be saved."""
    started = item is not None and draft_of_item(session, item.id) is not None
    problems: dict[str, Message] = {}
    if not MIN_YEAR <= fields.year <= MAX_YEAR:
        problems["year"] = Message(
            "The year is between %(low)s and %(high)s.", low=MIN_YEAR, high=MAX_YEAR
        )
    if not MIN_TITLE <= len(fields.title) <= MAX_TITLE:
        problems["title"] = Message(
            "The title needs %(low)s to %(high)s characters.", low=MIN_TITLE, high=MAX_TITLE
        )
    if started and item is not None:  # the draft's process depends on these two
        if fields.document_type not in (None, item.document_type):
            problems["document_type"] = Message(
                "A draft has started on this item: its document type can no longer change."
            )
        if fields.lead_agency not in (None, item.lead_agency):
            problems["lead_agency"] = Message(
                "A draft has started on this item: its lead agency can no longer change."
            )
    else:
        if fields.document_type not in DOCUMENT_TYPES:
            problems["document_type"] = Message("Choose a document type.")
        agency = session.get(Organisation, fields.lead_agency) if fields.lead_agency else None
        if agency is None or not agency.active:
            problems["lead_agency"] = Message("Choose an active organisation as lead agency.")
    if fields.target_session and len(fields.target_session) > MAX_SESSION:
        problems["target_session"] = Message(
            "The target session is at most %(n)s characters.", n=MAX_SESSION
        )
    year_ok = "year" not in problems  # a date cannot be checked against a wrong year
    if year_ok and fields.target_date is not None and fields.target_date.year < fields.year:
        problems["target_date"] = Message(
            "The target date is in the plan year %(year)s or later.", year=fields.year
        )
    if fields.origin not in ORIGINS:
        problems["origin"] = Message("The origin is the annual plan or arising during the year.")
    return problems


def _snapshot(item: PlanItem) -> dict[str, Any]:
    return {
        "year": item.year,
        "title": item.title,
        "document_type": item.document_type,
        "lead_agency": item.lead_agency,
        "target_session": item.target_session,
        "target_date": item.target_date.isoformat() if item.target_date else None,
        "origin": item.origin,
    }


def create_item(session: Session, actor: Actor, fields: PlanItemFields) -> PlanItem:
    """Add an item to the plan of ``fields.year``; :class:`PlanItemRejected` if any field is
    wrong (nothing is written then)."""
    problems = item_problems(session, fields)
    if problems:
        raise PlanItemRejected(problems)
    assert fields.document_type and fields.lead_agency  # noqa: S101 - checked above
    item = PlanItem(
        year=fields.year,
        title=fields.title,
        document_type=fields.document_type,
        lead_agency=fields.lead_agency,
        target_session=fields.target_session or None,
        target_date=fields.target_date,
        origin=fields.origin,
        created_by=actor.id,
        created_at=clock.now(),
    )
    session.add(item)
    session.flush()
    audit.append_stream_event(
        session, f"plan:{item.id}", actor=actor.id, action="plan_item_created", data=_snapshot(item)
    )
    return item


def update_item(session: Session, actor: Actor, item: PlanItem, fields: PlanItemFields) -> PlanItem:
    """Change an item; once a draft has started on it, its document type and lead agency stay
    (``None`` for either means "unchanged"; another value is a field problem)."""
    problems = item_problems(session, fields, item)
    if problems:
        raise PlanItemRejected(problems)
    before = _snapshot(item)
    item.year, item.title = fields.year, fields.title
    item.document_type = fields.document_type or item.document_type
    item.lead_agency = fields.lead_agency or item.lead_agency
    item.target_session = fields.target_session or None
    item.target_date = fields.target_date
    item.origin = fields.origin
    after = _snapshot(item)
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changed:
        audit.append_stream_event(
            session, f"plan:{item.id}", actor=actor.id, action="plan_item_updated", data=changed
        )
    session.flush()
    return item


@dataclass(frozen=True)
class PlanEntry:
    """What :func:`enter_plan` did (the service returns it as process data)."""

    plan_item_id: int
    year: int
    origin: str
    created: bool

    def as_data(self) -> dict[str, Any]:
        return asdict(self)


def enter_plan(
    session: Session,
    draft: Draft,
    actor: str,
    target_session: str | None = None,
    now: datetime | None = None,
) -> PlanEntry:
    """Link a draft whose registration was approved to its item of the annual plan.

    A draft started from an item keeps that item. Otherwise a new item is made from the draft
    (its plan year, title, type, lead agency and target; the registration form's
    ``target_session`` answer when the draft names none). The new item's origin is
    ``arising`` when the year's plan already has items, ``plan`` otherwise: a plan that has
    items has been drawn up, so a registration approved after that arises during the year;
    while a year's plan is still empty, the approved registrations are what it is being drawn
    up from. Calling it again for the same draft changes nothing (a returned and re-approved
    registration keeps its item).
    """
    if draft.plan_item_id is not None:
        item = session.get(PlanItem, draft.plan_item_id)
        if item is not None:
            return PlanEntry(item.id, item.year, item.origin, created=False)
    session_name = (draft.target_session or target_session or "").strip()[:MAX_SESSION] or None
    has_items = session.execute(
        select(PlanItem.id).where(PlanItem.year == draft.plan_year).limit(1)
    ).first()
    item = PlanItem(
        year=draft.plan_year,
        title=draft.title,
        document_type=draft.document_type,
        lead_agency=draft.lead_agency,
        target_session=session_name,
        target_date=draft.target_date,
        origin="arising" if has_items else "plan",
        created_by=actor,
        created_at=clock.as_utc(now) if now is not None else clock.now(),
    )
    session.add(item)
    session.flush()
    draft.plan_item_id = item.id
    draft.target_session = draft.target_session or session_name
    audit.append_stream_event(
        session,
        f"plan:{item.id}",
        actor=actor,
        action="plan_item_entered",
        data={**_snapshot(item), "draft_code": draft.code},
    )
    return PlanEntry(item.id, item.year, item.origin, created=True)
