"""Model content in the reader's language: step names, documentation, task titles, form
labels and choices, organisation names; English on English pages, Vietnamese otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import update

from engine import DeploymentError, Engine, TaskQuery
from tests.support.drafts import start_draft
from tests.support.openapi import (
    ApiClient,
    api_fixture,  # noqa: F401
    open_task,
)
from tests.support.web import csrf_token, sign_in, signed_in
from workflows.autopilot import Autopilot, at_step
from workflows.directory import Organisation
from workflows.drafts import Draft
from workflows.lifecycle import MODELS, Lifecycle, model_files

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
ENGLISH_NAMES = {
    "SXD": "Department of Construction",
    "STC": "Department of Finance",
    "SNV": "Department of Home Affairs",
}
TITLE = "Quy định quản lý vật liệu xây dựng"


# The models carry English beside every Vietnamese text ------------------------------------
def _schema_nodes(node: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    """The schema itself, each property and each array's items (where labels live)."""
    found = [(where, node)]
    for name, prop in (node.get("properties") or {}).items():
        found.extend(_schema_nodes(prop, f"{where}/properties/{name}"))
    if isinstance(node.get("items"), dict):
        found.extend(_schema_nodes(node["items"], f"{where}/items"))
    return found


FORMS = sorted((MODELS / "forms").glob("*.json"))


@pytest.mark.parametrize("path", FORMS, ids=[path.name for path in FORMS])
def test_every_form_text_has_its_english(path: Path) -> None:
    for where, node in _schema_nodes(json.loads(path.read_text("utf-8")), path.name):
        if where != path.name and "/items" not in where:
            assert isinstance(node.get("x-title-en"), str) and node["x-title-en"], where
        for keyword in ("title", "description"):
            if keyword in node:
                assert isinstance(node.get(f"x-{keyword}-en"), str), f"{where} x-{keyword}-en"
        if "x-enumTitles" in node:
            english = node.get("x-enumTitles-en")
            assert isinstance(english, list) and len(english) == len(node["enum"]), where
            assert all(isinstance(t, str) and t for t in english), where


BPMNS = sorted(MODELS.glob("*.bpmn"))


@pytest.mark.parametrize("path", BPMNS, ids=[path.name for path in BPMNS])
def test_every_user_task_has_its_english(path: Path) -> None:
    tasks = etree.parse(str(path)).getroot().iterfind(".//bpmn:userTask", NS)
    for task in tasks:
        props = {
            p.get("name"): p.get("value") for p in task.iterfind(".//spiffworkflow:property", NS)
        }
        element = task.get("id")
        assert props.get("name_en"), f"{element} name_en"
        assert props.get("title_en"), f"{element} title_en"
        if task.find("bpmn:documentation", NS) is not None:
            assert props.get("documentation_en"), f"{element} documentation_en"


# Pages ------------------------------------------------------------------------------------
@pytest.fixture
def draft(lifecycle: Lifecycle) -> Draft:
    with lifecycle.db.write() as session:
        for code, name in ENGLISH_NAMES.items():
            session.execute(
                update(Organisation).where(Organisation.code == code).values(name_en=name)
            )
    lifecycle.organisation_names.refresh()
    return start_draft(lifecycle, title=TITLE, consulted=("STC", "SNV"))


def _vietnamese(app: Flask, username: str) -> FlaskClient:
    """A client in Vietnamese (the choice is the user's: an earlier English client set it)."""
    client = app.test_client()
    sign_in(client, username)
    client.post("/language/vi", data={"csrf_token": csrf_token(client, "/inbox")})
    return client


def _open(lifecycle: Lifecycle, draft: Draft, element: str) -> list[Any]:
    tasks = lifecycle.engine.tasks(
        TaskQuery(instance_id=draft.instance_id, states=("open", "claimed"))
    )
    return [task for task in tasks if task.element_id == element]


def test_the_task_page_speaks_the_readers_language(
    app: Flask, lifecycle: Lifecycle, draft: Draft
) -> None:
    (task,) = _open(lifecycle, draft, "Task_qdt_register")
    english = signed_in(app, "cv.sxd").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert f"Registration: {TITLE}" in english  # title_en
    assert "Prepare the proposal to develop the document" in english  # name_en
    assert "The lead agency prepares the proposal" in english  # documentation_en
    assert "Need for issuance" in english and "Main contents of the policy" in english  # labels
    assert "Proposal to develop the document" in english  # the form's own title
    assert "Department of Construction" in english  # the organisation's English name
    for vietnamese in ("Đăng ký xây dựng:", "Lập đề nghị xây dựng văn bản", "Sự cần thiết"):
        assert vietnamese not in english
    assert "Sở Xây dựng" not in english

    page = _vietnamese(app, "cv.sxd").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert f"Đăng ký xây dựng: {TITLE}" in page
    assert "Lập đề nghị xây dựng văn bản" in page and "Sự cần thiết ban hành" in page
    assert "Sở Xây dựng" in page
    for english_text in ("Registration:", "Prepare the proposal", "Need for issuance"):
        assert english_text not in page


