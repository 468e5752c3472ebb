"""Planning backwards from the target session, in working days of the real calendar.

The cases cross the Tết break of 2026 (14-22 February) and the working Saturday of 10
January 2026: a latest start found backwards must be the day from which the forward
deadline rule (``add_working_days`` / ``add_calendar_days``) ends exactly on time.
"""

from __future__ import annotations

from datetime import date

from workflows.calendar import WorkingCalendar
from workflows.reports.schedule import latest_start, plan_backwards

CALENDAR = WorkingCalendar()
WORKING = "working_days"


def test_ten_working_days_back_across_tet() -> None:
    # A UBND meeting on Monday 2 March: consideration must end by Friday 27 February, and
    # its ten working days skip the whole Tết break.
    rules = {"ubnd_review": {"amount": 10, "unit": WORKING}}
    plan = plan_backwards(
        CALENDAR, rules, "qd_ubnd_tinh", "ubnd_review", date(2026, 3, 2), date(2026, 2, 2)
    )
    (step,) = plan.steps
    assert step.latest_end == date(2026, 2, 27)
    assert step.latest_start == date(2026, 2, 6)
    assert CALENDAR.add_working_days(step.latest_start, 10) == step.latest_end
    # 2 February to 6 February: four working days of slack.
    assert plan.slack == 4 and plan.feasible


def test_a_working_saturday_counts_backwards() -> None:
    start = latest_start(CALENDAR, {"amount": 3, "unit": WORKING}, date(2026, 1, 12))
    assert start == date(2026, 1, 8)  # 9, Saturday 10 (worked), 12 January
    assert CALENDAR.add_working_days(start, 3) == date(2026, 1, 12)


def test_calendar_days_go_back_to_a_working_day() -> None:
    # "At least 30 days" before Tuesday 24 February 2026 is 25 January, a Sunday: the
    # latest working day before it is Friday 23 January.
    start = latest_start(CALENDAR, {"amount": 30, "unit": "calendar_days"}, date(2026, 2, 24))
    assert start == date(2026, 1, 23)


def test_the_chain_of_a_council_resolution_and_its_slack() -> None:
    rules = {
        "drafting": {"amount": 20, "unit": WORKING},
        "posting": {"amount": 30, "unit": "calendar_days"},
        "appraisal": {"amount": 15, "unit": WORKING},
        "ubnd_review": {"amount": 10, "unit": WORKING},
        "examination": {"amount": 10, "unit": WORKING},
    }
    target = date(2026, 7, 10)
    plan = plan_backwards(CALENDAR, rules, "nq_hdnd_tinh", "consultation", target, date(2026, 7, 1))
    assert [s.step for s in plan.steps] == ["posting", "appraisal", "ubnd_review", "examination"]
    for before, after in zip(plan.steps, plan.steps[1:], strict=False):
        assert before.latest_end == after.latest_start
    assert plan.steps[-1].latest_end < target
    assert plan.slack is not None and plan.slack < 0 and not plan.feasible
    late = plan_backwards(CALENDAR, rules, "nq_hdnd_tinh", "adoption", target, date(2026, 7, 1))
    assert late.steps == () and late.feasible
