"""The task page and the draft page, driven through the real forms with the real models."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import TaskQuery
from tests.support.web import csrf_token, signed_in
from workflows.autopilot import sample_pdf
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle


@pytest.fixture
def draft(lifecycle: Lifecycle) -> Draft:
    lifecycle.deploy_models("owner")
    with lifecycle.db.write() as session:
        made = lifecycle.start_draft(
            session,
            lifecycle.engine.actor("cv.sxd"),
            title="Quy định quản lý vật liệu xây dựng",
            document_type="qd_ubnd_tinh",
            lead_agency="SXD",
            consulted_agencies=("STC",),
        )
        session.flush()
        return made


def _open(lifecycle: Lifecycle, draft: Draft) -> list:
    return lifecycle.engine.tasks(
        TaskQuery(instance_id=draft.instance_id, states=("open", "claimed"))
    )


def _post(client: FlaskClient, path: str, data: dict, page: str) -> object:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def test_inbox_lists_the_task_and_the_page_shows_the_step(
    app: Flask, lifecycle: Lifecycle, draft: Draft
) -> None:
    client = signed_in(app, "cv.sxd")
    inbox = client.get("/inbox?tab=offered").get_data(as_text=True)
    task = _open(lifecycle, draft)[0]
    assert f"/tasks/{task.id}" in inbox and draft.code in inbox
    page = client.get(f"/tasks/{task.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Prepare the proposal to develop the document" in text  # the step's English name
    assert 'name="necessity"' in text and 'name="main_content"' in text  # from its JSON Schema
    assert "working days left" in text
    assert "Luật 64/2025/QH15" in text  # the legal basis property


def test_claim_fill_and_submit_moves_the_draft_on(
    app: Flask, lifecycle: Lifecycle, draft: Draft
) -> None:
    client = signed_in(app, "cv.sxd")
    task = _open(lifecycle, draft)[0]
    page = f"/tasks/{task.id}"
    assert _post(client, f"{page}/claim", {}, page).status_code == 302
    assert lifecycle.engine.task(task.id).assignee == "cv.sxd"
    invalid = _post(client, f"{page}/complete", {"necessity": ""}, page)
    assert invalid.status_code == 422
    assert "main_content" in invalid.get_data(as_text=True)
    done = _post(
        client,
        f"{page}/complete",
        {"necessity": "Cần quy định mới", "main_content": "Quản lý vật liệu"},
        page,
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox")
    assert lifecycle.engine.task(task.id).state == "completed"
    following = _open(lifecycle, draft)[0]
    assert following.role == "ubnd_chair"
    # The drafter sees the next step only as a reader, without the buttons.
    assert client.get(f"/tasks/{following.id}").status_code == 200
    chair = signed_in(app, "ct.ubnd")
    approve_page = chair.get(f"/tasks/{following.id}").get_data(as_text=True)
    assert 'name="decision" value="approve"' in approve_page
    assert (
        _post(
            chair,
            f"/tasks/{following.id}/complete",
            {"decision": "approve"},
            f"/tasks/{following.id}",
        ).status_code
        == 302
    )
    with lifecycle.db.read() as session:
        assert session.get(Draft, draft.id).stage == "drafting"  # type: ignore[union-attr]


def test_returning_needs_a_reason(app: Flask, lifecycle: Lifecycle, draft: Draft) -> None:
    engine = lifecycle.engine
    first = _open(lifecycle, draft)[0]
    engine.complete(
        first.id,
        engine.actor("cv.sxd"),
        {"necessity": "Cần quy định mới", "main_content": "Quản lý vật liệu"},
    )
    approval = _open(lifecycle, draft)[0]
    chair = signed_in(app, "ct.ubnd")
    page = f"/tasks/{approval.id}"
    refused = _post(chair, f"{page}/complete", {"decision": "return"}, page)
    assert refused.status_code == 422
    assert engine.task(approval.id).state == "open"
    assert (
        _post(
            chair, f"{page}/complete", {"decision": "return", "reason": "Bổ sung căn cứ"}, page
        ).status_code
        == 302
    )
    assert [t.element_id for t in _open(lifecycle, draft)] == ["Task_qdt_register"]


def test_others_cannot_see_or_act(app: Flask, lifecycle: Lifecycle, draft: Draft) -> None:
    task = _open(lifecycle, draft)[0]
    outsider = signed_in(app, "cv.stc")  # another department, not consulted yet
    assert outsider.get(f"/tasks/{task.id}").status_code == 404
    other_drafter = signed_in(app, "cv2.sxd")  # same agency: may see and claim
    assert other_drafter.get(f"/tasks/{task.id}").status_code == 200
    appraiser = signed_in(app, "tdv.stp")
    response = _post(appraiser, f"/tasks/{task.id}/claim", {}, "/inbox")
    assert response.status_code in (403, 404)
    assert lifecycle.engine.task(task.id).state == "open"
    anonymous = app.test_client()
    assert anonymous.get(f"/tasks/{task.id}").status_code == 302


def test_upload_then_required_documents_pass_and_download(
    app: Flask, lifecycle: Lifecycle, draft: Draft
) -> None:
    from workflows.autopilot import Autopilot, at_step

    pilot = Autopilot(lifecycle)
    pilot.run(draft, until=at_step("_drf_draft"))
    task = next(t for t in _open(lifecycle, draft) if t.element_id == "Task_drf_draft")
    info = lifecycle.engine.user_task_info(task.id)
    assert info is not None
    required = [c for c in info.properties["requiredDocuments"].split(",") if c]
    client = signed_in(app, "cv.sxd")
    page = f"/tasks/{task.id}"
    text = client.get(page).get_data(as_text=True)
    assert "missing" in text
    refused = _post(
        client,
        f"{page}/complete",
        {"summary": "Dự thảo lần một", "needs_mttq_criticism": "on"},
        page,
    )
    assert refused.status_code == 422
    fake = client.post(
        f"{page}/documents",
        data={
            "item": required[0],
            "csrf_token": csrf_token(client, page),
            "file": (__import__("io").BytesIO(b"MZ\x90\x00 not a pdf"), "to_trinh.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422
    for code in required:
        uploaded = client.post(
            f"{page}/documents",
            data={
                "item": code,
                "csrf_token": csrf_token(client, page),
                "file": (__import__("io").BytesIO(sample_pdf(code)), f"{code}.pdf"),
            },
            content_type="multipart/form-data",
        )
        assert uploaded.status_code == 302
    done = _post(
        client,
        f"{page}/complete",
        {"summary": "Dự thảo lần một", "needs_mttq_criticism": "on"},
        page,
    )
    assert done.status_code == 302
    draft_page = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    link = re.search(rf'href="(/drafts/{draft.id}/documents/\d+)"', draft_page)
    assert link
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert "attachment" in download.headers["Content-Disposition"]
    assert signed_in(app, "cv.snv").get(link.group(1)).status_code == 404


def test_draft_page_shows_timeline_diagram_and_audit(
    app: Flask, lifecycle: Lifecycle, draft: Draft
) -> None:
    from workflows.autopilot import Autopilot, at_step

    Autopilot(lifecycle).run(draft, until=at_step("_cns_post"))
    client = signed_in(app, "gd.sxd")
    page = client.get(f"/drafts/{draft.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "chain intact" in text
    assert text.count('class="diagram"') >= 2  # the document type's process + a stage
    urls = re.findall(r'data-diagram-url="([^"]+)"', text)
    xml = client.get(urls[0])
    assert xml.status_code == 200 and b"bpmn:definitions" in xml.data
    assert re.search(r'data-completed="[^"]*Task_qdt_register', text)
    assert re.search(r'data-active="[^"]*Task_cns_post', text)
    assert signed_in(app, "cv.snv").get(f"/drafts/{draft.id}").status_code == 404
    assert client.get(urls[0].replace(".bpmn", "999.bpmn")).status_code == 404


def test_escalations_reach_the_notification_page(
    app: Flask, lifecycle: Lifecycle, draft: Draft
) -> None:
    engine = lifecycle.engine
    register = _open(lifecycle, draft)[0]
    assert register.due_at is not None
    engine.fire_due_timers(register.due_at + __import__("datetime").timedelta(days=1))
    head = signed_in(app, "gd.sxd")
    inbox = head.get("/inbox").get_data(as_text=True)
    assert 'class="count count-alert">1<' in inbox
    page = head.get("/notifications").get_data(as_text=True)
    assert draft.code in page and f"/drafts/{draft.id}" in page
    notification = re.search(r'data-notification="(\d+)"', page)
    assert notification
    marked = _post(head, f"/notifications/{notification.group(1)}/read", {}, "/notifications")
    assert marked.status_code == 302
    assert "count-alert" not in head.get("/inbox").get_data(as_text=True)
    # Nobody else sees it, or can mark it.
    other = signed_in(app, "cv.sxd")
    assert draft.code not in other.get("/notifications").get_data(as_text=True)
    assert (
        _post(
            other, f"/notifications/{notification.group(1)}/read", {}, "/notifications"
        ).status_code
        == 404
    )


def test_refusals_from_the_engine_speak_the_users_language(
    app: Flask, lifecycle: Lifecycle, draft: Draft
) -> None:
    """Engine and domain sentences are translated, values and nested reasons included."""
    task = _open(lifecycle, draft)[0]
    page = f"/tasks/{task.id}"
    lifecycle.engine.claim(task.id, lifecycle.engine.actor("cv.sxd"))
    english = signed_in(app, "cv2.sxd")
    vietnamese = signed_in(app, "cv2.sxd")
    vietnamese.post("/language/vi", data={"csrf_token": csrf_token(vietnamese, "/inbox")})

    for client, claimed in (
        (english, "the task is already claimed by cv.sxd"),
        (vietnamese, "việc này đã do cv.sxd nhận xử lý"),
    ):
        conflict = _post(client, f"{page}/claim", {}, page)
        assert conflict.status_code == 409
        assert claimed in conflict.get_data(as_text=True)

    again = _post(signed_in(app, "cv.sxd"), f"{page}/claim", {}, page)
    assert again.status_code == 409
    assert "you have already claimed this task" in again.get_data(as_text=True)

    head = signed_in(app, "gd.sxd")  # supervises SXD, but the appraiser cannot draft
    refused = _post(head, f"{page}/assign", {"assignee": "tdv.stp"}, page)
    assert refused.status_code == 403
    assert "cannot assign to tdv.stp: tdv.stp does not hold the role" in refused.get_data(
        as_text=True
    )
    head.post("/language/vi", data={"csrf_token": csrf_token(head, "/inbox")})
    refused = _post(head, f"{page}/assign", {"assignee": "tdv.stp"}, page).get_data(as_text=True)
    assert "không thể giao cho tdv.stp: tdv.stp không có vai trò “drafter” tại SXD" in refused
    assert lifecycle.engine.task(task.id).assignee == "cv.sxd"  # nothing changed
