"""Migrating running instances between definition versions."""

from __future__ import annotations

import pytest

from engine import Conflict, Engine, Forbidden, InvalidData, TaskQuery
from tests.conftest import read_model

FILES = {
    name: read_model(name)
    for name in ("review.bpmn", "appraisal.bpmn", "draft_form.json", "appraisal_form.json")
}
DATA = {"subject": "S", "lead_agency": "SXD", "registered_on": "2026-03-02", "rounds": 0}


def _deploy(engine: Engine, review: bytes) -> int:
    infos = engine.deploy({**FILES, "review.bpmn": review}, "owner")
    return next(i.id for i in infos if i.key == "review")


def _open(engine: Engine, instance_id: int) -> list[tuple[str, str, str | None]]:
    tasks = engine.tasks(TaskQuery(instance_id=instance_id, states=("open", "claimed")))
    return [(t.element_id, t.state, t.assignee) for t in tasks]


def test_migration_keeps_claims_and_moves_to_the_new_version(engine: Engine) -> None:
    v1 = _deploy(engine, FILES["review.bpmn"])
    instance = engine.start("review", actor=engine.actor("an"), data=DATA)
    draft = engine.tasks(TaskQuery(instance_id=instance.id))[0]
    engine.claim(draft.id, engine.actor("an"))
    v2 = _deploy(engine, FILES["review.bpmn"].replace(b"Sign the submission", b"Sign and number"))
    root = engine.actor("root")
    preview = engine.migrate(instance.id, v2, actor=root, dry_run=True)
    assert preview.possible and preview.dry_run and preview.refusals == []
    assert any("Task_sign" in item for item in preview.changed)
    assert engine.instance(instance.id).definition_id == v1  # a dry run writes nothing
    report = engine.migrate(instance.id, v2, actor=root)
    assert report.possible and (report.from_version, report.to_version) == (1, 2)
    assert engine.instance(instance.id).definition_id == v2
    assert _open(engine, instance.id) == [("Task_draft", "claimed", "an")]
    # The migrated instance runs on the new version to the end.
    current = engine.tasks(TaskQuery(instance_id=instance.id, states=("claimed",)))[0]
    engine.complete(current.id, engine.actor("an"), {"summary": "after migration"})
    appraise = engine.tasks(TaskQuery(instance_id=instance.id, states=("open",)))[0]
    engine.complete(appraise.id, engine.actor("chi"), {"decision": "approve"})
    sign = engine.tasks(TaskQuery(instance_id=instance.id, states=("open",)))[0]
    assert sign.title == "Sign and number"
    assert [e.action for e in engine.audit_events(instance.id)][:3] == ["start", "claim", "migrate"]
    assert engine.verify_audit(instance.id).ok


def test_migration_is_refused_when_an_active_step_disappears(engine: Engine) -> None:
    v1 = _deploy(engine, FILES["review.bpmn"])
    instance = engine.start("review", actor=engine.actor("an"), data=DATA)
    v2 = _deploy(engine, FILES["review.bpmn"].replace(b"Task_draft", b"Task_prepare"))
    root = engine.actor("root")
    preview = engine.migrate(instance.id, v2, actor=root, dry_run=True)
    assert not preview.possible
    assert any("Task_draft" in reason and "version 2" in reason for reason in preview.refusals)
    before = engine.instance(instance.id)
    with pytest.raises(Conflict, match="Task_draft"):
        engine.migrate(instance.id, v2, actor=root)
    after = engine.instance(instance.id)
    assert after.definition_id == v1 and after.version == before.version


def test_migration_needs_rights_and_the_same_process(engine: Engine) -> None:
    _deploy(engine, FILES["review.bpmn"])
    instance = engine.start("review", actor=engine.actor("an"), data=DATA)
    appraisal_id = next(d.id for d in engine.definitions("appraisal"))
    review_id = next(d.id for d in engine.definitions("review"))
    with pytest.raises(Forbidden):
        engine.migrate(instance.id, review_id, actor=engine.actor("an"))
    with pytest.raises(InvalidData, match="not a version of 'review'"):
        engine.migrate(instance.id, appraisal_id, actor=engine.actor("root"))


def test_every_instance_on_an_older_version_is_planned_then_those_that_can_move(
    engine: Engine,
) -> None:
    v1 = _deploy(engine, FILES["review.bpmn"])
    an, root = engine.actor("an"), engine.actor("root")
    waiting, also_waiting, moved_on = (
        engine.start("review", actor=an, data=DATA).id for _ in range(3)
    )
    [draft] = engine.tasks(TaskQuery(instance_id=moved_on))
    engine.complete(draft.id, an, {"summary": "done"})
    v2 = _deploy(engine, FILES["review.bpmn"].replace(b"Task_draft", b"Task_prepare"))
    plan = engine.migration_plan("review", actor=root)
    assert (plan.to_definition_id, plan.to_version, plan.by_version()) == (v2, 2, {1: 3})
    assert [r.instance_id for r in plan.movable] == [moved_on]
    refused = {r.instance_id: r.refusals for r in plan.reports if not r.possible}
    assert set(refused) == {waiting, also_waiting}
    assert all("Task_draft" in reason for reasons in refused.values() for reason in reasons)
    with pytest.raises(Forbidden):
        engine.migration_plan("review", actor=an)
    before = len(engine.audit_events(waiting))
    # A selection with a refused instance: it is reported and left as it was.
    result = engine.migrate_instances("review", actor=root, instance_ids=[waiting, 999_999])
    assert [(r.instance_id, r.possible, r.dry_run) for r in result.reports] == [
        (waiting, False, False),
        (999_999, False, False),
    ]
    assert "not a running instance of 'review'" in result.reports[1].refusals[0]
    assert engine.instance(waiting).definition_id == v1
    assert len(engine.audit_events(waiting)) == before
    # All that can: the one past the renamed step moves, audited.
    result = engine.migrate_instances("review", actor=root)
    assert [(r.instance_id, r.possible) for r in result.reports] == [(moved_on, True)]
    assert engine.instance(moved_on).definition_id == v2
    event = engine.audit_events(moved_on)[-1]
    assert (event.action, event.actor, event.data["to_version"]) == ("migrate", "root", 2)
    assert [r.instance_id for r in engine.migration_plan("review", actor=root).reports] == [
        waiting,
        also_waiting,
    ]
