"""When the public may comment: the window follows the BPMN step, not a date typed twice.

Decision (documented in the module so the page, the form and the tests agree): the window
is **open while the consultation stage waits on its posting timer** (``Timer_cns_posting`` in
``stage_consultation.bpmn``). It opens when the drafter completes the posting step
(``Task_cns_post``), which arms the timer, and closes when the timer fires at the end of the
posting period of the rule table (the BPMN's ``deadline("posting")``). A draft whose
process is suspended, cancelled or past that point accepts no comment. The days left are
counted in the unit of the rule (working or calendar days, per the working-day calendar).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Engine, clock
from workflows import search
from workflows.calendar import WorkingCalendar, vietnam_date
from workflows.deadlines import find_rule, rules_snapshot
from workflows.drafts import Draft

POSTING_STEP = "Task_cns_post"
POSTING_TIMER = "Timer_cns_posting"


@dataclass(frozen=True)
class Window:
    opened_at: datetime | None
    closes_at: datetime
    unit: str  # working_days | calendar_days
    days_left: int

    @property
    def closes_on(self) -> date:
        return vietnam_date(self.closes_at)


def comment_window(
    session: Session, engine: Engine, calendar: WorkingCalendar, draft: Draft
) -> Window | None:
    """The open window of ``draft``, or None when it accepts no comment now."""
    if draft.instance_id is None or draft.status != "active":
        return None
    timers = [
        t
        for t in engine.waiting_timers(draft.instance_id, session=session)
        if t.element_id == POSTING_TIMER
    ]
    if not timers:
        return None
    instance = engine.instance(draft.instance_id, session=session)
    if getattr(instance, "status", "running") != "running":
        return None
    closes_at = timers[0].due_at
    if closes_at <= clock.now():
        return None  # due but not yet fired by the scheduler: closed all the same
    opened_at = None
    for submission in engine.submissions(draft.instance_id, session=session):
        if submission.task.element_id == POSTING_STEP:
            opened_at = submission.at
    unit = "calendar_days"
    try:
        snapshot = rules_snapshot(session, draft.document_type, draft.rules_as_of)
        rule = find_rule({"deadline_rules": snapshot, "procedure": draft.procedure}, "posting")
        unit = str(rule["unit"])
    except ValueError:
        pass
    today, last = vietnam_date(clock.now()), vietnam_date(closes_at)
    if unit == "working_days":
        left = calendar.working_days_between(today, last)
    else:
        left = (last - today).days
    return Window(opened_at, closes_at, unit, max(left, 0))


MAX_LISTED = 200


def drafts_in_consultation(
    session: Session, engine: Engine, calendar: WorkingCalendar, text: str | None = None
) -> list[tuple[Draft, Window | None]]:
    """The drafts in the consultation stage (newest first, at most 200), each with its open
    window (None: not open for comment now), matching ``text`` without regard to accents."""
    rows = session.execute(
        select(Draft)
        .where(Draft.stage == "consultation", Draft.status == "active")
        .order_by(Draft.id.desc())
        .limit(MAX_LISTED)
    ).scalars()
    return [
        (draft, comment_window(session, engine, calendar, draft))
        for draft in rows
        if search.matches(text, draft.title, draft.code, draft.summary)
    ]
