"""The appraisal of a draft, end to end in headless Chromium, as the people who do it.

A draft decision of the provincial People's Committee (``qd_ubnd_tinh``) led by the
Department of Construction (SXD) is walked by the autopilot up to the moment its dossier
must be sent for appraisal. From there two people work it in their own browsers, through the
real pages and forms: the drafter ``cv.sxd`` sends the dossier, the appraiser ``tdv.stp`` of
the Department of Justice returns it (a reason is required), the drafter fixes and resends
it, the appraiser accepts it and writes the appraisal report; finally the draft page draws
the process with bpmn-js, completed steps in green and the current one in yellow. What the
users see is asserted on the page and cross-checked through the engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from engine import TaskQuery, clock
from engine.tasks import TaskInfo
from tests.browser.live import Browsing, LiveServer, sign_in
from tests.support.province import PASSWORD
from workflows.autopilot import Autopilot, at_step, sample_pdf
from workflows.calendar import vietnam_date
from workflows.dossier import item_name, versions
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle

pytestmark = pytest.mark.browser

TITLE = "Quy định quản lý vật liệu xây dựng trên địa bàn tỉnh"
RETURN_REASON = "Thiếu dự thảo đã chỉnh lý theo ý kiến góp ý; đề nghị bổ sung."


@pytest.fixture
def draft(lifecycle: Lifecycle) -> Draft:
    """A qd_ubnd_tinh draft of SXD whose dossier is due to be sent for appraisal (setup only)."""
    lifecycle.deploy_models("owner")
    with lifecycle.db.write() as session:
        made = lifecycle.start_draft(
            session,
            lifecycle.engine.actor("cv.sxd"),
            title=TITLE,
            document_type="qd_ubnd_tinh",
            lead_agency="SXD",
            consulted_agencies=("STC",),
        )
        session.flush()
    return Autopilot(lifecycle).run(made, until=at_step("_apr_submit"))


# Engine-side checks ---------------------------------------------------------------------------
def open_tasks(lifecycle: Lifecycle, draft: Draft) -> list[TaskInfo]:
    return lifecycle.engine.tasks(
        TaskQuery(instance_id=draft.instance_id, states=("open", "claimed"), limit=100)
    )


def open_step(lifecycle: Lifecycle, draft: Draft, element_id: str) -> TaskInfo:
    tasks = open_tasks(lifecycle, draft)
    found = [t for t in tasks if t.element_id == element_id]
    assert found, f"{element_id} is not open; open: {[t.element_id for t in tasks]}"
    return found[0]


def dossier_versions(lifecycle: Lifecycle, draft: Draft, item: str) -> int:
    with lifecycle.db.read() as session:
        return sum(1 for v in versions(session, draft.id) if v.item_code == item)


# What a user does -----------------------------------------------------------------------------
def open_from_inbox(
    page: Page, server: LiveServer, task: TaskInfo, draft: Draft, tab: str = "offered"
) -> None:
    """From the inbox's tab ("offered", or "mine" for work that came back to its author), find
    the task's row and open it in one click."""
    page.goto("/inbox")
    tab_link = page.locator(f"a.tab[data-tab={tab}]")
    label = "Unclaimed for my roles" if tab == "offered" else "My tasks"
    expect(tab_link).to_contain_text(server.text(label))
    tab_link.click()
    expect(page).to_have_url(re.compile(rf"tab={tab}"))
    row = page.locator(f"tr[data-task-id='{task.id}']")
    expect(row).to_contain_text(draft.code)
    if tab == "offered":
        expect(row).to_contain_text(server.text("unclaimed"))
    link = row.locator("a.task-link")
    expect(link).to_have_text(task.title)
    link.click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task.id}$"))
    expect(page.locator("h1")).to_have_text(task.title)


def claim(page: Page, server: LiveServer, username: str) -> None:
    page.locator("button[data-action=claim]").click()
    expect(page.locator(".flash-info")).to_have_text(server.text("You claimed this task."))
    expect(page.locator("#step dd").filter(has_text=username)).to_have_text(
        server.text("claimed by %(who)s", who=username)
    )
    expect(page.locator("button[data-action=claim]")).to_have_count(0)
    expect(page.locator("button[data-action=unclaim]")).to_be_enabled()
    expect(page.locator("#step-form button[type=submit]").first).to_be_enabled()


