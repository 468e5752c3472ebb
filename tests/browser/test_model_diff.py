"""The diff of two versions in real Chromium, and what the new version changes for drafts.

A process owner adds a step to the provincial resolution (``nq_hdnd_tinh``): a user task in
the drafters' lane between setting up the document type and the registration. Editing,
checking and deploying in the modeler are driven by tests/browser/test_modeler.py; here the
new version is deployed through the engine so that the test starts at the diff. The owner
opens "compare with previous" from the versions list: the new task is listed as added and
drawn green, the flow it was inserted on is amber, and a click on the task in the list
selects it. A draft started afterwards waits at the new task in the drafter's inbox; a
draft started before stays on its version until the owner migrates it from the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine import TaskQuery
from tests.browser.live import LiveServer, sign_in
from tests.support.drafts import start_draft
from workflows.lifecycle import model_files

pytestmark = pytest.mark.browser

KEY = "nq_hdnd_tinh"
TASK = "Task_nqt_check"
NAME = "Kiểm tra hồ sơ đề nghị"
NOTE = "Thêm bước kiểm tra hồ sơ trước khi đăng ký"


def _with_check_step(xml: str) -> str:
    """The model with a user task between Script_nqt_init and Task_nqt_register."""
    task = (
        f'<bpmn:userTask id="{TASK}" name="{NAME}">'
        "<bpmn:extensionElements><spiffworkflow:properties>"
        '<spiffworkflow:property name="name_en" value="Check the proposal file"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        "<bpmn:incoming>Flow_nqt_04</bpmn:incoming><bpmn:outgoing>Flow_nqt_check</bpmn:outgoing>"
        "</bpmn:userTask>"
        '<bpmn:sequenceFlow id="Flow_nqt_check" sourceRef="Task_nqt_check" '
        'targetRef="Task_nqt_register"/>'
    )
    shapes = (
        f'<bpmndi:BPMNShape id="{TASK}_di" bpmnElement="{TASK}">'
        '<dc:Bounds x="370" y="250" width="100" height="80"/></bpmndi:BPMNShape>'
        '<bpmndi:BPMNEdge id="Flow_nqt_check_di" bpmnElement="Flow_nqt_check">'
        '<di:waypoint x="470" y="290"/><di:waypoint x="540" y="290"/>'
        '<di:waypoint x="540" y="200"/></bpmndi:BPMNEdge>'
    )
    replacements = [
        (
            "<bpmn:flowNodeRef>Script_nqt_init</bpmn:flowNodeRef>",
            f"<bpmn:flowNodeRef>Script_nqt_init</bpmn:flowNodeRef><bpmn:flowNodeRef>{TASK}"
            "</bpmn:flowNodeRef>",
        ),
        (
            'sourceRef="Script_nqt_init" targetRef="Task_nqt_register"/>',
            f'sourceRef="Script_nqt_init" targetRef="{TASK}"/>{task}',
        ),
        (
            "<bpmn:incoming>Flow_nqt_04</bpmn:incoming>\n      <bpmn:incoming>Flow_nqt_09",
            "<bpmn:incoming>Flow_nqt_check</bpmn:incoming>\n      <bpmn:incoming>Flow_nqt_09",
        ),
        (
            '<di:waypoint x="470" y="160"/>\n        <di:waypoint x="520" y="160"/>',
            '<di:waypoint x="420" y="200"/>\n        <di:waypoint x="420" y="250"/>',
        ),
        ("</bpmndi:BPMNPlane>", f"{shapes}</bpmndi:BPMNPlane>"),
    ]
    for old, new in replacements:
        assert xml.count(old) == 1, old
        xml = xml.replace(old, new)
    return xml


def test_the_diff_shows_an_added_step_that_new_drafts_run_and_old_ones_get_by_migration(
    live_server: LiveServer,
    page: Page,
    new_page: Callable[[], Page],
    screenshot: Callable[..., Path | None],
) -> None:
    life = live_server.lifecycle
    old_draft = start_draft(life, document_type=KEY)
    first = next(iter(life.engine.definitions(KEY, latest_only=True)))
    source = model_files()[f"{KEY}.bpmn"].decode()
    second = life.engine.deploy({f"{KEY}.bpmn": _with_check_step(source)}, "owner", NOTE)[0]
    assert second.version == first.version + 1

    sign_in(page, "owner")
    page.goto(f"/models/{second.id}")
    page.locator(f"li[data-version='{second.version}'] a[data-compare-previous]").click()
    expect(page).to_have_url(re.compile(rf"/modeler/compare/{first.id}/{second.id}$"))
    diff = page.locator("[data-model-diff]")
    expect(diff).to_have_attribute("data-diff-state", "ready")
    added = page.locator(f"[data-diff-item][data-element-id='{TASK}'][data-state='added']")
    expect(added).to_contain_text(NAME)
    new_side = page.locator("[data-diff-canvas='new']")
    old_side = page.locator("[data-diff-canvas='old']")
    expect(new_side.locator(f".djs-element.diff-added[data-element-id='{TASK}']")).to_have_count(1)
    expect(old_side.locator(f"[data-element-id='{TASK}']")).to_have_count(0)
    expect(
        old_side.locator(".djs-element.diff-changed[data-element-id='Flow_nqt_04']")
    ).to_have_count(1)
    flow = page.locator("[data-diff-item][data-element-id='Flow_nqt_04'][data-state='changed']")
    expect(flow.locator("tr[data-property='targetRef'] td.diff-new")).to_have_text(TASK)
    page.locator("[data-diff-view='old']").click()  # one diagram at a time
    expect(new_side).to_be_hidden()
    added.locator("[data-diff-select]").click()  # an added element shows the new side
    expect(new_side).to_be_visible()
    page.locator("[data-diff-view='both']").click()
    expect(new_side.locator(f".djs-element.selected[data-element-id='{TASK}']")).to_have_count(1)
    expect(added).to_have_class(re.compile(r"\bdiff-item-selected\b"))
    screenshot(page, "model-diff.png", full_page=True)

    # A draft started now waits at the new step, in the lead agency's drafter's inbox.
    new_draft = start_draft(life, document_type=KEY, deploy=False)
    waiting = life.engine.tasks(TaskQuery(instance_id=new_draft.instance_id, states=("open",)))
    assert [t.element_id for t in waiting] == [TASK]
    drafter = new_page()
    sign_in(drafter, "cv.sxd")
    drafter.goto("/inbox?tab=offered")
    expect(drafter.locator(f"tr[data-task-id='{waiting[0].id}']")).to_contain_text(NAME)

    # The draft started before stays on its version until it is migrated from the page.
    assert life.engine.instance(old_draft.instance_id).version == first.version
    page.goto(f"/models/{KEY}/migration")
    row = page.locator(f"tr[data-instance='{old_draft.instance_id}']")
    expect(row).to_contain_text(f"v{first.version}")
    row.locator("input[name=instance_id]").check()
    screenshot(page, "modeler-migration.png", full_page=True)
    page.locator("form[action$='/migration'] button[type=submit]:not([name])").click()
    expect(page.locator(".flash").first).to_contain_text(str(second.version))
    assert life.engine.instance(old_draft.instance_id).version == second.version
