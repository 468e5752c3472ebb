"""Inbox queries are index range scans on both databases (no full scan of human_task).

The statements are captured while the engine answers real queries, then explained. On
PostgreSQL sequential scans are switched off for the EXPLAIN, so the plan shows whether a
usable index exists for the statement at all (on tiny test tables the planner would otherwise
prefer scanning). The table also holds other organisations' and people's open work, and is
analysed, so that the planner picks between indexes by selectivity: with only the three test
tasks every index costs the same and PostgreSQL's choice between them was a coin toss.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text

from engine import Engine, RoleGrant, TaskQuery
from engine.models import HumanTask
from tests.conftest import read_model

DATA = {"subject": "Phí", "lead_agency": "SXD", "registered_on": "2026-03-02", "rounds": 0}


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if "FROM human_task" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine.db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", record)


def add_other_peoples_work(engine: Engine, count: int = 400) -> None:
    """Copies of one open task for twenty other organisations, roles and assignees."""
    with engine.db.write() as session:
        row = session.execute(select(HumanTask.__table__).limit(1)).mappings().one()
        copies = []
        for n in range(count):
            copy = dict(row)
            copy.update(
                id=f"other-{n:05d}",
                organisation=f"ORG{n % 20:02d}",
                role=f"role{n % 7}",
                assignee=f"user{n % 20}" if n % 2 else None,
                state="claimed" if n % 2 else "open",
            )
            copies.append(copy)
        session.execute(insert(HumanTask.__table__), copies)
    if not engine.db.is_sqlite:
        with engine.db.engine.connect() as conn:
            conn.execute(text("ANALYZE human_task"))
            conn.commit()


def drafts_among_other_work(engine: Engine, drafts: int) -> None:
    """``drafts`` review instances of an@SXD beside everybody else's work (see
    :func:`add_other_peoples_work`)."""
    engine.deploy(
        {
            n: read_model(n)
            for n in ("review.bpmn", "appraisal.bpmn", "draft_form.json", "appraisal_form.json")
        },
        "owner",
    )
    for _ in range(drafts):
        engine.start("review", actor=engine.actor("an"), data=DATA)
    add_other_peoples_work(engine)


def _plans(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    plans = []
    with engine.db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        cursor = raw.cursor()
        if not engine.db.is_sqlite:
            cursor.execute("SET enable_seqscan = off")
        for statement, parameters in statements:
            prefix = "EXPLAIN QUERY PLAN " if engine.db.is_sqlite else "EXPLAIN "
            cursor.execute(prefix + statement, parameters)
            plans.append(
                "\n".join(
                    str(row[-1] if engine.db.is_sqlite else row[0]) for row in cursor.fetchall()
                )
            )
        cursor.close()
        conn.rollback()
    return plans


@pytest.mark.parametrize(
    ("view", "query", "index"),
    [
        ("my tasks", TaskQuery(assignee="an"), "ix_human_task_assignee_open"),
        (
            "offered",
            TaskQuery(grants=(RoleGrant("drafter", "SXD"), RoleGrant("head", "SXD"))),
            "ix_human_task_role_open",
        ),
        ("organisation", TaskQuery(organisation="SXD"), "ix_human_task_org_open"),
    ],
    ids=["my-tasks", "offered", "organisation"],
)
def test_inbox_views_use_their_partial_index(
    engine: Engine, view: str, query: TaskQuery, index: str
) -> None:
    drafts_among_other_work(engine, 3)
    with captured(engine) as statements:
        engine.tasks(query)
        engine.count_tasks(query)
    plans = _plans(engine, statements)
    assert plans, f"no statement captured for {view}"
    for statement, plan in zip(statements, plans, strict=True):
        if "WHERE human_task.id IN" in statement[0]:
            continue  # loading the page's rows by primary key
        assert index in plan, f"{view}: {statement[0]}\n{plan}"
        assert "SCAN human_task\n" not in plan + "\n" and "Seq Scan" not in plan, plan


@pytest.mark.parametrize(
    "query",
    [
        TaskQuery(assignee="an", sort="priority", priorities=(2, 3)),
        TaskQuery(assignee="an", sort="follow_up", follow_up="due"),
        TaskQuery(grants=(RoleGrant("drafter", "SXD"),), sort="priority", follow_up="none"),
        TaskQuery(organisation="SXD", sort="follow_up", priorities=(1,)),
    ],
    ids=["mine-by-priority", "mine-to-follow-up", "offered-by-priority", "organisation"],
)
def test_priority_and_follow_up_keep_the_index_range_scans(
    engine: Engine, query: TaskQuery
) -> None:
    drafts_among_other_work(engine, 1)
    with captured(engine) as statements:
        engine.tasks(query)
        engine.count_tasks(query)
    plans = _plans(engine, statements)
    assert plans
    for statement, plan in zip(statements, plans, strict=True):
        if "WHERE human_task.id IN" in statement[0]:
            continue
        assert "ix_human_task_" in plan, f"{statement[0]}\n{plan}"
        assert "SCAN human_task\n" not in plan + "\n" and "Seq Scan" not in plan, plan


def test_tab_badges_are_counted_in_one_statement_on_the_indexes(engine: Engine) -> None:
    drafts_among_other_work(engine, 3)
    queries = [
        TaskQuery(assignee="user1"),
        TaskQuery(grants=(RoleGrant("drafter", "SXD"), RoleGrant("role2", "ORG02"))),
        TaskQuery(organisation="ORG05"),
    ]
    one_by_one = [engine.count_tasks(query) for query in queries]
    assert one_by_one == [20, 3 + 3, 20]  # role2 at ORG02: n = 2, 142, 282 (open)
    with captured(engine) as statements:
        assert engine.count_each(queries) == one_by_one
        assert engine.count_each(queries, cap=2) == [2, 2, 2]
    assert len(statements) == 2  # one per call, whatever the number of tabs
    [plan, _] = _plans(engine, statements)
    for index in (
        "ix_human_task_assignee_open",
        "ix_human_task_role_open",
        "ix_human_task_org_open",
    ):
        assert index in plan, plan
    assert "SCAN human_task\n" not in plan + "\n" and "Seq Scan" not in plan, plan
    assert engine.count_each([]) == []
