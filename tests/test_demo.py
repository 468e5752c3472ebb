"""``lexflow demo`` builds the province the README promises, on whatever day it is loaded.

The demo is loaded (on SQLite, as ``make demo`` does) as of five of the days that break naive
date code (``tests/support/days.py``): its plan must show exactly the seeds' 8 items behind,
each for a true reason, with no session in the past unless the item is meant to be behind.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine import Database, InvalidData, TaskQuery
from engine.models import HumanTask
from tests.support.databases import DatabaseFactory
from tests.support.days import TRICKY_MOMENTS
from tests.support.demo import demo_at
from workflows.calendar import vietnam_date
from workflows.demo import load_demo
from workflows.directory import RoleAssignment
from workflows.drafts import DOCUMENT_TYPES, Draft
from workflows.lifecycle import Lifecycle
from workflows.plan import DRAFTING_LEAD, PlanItem, plan_status
from workflows.registry import impact_summary
from workflows.roles import LANE_ROLES

Demo = tuple[Lifecycle, list[str], datetime]


#: Loading the demo walks 42 drafts (~15 s each time): five of the tricky days cover its
#: date logic (the new year in both zones, the Tết break, the half-year, a working Saturday).
#: ``make test`` loads it on the eve of Tết, ``make proof`` on the other four; the plan page and
#: the clock tests run at all eight in every run, and LEXFLOW_TODAY runs it on any day.
DEMO_DAYS = {
    "2-january-day-off": False,
    "eve-of-tet-break": True,
    "working-saturday": False,
    "half-year-end": False,
    "new-year-utc-still-old": False,
}


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(
            TRICKY_MOMENTS[day],
            id=day,
            marks=(
                pytest.mark.shared_database(demo_at(TRICKY_MOMENTS[day])),
                *(() if every_run else (pytest.mark.proof,)),
            ),
        )
        for day, every_run in DEMO_DAYS.items()
    ],
)
def demo(request: pytest.FixtureRequest, database_factory: DatabaseFactory) -> Demo:
    """The demo loaded as of the day: once per run (every xdist worker reads a copy)."""
    url, lines = database_factory.shared_sqlite(demo_at(request.param))
    return Lifecycle(Database(url)), lines, request.param


def test_drafts_in_every_stage_of_every_document_type(demo: Demo) -> None:
    lifecycle, _, now = demo
    with lifecycle.db.read() as session:
        drafts = session.execute(select(Draft)).scalars().all()
        overdue = session.execute(
            select(func.count())
            .select_from(HumanTask)
            .where(HumanTask.state.in_(("open", "claimed")), HumanTask.due_at < now)
        ).scalar_one()
    assert len(drafts) >= 30
    assert {d.document_type for d in drafts} == set(DOCUMENT_TYPES)
    stages = {d.stage for d in drafts}
    assert {
        "plan",
        "drafting",
        "consultation",
        "appraisal",
        "ubnd_review",
        "examination",
        "adoption",
        "signing",
        "publication",
        "monitoring",
    } <= stages
    assert overdue >= 3
    finished = [d for d in drafts if d.stage == "monitoring"]
    assert all(d.number and d.published_on for d in finished)
    assert all(d.created_at <= now for d in drafts)


def test_registry_and_plan_match_the_seed_figures(demo: Demo) -> None:
    lifecycle, lines, now = demo
    year = vietnam_date(now).year
    with lifecycle.db.read() as session:
        summary = impact_summary(session)
        behind = [s for s in plan_status(session, year, now) if s.state == "behind"]
    assert (summary.in_force, summary.clear, summary.unclear, summary.not_yet) == (171, 164, 6, 1)
    assert summary.unassessed == 0
    assert len(behind) == 8
    assert all(s.reason for s in behind)
    assert any("171 in force" in line for line in lines)
    assert any(f"annual plan {year}: 8 items behind" in line for line in lines)


def test_plan_dates_make_sense_on_the_day_it_is_loaded(demo: Demo) -> None:
    """No item of the current year is planned for a session that has passed unless it is
    behind; an item on track targets a future session of its own plan year."""
    lifecycle, _, now = demo
    today = vietnam_date(now)
    with lifecycle.db.read() as session:
        years = set(session.execute(select(PlanItem.year)).scalars())
        statuses = [s for y in sorted(years) for s in plan_status(session, y, now)]
    assert years <= {today.year - 1, today.year, today.year + 1}
    for status in statuses:
        item = status.item
        if status.state in ("on_track", "not_started"):
            assert item.target_date is not None and item.target_date >= today, item.title
            assert item.year == item.target_date.year, item.title
        if status.state == "not_started":
            assert today <= item.target_date - DRAFTING_LEAD, item.title
        if status.state == "behind" and status.reason == "the target session has passed":
            assert item.target_date < today
        if status.draft is not None and status.state != "done":
            assert status.draft.target_date == item.target_date
    assert {s.reason for s in statuses if s.state == "behind"} <= {
        "a step is past its deadline",
        "drafting has not started",
        "the target session has passed",
    }


def test_regulations_were_signed_before_the_load_day(demo: Demo) -> None:
    lifecycle, _, now = demo
    from workflows.registry import Regulation

    with lifecycle.db.read() as session:
        latest = session.execute(select(func.max(Regulation.effective_on))).scalar_one()
    assert latest <= vietnam_date(now) + timedelta(days=15)


def test_someone_holds_every_role_and_can_sign_in(demo: Demo) -> None:
    lifecycle, lines, _ = demo
    with lifecycle.db.read() as session:
        roles = set(session.execute(select(RoleAssignment.role)).scalars())
    assert roles >= LANE_ROLES and {"admin", "process_owner"} <= roles
    assert any("password of every demo user is" in line for line in lines)
    offered = lifecycle.engine.tasks(
        TaskQuery(grants=tuple(lifecycle.engine.actor("tdv.stp").grants))
    )
    assert offered, "the appraiser of the demo has work waiting"


def test_the_demo_is_loaded_once(demo: Demo) -> None:
    lifecycle, _, now = demo
    with pytest.raises(InvalidData):
        load_demo(lifecycle, now=now)
    assert load_demo(lifecycle, if_empty=True, now=now)[0].startswith("The database already")
