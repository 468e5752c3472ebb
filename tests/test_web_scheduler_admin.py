"""The administration pages of the background jobs and of the reminder policies."""

from __future__ import annotations

from sqlalchemy import select

from engine.models import AuditEvent
from workflows.reminders import ReminderPolicy


def _csrf(client, path: str) -> str:
    from tests.support.web import csrf_token

    return csrf_token(client, path)


def test_the_jobs_page_shows_each_job_and_runs_one_now(login_as) -> None:
    client = login_as("admin")
    page = client.get("/admin/jobs")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in ("timers", "reminders", "outbox"):
        assert f'data-job="{name}"' in text
    assert "chưa chạy" in text  # a fresh database: no job has run yet
    ran = client.post("/admin/jobs/timers/run", data={"csrf_token": _csrf(client, "/admin/jobs")})
    assert ran.status_code == 302
    after = client.get("/admin/jobs").get_data(as_text=True)
    assert "admin:admin" in after  # the runner recorded for this run
    missing = client.post(
        "/admin/jobs/nothing/run", data={"csrf_token": _csrf(client, "/admin/jobs")}
    )
    assert missing.status_code == 404


def test_others_may_not_see_or_run_jobs(login_as) -> None:
    client = login_as("cv.sxd")
    assert client.get("/admin/jobs").status_code == 403
    assert client.get("/admin/reminders").status_code == 403


def test_a_policy_is_saved_replaced_refused_and_deleted(login_as, lifecycle) -> None:
    client = login_as("admin")
    token = _csrf(client, "/admin/reminders")
    form = {
        "csrf_token": token,
        "document_type": "qd_ubnd_tinh",
        "step": "Task_drf_draft",
        "remind_days_before": "3",
        "remind_on_due": "1",
        "escalate_head_after": "2",
        "escalate_office_after": "6",
        "repeat_every": "",
    }
    assert client.post("/admin/reminders", data=form).status_code == 302
    assert (
        client.post("/admin/reminders", data={**form, "remind_days_before": "4"}).status_code == 302
    )
    with lifecycle.db.read() as session:
        (row,) = session.execute(select(ReminderPolicy)).scalars()
        events = (
            session.execute(select(AuditEvent.action).where(AuditEvent.stream == "reminders"))
            .scalars()
            .all()
        )
    assert (row.remind_days_before, row.repeat_every, row.escalate_office_after) == (4, None, 6)
    assert events == ["reminder_policy_saved", "reminder_policy_saved"]
    page = client.get("/admin/reminders").get_data(as_text=True)
    assert "Task_drf_draft" in page and "4 ngày làm việc" in page

    refused = client.post(
        "/admin/reminders", data={**form, "escalate_head_after": "6", "escalate_office_after": "3"}
    )
    assert refused.status_code == 422
    assert "văn phòng được báo sau thủ trưởng" in refused.get_data(as_text=True)
    not_a_number = client.post("/admin/reminders", data={**form, "repeat_every": "often"})
    assert not_a_number.status_code == 422
    unknown_type = client.post("/admin/reminders", data={**form, "document_type": "luat"})
    assert unknown_type.status_code == 422
    with lifecycle.db.read() as session:
        (row,) = session.execute(select(ReminderPolicy)).scalars()
    assert row.remind_days_before == 4  # nothing of the refused forms was stored

    deleted = client.post(f"/admin/reminders/{row.id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    again = client.post(f"/admin/reminders/{row.id}/delete", data={"csrf_token": token})
    assert again.status_code == 422
    no_csrf = client.post(
        "/admin/reminders", data={k: v for k, v in form.items() if k != "csrf_token"}
    )
    assert no_csrf.status_code == 400
