"""An administrator suspends, resumes and cancels a draft: through the page, the API, the CLI.

Every door reaches :mod:`workflows.draft_admin`: only administrators, a reason to suspend or
cancel, refusals for what makes no sense; the reason lands in the audit log, a suspended
draft's steps cannot be submitted (and the task page says why), a cancelled draft is dropped.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from engine import Conflict, Forbidden, InvalidData, clock
from tests.support.openapi import (
    ApiClient,
    api_fixture,  # noqa: F401
    deployed_fixture,  # noqa: F401
    new_draft,
    open_task,
)
from tests.support.web import post_form, signed_in
from web import cli as web_cli
from workflows import draft_admin
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle
from workflows.plan import PlanItem, plan_status

pytestmark = pytest.mark.usefixtures("deployed")
PDF = b"%PDF-1.7\n%%EOF\n"
EN = {"Accept-Language": "en"}


def _draft(lifecycle: Lifecycle, draft_id: int) -> Draft:
    with lifecycle.db.read() as session:
        row = session.get(Draft, draft_id)
        assert row is not None
        return row


def _audit(lifecycle: Lifecycle, instance_id: int) -> list[tuple[str, Any]]:
    events = lifecycle.engine.audit_events(instance_id)
    return [
        (e.action, (e.data or {}).get("reason"))
        for e in events
        if e.action in ("suspend", "resume", "cancel")
    ]


# The page ------------------------------------------------------------------------------------
def test_page_suspends_resumes_and_cancels(
    app: Flask, api: ApiClient, lifecycle: Lifecycle
) -> None:
    draft = new_draft(api)
    page = f"/drafts/{draft['id']}"
    admin = signed_in(app, "admin")
    shown = admin.get(page).get_data(as_text=True)
    assert 'id="administration"' in shown and 'data-action="suspend"' in shown
    assert 'data-action="resume"' not in shown and "data-confirm" in shown

    done = post_form(admin, f"{page}/suspend", {"reason": "Chờ luật sửa đổi"}, token_from=page)
    assert done.status_code == 302
    assert _draft(lifecycle, draft["id"]).status == "suspended"
    shown = admin.get(page).get_data(as_text=True)
    assert "The draft is suspended." in shown and 'id="suspended-notice"' in shown
    assert 'data-action="resume"' in shown and 'data-action="suspend"' not in shown
    assert "Suspended — Chờ luật sửa đổi" in shown  # the audit table shows the reason

    assert post_form(admin, f"{page}/resume", {"reason": ""}, token_from=page).status_code == 302
    assert _draft(lifecycle, draft["id"]).status == "active"
    cancelled = post_form(
        admin, f"{page}/cancel", {"reason": "Trùng với dự thảo khác"}, token_from=page
    )
    assert cancelled.status_code == 302
    row = _draft(lifecycle, draft["id"])
    assert (row.status, row.stage) == ("cancelled", "dropped")
    shown = admin.get(page).get_data(as_text=True)
    assert "Cancelled" in shown and 'id="administration"' not in shown
    assert _audit(lifecycle, draft["instance_id"]) == [
        ("suspend", "Chờ luật sửa đổi"),
        ("resume", None),
        ("cancel", "Trùng với dự thảo khác"),
    ]
    history = lifecycle.engine.task_history(draft["instance_id"])
    assert [(t.element_id, t.state) for t in history] == [("Task_draft", "cancelled")]


@pytest.mark.parametrize("action", ["suspend", "cancel"])
def test_page_refuses_others_and_a_missing_reason(
    app: Flask, api: ApiClient, lifecycle: Lifecycle, action: str
) -> None:
    draft = new_draft(api)
    page = f"/drafts/{draft['id']}"
    drafter = signed_in(app, "cv.sxd")
    assert 'id="administration"' not in drafter.get(page).get_data(as_text=True)
    refused = post_form(drafter, f"{page}/{action}", {"reason": "Không cần nữa"}, token_from=page)
    assert refused.status_code == 403
    assert "only administrators may cancel, suspend or resume a draft" in refused.get_data(
        as_text=True
    )
    admin = signed_in(app, "admin")
    short = post_form(admin, f"{page}/{action}", {"reason": "  Hủy "}, token_from=page)
    assert short.status_code == 422
    body = short.get_data(as_text=True)
    assert "the reason needs 5 to 2000 characters" in body and "  Hủy " in body  # kept
    assert _draft(lifecycle, draft["id"]).status == "active"
    assert _audit(lifecycle, draft["instance_id"]) == []
    resume = post_form(admin, f"{page}/resume", {}, token_from=page)
    assert resume.status_code == 409 and "is not suspended" in resume.get_data(as_text=True)
    other = signed_in(app, "cv.stc")  # may not even see the draft
    assert post_form(other, f"{page}/{action}", {"reason": "Không cần nữa"}).status_code == 404


def test_task_page_of_a_suspended_draft_says_why_and_resume_lets_work_continue(
    app: Flask, api: ApiClient, lifecycle: Lifecycle
) -> None:
    draft = new_draft(api)
    task = open_task(api, "cv.sxd", draft["instance_id"])
    form = {"item": "to_trinh", "file": (io.BytesIO(PDF), "to-trinh.pdf")}
    assert api.as_user("cv.sxd").post(f"/drafts/{draft['id']}/documents", data=form).status_code
    admin = signed_in(app, "admin")
    page = f"/drafts/{draft['id']}"
    post_form(admin, f"{page}/suspend", {"reason": "Chờ ý kiến Bộ Tư pháp"}, token_from=page)

    drafter = signed_in(app, "cv.sxd")
    task_page = f"/tasks/{task['id']}"
    shown = drafter.get(task_page).get_data(as_text=True)
    assert "The draft is suspended: this step cannot be submitted" in shown
    assert "Chờ ý kiến Bộ Tư pháp" in shown
    assert 'data-action="complete" disabled' in shown
    submit = post_form(
        drafter, f"{task_page}/complete", {"summary": "Tóm tắt"}, token_from=task_page
    )
    assert submit.status_code == 409
    assert "is suspended" in submit.get_data(as_text=True)
    via_api = api.as_user("cv.sxd").post(
        f"/tasks/{task['id']}/complete", json={"data": {"summary": "Tóm tắt"}}, headers=EN
    )
    assert via_api.status_code == 409 and "suspended" in via_api.get_json()["message"]
    assert lifecycle.engine.task(task["id"]).state == "open"

    post_form(admin, f"{page}/resume", {"reason": "Đã có ý kiến"}, token_from=page)
    shown = drafter.get(task_page).get_data(as_text=True)
    assert "The draft is suspended" not in shown
    done = post_form(drafter, f"{task_page}/complete", {"summary": "Tóm tắt"}, token_from=task_page)
    assert done.status_code == 302 and lifecycle.engine.task(task["id"]).state == "completed"


# The API -------------------------------------------------------------------------------------
def test_api_suspends_resumes_and_cancels(api: ApiClient, lifecycle: Lifecycle) -> None:
    draft = new_draft(api)
    path = f"/drafts/{draft['id']}"
    admin = api.as_user("admin")
    suspended = admin.post(f"{path}/suspend", json={"reason": "Chờ nghị định mới"})
    assert suspended.status_code == 200
    assert suspended.get_json()["status"] == "suspended"
    assert suspended.get_json() == admin.get(path).get_json()  # the same serializer
    again = admin.post(f"{path}/suspend", json={"reason": "Chờ nghị định mới"}, headers=EN)
    assert again.status_code == 409 and "already suspended" in again.get_json()["message"]
    resumed = admin.post(f"{path}/resume")  # no body: the reason is optional
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "active"
    assert admin.post(f"{path}/resume", json={}).status_code == 409
    missing = admin.post(f"{path}/cancel", json={}, headers=EN)
    assert missing.status_code == 422 and missing.get_json()["error"] == "invalid_data"
    assert missing.get_json()["details"][0]["field"] == "reason"
    too_long = admin.post(f"{path}/cancel", json={"reason": "x" * 2001})
    assert too_long.status_code == 422
    extra = admin.post(f"{path}/cancel", json={"reason": "Trùng lặp", "force": True})
    assert extra.status_code == 422
    cancelled = admin.post(f"{path}/cancel", json={"reason": "Trùng với DT khác"})
    assert cancelled.status_code == 200
    assert (cancelled.get_json()["status"], cancelled.get_json()["stage"]) == (
        "cancelled",
        "dropped",
    )
    for action in ("suspend", "resume", "cancel"):
        late = admin.post(f"{path}/{action}", json={"reason": "Thử lại lần nữa"}, headers=EN)
        assert late.status_code == 409 and "is cancelled" in late.get_json()["message"]
    listed = admin.get("/drafts", query_string={"status": "cancelled"}).get_json()
    assert [d["code"] for d in listed["items"]] == [draft["code"]]
    assert _audit(lifecycle, draft["instance_id"]) == [
        ("suspend", "Chờ nghị định mới"),
        ("resume", None),
        ("cancel", "Trùng với DT khác"),
    ]


@pytest.mark.parametrize("action", ["suspend", "resume", "cancel"])
def test_api_refuses_everybody_but_administrators(
    api: ApiClient, lifecycle: Lifecycle, action: str
) -> None:
    draft = new_draft(api)
    body = {"reason": "Không cần nữa"}
    for username in ("cv.sxd", "gd.sxd", "owner"):
        refused = api.as_user(username).post(f"/drafts/{draft['id']}/{action}", json=body)
        assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    hidden = api.as_user("cv.stc").post(f"/drafts/{draft['id']}/{action}", json=body)
    assert hidden.status_code == 404
    assert api.as_user("admin").post(f"/drafts/99999/{action}", json=body).status_code == 404
    assert _draft(lifecycle, draft["id"]).status == "active"


# The CLI -------------------------------------------------------------------------------------
@pytest.fixture
def run(lifecycle: Lifecycle, monkeypatch: pytest.MonkeyPatch):
    """Invoke ``lexflow`` on the test database; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", lifecycle.db.url)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        web_cli._lifecycle.cache_clear()
        result = runner.invoke(web_cli.build(), list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    yield invoke
    web_cli._lifecycle.cache_clear()


def test_cli_suspends_resumes_and_cancels(run, api: ApiClient, lifecycle: Lifecycle) -> None:
    code = new_draft(api)["code"]
    drafts = ("drafts",)
    assert run(*drafts, "suspend", code, "--as", "admin")[0] == 2  # --reason is required
    status, _, err = run(*drafts, "suspend", code, "--reason", "Chờ luật", "--as", "cv.sxd")
    assert status == 1 and err.strip().splitlines() == [
        "Error: only administrators may cancel, suspend or resume a draft"
    ]
    status, _, err = run(*drafts, "suspend", code, "--reason", "Tạm", "--as", "admin")
    assert status == 1 and "the reason needs 5 to 2000 characters" in err
    assert run(*drafts, "suspend", "DT-1999-001", "--reason", "Chờ luật", "--as", "admin")[0] == 1
    assert run(*drafts, "suspend", code, "--reason", "Chờ luật", "--as", "nobody")[0] == 1
    status, out, _ = run(*drafts, "suspend", code, "--reason", "Chờ luật mới", "--as", "admin")
    assert status == 0 and f"{code}: suspended" in out
    status, out, _ = run(*drafts, "resume", code, "--as", "admin")
    assert status == 0 and f"{code}: active" in out
    status, _, err = run(*drafts, "resume", code, "--as", "admin")
    assert status == 1 and "is not suspended" in err
    status, out, _ = run(*drafts, "cancel", code, "--reason", "Trùng lặp nội dung", "--as", "admin")
    assert status == 0 and f"{code}: cancelled (stage dropped)" in out
    status, _, err = run(*drafts, "cancel", code, "--reason", "Trùng lặp nội dung", "--as", "admin")
    assert status == 1 and "is cancelled" in err
    with lifecycle.db.read() as session:
        instance_id = session.query(Draft).filter_by(code=code).one().instance_id
    assert _audit(lifecycle, instance_id) == [
        ("suspend", "Chờ luật mới"),
        ("resume", None),
        ("cancel", "Trùng lặp nội dung"),
    ]


# The domain: the plan and what makes no sense ------------------------------------------------
def test_a_cancelled_draft_is_dropped_in_the_plan(lifecycle: Lifecycle) -> None:
    admin = lifecycle.engine.actor("admin")
    with lifecycle.db.write() as session:
        item = PlanItem(
            year=2026,
            title="Quy định phí tham quan",
            document_type="qd_ubnd_tinh",
            lead_agency="SXD",
            created_by="admin",
            created_at=clock.now(),
        )
        session.add(item)
        session.flush()
        draft = lifecycle.start_draft(
            session,
            lifecycle.engine.actor("cv.sxd"),
            title="Quy định phí tham quan",
            document_type="qd_ubnd_tinh",
            lead_agency="SXD",
            plan_item_id=item.id,
        )
        assert [s.state for s in plan_status(session, 2026)] == ["on_track"]
        draft_admin.suspend_draft(session, lifecycle.engine, admin, draft, "Chờ luật mới")
        assert [s.state for s in plan_status(session, 2026)] == ["on_track"]
        with pytest.raises(Conflict):
            draft_admin.suspend_draft(session, lifecycle.engine, admin, draft, "Chờ luật mới")
        draft_admin.cancel_draft(session, lifecycle.engine, admin, draft, "Kế hoạch đã thay đổi")
        [status] = plan_status(session, 2026)
        assert (status.state, status.reason) == ("dropped", "an administrator cancelled the draft")
        with pytest.raises(Conflict, match="is cancelled"):
            draft_admin.resume_draft(session, lifecycle.engine, admin, draft)


def test_a_finished_draft_cannot_be_cancelled_or_suspended(lifecycle: Lifecycle) -> None:
    admin = lifecycle.engine.actor("admin")
    with lifecycle.db.write() as session:
        draft = lifecycle.start_draft(
            session,
            admin,
            title="Quy định phí tham quan",
            document_type="qd_ubnd_tinh",
            lead_agency="SXD",
        )
        draft.status = "done"
        for operation in (draft_admin.cancel_draft, draft_admin.suspend_draft):
            with pytest.raises(Conflict, match="is finished"):
                operation(session, lifecycle.engine, admin, draft, "Không cần nữa")
        with pytest.raises(Forbidden):
            draft_admin.cancel_draft(
                session, lifecycle.engine, lifecycle.engine.actor("gd.sxd"), draft, "Không cần"
            )
        draft.status = "active"
        with pytest.raises(InvalidData):
            draft_admin.suspend_draft(session, lifecycle.engine, admin, draft, "     \n  ")
