"""Whether each draft can still reach its target session, and telling the heads when not.

:class:`BackwardPlanner` puts :func:`workflows.reports.schedule.plan_backwards` to a draft:
its document type's rules as they stood when the draft started (``rules_as_of``), its
procedure and stage, its target date. Plans are memoised on those facts (many drafts share a
session date and a stage), so the plan list, the dashboard and the daily check do not count
working days again for each draft.

:func:`notify_infeasible_plans` is the daily check: every active draft whose plan has become
infeasible (negative slack: the first remaining step should already have started) is told
to the head of its lead agency and the heads of the Department of Justice, once per draft
and target date: a draft already told for its target date is skipped (a head appointed
since is not told of it again), and the notification's uniqueness key keeps two runs at
once from telling anyone twice. A new target date that is missed again is a new
notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from workflows.calendar import WorkingCalendar, vietnam_date
from workflows.deadlines import rules_snapshot
from workflows.deadlines import step_name as rule_step_name
from workflows.directory import Organisation
from workflows.drafts import Draft
from workflows.notifications import (
    PLAN_INFEASIBLE,
    Notice,
    Notification,
    notify_each,
    role_holders,
)
from workflows.reports.access import HEAD_ROLE, JUSTICE_KIND
from workflows.reports.schedule import FIRST_REMAINING, BackwardPlan, plan_backwards


@dataclass(frozen=True)
class PlanFacts:
    """What a draft's backward plan depends on."""

    document_type: str
    procedure: str | None
    stage: str
    target: date
    rules_as_of: date


class BackwardPlanner:
    """Backward plans of drafts as of ``today``, memoised per :class:`PlanFacts`."""

    def __init__(self, session: Session, calendar: WorkingCalendar, today: date) -> None:
        self._session = session
        self._calendar = calendar
        self.today = today
        self._rules: dict[tuple[str, date], dict[str, dict[str, Any]]] = {}
        self._plans: dict[PlanFacts, BackwardPlan] = {}

    def plan(self, facts: PlanFacts) -> BackwardPlan:
        if facts not in self._plans:
            key = (facts.document_type, facts.rules_as_of)
            if key not in self._rules:
                self._rules[key] = rules_snapshot(self._session, *key)
            self._plans[facts] = plan_backwards(
                self._calendar,
                self._rules[key].get(facts.procedure or "normal", {}),
                facts.document_type,
                facts.stage,
                facts.target,
                self.today,
            )
        return self._plans[facts]

    def for_draft(self, draft: Draft) -> BackwardPlan | None:
        """The draft's plan (None: no target date, or the draft is not active)."""
        if draft.target_date is None or draft.status != "active":
            return None
        return self.plan(
            PlanFacts(
                draft.document_type,
                draft.procedure,
                draft.stage,
                draft.target_date,
                draft.rules_as_of,
            )
        )


def _justice_heads(session: Session) -> list[str]:
    codes = session.execute(
        select(Organisation.code).where(Organisation.kind == JUSTICE_KIND)
    ).scalars()
    return sorted({name for code in codes for name in role_holders(session, HEAD_ROLE, code)})


def _already_told(session: Session) -> set[tuple[int, str]]:
    """(draft, period) of every infeasibility already notified: those drafts are skipped,
    so a daily run only pays for drafts whose plan has just become infeasible."""
    return {
        (int(draft_id), period)
        for draft_id, period in session.execute(
            select(Notification.draft_id, Notification.period)
            .where(Notification.kind == PLAN_INFEASIBLE, Notification.draft_id.is_not(None))
            .distinct()
        ).all()
    }


def notify_infeasible_plans(
    session: Session, calendar: WorkingCalendar, today: date | None = None
) -> int:
    """Notify the heads about every active draft whose plan is infeasible; returns how many
    notifications were created (none for a draft already notified for its target date).

    With 100 k drafts a fifth of them can be late at once. What a message needs comes with
    the drafts' rows, each agency's heads are asked once per run, drafts told before are
    skipped before anything is planned, and the messages go in as one batch.
    """
    today = today or vietnam_date(clock.now())
    planner = BackwardPlanner(session, calendar, today)
    rows = session.execute(
        select(
            Draft.id,
            Draft.code,
            Draft.title,
            Draft.lead_agency,
            Draft.document_type,
            Draft.procedure,
            Draft.stage,
            Draft.target_date,
            Draft.rules_as_of,
        ).where(
            Draft.status == "active",
            Draft.target_date.is_not(None),
            Draft.target_date > today,
            Draft.stage.in_(sorted(FIRST_REMAINING)),
        )
    ).all()
    told = _already_told(session)
    justice: list[str] | None = None
    heads: dict[str | None, list[str]] = {}
    notices: list[Notice] = []
    for row in rows:
        period = f"target:{row.target_date.isoformat()}"
        if (row.id, period) in told:
            continue
        plan = planner.plan(
            PlanFacts(row.document_type, row.procedure, row.stage, row.target_date, row.rules_as_of)
        )
        if plan.feasible or not plan.steps:
            continue
        if justice is None:
            justice = _justice_heads(session)
        if row.lead_agency not in heads:
            heads[row.lead_agency] = role_holders(session, HEAD_ROLE, row.lead_agency)
        first = plan.steps[0]
        notices.append(
            Notice(
                frozenset({*heads[row.lead_agency], *justice}),
                row.id,
                period,
                {
                    "draft_id": row.id,
                    "draft_code": row.code,
                    "draft_title": row.title,
                    "step": {
                        "vi": rule_step_name(first.step, "vi"),
                        "en": rule_step_name(first.step, "en"),
                    },
                    "due": row.target_date.isoformat(),
                    "latest_start": first.latest_start.isoformat(),
                    "behind": -(plan.slack or 0),
                },
            )
        )
    return notify_each(session, PLAN_INFEASIBLE, notices)
