"""The annual plan of documents to build, and which items are behind it.

An item is *behind plan* when its draft has a step past its statutory deadline, when the
target session has passed without the document being adopted, or when no draft has started
although the drafting period before the target session has begun. The reason is reported
with the status so a report can say *why* (the seeds: "8 tasks behind plan").

The rule is written twice on purpose: :func:`plan_status` in Python (the reference, item by
item, for the CLI and the demo's layout) and :func:`plan_rows` as one SQL ``CASE`` (what the
plan page and the dashboards read: with 100 k items the page counts and pages in the
database instead of loading every item and draft). Tests check they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import clock
from engine.models import OPEN_STATES, Base, HumanTask
from workflows import search
from workflows.calendar import vietnam_date
from workflows.drafts import Draft

#: How long before the target session drafting must have started (the default drafting rule).
DRAFTING_LEAD = timedelta(days=60)


class PlanItem(Base):
    __tablename__ = "plan_item"
    __table_args__ = (
        # A year's plan with what its counts group and filter by, read from the index alone.
        Index("ix_plan_item_year_facts", "year", "lead_agency", "document_type", "target_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    document_type: Mapped[str] = mapped_column(String(40))
    lead_agency: Mapped[str] = mapped_column(ForeignKey("organisation.code"))
    target_session: Mapped[str | None] = mapped_column(String(200))
    target_date: Mapped[date | None] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(20), default="plan")  # plan | arising
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    # The title folded for accent-insensitive search (workflows.search), kept by the model.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    _keep_search_text = search.folded_column_of("search_text", "title")


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


# The same rule in SQL ---------------------------------------------------------------------

PLAN_STATES = ("behind", "on_track", "not_started", "done", "dropped")
PLAN_REASONS = (
    "drafting has not started",
    "a step is past its deadline",
    "the target session has passed",
    "an administrator cancelled the draft",
)
#: An open task, written as the partial indexes on open work say it: SQLite uses a partial
#: index only when the query's condition visibly implies the index's (engine.task_queries).
OPEN_TASK: ColumnElement[bool] = text(  # type: ignore[assignment]
    "human_task.state IN ('open', 'claimed')"
)
assert set(OPEN_STATES) == {"open", "claimed"}  # noqa: S101 - the text above must follow


def plan_rows(year: int, now: datetime, *conditions: ColumnElement[bool]) -> Select[tuple]:
    """One row per plan item of ``year`` (and ``conditions``): the item, its draft (if any),
    and :func:`plan_status`'s state and reason as of ``now``, computed by the database."""
    today = vietnam_date(now)
    no_draft = Draft.id.is_(None)
    # The instances with an open task past its due date: one non-correlated IN, which the
    # database answers once from the partial index on open tasks' due dates (a correlated
    # EXISTS per plan item, or a join to a grouped subquery, walks every task).
    overdue = Draft.instance_id.in_(
        select(HumanTask.instance_id).where(OPEN_TASK, HumanTask.due_at < now)
    )
    session_passed = and_(PlanItem.target_date.is_not(None), PlanItem.target_date < today)
    start_due = and_(
        PlanItem.target_date.is_not(None), PlanItem.target_date < today + DRAFTING_LEAD
    )
    done = or_(Draft.status == "done", Draft.number.is_not(None))
    state = case(
        (and_(no_draft, start_due), literal("behind")),
        (no_draft, literal("not_started")),
        (Draft.status.in_(("dropped", "cancelled")), literal("dropped")),
        (done, literal("done")),
        (overdue, literal("behind")),
        (session_passed, literal("behind")),
        else_=literal("on_track"),
    )
    reason = case(
        (and_(no_draft, start_due), literal(PLAN_REASONS[0])),
        (no_draft, literal("")),
        (Draft.status == "cancelled", literal(PLAN_REASONS[3])),
        (Draft.status == "dropped", literal("")),
        (done, literal("")),
        (overdue, literal(PLAN_REASONS[1])),
        (session_passed, literal(PLAN_REASONS[2])),
        else_=literal(""),
    )
    return (
        select(
            PlanItem.id.label("item_id"),
            PlanItem.title.label("title"),
            PlanItem.lead_agency.label("agency"),
            PlanItem.document_type.label("document_type"),
            PlanItem.target_date.label("target_date"),
            Draft.id.label("draft_id"),
            Draft.code.label("draft_code"),
            Draft.stage.label("stage"),
            state.label("state"),
            reason.label("reason"),
        )
        .select_from(PlanItem)
        .outerjoin(Draft, Draft.plan_item_id == PlanItem.id)
        .where(PlanItem.year == year, *conditions)
    )


