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
    assert engine.audit_events(instance.id)[-1].data == {"timers": ["Catch_timeout"]}
