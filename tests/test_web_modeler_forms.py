"""Forms and decision tables edited in the modeler, over HTTP.

A user task's form is saved into a draft as a field list, stored as the JSON Schema the
engine runs, deployed with the model and shown on the task of a new instance; a field list
the engine could not run is refused with the field and the reason. A DMN table is edited as
rows, kept as a draft, deployed through the engine's lint, and a draft started afterwards
follows the new rules. The field editor itself is driven in Chromium by
tests/browser/test_modeler_forms.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from engine import TaskQuery
from tests.conftest import DATA
from tests.support.web import csrf_token, signed_in
from tests.test_web_modeler import KEY, MODEL, Caller
from web.modeler.form_fields import to_fields, to_schema
from workflows import model_drafts

FORM = "modeler_check.json"
WITH_FORM = MODEL.replace(
    '<spiffworkflow:property name="stage" value="drafting"/>',
    '<spiffworkflow:property name="stage" value="drafting"/>\n'
    f'          <spiffworkflow:property name="formJsonSchemaFilename" value="{FORM}"/>',
)
FIELDS: dict[str, Any] = {
    "title": "Kiểm tra",
    "title_en": "Check",
    "fields": [
        {"key": "summary", "label": "Tóm tắt", "label_en": "Summary", "type": "text",
         "required": True},
        {"key": "pages", "label": "Số trang", "label_en": "Pages", "type": "integer"},
        {"key": "verdict", "label": "Kết luận", "type": "enum", "required": True,
         "choices": [{"value": "ok", "label": "Đạt", "label_en": "Passes"},
                     {"value": "redo", "label": "Làm lại", "label_en": "Redo"}]},
        {"key": "urgent", "label": "Khẩn", "type": "boolean"},
        {"key": "due", "label": "Hạn", "type": "date"},
    ],
    "rules": [{"assert": "pages is None or pages > 0", "fields": ["pages"],
               "message": "Số trang phải dương.", "message_en": "Pages must be positive."}],
}  # fmt: skip


@pytest.fixture
def owner(app: Flask) -> Caller:
    return Caller(signed_in(app, "owner"))


def _draft(owner: Caller, xml: str) -> dict[str, Any]:
    created = owner.post("/modeler/drafts", {"xml": xml})
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def test_a_form_saved_in_a_draft_is_deployed_with_it_and_shown_on_the_task(
    lifecycle: Any, owner: Caller
) -> None:
    draft = _draft(owner, WITH_FORM)
    saved = owner.post(f"/modeler/drafts/{draft['id']}/forms/{FORM}", {"form": FIELDS})
    assert saved.status_code == 200, saved.get_json()
    schema = saved.get_json()["schema"]
    assert list(schema["properties"]) == ["summary", "pages", "verdict", "urgent", "due"]
    assert schema["properties"]["verdict"]["x-enumTitles-en"] == ["Passes", "Redo"]
    assert schema["properties"]["summary"]["x-widget"] == "textarea"
    assert schema["required"] == ["summary", "verdict"]
    back = owner.client.get(f"/modeler/forms/{FORM}?draft_id={draft['id']}").get_json()
    assert back["source"] == "draft"
    assert [f["key"] for f in back["form"]["fields"]] == [
        "summary",
        "pages",
        "verdict",
        "urgent",
        "due",
    ]
    assert [f["type"] for f in back["form"]["fields"]][2:] == ["enum", "boolean", "date"]

    deployed = owner.post(
        "/modeler/deploy", {"xml": WITH_FORM, "note": "form", "draft_id": draft["id"]}
    )
    assert deployed.status_code == 200, deployed.get_json()
    assert owner.client.get(f"/modeler/forms/{FORM}").get_json()["source"] == "deployed"
    engine = lifecycle.engine
    instance = engine.start(KEY, actor=engine.actor("owner"), data={"lead_agency": "SXD"})
    task = engine.tasks(TaskQuery(instance_id=instance.id))[0]
    form = engine.task_form(task.id)
    assert form is not None and form["title"] == "Kiểm tra"
    assert list(form["properties"]) == ["summary", "pages", "verdict", "urgent", "due"]
    assert form["x-rules"][0]["message_en"] == "Pages must be positive."


def test_every_shipped_form_survives_the_field_list_unchanged() -> None:
    for path in sorted((DATA.parent.parent / "bpmn" / "forms").glob("*.json")):
        schema = json.loads(path.read_text())
        assert to_schema(to_fields(schema)) == schema, path.name


BAD_FIELDS: list[tuple[Any, str | None, str]] = [
    (lambda f: f["fields"].append({**f["fields"][0]}), "summary", "two fields have the key"),
    (lambda f: f["fields"][1].update(label=" "), "pages", "needs a label"),
    (lambda f: f["fields"][1].update(type="agency"), "pages", "not a field type or picker"),
    (lambda f: f["fields"][1].update(type="user"), "pages", "needs the expression"),
    (lambda f: f["rules"][0].update({"assert": "pages >"}), None, "x-rules"),
]


def test_a_field_list_the_engine_cannot_run_is_refused_with_the_field(
    lifecycle: Any, owner: Caller
) -> None:
    draft = _draft(owner, WITH_FORM)
    url = f"/modeler/drafts/{draft['id']}/forms/{FORM}"
    for change, field, said in BAD_FIELDS:
        form = json.loads(json.dumps(FIELDS))
        change(form)
        answer = owner.post(url, {"form": form})
        assert answer.status_code == 422, said
        problem = answer.get_json()["problems"][0]
        assert problem["field"] == field and said in problem["message"], problem
    with lifecycle.db.read() as session:
        assert model_drafts.get(session, draft["id"]).forms is None
    assert owner.client.get("/modeler/forms/..%2Fsecret.json").status_code in (400, 404)
    # A picker names its kind and the expression giving its choices, as shipped forms do.
    picker = {"key": "committee", "label": "Ban", "type": "organisation"}
    form = {
        **FIELDS,
        "fields": [*FIELDS["fields"], {**picker, "choices_expression": "hdnd_committees"}],
    }
    saved = owner.post(url, {"form": form})
    assert saved.status_code == 200, saved.get_json()
    prop = saved.get_json()["schema"]["properties"]["committee"]
    assert (prop["x-picker"], prop["x-choices"]) == ("organisation", "hdnd_committees")
    shipped = owner.client.get("/modeler/forms/no_such_form.json").get_json()
    assert (shipped["source"], shipped["form"]["fields"]) == ("new", [])


DMN = (DATA.parent.parent / "bpmn" / "procedure.dmn").read_text()


def _rows(table: list[tuple[str, str, str]]) -> dict[str, str]:
    form = {"rows": str(len(table)), "action": "save"}
    for row, (test, output, description) in enumerate(table):
        form |= {f"rule-{row}-in-0": test, f"rule-{row}-out-0": output}
        form[f"rule-{row}-description"] = description
    return form


def test_a_decision_table_is_edited_as_a_draft_and_deployed_for_new_drafts(
    app: Flask, lifecycle: Any
) -> None:
    engine = lifecycle.engine
    shipped = {
        "procedure.dmn": DMN,
        "choose_procedure.bpmn": (DATA / "choose_procedure.bpmn").read_text(),
    }
    decision = next(d for d in engine.deploy(shipped, "owner", "shipped") if d.kind == "dmn")
    client = signed_in(app, "owner")
    token = csrf_token(client, "/modeler")
    page = client.get(f"/modeler/dmn/{decision.id}").get_data(as_text=True)
    assert 'name="rule-0-in-0"' in page and "urgent_practical_issue" in page
    rules = [('? == "urgent_practical_issue"', '"normal"', "Không còn rút gọn"),
             ("", '"simplified"', "Mọi căn cứ khác")]  # fmt: skip
    saved = client.post(f"/modeler/dmn/{decision.id}", data={**_rows(rules), "csrf_token": token})
    assert saved.status_code == 303
    draft_url = saved.headers["Location"]
    added = client.post(draft_url, data={**_rows(rules), "action": "add_row", "csrf_token": token})
    assert added.status_code == 200 and 'name="rule-2-in-0"' in added.get_data(as_text=True)
    removed = client.post(draft_url, data={**_rows(rules), "remove": "0", "csrf_token": token})
    assert 'name="rule-1-in-0"' not in removed.get_data(as_text=True)  # nothing stored yet
    bad = _rows([("? ==", '"normal"', "")]) | {"action": "deploy", "note": "x", "csrf_token": token}
    refused = client.post(draft_url, data=bad)
    assert refused.status_code == 422
    assert len(engine.definitions("Decision_procedure")) == 1
    good = _rows(rules) | {"action": "deploy", "note": "rút gọn hẹp hơn", "csrf_token": token}
    deployed = client.post(draft_url, data=good)
    assert deployed.status_code == 303, deployed.get_data(as_text=True)
    versions = engine.definitions("Decision_procedure", latest_only=True)
    assert versions[0].version == 2 and versions[0].note == "rút gọn hẹp hơn"
    with lifecycle.db.read() as session:
        assert model_drafts.listed(session) == []
    # The process that uses the table got a new version holding it: new drafts follow it.
    assert len(engine.definitions("choose_procedure")) == 2
    started = engine.start("choose_procedure", actor=engine.actor("owner"), data=GROUND)
    assert engine.instance_data(started.id)["procedure"] == "normal"


GROUND = {"ground": "urgent_practical_issue"}