def upload(page: Page, server: LiveServer, item: str, path: Path) -> None:
    form = page.locator("#upload-form")
    form.locator("select#item").select_option(item)
    form.locator("input#file").set_input_files(str(path))
    form.locator("button[data-action=upload]").click()
    expect(page.locator("#dossier .flash-info")).to_contain_text(item_name(item))
    expect(page.locator(f"li[data-item={item}] .badge-ok")).to_be_visible()


def pdf(tmp_path: Path, item: str, title: str) -> Path:
    path = tmp_path / f"{item}.pdf"
    path.write_bytes(sample_pdf(title))
    return path


def decide(page: Page, decision: str) -> None:
    """Press a decision button (the page asks for confirmation; the user confirms)."""
    page.wait_for_load_state("load")  # app.js (which asks for the confirmation) has run
    button = page.locator(f"#step-form button[name=decision][value={decision}]")
    expect(button).to_be_enabled()
    button.click()


# The scenario ---------------------------------------------------------------------------------
def test_dossier_sent_returned_fixed_accepted_and_appraised(
    live_server: LiveServer,
    browsing: Browsing,
    new_page: Callable[[], Page],
    draft: Draft,
    tmp_path: Path,
) -> None:
    life = live_server.lifecycle
    engine = life.engine
    submit = open_step(life, draft, "Task_apr_submit")
    info = engine.user_task_info(submit.id)
    assert info is not None
    required = [c for c in info.properties["requiredDocuments"].split(",") if c]

    # (a) The drafter sends the dossier. ------------------------------------------------------
    drafter = new_page()
    sign_in(drafter, "cv.sxd")
    open_from_inbox(drafter, live_server, submit, draft)
    items = drafter.locator("ul.required-items li")
    expect(items).to_have_count(len(required))
    missing = [
        code for code in required if drafter.locator(f"li[data-item={code}] .badge-overdue").count()
    ]
    assert missing, "the drafting stage left nothing to add: the upload is not exercised"
    claim(drafter, live_server, "cv.sxd")
    assert engine.task(submit.id).assignee == "cv.sxd"
    for code in missing:
        upload(drafter, live_server, code, pdf(tmp_path, code, f"{draft.code} {code}"))
    expect(drafter.locator("ul.required-items .badge-overdue")).to_have_count(0)
    drafter.locator("#f-dossier_note").fill("Hồ sơ gồm đủ các tài liệu theo quy định.")
    drafter.locator("#step-form button[data-action=complete]").click()
    expect(drafter).to_have_url(re.compile(r"/inbox$"))
    expect(drafter.locator(".flash-info")).to_have_text(
        live_server.text("Done: %(title)s", title=submit.title)
    )
    assert engine.task(submit.id).state == "completed"
    check = open_step(life, draft, "Task_apr_check")
    assert (check.role, check.organisation) == ("appraiser", "STP")

    # (b) The appraiser returns it; without a reason the page refuses and nothing changes. ----
    appraiser = new_page()
    sign_in(appraiser, "tdv.stp")
    open_from_inbox(appraiser, live_server, check, draft)
    claim(appraiser, live_server, "tdv.stp")
    decide(appraiser, "return")
    expect(appraiser.locator("h1")).to_have_text(check.title)  # still on the step
    errors = appraiser.locator("#form .flash-error li")
    expect(errors.first).to_be_visible()
    # The missing fields are named (by their key today; their label would read better).
    expect(errors.filter(has_text=re.compile(r"reason|Lý do")).first).to_be_visible()
    expect(
        errors.filter(has_text=re.compile(r"missing_items|Tài liệu còn thiếu")).first
    ).to_be_visible()
    expect(appraiser.locator("#f-reason")).to_be_visible()
    confirm_return = live_server.text("Submit the decision “%(d)s”?", d="Trả lại")
    assert browsing.watch(appraiser).dialogs == [confirm_return]  # asked, then confirmed
    unchanged = engine.task(check.id)
    assert (unchanged.state, unchanged.assignee) == ("claimed", "tdv.stp")
    assert [t.element_id for t in open_tasks(life, draft)] == ["Task_apr_check"]

    appraiser.locator("#f-reason").fill(RETURN_REASON)
    appraiser.locator("#f-missing_items").select_option(["du_thao"])
    decide(appraiser, "return")
    expect(appraiser).to_have_url(re.compile(r"/inbox$"))
    expect(appraiser.locator(".flash-info")).to_have_text(
        live_server.text("Done: %(title)s", title=check.title)
    )
    returned = engine.task(check.id)
    assert returned.state == "completed" and returned.completed_by == "tdv.stp"
    resubmit = open_step(life, draft, "Task_apr_submit")
    assert resubmit.id != submit.id
    data = engine.task_data(resubmit.id)
    assert data["decision"] == "return" and data["reason"] == RETURN_REASON
    assert data["missing_items"] == ["du_thao"] and data["appraisal_returns"] == 1

    # (c) The drafter finds the returned dossier, adds a new version and sends it again. ----
    # The returned dossier goes straight back to the drafter who sent it, not to the group.
    assert (resubmit.state, resubmit.assignee) == ("claimed", "cv.sxd")
    drafts_before = dossier_versions(life, draft, "du_thao")
    open_from_inbox(drafter, live_server, resubmit, draft, tab="mine")
    # The drafter is told why it came back and what is missing, on the step itself.
    expect(drafter.locator("#form .returned")).to_contain_text(RETURN_REASON)
    expect(drafter.locator('#form .returned [data-item="du_thao"]')).to_have_count(1)
    expect(drafter.locator("ul.required-items .badge-overdue")).to_have_count(0)
    upload(drafter, live_server, "du_thao", pdf(tmp_path, "du_thao_v2", f"{draft.code} v2"))
    documents = drafter.locator("#dossier table.documents tbody tr")
    expect(documents.filter(has_text="du_thao_v2.pdf")).to_contain_text(f"v{drafts_before + 1}")
    drafter.locator("#step-form button[data-action=complete]").click()
    expect(drafter).to_have_url(re.compile(r"/inbox$"))
    assert dossier_versions(life, draft, "du_thao") == drafts_before + 1
    second_check = open_step(life, draft, "Task_apr_check")
    assert second_check.id != check.id

    # (d) The appraiser accepts the dossier, then writes and signs off the appraisal report. -
    assert second_check.assignee == "tdv.stp"  # the appraiser who returned it checks it again
    open_from_inbox(appraiser, live_server, second_check, draft, tab="mine")
    decide(appraiser, "accept")
    expect(appraiser).to_have_url(re.compile(r"/inbox$"))
    confirm_accept = live_server.text("Submit the decision “%(d)s”?", d="Tiếp nhận")
    assert browsing.watch(appraiser).dialogs == [confirm_return, confirm_return, confirm_accept]
    appraise = open_step(life, draft, "Task_apr_appraise")
    assert appraise.due_at is not None
    open_from_inbox(appraiser, live_server, appraise, draft)
    today, due = vietnam_date(clock.now()), vietnam_date(appraise.due_at)
    left = life.calendar().working_days_between(today, due)
    expect(appraiser.locator("#step .deadline")).to_contain_text(due.strftime("%d/%m/%Y"))
    badge = appraiser.locator("#step .deadline .badge")
    expect(badge).to_have_text(re.compile(rf"(^|\D){left}(\D|$)"))  # "Còn 10 ngày làm việc"
    expect(badge).to_have_class(re.compile(r"badge-(ok|near)"))
    claim(appraiser, live_server, "tdv.stp")
    upload(
        appraiser,
        live_server,
        "bao_cao_tham_dinh",
        pdf(tmp_path, "bao_cao_tham_dinh", f"{draft.code} appraisal report"),
    )
    appraiser.locator("#f-appraisal_result").select_option("ready")
    appraiser.locator("#f-appraisal_summary").fill(
        "Dự thảo phù hợp với Hiến pháp, luật và đủ điều kiện trình Ủy ban nhân dân tỉnh."
    )
    appraiser.locator("#step-form button[data-action=complete]").click()
    expect(appraiser).to_have_url(re.compile(r"/inbox$"))
    assert engine.task(appraise.id).completed_by == "tdv.stp"
    intake = open_step(life, draft, "Task_apr_intake")
    assert engine.task_data(intake.id)["appraisal_result"] == "ready"
    assert (intake.role, intake.organisation) == ("drafter", "SXD")

    # (e) The draft page shows the process with what is done and what is open. ---------------
    highlight = engine.completed_elements(draft.instance_id)
    assert {"Task_apr_submit", "Task_apr_check", "Task_apr_appraise"} <= set(highlight["completed"])
    assert {"Task_apr_intake", "Call_qdt_appraisal"} <= set(highlight["active"])
    drafter.goto(f"/drafts/{draft.id}")
    expect(drafter.locator("h1")).to_have_text(TITLE)
    for step in ("Task_apr_submit", "Task_apr_check", "Task_apr_appraise", "Task_apr_intake"):
        expect(drafter.locator(f"tr[data-step={step}]").first).to_be_visible()
    expect(drafter.locator("#audit")).to_contain_text(RETURN_REASON)
    # The document type's process, then each stage it went through (drafting, consultation,
    # appraisal), each drawn by bpmn-js.
    diagrams = drafter.locator(".diagram")
    expect(diagrams).to_have_count(4)
    for index in range(4):
        expect(diagrams.nth(index)).to_have_attribute("data-diagram-state", "ready")
        expect(diagrams.nth(index).locator("svg").first).to_be_visible()
    headings = " | ".join(drafter.locator("#diagram h3").all_inner_texts())
    for name in ("Quyết định của UBND tỉnh", "Soạn thảo", "Lấy ý kiến", "Thẩm định dự thảo"):
        assert name in headings

    def shape(element: str) -> Any:
        return drafter.locator(f".diagram g.djs-element[data-element-id={element}]")

    for done in ("Call_qdt_drafting", "Call_qdt_consultation", "Task_apr_submit"):
        expect(shape(done)).to_have_class(re.compile(r"\bhighlight-done\b"))
    for done in ("Task_apr_check", "Task_apr_appraise"):
        expect(shape(done)).to_have_class(re.compile(r"\bhighlight-done\b"))
    for active in ("Call_qdt_appraisal", "Task_apr_intake"):
        expect(shape(active)).to_have_class(re.compile(r"\bhighlight-active\b"))
    expect(shape("Task_apr_head")).not_to_have_class(re.compile(r"highlight-"))
    # The highlight is drawn, not only set: the step's box is filled green.
    box = shape("Task_apr_check").locator(".djs-visual > rect").first
    expect(box).to_have_css("fill", "rgb(216, 240, 222)")