@dataclass(frozen=True)
class PlanFilter:
    """What the plan page's URL chooses (empty: all)."""

    state: str = ""
    document_type: str = ""
    lead_agency: str = ""
    text: str = ""  # in the item's title or the draft's code, accents and case ignored

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.document_type:
            conditions.append(PlanItem.document_type == self.document_type)
        if self.lead_agency:
            conditions.append(PlanItem.lead_agency == self.lead_agency)
        wanted = search.fold(self.text)
        if wanted:
            conditions.append(
                or_(
                    PlanItem.search_text.contains(wanted, autoescape=True),
                    func.lower(func.coalesce(Draft.code, "")).contains(wanted, autoescape=True),
                )
            )
        return conditions


@dataclass(frozen=True)
class PlanPage:
    #: state -> items of the whole year's plan (what the page's tabs count)
    counts: dict[str, int]
    all_count: int
    #: items matching the filter (all pages)
    total: int
    #: the page's items, in plan order, with their drafts
    rows: list[PlanStatus]
    #: the lead agencies of the year's plan
    agencies: list[str]


def plan_page(
    session: Session,
    year: int,
    flt: PlanFilter,
    offset: int,
    limit: int,
    now: datetime | None = None,
) -> PlanPage:
    """One page of ``year``'s plan with the counts that head it, in three queries whatever
    the plan's size: counts per state (of the year, and of the items the filter keeps), the
    page's item ids, and the page's items and drafts. Nothing else of the plan is loaded."""
    now = clock.as_utc(now) if now is not None else clock.now()
    conditions = flt.conditions()
    kept = and_(*conditions) if conditions else literal(True)
    rows = plan_rows(year, now).add_columns(kept.label("kept")).subquery()
    counts = dict.fromkeys(PLAN_STATES, 0)
    matching: dict[str, int] = dict.fromkeys(PLAN_STATES, 0)
    for state, n, k in session.execute(
        select(rows.c.state, func.count(), func.sum(case((rows.c.kept, 1), else_=0))).group_by(
            rows.c.state
        )
    ).all():
        counts[state] = int(n)
        matching[state] = int(k or 0)
    total = matching.get(flt.state, 0) if flt.state else sum(matching.values())
    page = plan_rows(year, now, *conditions).subquery()
    query = select(page.c.item_id, page.c.state, page.c.reason)
    if flt.state:
        query = query.where(page.c.state == flt.state)
    shown = session.execute(query.order_by(page.c.item_id).offset(offset).limit(limit)).all()
    ids = [row.item_id for row in shown]
    items = {
        i.id: i for i in session.execute(select(PlanItem).where(PlanItem.id.in_(ids))).scalars()
    }
    drafts = {
        d.plan_item_id: d
        for d in session.execute(select(Draft).where(Draft.plan_item_id.in_(ids))).scalars()
    }
    agencies = sorted(
        session.execute(
            select(PlanItem.lead_agency).where(PlanItem.year == year).distinct()
        ).scalars()
    )
    return PlanPage(
        counts,
        sum(counts.values()),
        total,
        [
            PlanStatus(items[row.item_id], drafts.get(row.item_id), row.state, row.reason or None)
            for row in shown
        ],
        agencies,
    )
