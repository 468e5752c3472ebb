"""``lexflow demo`` builds the province the README promises (run on SQLite, as `make demo` does)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from engine import Database, InvalidData, TaskQuery
from engine.models import HumanTask
from tests.support.databases import DatabaseFactory
from workflows.demo import load_demo
from workflows.directory import RoleAssignment
from workflows.drafts import DOCUMENT_TYPES, Draft
from workflows.lifecycle import Lifecycle
from workflows.plan import plan_status
from workflows.registry import impact_summary
from workflows.roles import LANE_ROLES

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lifecycle, list[str]]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("demo"), None)
    lifecycle = Lifecycle(Database(factory.sqlite()))
    lines = load_demo(lifecycle, now=NOW)
    return lifecycle, lines


def test_drafts_in_every_stage_of_every_document_type(demo: tuple[Lifecycle, list[str]]) -> None:
    lifecycle, _ = demo
    with lifecycle.db.read() as session:
        drafts = session.execute(select(Draft)).scalars().all()
        overdue = session.execute(
            select(func.count())
            .select_from(HumanTask)
            .where(HumanTask.state.in_(("open", "claimed")), HumanTask.due_at < NOW)
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


def test_registry_and_plan_match_the_seed_figures(demo: tuple[Lifecycle, list[str]]) -> None:
    lifecycle, lines = demo
    with lifecycle.db.read() as session:
        summary = impact_summary(session)
        behind = [s for s in plan_status(session, 2026, NOW.date()) if s.state == "behind"]
    assert (summary.in_force, summary.clear, summary.unclear, summary.not_yet) == (171, 164, 6, 1)
    assert summary.unassessed == 0
    assert len(behind) == 8
    assert all(s.reason for s in behind)
    assert any("171 in force" in line for line in lines)


def test_someone_holds_every_role_and_can_sign_in(demo: tuple[Lifecycle, list[str]]) -> None:
    lifecycle, lines = demo
    with lifecycle.db.read() as session:
        roles = set(session.execute(select(RoleAssignment.role)).scalars())
    assert roles >= LANE_ROLES and {"admin", "process_owner"} <= roles
    assert any("password of every demo user is" in line for line in lines)
    offered = lifecycle.engine.tasks(
        TaskQuery(grants=tuple(lifecycle.engine.actor("tdv.stp").grants))
    )
    assert offered, "the appraiser of the demo has work waiting"


def test_the_demo_is_loaded_once(demo: tuple[Lifecycle, list[str]]) -> None:
    lifecycle, _ = demo
    with pytest.raises(InvalidData):
        load_demo(lifecycle, now=NOW)
    assert load_demo(lifecycle, if_empty=True, now=NOW)[0].startswith("The database already")
