"""Running a multi-step model through the engine API, state round-tripped through storage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from engine import (
    Actor,
    Conflict,
    Database,
    Engine,
    Forbidden,
    InvalidData,
    NotFound,
    RoleGrant,
    StaticDirectory,
    TaskQuery,
)
from engine.task_queries import TaskInfo
from tests.conftest import read_model

BUNDLE = {
    name: read_model(name)
    for name in ("review.bpmn", "appraisal.bpmn", "draft_form.json", "appraisal_form.json")
}
START_DATA = {
    "subject": "Phí tham quan",
    "lead_agency": "SXD",
    "registered_on": "2026-03-02",
    "rounds": 0,
}


@pytest.fixture
def deployed(engine: Engine) -> Engine:
    engine.deploy(BUNDLE, "owner")
    return engine


def _offered(engine: Engine, actor_id: str) -> list[TaskInfo]:
    actor = engine.actor(actor_id)
    return engine.tasks(TaskQuery(grants=tuple(actor.grants)))


def _open_task(engine: Engine, instance_id: int, element: str) -> TaskInfo:
    tasks = [
        t
        for t in engine.tasks(TaskQuery(instance_id=instance_id, states=("open", "claimed")))
        if t.element_id == element
    ]
    assert len(tasks) == 1, tasks
    return tasks[0]


def test_full_run_with_rework_loop_call_activity_and_forms(deployed: Engine) -> None:
    engine = deployed
    an, ba, chi, em, giang = (engine.actor(a) for a in ("an", "ba", "chi", "em", "giang"))
    instance = engine.start(
        "review",
        actor=an,
        business_key="NQ-01",
        data=START_DATA,
        labels={"document_type": "nq_hdnd_tinh"},
    )
    assert instance.status == "running"

    # The draft step is offered to drafters of the lead agency only.
    draft = _open_task(engine, instance.id, "Task_draft")
    assert draft.title == "Draft: Phí tham quan"
    assert draft.role == "drafter" and draft.organisation == "SXD"
    assert draft.labels == {"document_type": "nq_hdnd_tinh"}
    # dueDate = 10 days after 02/03/2026, read as "by the end of 12/03/2026" in Vietnam.
    assert draft.due_at == datetime(2026, 3, 12, 17, 0, tzinfo=UTC)
    assert [t.id for t in _offered(engine, "an")] == [draft.id]
    assert _offered(engine, "giang") == []
    with pytest.raises(Forbidden):
        engine.claim(draft.id, giang)

    engine.claim(draft.id, an)
    assert [t.id for t in engine.tasks(TaskQuery(assignee="an"))] == [draft.id]
    assert _offered(engine, "ba") == []
    with pytest.raises(Conflict):
        engine.claim(draft.id, ba)
    with pytest.raises(Forbidden):
        engine.complete(draft.id, ba, {"summary": "mine"})

    # Form validation: required field, limits, unknown fields.
    with pytest.raises(InvalidData) as invalid:
        engine.complete(draft.id, an, {"pages": 0})
    fields = {d["field"] for d in invalid.value.details}
    assert fields == {"summary", "pages"}  # summary is missing, pages < 1
    with pytest.raises(InvalidData, match="lead_agency"):
        engine.complete(draft.id, an, {"summary": "ok ok", "lead_agency": "STC"})
    engine.complete(draft.id, an, {"summary": "First draft", "pages": 12})

    # The call activity's user task goes to the Department of Justice.
    appraise = _open_task(engine, instance.id, "Task_appraise")
    assert (appraise.role, appraise.organisation) == ("appraiser", "STP")
    with pytest.raises(Forbidden):
        engine.claim(appraise.id, an)
    with pytest.raises(InvalidData, match="reason"):
        engine.complete(appraise.id, chi, {"decision": "return"})
    engine.complete(appraise.id, chi, {"decision": "return", "reason": "dossier incomplete"})

    # Returned: a new drafting task (new id), the old one stays completed in the history.
    redraft = _open_task(engine, instance.id, "Task_draft")
    assert redraft.id != draft.id
    engine.complete(redraft.id, an, {"summary": "Second draft"})
    engine.complete(
        _open_task(engine, instance.id, "Task_appraise").id, chi, {"decision": "approve"}
    )

    sign = _open_task(engine, instance.id, "Task_sign")
    assert (sign.role, sign.organisation) == ("head", "SXD")
    engine.complete(sign.id, em, {})

    done = engine.instance(instance.id)
    assert done.status == "completed" and done.ended_at is not None
    assert done.next_timer_at is None
    data = engine.instance_data(instance.id)
    assert (
        data["rounds"] == 2 and data["decision"] == "approve" and data["summary"] == "Second draft"
    )

    history = engine.task_history(instance.id)
    assert [(t.element_id, t.state, t.completed_by) for t in history] == [
        ("Task_draft", "completed", "an"),
        ("Task_appraise", "completed", "chi"),
        ("Task_draft", "completed", "an"),
        ("Task_appraise", "completed", "chi"),
        ("Task_sign", "completed", "em"),
    ]
    actions = [(e.action, e.actor) for e in engine.audit_events(instance.id)]
    assert actions[0] == ("start", "an")
    assert ("claim", "an") in actions and actions[-1] == ("complete", "em")
    assert engine.verify_audit(instance.id).ok


def test_four_eyes_rule_blocks_signing_your_own_draft(
    deployed: Engine, directory: StaticDirectory
) -> None:
    both = Actor("hai", frozenset({RoleGrant("drafter", "SXD"), RoleGrant("head", "SXD")}))
    directory.add(both)
    engine = deployed
    instance = engine.start("review", actor=both, data=START_DATA)
    engine.complete(_open_task(engine, instance.id, "Task_draft").id, both, {"summary": "Draft"})
    engine.complete(
        _open_task(engine, instance.id, "Task_appraise").id,
        engine.actor("chi"),
        {"decision": "approve"},
    )
    sign = _open_task(engine, instance.id, "Task_sign")
    with pytest.raises(Forbidden, match="four-eyes"):
        engine.claim(sign.id, both)
    with pytest.raises(Forbidden, match="four-eyes"):
        engine.complete(sign.id, both, {})
    assert engine.refusal(sign.id, both, "complete") is not None
    assert engine.refusal(sign.id, engine.actor("em"), "complete") is None
    engine.complete(sign.id, engine.actor("em"), {})
    assert engine.instance(instance.id).status == "completed"


def test_a_new_engine_process_continues_from_storage(
    deployed: Engine, database: Database, directory: StaticDirectory
) -> None:
    instance = deployed.start("review", actor=deployed.actor("an"), data=START_DATA)
    draft = _open_task(deployed, instance.id, "Task_draft")
    deployed.claim(draft.id, deployed.actor("an"))
    fresh = Engine(Database(database.url), directory=directory)  # empty spec cache
    fresh.complete(draft.id, fresh.actor("an"), {"summary": "From another process"})
    assert _open_task(fresh, instance.id, "Task_appraise").state == "open"
    assert fresh.instance_data(instance.id)["summary"] == "From another process"


def test_unclaim_assign_and_supervision(deployed: Engine) -> None:
    engine = deployed
    an, ba, root, giang = (engine.actor(a) for a in ("an", "ba", "root", "giang"))
    instance = engine.start("review", actor=an, data=START_DATA)
    draft = _open_task(engine, instance.id, "Task_draft")
    engine.claim(draft.id, an)
    with pytest.raises(Forbidden):
        engine.unclaim(draft.id, ba)
    with pytest.raises(Forbidden):
        engine.assign(draft.id, ba, "ba")
    assert engine.assign(draft.id, an, "ba").assignee == "ba"  # the assignee delegates
    with pytest.raises(Forbidden, match="does not hold"):
        engine.assign(draft.id, root, "giang")
    with pytest.raises(InvalidData, match="no user"):
        engine.assign(draft.id, root, "nobody")
    assert engine.assign(draft.id, root, "an").assignee == "an"  # an administrator reassigns
    assert engine.unclaim(draft.id, an).state == "open"
    assert engine.complete(draft.id, ba, {"summary": "implicit claim"}).completed_by == "ba"
    actions = [e.action for e in engine.audit_events(instance.id)]
    assert actions == ["start", "claim", "assign", "assign", "unclaim", "complete"]
    del giang


def test_suspend_resume_cancel(deployed: Engine) -> None:
    engine = deployed
    an, root = engine.actor("an"), engine.actor("root")
    instance = engine.start("review", actor=an, data=START_DATA)
    draft = _open_task(engine, instance.id, "Task_draft")
    with pytest.raises(Forbidden):
        engine.suspend(instance.id, actor=an, reason="no")
    assert (
        engine.suspend(instance.id, actor=root, reason="waiting for a decree").status == "suspended"
    )
    with pytest.raises(Conflict, match="suspended"):
        engine.claim(draft.id, an)
    with pytest.raises(Conflict):
        engine.suspend(instance.id, actor=root, reason="again")
    assert engine.resume(instance.id, actor=root).status == "running"
    engine.claim(draft.id, an)
    cancelled = engine.cancel(instance.id, actor=root, reason="dropped from the plan")
    assert cancelled.status == "cancelled" and cancelled.next_timer_at is None
    assert engine.task(draft.id).state == "cancelled"
    with pytest.raises(Conflict):
        engine.complete(draft.id, an, {"summary": "too late"})
    assert [e.action for e in engine.audit_events(instance.id)] == [
        "start",
        "suspend",
        "resume",
        "claim",
        "cancel",
    ]
    assert engine.verify_audit(instance.id).ok


def test_bad_requests_are_refused_without_side_effects(deployed: Engine) -> None:
    engine = deployed
    an = engine.actor("an")
    with pytest.raises(NotFound):
        engine.start("no-such-process", actor=an)
    with pytest.raises(InvalidData):
        engine.start("review", actor=an, data={"bad key": 1})
    with pytest.raises(InvalidData):
        engine.start("review", actor=an, data={"_hidden": 1})
    with pytest.raises(NotFound):
        engine.claim("00000000-0000-0000-0000-000000000000", an)
    with pytest.raises(NotFound):
        engine.task("not-a-uuid")
    assert engine.instances() == []


def test_process_errors_roll_back_the_start(deployed: Engine) -> None:
    engine = deployed
    # registered_on is not a date: computing the due date of the first task fails.
    with pytest.raises(Exception) as caught:
        engine.start(
            "review", actor=engine.actor("an"), data={**START_DATA, "registered_on": "soon"}
        )
    assert "due date" in str(caught.value) or "date" in str(caught.value)
    assert engine.instances() == []


def test_boundary_timer_escalates_once_without_interrupting(deployed: Engine) -> None:
    engine = deployed
    instance = engine.start("review", actor=engine.actor("an"), data=START_DATA)
    info = engine.instance(instance.id)
    assert info.next_timer_at is not None
    assert engine.fire_due_timers(info.next_timer_at - timedelta(seconds=1)).fired == []
    run = engine.fire_due_timers(info.next_timer_at + timedelta(seconds=1))
    assert run.fired == [instance.id]
    assert _open_task(engine, instance.id, "Task_remind").role == "head"
    assert _open_task(engine, instance.id, "Task_draft").state == "open"  # not interrupted
    assert engine.fire_due_timers(info.next_timer_at + timedelta(days=30)).fired == []
    assert [e.action for e in engine.audit_events(instance.id)] == ["start", "timer"]


def test_supervisor_roles_can_be_configured(database: Database, directory: StaticDirectory) -> None:
    from engine import Authorizer

    class HeadsAssign(Authorizer):
        supervisor_roles = frozenset({"head"})

    engine = Engine(database, directory=directory, authorizer=HeadsAssign())
    engine.deploy(BUNDLE, "owner")
    instance = engine.start("review", actor=engine.actor("an"), data=START_DATA)
    draft = _open_task(engine, instance.id, "Task_draft")
    assert engine.assign(draft.id, engine.actor("em"), "ba").assignee == "ba"
    directory.add(replace(engine.actor("em"), grants=frozenset({RoleGrant("head", "STC")})))
    with pytest.raises(Forbidden):
        engine.assign(draft.id, engine.actor("em"), "an")
