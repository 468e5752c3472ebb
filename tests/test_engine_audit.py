"""The audit log is append-only in the database and tamper-evident by its hash chain."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from engine import Database, Engine, TaskQuery
from tests.conftest import read_model
from tests.support import workers


@pytest.fixture
def history(database: Database) -> tuple[Engine, int]:
    """An instance with five audit events: start, claim, complete, claim, complete."""
    engine = workers.make_engine(database.url)
    engine.deploy({"service_step.bpmn": read_model("service_step.bpmn")}, "owner")
    instance = engine.start("service_step", actor=engine.actor("an"))
    for _ in range(2):
        task = engine.tasks(TaskQuery(instance_id=instance.id, states=("open",)))[0]
        engine.claim(task.id, engine.actor("an"))
        engine.complete(task.id, engine.actor("an"), {"who": "an"})
    assert len(engine.audit_events(instance.id)) == 5
    assert engine.verify_audit(instance.id).ok
    return engine, instance.id


def _unprotected(engine: Engine, sql: str, **params: object) -> None:
    """Run SQL with the append-only triggers out of the way, as an attacker with DB access."""
    with engine.db.engine.begin() as conn:
        if engine.db.is_sqlite:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(sql), params)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor = 'mallory' WHERE seq = 2",
        "DELETE FROM audit_event WHERE seq = 5",
    ],
    ids=["update", "delete"],
)
def test_database_refuses_changes_to_the_audit_log(
    history: tuple[Engine, int], statement: str
) -> None:
    engine, instance_id = history
    with pytest.raises(DatabaseError, match="append-only"), engine.db.engine.begin() as conn:
        conn.execute(text(statement))
    assert [e.actor for e in engine.audit_events(instance_id)] == ["an"] * 5
    assert engine.verify_audit(instance_id).ok


def test_wiping_the_log_is_refused(history: tuple[Engine, int]) -> None:
    engine, instance_id = history
    wipe = "DELETE FROM audit_event" if engine.db.is_sqlite else "TRUNCATE audit_event"
    with pytest.raises(DatabaseError, match="append-only"), engine.db.engine.begin() as conn:
        conn.execute(text(wipe))
    assert len(engine.audit_events(instance_id)) == 5


TAMPERING: dict[str, tuple[str, dict[str, object], str, int]] = {
    "edited-data": (
        "UPDATE audit_event SET data = :data WHERE seq = 3 AND instance_id = :i",
        {"data": '{"who": "ba"}'},
        "altered",
        3,
    ),
    "edited-actor": (
        "UPDATE audit_event SET actor = 'ba' WHERE seq = 2 AND instance_id = :i",
        {},
        "altered",
        2,
    ),
    "deleted-middle": (
        "DELETE FROM audit_event WHERE seq = 2 AND instance_id = :i",
        {},
        "missing",
        2,
    ),
    "deleted-newest": (
        "DELETE FROM audit_event WHERE seq = 5 AND instance_id = :i",
        {},
        "ends early",
        5,
    ),
    "rehashed-row": (
        "UPDATE audit_event SET action = 'unclaim', hash = prev_hash WHERE seq = 4 AND instance_id = :i",
        {},
        "altered",
        4,
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING), ids=list(TAMPERING))
def test_tampering_is_detected(history: tuple[Engine, int], case: str) -> None:
    engine, instance_id = history
    sql, params, problem, seq = TAMPERING[case]
    _unprotected(engine, sql, i=instance_id, **params)
    report = engine.verify_audit(instance_id)
    assert not report.ok
    assert problem in (report.problem or "")
    assert report.broken_seq == seq


def test_verify_helper_is_not_fooled_by_a_consistent_rewrite_of_one_event(
    history: tuple[Engine, int],
) -> None:
    """Recomputing one event's hash breaks the link to the next event."""
    from engine.audit import event_hash

    engine, instance_id = history
    event = engine.audit_events(instance_id)[1]
    forged: Callable[..., str] = event_hash
    new_hash = forged(
        stream=event.stream,
        seq=event.seq,
        instance_id=event.instance_id,
        task_id=event.task_id,
        actor="ba",
        action=event.action,
        data=event.data,
        at=event.at,
        prev_hash=event.prev_hash,
    )
    _unprotected(
        engine,
        "UPDATE audit_event SET actor = 'ba', hash = :h WHERE id = :id",
        h=new_hash,
        id=event.id,
    )
    report = engine.verify_audit(instance_id)
    assert not report.ok and report.broken_seq == 3
