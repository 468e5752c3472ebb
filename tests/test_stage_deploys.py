"""Deploying a stage deploys again, in the same action, every process that calls it: a draft
started afterwards runs the new stage, one started before keeps the stage it started with."""

from __future__ import annotations

import io

import pytest
from flask import Flask

from engine import DeploymentError, Engine, TaskQuery
from tests.support.small_models import call, model
from tests.support.web import post_form, signed_in
from workflows.lifecycle import Lifecycle

STAGE = model(pid="stage", task='<bpmn:userTask id="T" name="Old step"/>')
NEW_STAGE = (
    model(pid="stage", task='<bpmn:userTask id="T2" name="New step"/>')
    .replace(b'"T"', b'"T2"')
    .replace(b">T<", b">T2<")
)


def open_steps(engine: Engine, instance_id: int) -> list[str | None]:
    return [t.name for t in engine.tasks(TaskQuery(instance_id=instance_id))]


def test_a_stage_deploy_gives_its_callers_new_versions(engine: Engine) -> None:
    engine.deploy(
        {
            "stage.bpmn": STAGE,
            "parent.bpmn": call("parent", "stage"),
            "top.bpmn": call("top", "parent"),
        },
        "owner",
    )
    before = engine.start("top", actor=engine.actor("an")).id
    assert open_steps(engine, before) == ["Old step"]

    infos = engine.deploy({"stage.bpmn": NEW_STAGE}, "owner", "new step")
    summary = [(i.key, i.version, i.created, i.redeployed_for) for i in infos]
    assert summary == [
        ("stage", 2, True, ()),
        ("parent", 2, True, ("stage",)),
        ("top", 2, True, ("stage",)),  # calls the stage through parent
    ]
    assert {i.note for i in infos} == {"new step"}

    after = engine.start("top", actor=engine.actor("an")).id
    assert open_steps(engine, after) == ["New step"]
    assert open_steps(engine, before) == ["Old step"]  # frozen with the version it started on
    again = engine.deploy({"stage.bpmn": NEW_STAGE}, "owner")
    assert [(i.key, i.created) for i in again] == [("stage", False)]


def test_a_caller_that_no_longer_passes_refuses_the_stage_deploy(engine: Engine) -> None:
    stage = model(pid="stage", role="appraiser")
    engine.deploy({"stage.bpmn": stage, "parent.bpmn": call("parent", "stage")}, "owner")
    # Since then the role of the parent's lane was withdrawn: the parent cannot be rebuilt.
    strict = Engine(
        engine.db, directory=engine.ctx.directory, role_known={"appraiser"}.__contains__
    )
    with pytest.raises(DeploymentError) as caught:
        strict.deploy({"stage.bpmn": stage.replace(b"Do it", b"Do it now")}, "owner")
    assert "the processes that call stage must be deployed again with it" in caught.value.message
    assert [d.version for d in engine.definitions("stage")] == [1]
    assert [d.version for d in engine.definitions("parent")] == [1]


def test_the_models_page_says_which_callers_were_deployed_again(
    app: Flask, lifecycle: Lifecycle
) -> None:
    lifecycle.engine.deploy({"stage.bpmn": STAGE, "parent.bpmn": call("parent", "stage")}, "owner")
    owner = signed_in(app, "owner")
    page = owner.get("/models").get_data(as_text=True)
    assert "Deploying a stage therefore also deploys a new version" in page
    data = {"files": [(io.BytesIO(NEW_STAGE), "stage.bpmn")], "note": "new step"}
    response = post_form(owner, "/models", data, content_type="multipart/form-data")
    shown = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deployed: stage v2." in shown
    assert "Deployed again because they call what changed: parent v2 (stage)." in shown
