"""A step's form in real Chromium: what is typed survives an upload, and "No" is an answer.

The drafter of a decision of the provincial People's Committee starts writing the summary,
then uploads the explanatory statement and the draft the step requires: the page must not
reload and lose the text (the upload is made in place). The drafter then answers "No" to
"does the draft need the Fatherland Front's social criticism" and submits.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine import TaskQuery
from tests.browser.live import LiveServer, sign_in
from tests.support.drafts import start_draft
from workflows.autopilot import Autopilot, at_step, sample_pdf
from workflows.lifecycle import Lifecycle

pytestmark = pytest.mark.browser

SUMMARY = "Dự thảo quy định về quản lý vật liệu xây dựng, gồm 5 chương 24 điều."


def _drafting_task(lifecycle: Lifecycle) -> tuple[str, int]:
    draft = Autopilot(lifecycle).run(start_draft(lifecycle), until=at_step("_drf_draft"))
    tasks = lifecycle.engine.tasks(
        TaskQuery(instance_id=draft.instance_id, states=("open", "claimed"))
    )
    task = next(t for t in tasks if t.element_id.endswith("_drf_draft"))
    return task.id, draft.instance_id


def _upload(page: Page, item: str, path: Path) -> None:
    form = page.locator("#upload-form")
    form.locator("select#item").select_option(item)
    form.locator("input#file").set_input_files(str(path))
    form.locator("button[data-action=upload]").click()
    expect(page.locator(f"#dossier li[data-item={item}] .badge-ok")).to_be_visible()


def test_typed_text_survives_uploads_and_no_is_an_answer(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    life = live_server.lifecycle
    task_id, _instance = _drafting_task(life)
    sign_in(page, "cv.sxd")
    page.goto(f"/tasks/{task_id}")
    if page.locator("button[data-action=claim]").count():
        page.locator("button[data-action=claim]").click()
    page.locator("#f-summary").fill(SUMMARY)
    for item in ("to_trinh", "du_thao"):
        path = tmp_path / f"{item}.pdf"
        path.write_bytes(sample_pdf(item))
        _upload(page, item, path)
        expect(page.locator("#f-summary")).to_have_value(SUMMARY)  # nothing typed is lost
    expect(page.locator("#dossier .flash-info")).to_be_visible()
    no = page.locator('fieldset.yesno input[name=needs_mttq_criticism][value="false"]')
    expect(no).to_be_visible()
    no.check()
    page.locator("#step-form button[data-action=complete]").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    done = life.engine.task(task_id)
    assert done.state == "completed"
    submitted = {s.task.id: s.data for s in life.engine.submissions(done.instance_id)}
    assert submitted[task_id]["needs_mttq_criticism"] is False
    assert submitted[task_id]["summary"] == SUMMARY
