"""Races and crashes: exactly one winner, and never a half-written instance."""

from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

from engine import Conflict, Database, Engine, TaskQuery
from engine.models import AuditEvent, HumanTask
from tests.conftest import read_model
from tests.support import workers

SPAWN = multiprocessing.get_context("spawn")
RACERS = 8


@pytest.fixture
def service_engine(database: Database) -> Engine:
    engine = workers.make_engine(database.url)
    engine.deploy({"service_step.bpmn": read_model("service_step.bpmn")}, "owner")
    return engine


def _first_task(engine: Engine, instance_id: int) -> str:
    tasks = engine.tasks(TaskQuery(instance_id=instance_id, states=("open", "claimed")))
    assert len(tasks) == 1
    return tasks[0].id


def _assert_consistent(engine: Engine, instance_id: int) -> None:
    assert engine.verify_audit(instance_id).ok
    info = engine.instance(instance_id)
    with engine.db.read() as session:
        events = session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.instance_id == instance_id)
        ).scalar_one()
    # One audit event per committed change, and the optimistic version counts them too.
    assert info.version == events


def test_threads_racing_to_claim_one_task(service_engine: Engine) -> None:
    engine = service_engine
    instance = engine.start("service_step", actor=engine.actor("an"))
    task_id = _first_task(engine, instance.id)
    barrier = Barrier(RACERS)
    contenders = ["an", "ba"] * (RACERS // 2)

    def claim(actor: str) -> str:
        barrier.wait(timeout=30)
        try:
            engine.claim(task_id, engine.actor(actor))
            return "ok"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(claim, contenders))
    assert outcomes.count("ok") == 1
    assert outcomes.count("conflict") == RACERS - 1
    task = engine.task(task_id)
    assert task.state == "claimed" and task.assignee in ("an", "ba")
    _assert_consistent(engine, instance.id)


@pytest.mark.parametrize("kind", ["claim", "complete"])
def test_processes_racing_on_one_task(service_engine: Engine, kind: str) -> None:
    engine = service_engine
    instance = engine.start("service_step", actor=engine.actor("an"))
    task_id = _first_task(engine, instance.id)
    barrier, results = SPAWN.Barrier(RACERS), SPAWN.Queue()
    actors = ["an", "ba"] * (RACERS // 2)
    processes = [
        SPAWN.Process(
            target=workers.race, args=(kind, engine.db.url, task_id, actor, barrier, results)
        )
        for actor in actors
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    winners = [actor for actor, outcome in outcomes if outcome == "ok"]
    losers = [outcome for _, outcome in outcomes if outcome != "ok"]
    assert len(winners) == 1, outcomes
    assert all(outcome.startswith("conflict") for outcome in losers), outcomes
    if kind == "complete":
        history = engine.task_history(instance.id)
        assert [(t.element_id, t.state) for t in history] == [
            ("Task_fill", "completed"),
            ("Task_check", "open"),
        ]
        assert history[0].completed_by == winners[0]
        data = engine.instance_data(instance.id)
        assert data["notified"] == {"message": f"filled by {winners[0]}"}
    _assert_consistent(engine, instance.id)


def test_a_process_killed_mid_completion_leaves_the_last_committed_state(
    service_engine: Engine,
) -> None:
    engine = service_engine
    instance = engine.start("service_step", actor=engine.actor("an"))
    task_id = _first_task(engine, instance.id)
    engine.claim(task_id, engine.actor("an"))
    before = engine.instance(instance.id)
    victim = SPAWN.Process(target=workers.complete_and_die, args=(engine.db.url, task_id, "an"))
    victim.start()
    victim.join(timeout=120)
    assert victim.exitcode == -signal.SIGKILL
    after = engine.instance(instance.id)
    assert after.version == before.version and after.updated_at == before.updated_at
    task = engine.task(task_id)
    assert task.state == "claimed" and task.assignee == "an"
    with engine.db.read() as session:
        rows = session.execute(select(func.count()).select_from(HumanTask)).scalar_one()
    assert rows == 1
    # ...and it can continue.
    engine.complete(task_id, engine.actor("an"), {"who": "an"})
    assert [
        t.element_id for t in engine.tasks(TaskQuery(instance_id=instance.id, states=("open",)))
    ] == ["Task_check"]
    _assert_consistent(engine, instance.id)
