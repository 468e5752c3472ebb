"""Priority and follow-up date of human tasks: from the model, set by the assignee or a
supervisor, audited, and what the inbox queries filter and sort on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import (
    Authorizer,
    Conflict,
    Database,
    DeploymentError,
    Engine,
    Forbidden,
    InvalidData,
    StaticDirectory,
    TaskQuery,
)
from engine.task_attributes import today
from tests.conftest import read_model

DATA = {"subject": "Phí", "lead_agency": "SXD", "registered_on": "2026-03-02", "rounds": 0}
FORMS = {n: read_model(n) for n in ("appraisal.bpmn", "draft_form.json", "appraisal_form.json")}


class HeadsSupervise(Authorizer):
    supervisor_roles = frozenset({"head"})


def _review(priority: str | None) -> bytes:
    xml = read_model("review.bpmn").decode()
    if priority is not None:
        xml = xml.replace(
            '<spiffworkflow:property name="formJsonSchemaFilename" value="draft_form.json"/>',
            '<spiffworkflow:property name="formJsonSchemaFilename" value="draft_form.json"/>'
            f'<spiffworkflow:property name="priority" value="{priority}"/>',
        )
    return xml.encode()


@pytest.fixture
def planner(database: Database, directory: StaticDirectory) -> Engine:
    engine = Engine(database, directory=directory, authorizer=HeadsSupervise())
    engine.deploy({"review.bpmn": _review("high"), **FORMS}, "owner")
    return engine


def _claimed_draft_task(engine: Engine, actor: str = "an") -> str:
    instance = engine.start("review", actor=engine.actor(actor), data=DATA)
    task = engine.tasks(TaskQuery(instance_id=instance.id))[0]
    engine.claim(task.id, engine.actor(actor))
    return task.id


def test_priority_comes_from_the_model_and_a_bad_one_is_refused_at_deploy(
    planner: Engine, engine: Engine
) -> None:
    task = planner.task(_claimed_draft_task(planner))
    assert (task.priority, task.priority_name, task.follow_up_on) == (2, "high", None)
    with pytest.raises(DeploymentError, match="priority"):
        engine.deploy({"review.bpmn": _review("whenever"), **FORMS}, "owner")
    engine.deploy({"review.bpmn": _review(None), **FORMS}, "owner")
    assert engine.task(_claimed_draft_task(engine)).priority_name == "normal"


def test_the_assignee_and_supervisors_plan_a_task_others_may_not(planner: Engine) -> None:
    task_id = _claimed_draft_task(planner)
    day = today() + timedelta(days=3)
    info = planner.set_follow_up(task_id, day, planner.actor("an"))
    assert info.follow_up_on == day
    assert planner.set_priority(task_id, "urgent", planner.actor("em")).priority == 3  # head
    for outsider in ("ba", "giang"):  # a colleague who is not the assignee; another agency
        with pytest.raises(Forbidden):
            planner.set_priority(task_id, "low", planner.actor(outsider))
    with pytest.raises(InvalidData, match="past"):
        planner.set_follow_up(task_id, today() - timedelta(days=1), planner.actor("an"))
    with pytest.raises(InvalidData, match="priority"):
        planner.set_priority(task_id, 7, planner.actor("an"))
    planner.set_follow_up(task_id, today(), planner.actor("an"))  # today is fine
    planner.set_follow_up(task_id, today(), planner.actor("an"))  # unchanged: nothing written
    cleared = planner.set_follow_up(task_id, None, planner.actor("an"))
    assert cleared.follow_up_on is None
    events = [e for e in planner.audit_events(cleared.instance_id) if e.action == "plan_task"]
    assert [e.data for e in events] == [
        {"follow_up_on": day.isoformat(), "previous_follow_up_on": None},
        {"priority": "urgent", "previous_priority": "high"},
        {"follow_up_on": today().isoformat(), "previous_follow_up_on": day.isoformat()},
        {"follow_up_on": None, "previous_follow_up_on": today().isoformat()},
    ]
    assert [e.actor for e in events] == ["an", "em", "an", "an"]
    assert planner.verify_audit(cleared.instance_id).ok


def test_a_closed_task_cannot_be_planned(planner: Engine) -> None:
    task_id = _claimed_draft_task(planner)
    planner.complete(task_id, planner.actor("an"), {"summary": "Bản dự thảo"})
    with pytest.raises(Conflict):
        planner.set_priority(task_id, "high", planner.actor("an"))


def test_filters_and_sorts(planner: Engine) -> None:
    plain, urgent, followed = (_claimed_draft_task(planner) for _ in range(3))
    an = planner.actor("an")
    planner.set_priority(urgent, "urgent", an)
    planner.set_priority(plain, "low", an)
    planner.set_follow_up(followed, today(), an)

    def ids(**query: object) -> list[str]:
        return [t.id for t in planner.tasks(TaskQuery(assignee="an", **query))]  # type: ignore[arg-type]

    assert ids(sort="priority") == [urgent, followed, plain]
    assert ids(sort="follow_up")[0] == followed
    assert ids(priorities=(3,)) == [urgent]
    assert ids(follow_up="today") == ids(follow_up="due") == [followed]
    assert ids(follow_up="overdue") == []
    assert set(ids(follow_up="none")) == {plain, urgent}
    assert planner.count_tasks(TaskQuery(assignee="an", priorities=(0, 3))) == 2
    assert ids(sort="priority", limit=1, offset=1) == [followed]
