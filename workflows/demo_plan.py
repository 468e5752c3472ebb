"""The demo's annual plan and sessions, laid out around the day the demo is loaded.

The seeds report "8 drafting tasks behind plan"; the demo must show exactly that on whatever
day it is loaded, for true reasons, without absurd dates. So targets are real dates of a
session calendar (the People's Council meets mid-year and at year end; the People's
Committee at the end of each month), chosen relative to the load day:

* a draft that is on track targets a session at least :data:`ON_TRACK_LEAD` ahead, and its
  plan item belongs to the plan of that session's year (late in the year that is next year's
  plan, which provinces adopt in the fourth quarter);
* a draft whose step is past its deadline, and an item nobody started although its drafting
  period has begun, are behind: they belong to the current year's plan;
* a finished draft belongs to the plan of the year it was signed.

Whether an item is behind is decided by :func:`workflows.plan.plan_status` itself, at the load
moment; the layout then trims or tops up the behind items to exactly :data:`BEHIND_TARGET`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.models import OPEN_STATES, HumanTask
from workflows.calendar import WorkingCalendar, vietnam_date
from workflows.drafts import Draft
from workflows.plan import DRAFTING_LEAD, PlanItem, plan_status

BEHIND_TARGET = 8
#: An on-track draft targets a session at least this far from the load day.
ON_TRACK_LEAD = timedelta(days=30)
#: Items planned for later: their drafting period starts this long after the load day.
LATER_ITEMS = 3


@dataclass(frozen=True)
class Target:
    """A session (or meeting) a document is planned for."""

    name: str
    day: date


def _working_on_or_after(day: date, calendar: WorkingCalendar) -> date:
    return day if calendar.is_working_day(day) else calendar.next_working_day(day)


def _working_on_or_before(day: date, calendar: WorkingCalendar) -> date:
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def targets_of_year(document_type: str, year: int, calendar: WorkingCalendar) -> list[Target]:
    """The demo's sessions of ``year`` for a document type, in date order.

    Resolutions go to the People's Council's two regular sessions (from 10 July and from
    8 December, on working days); decisions to the People's Committee's meeting on the last
    working day of each month. Real councils fix their own dates; these are the demo's.
    """
    if document_type.startswith("nq_"):
        council = "HĐND xã" if document_type.endswith("_xa") else "HĐND tỉnh"
        return [
            Target(
                f"Kỳ họp thường lệ giữa năm {year} của {council}",
                _working_on_or_after(date(year, 7, 10), calendar),
            ),
            Target(
                f"Kỳ họp thường lệ cuối năm {year} của {council}",
                _working_on_or_after(date(year, 12, 8), calendar),
            ),
        ]
    committee = "UBND xã" if document_type.endswith("_xa") else "UBND tỉnh"
    meetings = []
    for month in range(1, 13):
        last = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
        meetings.append(
            Target(
                f"Phiên họp thường kỳ tháng {month}/{year} của {committee}",
                _working_on_or_before(last, calendar),
            )
        )
    return meetings


def next_target(document_type: str, on_or_after: date, calendar: WorkingCalendar) -> Target:
    """The first session of the document type on or after ``on_or_after``."""
    for year in (on_or_after.year, on_or_after.year + 1):
        for target in targets_of_year(document_type, year, calendar):
            if target.day >= on_or_after:
                return target
    raise AssertionError("every year has sessions")  # pragma: no cover


def on_track_target(document_type: str, today: date, calendar: WorkingCalendar) -> Target:
    """Where a draft that is on track is headed: a session at least ON_TRACK_LEAD away."""
    return next_target(document_type, today + ON_TRACK_LEAD, calendar)


def behind_target(document_type: str, today: date, calendar: WorkingCalendar) -> Target:
    """A session of the current year for an item that is behind: the next one this year whose
    drafting period has begun, else the latest one already held this year."""
    this_year = targets_of_year(document_type, today.year, calendar)
    for target in this_year:
        if today <= target.day and today > target.day - DRAFTING_LEAD:
            return target
    held = [target for target in this_year if target.day < today]
    if held:
        return held[-1]
    # Early January before the first meeting of the year: the first one (it is near).
    return this_year[0]


def _overdue_instances(session: Session, now: datetime) -> set[int]:
    return set(
        session.execute(
            select(HumanTask.instance_id).where(
                HumanTask.state.in_(OPEN_STATES), HumanTask.due_at < now
            )
        ).scalars()
    )


@dataclass(frozen=True)
class PlanLayout:
    year: int
    behind: int
    items: int


def lay_out_plan(
    session: Session, drafts: list[Draft], now: datetime, calendar: WorkingCalendar
) -> PlanLayout:
    """Put the walked drafts into the plans and make exactly BEHIND_TARGET items behind.

    Drafts still waiting for their registration to be approved are not in any plan yet; the
    others got an item when it was approved (``enter_plan``), which is reused and moved to
    the plan and session chosen here. An overdue draft beyond the eighth stays outside the
    plan (work that arose during the year): its item is deleted. If fewer than eight are
    behind, planned items nobody has started fill the gap.
    """
    today = vietnam_date(now)
    year = today.year
    overdue = _overdue_instances(session, now)
    behind_drafts = 0
    for stale in drafts:
        draft = session.get(Draft, stale.id)
        assert draft is not None  # noqa: S101 - drafts are never deleted
        if draft.stage == "plan" and draft.status == "active":
            continue  # the registration is not approved yet
        if draft.status == "done" or draft.number:
            signed = draft.signed_on or today
            item_year, target_day = signed.year, signed
        elif draft.status == "active" and draft.instance_id in overdue:
            if behind_drafts >= BEHIND_TARGET:
                _leave_plan(session, draft)
                continue
            behind_drafts += 1
            target = behind_target(draft.document_type, today, calendar)
            item_year, target_day = year, target.day
            draft.target_session, draft.target_date = target.name, target.day
        else:
            # On track: a session far enough ahead (a draft meant to be late that is not
            # overdue after all is on track towards the next session, not "behind").
            if draft.target_date is None or draft.target_date < today + ON_TRACK_LEAD:
                target = on_track_target(draft.document_type, today, calendar)
                draft.target_session, draft.target_date = target.name, target.day
            target_day = draft.target_date
            item_year = target_day.year
        existing = session.get(PlanItem, draft.plan_item_id) if draft.plan_item_id else None
        if existing is not None:
            # enter_plan made the item when the registration was approved: move it to the
            # plan and session this layout chose (it was in the plan from the start).
            existing.year, existing.origin = item_year, "plan"
            existing.target_session, existing.target_date = draft.target_session, target_day
            audit.append_stream_event(
                session, f"plan:{existing.id}", actor="system", action="plan_item_updated",
                data={"year": item_year, "target_date": target_day.isoformat(), "demo": True},
            )  # fmt: skip
        else:
            item = _item(
                session, now, item_year, draft.title, draft.document_type, draft.lead_agency,
                draft.target_session, target_day, "plan",
            )  # fmt: skip
            draft.plan_item_id = item.id
        draft.plan_year = item_year
    behind = _count_behind(session, year, now)
    for number in range(BEHIND_TARGET - behind):
        target = behind_target("qd_ubnd_tinh", today, calendar)
        _item(
            session, now, year, f"Văn bản theo kế hoạch chưa khởi động số {number + 1}",
            "qd_ubnd_tinh", ["SYT", "SGDDT", "SNV"][number % 3], target.name, target.day,
            "arising" if number % 2 else "plan",
        )  # fmt: skip
    later = next_target("nq_hdnd_tinh", today + DRAFTING_LEAD + ON_TRACK_LEAD, calendar)
    for number in range(LATER_ITEMS):
        _item(
            session, now, later.day.year, f"Văn bản dự kiến trình {later.name} số {number + 1}",
            "nq_hdnd_tinh", "STC", later.name, later.day, "plan",
        )  # fmt: skip
    behind = _count_behind(session, year, now)
    if behind != BEHIND_TARGET:
        raise RuntimeError(f"the demo plan has {behind} items behind, not {BEHIND_TARGET}")
    items = session.execute(select(PlanItem.id)).scalars().all()
    return PlanLayout(year=year, behind=behind, items=len(items))


def _leave_plan(session: Session, draft: Draft) -> None:
    """Take a draft out of the plans: the item its registration's approval made goes."""
    item = session.get(PlanItem, draft.plan_item_id) if draft.plan_item_id else None
    draft.plan_item_id = None
    if item is not None:
        session.flush()
        audit.append_stream_event(
            session, f"plan:{item.id}", actor="system", action="plan_item_removed",
            data={"draft_code": draft.code, "demo": True},
        )  # fmt: skip
        session.delete(item)


def _item(
    session: Session,
    now: datetime,
    year: int,
    title: str,
    document_type: str,
    lead_agency: str,
    target_session: str | None,
    target_date: date | None,
    origin: str,
) -> PlanItem:
    item = PlanItem(
        year=year,
        title=title,
        document_type=document_type,
        lead_agency=lead_agency,
        target_session=target_session,
        target_date=target_date,
        origin=origin,
        created_by="system",
        created_at=now,
    )
    session.add(item)
    session.flush()
    return item


def _count_behind(session: Session, year: int, now: datetime) -> int:
    session.flush()
    return sum(1 for status in plan_status(session, year, now) if status.state == "behind")
