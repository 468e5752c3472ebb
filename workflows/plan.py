"""The annual plan of documents to build, and which items are behind it.

An item is *behind plan* when its draft has a step past its statutory deadline, when the
target session has passed without the document being adopted, or when no draft has started
although the drafting period before the target session has begun. The reason is reported
with the status so a report can say *why* (the seeds: "8 tasks behind plan").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Date, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import clock
from engine.models import OPEN_STATES, Base, HumanTask
from workflows.calendar import vietnam_date
from workflows.drafts import Draft

#: How long before the target session drafting must have started (the default drafting rule).
DRAFTING_LEAD = timedelta(days=60)


class PlanItem(Base):
    __tablename__ = "plan_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(500))
    document_type: Mapped[str] = mapped_column(String(40))
    lead_agency: Mapped[str] = mapped_column(ForeignKey("organisation.code"))
    target_session: Mapped[str | None] = mapped_column(String(200))
    target_date: Mapped[date | None] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(20), default="plan")  # plan | arising
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


@dataclass(frozen=True)
class PlanStatus:
    item: PlanItem
    draft: Draft | None
    state: str  # not_started | on_track | behind | done | dropped
    reason: str | None = None


def plan_status(session: Session, year: int, now: datetime | None = None) -> list[PlanStatus]:
    """The state of every item of ``year``'s plan as of ``now`` (default: the clock's now).

    Every decision (a step past its deadline, the target session passed, drafting due to have
    started) is taken at that one moment, so a report run for a chosen day is that day's.
    """
    now = clock.as_utc(now) if now is not None else clock.now()
    today = vietnam_date(now)
    items = list(
        session.execute(
            select(PlanItem).where(PlanItem.year == year).order_by(PlanItem.id)
        ).scalars()
    )
    drafts = {
        d.plan_item_id: d
        for d in session.execute(
            select(Draft).where(Draft.plan_item_id.in_([i.id for i in items]))
        ).scalars()
    }
    overdue = set(
        session.execute(
            select(HumanTask.instance_id).where(
                HumanTask.state.in_(OPEN_STATES), HumanTask.due_at < now
            )
        ).scalars()
    )
    result = []
    for item in items:
        draft = drafts.get(item.id)
        result.append(_status(item, draft, overdue, today))
    return result


def _status(item: PlanItem, draft: Draft | None, overdue: set[int], today: date) -> PlanStatus:
    if draft is None:
        if item.target_date and today > item.target_date - DRAFTING_LEAD:
            return PlanStatus(item, None, "behind", "drafting has not started")
        return PlanStatus(item, None, "not_started")
    if draft.status == "dropped":
        return PlanStatus(item, draft, "dropped")
    if draft.status == "cancelled":
        return PlanStatus(item, draft, "dropped", "an administrator cancelled the draft")
    if draft.status == "done" or draft.number:
        return PlanStatus(item, draft, "done")
    if draft.instance_id in overdue:
        return PlanStatus(item, draft, "behind", "a step is past its deadline")
    if item.target_date and today > item.target_date:
        return PlanStatus(item, draft, "behind", "the target session has passed")
    return PlanStatus(item, draft, "on_track")
