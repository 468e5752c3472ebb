"""The form field editor in real Chromium: a process owner gives a user task a form.

The owner opens a deployed model, selects its user task, opens the field editor from the
Lexflow group of the properties panel, adds a field (key, labels, a required date) and saves
the form: the page saves the draft model first, the server stores the form in it as the
engine's JSON Schema, and the task names the form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.live import LiveServer, sign_in
from tests.test_web_modeler import KEY, MODEL
from workflows import model_drafts

pytestmark = pytest.mark.browser

SELECT = """(id) => {
  const modeler = window.lexflowModeler.modeler;
  modeler.get("selection").select(modeler.get("elementRegistry").get(id));
}"""


def test_owner_adds_a_form_field_to_a_user_task(
    live_server: LiveServer, page: Page, screenshot: Callable[..., Path | None]
) -> None:
    life = live_server.lifecycle
    definition = life.engine.deploy({f"{KEY}.bpmn": MODEL}, "owner", "first")[0]
    sign_in(page, "owner")
    page.goto(f"/modeler/definitions/{definition.id}")
    expect(page.locator("[data-modeler]")).to_have_attribute("data-modeler-state", "ready")
    page.evaluate(SELECT, "Task_prepare")
    page.locator("[data-action='edit-form-fields']").click()
    editor = page.locator("[data-form-editor]")
    expect(editor).to_be_visible()
    editor.locator("input[name='form_title']").fill("Chuẩn bị dự thảo")
    editor.locator("[data-action='add-field']").click()
    field = editor.locator(".form-editor-field").last
    field.locator("input[name='key']").fill("ready_on")
    field.locator("input[name='label']").fill("Ngày sẵn sàng")
    field.locator("input[name='label_en']").fill("Ready on")
    field.locator("select").select_option("date")
    field.locator("input[type=checkbox]").check()
    editor.locator("[data-action='save-form']").click()
    name = f"{KEY}_task_prepare.json"
    expect(editor).to_have_attribute("data-saved", name)
    screenshot(page, "modeler_form_fields.png", full_page=True)

    with life.db.read() as session:
        (draft,) = model_drafts.listed(session)
        schema = json.loads((draft.forms or {})[name])
        xml = draft.xml
    assert schema["properties"]["ready_on"]["format"] == "date"
    assert schema["required"] == ["ready_on"] and schema["title"] == "Chuẩn bị dự thảo"
    assert f'name="formJsonSchemaFilename" value="{name}"' in xml
