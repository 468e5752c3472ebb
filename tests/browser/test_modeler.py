"""The browser modeler in real Chromium: a process owner changes the provincial resolution.

The owner opens the deployed ``nq_hdnd_tinh`` in the modeler, drops a new task on the flow
of the ordinary procedure, names it, makes it a user task and gives it a title
for the inbox with a syntax error: the panel says so as it is typed, and once the draft is
saved the problems panel lists it (Lexflow's rule, checked by the server). A click on the
problem selects the task; the owner fixes the title, the problem goes, and the model is
deployed as a new version with a note, which the engine then holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.live import LiveServer, sign_in
from workflows import model_drafts

pytestmark = pytest.mark.browser

KEY = "nq_hdnd_tinh"
FLOW = "Flow_nqt_13"  # the ordinary procedure: from the choice of procedure to drafting
#: Centre the view on a point of the flow (diagram coordinates) at 100 %; its page position.
SHOW_POINT = """([x, y]) => {
  const canvas = window.lexflowModeler.modeler.get("canvas");
  canvas.zoom(1.0);
  const box = canvas.viewbox();
  canvas.viewbox({x: x - box.width / 2, y: y - box.height / 2, width: box.width, height: box.height});
  const shown = canvas.viewbox();
  const rect = canvas.getContainer().getBoundingClientRect();
  return {x: rect.left + (x - shown.x) * shown.scale, y: rect.top + (y - shown.y) * shown.scale};
}"""
NAME = "Thẩm tra sơ bộ đề nghị"
BROKEN_TITLE = '"Thẩm tra sơ bộ: " +'
TITLE = '"Thẩm tra sơ bộ: " + title'
NOTE = "Thêm bước thẩm tra sơ bộ đề nghị xây dựng nghị quyết"


def _selected_id(page: Page) -> str:
    return str(page.evaluate("window.lexflowModeler.modeler.get('selection').get()[0].id"))


def _server_checked(page: Page) -> None:
    expect(page.locator("[data-modeler-summary]")).to_have_attribute("data-state", "done")


def test_owner_adds_a_step_fixes_a_problem_and_deploys(
    live_server: LiveServer, page: Page, screenshot: Callable[..., Path | None]
) -> None:
    life = live_server.lifecycle
    life.deploy_models("owner")
    definition = next(d for d in life.engine.definitions(KEY, latest_only=True))
    sign_in(page, "owner")
    page.goto(f"/modeler/definitions/{definition.id}")
    modeler = page.locator("[data-modeler]")
    expect(modeler).to_have_attribute("data-modeler-state", "ready")
    _server_checked(page)
    problems = page.locator("[data-modeler-problems]")
    expect(problems).to_have_attribute("data-errors", "0")  # the deployed model is clean

    # Drop a task on the flow of the ordinary procedure (in the drafters' lane), name it.
    point = page.evaluate(SHOW_POINT, [1590, 160])
    page.locator(".djs-palette [data-action='create.task']").click()
    page.mouse.move(point["x"] - 20, point["y"])
    page.mouse.click(point["x"], point["y"])
    editing = page.locator(".djs-direct-editing-parent")
    expect(editing).to_be_visible()
    page.keyboard.type(NAME)
    page.keyboard.press("Enter")
    expect(editing).to_be_hidden()
    page.locator(".djs-context-pad [data-action='replace']").click()
    page.locator(".djs-popup [data-id='replace-with-user-task']").click()
    task_id = _selected_id(page)
    assert task_id.startswith("Activity_")

    # The Lexflow group: the title checked as it is typed.
    title = page.locator("#bio-properties-panel-lexflow-title")
    title.fill(BROKEN_TITLE)
    expect(page.locator(".lexflow-check-error")).to_be_visible()
    screenshot(page, "modeler.png", full_page=True)

    page.locator("[data-action='save']").click()
    expect(page.locator("[data-modeler-status]")).to_contain_text(KEY)
    expect(page).to_have_url(re.compile(r"/modeler/drafts/\d+$"))
    _server_checked(page)
    problem = problems.locator(f"li.problem-error[data-element-id='{task_id}']")
    expect(problem).to_contain_text("title")
    screenshot(page, "modeler-problems.png", full_page=True)

    # A click on the problem selects the task; fixing the title clears the problem.
    page.locator(f".djs-element[data-element-id='{FLOW}']").first.click(force=True)
    problem.locator("button").click()
    expect(page.locator(f".djs-element.selected[data-element-id='{task_id}']")).to_be_visible()
    title = page.locator("#bio-properties-panel-lexflow-title")
    title.fill(TITLE)
    expect(page.locator(".lexflow-check-ok")).to_be_visible()
    _server_checked(page)
    expect(problems).to_have_attribute("data-errors", "0")

    page.locator("#deploy-note").fill(NOTE)
    page.locator("[data-deploy-form] button[type=submit]").click()
    expect(page.locator("[data-modeler-status] a")).to_have_text(f"{KEY} v{definition.version + 1}")

    newest = next(d for d in life.engine.definitions(KEY, latest_only=True))
    assert (newest.version, newest.note, newest.deployed_by) == (
        definition.version + 1,
        NOTE,
        "owner",
    )
    spec = life.engine.loaded_spec(newest.id)
    added = next(t for t in spec.user_tasks.values() if t.element_id == task_id)
    assert added.role == "drafter"
    with life.db.read() as session:
        assert model_drafts.listed(session) == []  # the draft became the version