# Signing in, languages, errors -----------------------------------------------------------------
def test_wrong_password_language_switch_and_error_page(live_server: LiveServer, page: Page) -> None:
    # A wrong password is refused with a message, and the username is kept.
    page.goto("/inbox")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)inbox$"))
    page.locator("#username").fill("cv.sxd")
    page.locator("#password").fill(PASSWORD + "-sai")
    page.locator("form.form button[type=submit]").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(live_server.text("Wrong username or password."))
    expect(page.locator("#username")).to_have_value("cv.sxd")
    expect(page.locator(".mainnav")).to_have_count(0)

    # The right one lands on the page asked for first, in Vietnamese.
    page.locator("#password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    inbox_vi = live_server.text("Inbox")
    assert inbox_vi != "Inbox", "the Vietnamese catalogue does not translate 'Inbox'"
    expect(page.locator("h1")).to_have_text(inbox_vi)
    expect(page.locator(".who")).to_have_text("Lê Văn Soạn")

    # The language switch flips the whole interface, and back.
    switch = page.locator(".topbar-right button.link").first
    expect(switch).to_have_text("English")
    switch.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(page.locator("h1")).to_have_text("Inbox")
    expect(page.locator("a.tab[data-tab=offered]")).to_contain_text("Unclaimed for my roles")
    switch = page.locator(".topbar-right button.link").first
    expect(switch).to_have_text("Tiếng Việt")
    switch.click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text(inbox_vi)

    # A page that does not exist answers 404 inside the site's layout.
    response = page.goto("/khong-co-trang-nay")
    assert response is not None and response.status == 404
    expect(page.locator(".error-page .error-code")).to_have_text("404")
    expect(page.locator(".error-page h1")).to_have_text(live_server.text("Not found"))
    expect(page.locator("header.topbar .brand")).to_have_text("Lexflow")
    expect(page.locator(".mainnav a").first).to_have_text(inbox_vi)
    expect(page.locator("footer.footer")).to_be_visible()
    # Styled, not a bare page: the stylesheet is applied to the top bar.
    expect(page.locator("header.topbar")).not_to_have_css("background-color", "rgba(0, 0, 0, 0)")
    page.locator(".error-page a").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
