"""Run bounds: no model, however built, runs away with a worker or the database.

A run that passes a bound is rolled back, its instance is marked failed (in a transaction
of its own, audited), the caller gets the bound's sentence, and the database is free.
"""

from __future__ import annotations

import pytest

from engine import Database, DeploymentError, Engine, StaticDirectory, TaskQuery
from engine.run_bounds import RunBoundExceeded, RunLimits
from tests.conftest import read_model


def _bounded(database: Database, directory: StaticDirectory, **limits: object) -> Engine:
    return Engine(Database(database.url), directory=directory, limits=RunLimits(**limits))  # type: ignore[arg-type]


def _assert_database_free(engine: Engine) -> None:
    """Another write goes through at once: nothing holds the lock."""
    engine.deploy({"mi_cardinality.bpmn": read_model("mi_cardinality.bpmn")}, "owner")
    engine.start("mi_cardinality", actor=engine.actor("an"), data={"copies": 2})


def test_an_endless_script_loop_fails_the_instance(engine: Engine) -> None:
    engine.deploy({"runaway_loop.bpmn": read_model("runaway_loop.bpmn")}, "owner")
    # Looping from the start: nothing is created, the caller is told why.
    with pytest.raises(RunBoundExceeded, match="more than 500 steps") as refused:
        engine.start(
            "runaway_loop", actor=engine.actor("an"), data={"turns": 0, "loop_at_once": True}
        )
    assert refused.value.bound == "max_steps"
    assert engine.instances(key="runaway_loop") == []
    # Looping after a step: the step is not completed, the instance fails, its steps close.
    instance = engine.start(
        "runaway_loop", actor=engine.actor("an"), data={"turns": 0, "loop_at_once": False}
    )
    [task] = engine.tasks(TaskQuery(instance_id=instance.id))
    with pytest.raises(RunBoundExceeded) as failed:
        engine.complete(task.id, engine.actor("an"))
    assert failed.value.element_id in ("Script_count", "Gateway_again")
    info = engine.instance(instance.id)
    assert (info.status, info.next_timer_at, info.ended_at is not None) == ("failed", None, True)
    assert [t.state for t in engine.task_history(instance.id)] == ["cancelled"]
    event = engine.audit_events(instance.id)[-1]
    assert (event.action, event.actor, event.data["bound"]) == ("fail", "system", "max_steps")
    assert "more than 500 steps" in event.data["error"]
    assert engine.verify_audit(instance.id).ok
    _assert_database_free(engine)


def test_a_multi_instance_step_of_ten_thousand_is_refused_before_any_exists(
    engine: Engine,
) -> None:
    engine.deploy({"mi_cardinality.bpmn": read_model("mi_cardinality.bpmn")}, "owner")
    with pytest.raises(RunBoundExceeded, match="10000 times at once; at most 500") as refused:
        engine.start("mi_cardinality", actor=engine.actor("an"), data={"copies": 10000})
    assert (refused.value.bound, refused.value.element_id) == ("max_instances", "Task_each")
    assert engine.instances(key="mi_cardinality") == []
    assert engine.tasks(TaskQuery(process_key="mi_cardinality")) == []
    fine = engine.start("mi_cardinality", actor=engine.actor("an"), data={"copies": 3})
    assert len(engine.tasks(TaskQuery(instance_id=fine.id))) == 3


def test_call_activities_nested_deeper_than_the_bound_fail(
    database: Database, directory: StaticDirectory
) -> None:
    engine = _bounded(database, directory, max_call_depth=1)
    engine.deploy(
        {name: read_model(name) for name in ("nest_c.bpmn", "nest_b.bpmn", "nest_a.bpmn")},
        "owner",
    )
    assert engine.start("nest_b", actor=engine.actor("an")).status == "running"  # depth 1
    with pytest.raises(RunBoundExceeded, match="nests more than 1 processes") as refused:
        engine.start("nest_a", actor=engine.actor("an"))  # depth 2
    assert refused.value.bound == "max_call_depth"


def test_a_process_that_calls_itself_is_refused_at_deploy(engine: Engine) -> None:
    """The deploy-time half of the bound: a call cycle never gets deployed (the runtime
    nesting bound below it is tested with a deep, acyclic chain above)."""
    with pytest.raises(DeploymentError, match="lexflow/call-cycle"):
        engine.deploy({"self_call.bpmn": read_model("self_call.bpmn")}, "owner")
    assert engine.definitions(key="self_call") == []


def test_wall_time_and_stored_size_are_bounded(
    database: Database, directory: StaticDirectory
) -> None:
    model = {"mi_cardinality.bpmn": read_model("mi_cardinality.bpmn")}
    slow = _bounded(database, directory, max_seconds=-1.0)
    slow.deploy(model, "owner")
    with pytest.raises(RunBoundExceeded, match=r"ran for more than -1\.0 seconds"):
        slow.start("mi_cardinality", actor=slow.actor("an"), data={"copies": 1})
    small = _bounded(database, directory, max_state_bytes=20_000)
    with pytest.raises(RunBoundExceeded, match="at most 20000 can be stored") as refused:
        small.start(
            "mi_cardinality", actor=small.actor("an"), data={"copies": 1, "x": "a" * 30_000}
        )
    assert refused.value.bound == "max_state_bytes"
    assert small.instances(key="mi_cardinality") == []


def test_the_lifecycle_models_stay_far_under_the_defaults() -> None:
    limits = RunLimits()
    # A whole lifecycle runs a few dozen steps per transaction and nests three deep; the
    # defaults leave two orders of magnitude (see tests/test_lifecycle.py for the runs).
    assert 100 <= limits.max_steps < 1000 and limits.max_call_depth >= 10
    assert limits.max_state_bytes >= 1_000_000 and limits.max_seconds >= 5
