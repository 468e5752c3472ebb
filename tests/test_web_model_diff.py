"""The diff page over HTTP: what changed between two versions of a model, or between a draft
model and its version, listed with the properties that changed; who may see it; bad input.

The colouring of the diagrams is bpmn-js-differ's, driven in Chromium by
tests/browser/test_model_diff.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from markupsafe import escape

from tests.conftest import DATA
from tests.support.web import signed_in
from workflows import model_drafts

KEY = "qd_ubnd_tinh"
V1 = (DATA / "web_qd_ubnd_tinh.bpmn").read_text()
# Version 2: the task renamed, its stage property changed, a review step added after it.
V2 = (
    V1.replace('name="Prepare the draft"', 'name="Prepare the first draft"')
    .replace('value="drafting"', 'value="appraisal"')
    .replace(
        "<bpmn:flowNodeRef>End_web</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>End_web</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>Task_review</bpmn:flowNodeRef>",
    )
    .replace(
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="Task_prepare" targetRef="End_web"/>',
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="Task_prepare" targetRef="Task_review"/>'
        '<bpmn:userTask id="Task_review" name="Review the draft"><bpmn:extensionElements>'
        '<spiffworkflow:properties><spiffworkflow:property name="name_en" value="Review"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        "<bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>"
        "</bpmn:userTask>"
        '<bpmn:sequenceFlow id="Flow_3" sourceRef="Task_review" targetRef="End_web"/>',
    )
    .replace(
        "<bpmn:incoming>Flow_2</bpmn:incoming>\n    </bpmn:endEvent>",
        "<bpmn:incoming>Flow_3</bpmn:incoming>\n    </bpmn:endEvent>",
    )
)


@pytest.fixture
def versions(lifecycle: Any) -> tuple[int, int]:
    first = lifecycle.engine.deploy({f"{KEY}.bpmn": V1}, "owner", "first")[0].id
    second = lifecycle.engine.deploy({f"{KEY}.bpmn": V2}, "owner", "review step")[0].id
    return first, second


def test_the_diff_lists_added_removed_renamed_and_changed_properties(
    app: Flask, lifecycle: Any, versions: tuple[int, int]
) -> None:
    first, second = versions
    owner = signed_in(app, "owner")
    show = owner.get(f"/models/{second}").get_data(as_text=True)
    assert f'href="/modeler/compare/{first}/{second}" data-compare-previous' in show
    assert owner.get(f"/modeler/compare?old={first}&new={second}").location.endswith(
        f"/modeler/compare/{first}/{second}"
    )

    page = owner.get(f"/modeler/compare/{first}/{second}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-element-id="Task_review" data-state="added"' in html
    assert 'data-element-id="Flow_3" data-state="added"' in html
    assert 'data-element-id="Task_prepare" data-state="changed"' in html
    assert "Prepare the draft</td>" in html and "Prepare the first draft</td>" in html
    assert '<tr data-property="stage">' in html and "appraisal</td>" in html
    assert 'data-element-id="Flow_2" data-state="changed"' in html  # its target moved on
    assert 'data-element-id="Start_web"' not in html  # untouched
    lane = html[html.index('data-element-id="Lane_drafter"') :]
    assert '<tr data-property="flowNodeRef">' in lane and "+ Task_review</td>" in lane

    backwards = owner.get(f"/modeler/compare/{second}/{first}").get_data(as_text=True)
    assert 'data-element-id="Task_review" data-state="removed" data-side="old"' in backwards

    same = owner.get(f"/modeler/compare/{first}/{first}").get_data(as_text=True)
    assert "data-diff-list" not in same


def test_a_draft_model_is_compared_with_the_version_it_came_from(
    app: Flask, lifecycle: Any, versions: tuple[int, int]
) -> None:
    first, _second = versions
    # What Lexflow executes: a lane's organisation, a task's due date, form and script, a
    # flow's condition, a timer; and a layout-only change (the end event moved).
    draft_xml = (
        V1.replace('value="lead_agency"', 'value="drafting_agency"')
        .replace(
            '<spiffworkflow:property name="stage" value="drafting"/>',
            '<spiffworkflow:property name="stage" value="drafting"/>'
            '<spiffworkflow:property name="dueDate" value="deadline(&quot;drafting&quot;)"/>'
            '<spiffworkflow:property name="formJsonSchemaFilename" value="draft_form.json"/>'
            "</spiffworkflow:properties><spiffworkflow:preScript>ready = True"
            "</spiffworkflow:preScript><spiffworkflow:properties>",
        )
        .replace(
            '<bpmn:sequenceFlow id="Flow_2" sourceRef="Task_prepare" targetRef="End_web"/>',
            '<bpmn:sequenceFlow id="Flow_2" sourceRef="Task_prepare" targetRef="End_web">'
            "<bpmn:conditionExpression>ready == True</bpmn:conditionExpression>"
            "</bpmn:sequenceFlow>",
        )
        .replace(
            '<bpmn:startEvent id="Start_web">',
            '<bpmn:startEvent id="Start_web"><bpmn:timerEventDefinition id="T">'
            '<bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>',
        )
        .replace('<dc:Bounds x="472" y="122"', '<dc:Bounds x="482" y="122"')
    )
    with lifecycle.db.write() as session:
        draft_id = model_drafts.save(session, "owner", draft_xml, base_definition_id=first).id
    html = signed_in(app, "admin").get(f"/modeler/drafts/{draft_id}/compare").get_data(as_text=True)
    assert 'data-element-id="Lane_drafter" data-state="changed"' in html
    assert '<tr data-property="organisation">' in html and "drafting_agency</td>" in html
    assert f"/modeler/drafts/{draft_id}/xml" in html  # the new side is the draft
    for name, value in [
        ("dueDate", 'deadline("drafting")'),
        ("formJsonSchemaFilename", "draft_form.json"),
        ("spiffworkflow:preScript", "ready = True"),
        ("conditionExpression", "ready == True"),
        ("timerEventDefinition/timeDuration", '"P1D"'),
    ]:
        row = html[html.index(f'<tr data-property="{name}">') :]
        assert row.index(escape(value)) < row.index("</tr>"), name
    assert 'data-element-id="End_web" data-state="moved"' in html


def test_only_owners_see_a_diff_and_bad_ids_or_two_models_are_refused(
    app: Flask, lifecycle: Any, versions: tuple[int, int]
) -> None:
    first, second = versions
    assert signed_in(app, "cv.sxd").get(f"/modeler/compare/{first}/{second}").status_code == 403
    owner = signed_in(app, "owner")
    assert owner.get(f"/modeler/compare/{first}/999999").status_code == 404
    assert owner.get("/modeler/compare/999999/999998").status_code == 404
    assert owner.get("/modeler/drafts/999999/compare").status_code == 404
    assert owner.get(f"/modeler/compare?old={first}&new=x").status_code == 400
    assert owner.get("/modeler/compare").status_code == 400
    other = lifecycle.engine.deploy(
        {"other_key.bpmn": V1.replace('"qd_ubnd_tinh"', '"other_key"')}, "owner", "x"
    )[0].id
    api = owner.get(f"/api/v1/definitions/{second}/changes?from={first}").get_json()
    assert [c["element_id"] for c in api["added"]] == ["Flow_3", "Task_review"]
    renamed = next(c for c in api["changed"] if c["element_id"] == "Task_prepare")
    assert {"name": "name", "old": "Prepare the draft", "new": "Prepare the first draft"} in (
        renamed["properties"]
    )
    assert owner.get(f"/api/v1/definitions/{second}/changes").status_code == 400
    assert owner.get(f"/api/v1/definitions/{second}/changes?from={other}").status_code == 400
    assert owner.get(f"/api/v1/definitions/{second}/changes?from=999999").status_code == 404
    drafter_api = signed_in(app, "cv.sxd").get(f"/api/v1/definitions/{second}/changes?from={first}")
    assert drafter_api.status_code == 403
    refused = owner.get(f"/modeler/compare/{first}/{other}")
    assert refused.status_code == 400
    assert "different models" in refused.get_data(as_text=True) or "khác nhau" in refused.get_data(
        as_text=True
    )