def test_the_api_gives_both_languages(api: ApiClient, draft: Draft) -> None:
    task = open_task(api, "cv.sxd", draft.instance_id)  # responses checked against OpenAPI
    assert task["title"] == f"Đăng ký xây dựng: {TITLE}"
    assert task["title_en"] == f"Registration: {TITLE}"
    detail = api.as_user("cv.sxd").get(f"/tasks/{task['id']}").get_json()
    assert detail["name_en"] == "Prepare the proposal to develop the document"
    assert detail["documentation_en"].startswith("The lead agency prepares the proposal")


def test_choices_and_the_inbox_follow_the_language(
    app: Flask, lifecycle: Lifecycle, draft: Draft
) -> None:
    (register,) = _open(lifecycle, draft, "Task_qdt_register")
    engine = lifecycle.engine
    engine.claim(register.id, engine.actor("cv.sxd"))
    engine.complete(
        register.id,
        engine.actor("cv.sxd"),
        {"necessity": "Cần quy định mới", "main_content": "Quản lý vật liệu xây dựng"},
    )
    (approve,) = _open(lifecycle, draft, "Task_qdt_approve_registration")
    english = signed_in(app, "ct.ubnd")
    page = english.get(f"/tasks/{approve.id}").get_data(as_text=True)
    assert 'data-decision="approve"' in page
    assert ">Approve</button>" in page and ">Reject</button>" in page
    assert "Chấp thuận</button>" not in page
    inbox = english.get("/inbox?tab=offered").get_data(as_text=True)
    assert f"Approval of proposal: {TITLE}" in inbox and "Chấp thuận đề nghị:" not in inbox

    vietnamese = _vietnamese(app, "ct.ubnd")
    page = vietnamese.get(f"/tasks/{approve.id}").get_data(as_text=True)
    assert ">Chấp thuận</button>" in page and ">Không chấp thuận</button>" in page
    inbox = vietnamese.get("/inbox?tab=offered").get_data(as_text=True)
    assert f"Chấp thuận đề nghị: {TITLE}" in inbox and "Approval of proposal" not in inbox


def test_a_consultation_reply_is_titled_with_its_agency(
    app: Flask, lifecycle: Lifecycle, draft: Draft
) -> None:
    Autopilot(lifecycle).run(draft, until=at_step("_cns_reply"))
    replies = {task.organisation: task for task in _open(lifecycle, draft, "Task_cns_reply")}
    assert set(replies) == {"STC", "SNV"}
    assert replies["STC"].title == f"Góp ý dự thảo: {TITLE} — Sở Tài chính"
    assert replies["SNV"].title == f"Góp ý dự thảo: {TITLE} — Sở Nội vụ"
    assert replies["STC"].title_en == f"Comments on the draft: {TITLE} — Department of Finance"
    assert not any("(0)" in task.title or "(1)" in task.title for task in replies.values())

    inbox = signed_in(app, "cv.stc").get("/inbox?tab=offered").get_data(as_text=True)
    assert "Comments on the draft" in inbox and "Department of Finance" in inbox
    page = signed_in(app, "cv.stc").get(f"/tasks/{replies['STC'].id}").get_data(as_text=True)
    assert "The agency agrees with the draft" in page  # a checkbox label in English


def test_a_broken_translation_is_refused_at_deploy(lifecycle: Lifecycle) -> None:
    files = model_files()
    schema = json.loads(files["appraisal_report.json"])
    schema["properties"]["appraisal_result"]["x-enumTitles-en"].pop()
    schema["x-title-en"] = 42
    files["appraisal_report.json"] = json.dumps(schema).encode()
    with pytest.raises(DeploymentError) as caught:
        lifecycle.engine.deploy(files, "owner")
    message = str(caught.value)
    assert "Task_apr_appraise" in message
    assert "'x-enumTitles-en' at /properties/appraisal_result has 1 titles for 2 values" in message
    assert "'x-title-en' at / must be a text" in message
    assert lifecycle.engine.definitions() == []


# Multi-instance children without a title expression ---------------------------------------
MI_MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="mi" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="Task_reply"/>
    <bpmn:userTask id="Task_reply" name="Reply">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="role" value="reviewer"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:loopDataInputRef>agencies</bpmn:loopDataInputRef>
        <bpmn:inputDataItem id="agency" name="agency"/>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="Task_reply" targetRef="e"/>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def test_an_untitled_instance_is_named_by_its_item_not_its_index(engine: Engine) -> None:
    engine.deploy({"mi.bpmn": MI_MODEL}, "owner")
    started = engine.start("mi", actor=engine.actor("root"), data={"agencies": ["STC", "SNV"]})
    tasks = engine.tasks(TaskQuery(instance_id=started.id))
    assert sorted(task.title for task in tasks) == ["Reply (SNV)", "Reply (STC)"]
    assert all(task.title_en is None for task in tasks)
