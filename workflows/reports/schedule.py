"""Planning backwards from the target session: the latest day each remaining step must start.

A draft targets a People's Council session (resolutions) or a People's Committee meeting
(decisions). Counting back from that day with the statutory limits of the rule table
(:mod:`workflows.deadlines`) in the working-day calendar, each step that is still to come
has a latest start: the day its period may begin so that it still ends by the start of the
next one, and the last one by the last working day before the meeting. A period in working
days is counted back working day by working day (the inverse of ``add_working_days``: a
working Saturday counts, Tết does not); a period in calendar days ("at least n days") goes
back with ``subtract_calendar_days``. The *slack* is the number of working days from today
to the latest start of the first remaining step; below zero the plan is infeasible.

The intake steps (appraisal and examination dossier intake) run inside the appraisal and
examination periods and are not counted again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from workflows.calendar import WorkingCalendar

#: The steps before a People's Council session, in order.
COUNCIL_CHAIN = (
    "drafting",
    "posting",
    "comment_synthesis",
    "appraisal",
    "ubnd_review",
    "examination",
)
#: The steps before a People's Committee meeting (decisions: no council examination).
COMMITTEE_CHAIN = ("drafting", "posting", "comment_synthesis", "appraisal", "ubnd_review")
#: Where in its chain a draft of each stage is (the first step still to be done).
FIRST_REMAINING = {
    "plan": "drafting",
    "drafting": "drafting",
    "consultation": "posting",
    "appraisal": "appraisal",
    "ubnd_review": "ubnd_review",
    "examination": "examination",
}


def chain_for(document_type: str) -> tuple[str, ...]:
    return COUNCIL_CHAIN if document_type.startswith("nq_hdnd") else COMMITTEE_CHAIN


@dataclass(frozen=True)
class PlannedStep:
    step: str
    amount: int
    unit: str
    latest_start: date
    latest_end: date


@dataclass(frozen=True)
class BackwardPlan:
    target: date
    steps: tuple[PlannedStep, ...]
    slack: int | None  # working days from today to the first latest start (None: no step left)

    @property
    def feasible(self) -> bool:
        return self.slack is None or self.slack >= 0


def _previous_working_day(calendar: WorkingCalendar, day: date) -> date:
    day -= timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def latest_start(calendar: WorkingCalendar, rule: Mapping[str, Any], end: date) -> date:
    """The latest day a period of ``rule`` may start and still end by ``end``."""
    amount = int(rule["amount"])
    if rule["unit"] == "calendar_days":
        return calendar.subtract_calendar_days(end, amount)
    if rule["unit"] != "working_days":
        raise ValueError(f"unknown unit {rule['unit']!r}")
    day = end if calendar.is_working_day(end) else _previous_working_day(calendar, end)
    for _ in range(amount):
        day = _previous_working_day(calendar, day)
    return day


def plan_backwards(
    calendar: WorkingCalendar,
    rules: Mapping[str, Mapping[str, Any]],
    document_type: str,
    stage: str,
    target: date,
    today: date,
) -> BackwardPlan:
    """The latest starts of the steps still to come for a draft at ``stage``.

    ``rules`` are one procedure's rules (``rules_snapshot(...)[procedure]``); a step the
    table has no rule for is skipped (it takes no statutory time).
    """
    chain = chain_for(document_type)
    first = FIRST_REMAINING.get(stage)
    remaining = chain[chain.index(first) :] if first in chain else ()
    end = _previous_working_day(calendar, target)
    planned: list[PlannedStep] = []
    for step in reversed(remaining):
        rule = rules.get(step)
        if rule is None:
            continue
        start = latest_start(calendar, rule, end)
        planned.append(PlannedStep(step, int(rule["amount"]), str(rule["unit"]), start, end))
        end = start
    planned.reverse()
    slack = calendar.working_days_between(today, planned[0].latest_start) if planned else None
    return BackwardPlan(target, tuple(planned), slack)
