"""Events: an event-based gateway racing a timer against a message, message and signal
delivery, error and escalation events, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine import Engine, TaskQuery, clock
from tests.conftest import read_model

T0 = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


def _open(engine: Engine, instance_id: int) -> list[str]:
    return sorted(
        t.element_id
        for t in engine.tasks(TaskQuery(instance_id=instance_id, states=("open", "claimed")))
    )


@pytest.fixture
def gateway(engine: Engine) -> Engine:
    engine.deploy({"event_gateway.bpmn": read_model("event_gateway.bpmn")}, "owner")
    return engine


def test_the_timer_branch_of_an_event_gateway_is_stored_and_fires(gateway: Engine) -> None:
    engine = gateway
    with clock.frozen_at(T0):
        instance = engine.start("event_gateway", actor=engine.actor("an"), business_key="NQ-1")
    due = T0 + timedelta(days=10)
    assert engine.instance(instance.id).next_timer_at == due
    [timer] = engine.waiting_timers(instance.id)
    assert (timer.element_id, timer.name, timer.due_at) == ("Catch_timeout", "Ten days pass", due)
    assert engine.fire_due_timers(due - timedelta(seconds=1)).fired == []
    assert engine.fire_due_timers(due).fired == [instance.id]
    assert _open(engine, instance.id) == ["Task_late"]
    info = engine.instance(instance.id)
    assert info.next_timer_at is None and info.status == "running"
    assert engine.waiting_timers(instance.id) == []
    assert [e.action for e in engine.audit_events(instance.id)] == ["start", "timer"]
    assert engine.audit_events(instance.id)[-1].data == {
        "timers": ["Catch_timeout"],
        "as_of": due.isoformat(),  # fired "as of" that moment, stamped with the real time
    }


def test_the_message_branch_of_an_event_gateway_wins_and_cancels_the_timer(
    gateway: Engine,
) -> None:
    engine = gateway
    with clock.frozen_at(T0):
        first = engine.start("event_gateway", actor=engine.actor("an"), business_key="NQ-1")
        other = engine.start("event_gateway", actor=engine.actor("an"), business_key="NQ-2")
    assert engine.instance(first.id).waiting_for == ("message:reply",)
    with clock.frozen_at(T0 + timedelta(days=9)):
        delivery = engine.deliver_message(
            "reply", correlation_key="NQ-1", payload={"agreed": True}, actor=engine.actor("root")
        )
    assert (delivery.received, delivery.started) == ([first.id], [])
    assert _open(engine, first.id) == ["Task_answered"]
    assert engine.task_data(engine.tasks(TaskQuery(instance_id=first.id))[0].id)["reply"] == {
        "agreed": True
    }
    info = engine.instance(first.id)
    assert (info.next_timer_at, info.waiting_for) == (None, ())
    # The timer that lost the race never fires; the other instance still waits for both.
    later = T0 + timedelta(days=11)
    assert engine.fire_due_timers(later).fired == [other.id]
    assert _open(engine, first.id) == ["Task_answered"]
    event = engine.audit_events(first.id)[-1]
    assert (event.action, event.actor) == ("message", "root")
    assert event.data == {"name": "reply", "correlation_key": "NQ-1", "payload": {"agreed": True}}
    assert engine.verify_audit(first.id).ok


def test_a_message_after_the_gateway_timer_passed_finds_the_timer_branch_taken(
    gateway: Engine,
) -> None:
    from engine import NotFound

    engine = gateway
    with clock.frozen_at(T0):
        instance = engine.start("event_gateway", actor=engine.actor("an"), business_key="NQ-3")
    with (
        clock.frozen_at(T0 + timedelta(days=10, seconds=1)),
        pytest.raises(NotFound, match="waits for the message 'reply'"),
    ):
        engine.deliver_message("reply", correlation_key="NQ-3", actor=engine.actor("root"))
    assert engine.fire_due_timers(T0 + timedelta(days=10, seconds=2)).fired == [instance.id]
    assert _open(engine, instance.id) == ["Task_late"]


def test_a_message_is_correlated_by_its_key_and_refused_when_nothing_waits(
    engine: Engine,
) -> None:
    from engine import Conflict, Forbidden, NotFound

    engine.deploy({"message_wait.bpmn": read_model("message_wait.bpmn")}, "owner")
    root = engine.actor("root")
    a = engine.start("message_wait", actor=engine.actor("an"), business_key="QD-1")
    b = engine.start("message_wait", actor=engine.actor("an"), business_key="QD-2")
    with pytest.raises(Forbidden):
        engine.deliver_message("opinion", correlation_key="QD-1", actor=engine.actor("an"))
    with pytest.raises(Conflict, match="2 processes wait for the message 'opinion'"):
        engine.deliver_message("opinion", actor=root)
    with pytest.raises(NotFound, match="correlation key 'QD-9' waits for the message"):
        engine.deliver_message("opinion", correlation_key="QD-9", actor=root)
    # The receive task takes the opinion, then the intermediate event the documents.
    engine.deliver_message("opinion", correlation_key="QD-2", payload={"ok": 1}, actor=root)
    assert engine.instance(b.id).waiting_for == ("message:documents",)
    assert engine.instance(a.id).waiting_for == ("message:opinion",)
    with pytest.raises(NotFound, match="waits for the message 'documents'"):
        engine.deliver_message("documents", correlation_key="QD-1", actor=root)
    engine.deliver_message("documents", correlation_key="QD-2", payload={"n": 3}, actor=root)
    assert _open(engine, b.id) == ["Task_check"]
    data = engine.instance_data(b.id)
    assert (data["opinion"], data["documents"]) == ({"ok": 1}, {"n": 3})
    # A message boundary event on the open step interrupts it.
    assert engine.instance(b.id).waiting_for == ("message:withdrawn",)
    engine.deliver_message("withdrawn", correlation_key="QD-2", actor=root)
    assert engine.instance(b.id).status == "completed"
    assert [t.state for t in engine.task_history(b.id)] == ["cancelled"]
    actions = [e.action for e in engine.audit_events(b.id)]
    assert actions == ["start", "message", "message", "message"]


def test_a_message_start_event_starts_a_process_with_the_key(engine: Engine) -> None:
    from engine import NotFound

    engine.deploy({"message_start.bpmn": read_model("message_start.bpmn")}, "owner")
    delivery = engine.deliver_message(
        "petition", correlation_key="KN-7", payload={"from": "Ward 3"}, actor=engine.actor("root")
    )
    assert delivery.received == [] and len(delivery.started) == 1
    [started] = delivery.started
    info = engine.instance(started)
    assert (info.business_key, info.status, info.started_by) == ("KN-7", "running", "root")
    assert _open(engine, started) == ["Task_answer"]
    assert engine.instance_data(started)["petition"] == {"from": "Ward 3"}
    [event] = engine.audit_events(started)
    assert event.action == "start" and event.data["message"]["name"] == "petition"
    with pytest.raises(NotFound, match="no process waits for the message 'complaint'"):
        engine.deliver_message("complaint", actor=engine.actor("root"))


def test_a_signal_reaches_every_instance_waiting_for_it(engine: Engine) -> None:
    from engine import NotFound

    engine.deploy({"signal_wait.bpmn": read_model("signal_wait.bpmn")}, "owner")
    started = [
        engine.start("signal_wait", actor=engine.actor("an"), business_key=f"S-{n}").id
        for n in range(3)
    ]
    engine.cancel(started[2], actor=engine.actor("root"), reason="withdrawn")
    delivery = engine.broadcast_signal(
        "session_closed", payload={"session": 12}, actor=engine.actor("root")
    )
    assert delivery.received == started[:2]
    for instance_id in started[:2]:
        assert _open(engine, instance_id) == ["Task_report"]
        assert engine.instance_data(instance_id)["session"] == {"session": 12}
        assert engine.audit_events(instance_id)[-1].action == "signal"
    assert engine.instance(started[2]).status == "cancelled"
    with pytest.raises(NotFound, match="no process waits for the signal 'session_closed'"):
        engine.broadcast_signal("session_closed", actor=engine.actor("root"))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"outcome": "incomplete", "urgent": False}, ["Task_fix"]),
        ({"outcome": "late", "urgent": False}, ["Task_chase"]),
        ({"outcome": "late", "urgent": True}, ["Task_chase", "Task_hurry"]),
        ({"outcome": "fine", "urgent": False}, ["Task_file"]),
    ],
    ids=["error-end", "escalation-end", "escalation-throw-non-interrupting", "no-event"],
)
def test_error_and_escalation_end_events_reach_their_boundary_events(
    engine: Engine, data: dict, expected: list[str]
) -> None:
    engine.deploy({"error_escalation.bpmn": read_model("error_escalation.bpmn")}, "owner")
    instance = engine.start("error_escalation", actor=engine.actor("an"), data=data)
    assert _open(engine, instance.id) == expected
    assert engine.instance(instance.id).status == "running"
