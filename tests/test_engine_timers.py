"""Timers: date, duration and cycle timers, boundary timers, exactly-once firing."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine import Database, Engine, TaskQuery
from engine.models import AuditEvent
from tests.conftest import read_model
from tests.support import workers

SPAWN = multiprocessing.get_context("spawn")
T0 = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


@pytest.fixture
def timer_engine(engine: Engine) -> Engine:
    engine.deploy(
        {
            "timer_wait.bpmn": read_model("timer_wait.bpmn"),
            "cycle_report.bpmn": read_model("cycle_report.bpmn"),
        },
        "owner",
    )
    return engine


def _open(engine: Engine, instance_id: int) -> list[str]:
    return [
        t.element_id
        for t in engine.tasks(TaskQuery(instance_id=instance_id, states=("open", "claimed")))
    ]


def test_date_then_duration_then_interrupting_boundary(timer_engine: Engine) -> None:
    from engine import clock

    engine = timer_engine
    with clock.frozen_at(T0):
        # A date (not a date-time) means "by the end of that day" in Vietnam: 15/05 17:00 UTC.
        instance = engine.start(
            "timer_wait", actor=engine.actor("an"), data={"effective_on": date(2026, 5, 15)}
        )
    assert engine.instance(instance.id).next_timer_at == datetime(2026, 5, 15, 17, 0, tzinfo=UTC)
    assert engine.fire_due_timers(datetime(2026, 5, 15, 16, 59, tzinfo=UTC)).fired == []
    fired_at = datetime(2026, 5, 15, 17, 0, 30, tzinfo=UTC)
    assert engine.fire_due_timers(fired_at).fired == [instance.id]
    # The duration timer is armed when reached, relative to the firing instant.
    assert engine.instance(instance.id).next_timer_at == fired_at + timedelta(days=2)
    assert engine.fire_due_timers(fired_at + timedelta(days=2)).fired == [instance.id]
    assert _open(engine, instance.id) == ["Task_after"]
    # The interrupting boundary timer (P5D) cancels the task and ends the process.
    assert engine.fire_due_timers(fired_at + timedelta(days=7, seconds=1)).fired == [instance.id]
    info = engine.instance(instance.id)
    assert info.status == "completed" and info.next_timer_at is None
    assert _open(engine, instance.id) == []
    assert [t.state for t in engine.task_history(instance.id)] == ["cancelled"]
    assert [e.action for e in engine.audit_events(instance.id)] == [
        "start",
        "timer",
        "timer",
        "timer",
    ]


def test_cycle_timer_fires_each_period_then_stops(timer_engine: Engine) -> None:
    from engine import clock

    engine = timer_engine
    with clock.frozen_at(T0):
        instance = engine.start(
            "cycle_report", actor=engine.actor("an"), data={"first_report": "2026-06-30"}
        )
    first = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)  # end of 30/06 in Vietnam
    assert engine.instance(instance.id).next_timer_at == first
    reports = []
    moment = first
    for _ in range(5):
        engine.fire_due_timers(moment + timedelta(minutes=1))
        reports = [
            t
            for t in engine.tasks(TaskQuery(instance_id=instance.id))
            if t.element_id == "Task_report"
        ]
        moment = engine.instance(instance.id).next_timer_at or moment + timedelta(days=400)
    assert len(reports) == 3  # R3: three semi-annual reports, then the cycle ends
    assert engine.instance(instance.id).next_timer_at is None
    assert _open(engine, instance.id).count("Task_monitor") == 1
    due_dates = sorted(t.due_at.date() for t in reports if t.due_at)
    assert len(due_dates) == 3


def test_timers_of_a_suspended_instance_wait(timer_engine: Engine) -> None:
    from engine import clock

    engine = timer_engine
    with clock.frozen_at(T0):
        instance = engine.start(
            "timer_wait", actor=engine.actor("an"), data={"effective_on": "2026-05-15"}
        )
    engine.suspend(instance.id, actor=engine.actor("root"), reason="pause")
    assert engine.fire_due_timers(datetime(2026, 6, 1, tzinfo=UTC)).fired == []
    engine.resume(instance.id, actor=engine.actor("root"))
    assert engine.fire_due_timers(datetime(2026, 6, 1, tzinfo=UTC)).fired == [instance.id]


FAILING = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="failing_timer" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="Wait_1"/>
    <bpmn:intermediateCatchEvent id="Wait_1"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="Wait_1" targetRef="Script_divide"/>
    <bpmn:scriptTask id="Script_divide"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>share = total / parts</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="Script_divide" targetRef="e"/>
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_failing_timer_is_recorded_and_retried_later_not_in_a_loop(engine: Engine) -> None:
    from engine import clock

    engine.deploy({"failing.bpmn": FAILING}, "owner")
    with clock.frozen_at(T0):
        instance = engine.start(
            "failing_timer", actor=engine.actor("an"), data={"total": 10, "parts": 0}
        )
    due = T0 + timedelta(days=1)
    run = engine.fire_due_timers(due + timedelta(seconds=1))
    assert run.fired == [] and "division by zero" in run.failed[instance.id].lower()
    info = engine.instance(instance.id)
    assert info.status == "running" and info.next_timer_at == due + timedelta(seconds=1, minutes=10)
    assert engine.fire_due_timers(due + timedelta(minutes=5)).failed == {}
    assert instance.id in engine.fire_due_timers(due + timedelta(minutes=11)).failed
    actions = [(e.action, e.data.get("element_id")) for e in engine.audit_events(instance.id)]
    assert actions == [
        ("start", None),
        ("timer_failed", "Script_divide"),
        ("timer_failed", "Script_divide"),
    ]
    assert engine.verify_audit(instance.id).ok


@pytest.mark.parametrize("runners", [2, 4])
def test_runners_polling_at_once_fire_each_timer_exactly_once(
    database: Database, runners: int
) -> None:
    from engine import clock

    engine = workers.make_engine(database.url)
    engine.deploy({"timer_wait.bpmn": read_model("timer_wait.bpmn")}, "owner")
    with clock.frozen_at(T0):
        ids = [
            engine.start(
                "timer_wait", actor=engine.actor("an"), data={"effective_on": "2026-05-15"}
            ).id
            for _ in range(24)
        ]
    barrier, results = SPAWN.Barrier(runners), SPAWN.Queue()
    at = datetime(2026, 5, 16, tzinfo=UTC).isoformat()
    processes = [
        SPAWN.Process(target=workers.fire_timers, args=(database.url, at, barrier, results))
        for _ in range(runners)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=180) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    fired = [instance for _, batch, _ in outcomes for instance in batch]
    assert sorted(fired) == sorted(ids), outcomes  # every one, none twice
    assert all(not failed for _, _, failed in outcomes)
    with engine.db.read() as session:
        timer_events = session.execute(
            select(AuditEvent.instance_id, func.count())
            .where(AuditEvent.action == "timer")
            .group_by(AuditEvent.instance_id)
        ).all()
    assert {instance: count for instance, count in timer_events} == dict.fromkeys(ids, 1)
    for instance_id in ids:
        assert engine.verify_audit(instance_id).ok
