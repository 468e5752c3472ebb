"""Who is told what, once: notifications created by steps and changes of hands in the
transaction that caused them, the in-app list, and each person's e-mail preferences."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import func, select, update

from engine import TaskInfo, TaskQuery, clock
from engine.specs import UserTaskInfo
from tests.support.drafts import start_draft
from tests.support.smtp import smtp_server
from tests.support.web import csrf_token, signed_in
from web.mail import send_outbox
from workflows.autopilot import Autopilot, at_step
from workflows.calendar import vietnam_date
from workflows.directory import RoleAssignment, User, find_user
from workflows.lifecycle import Lifecycle
from workflows.notifications import (
    REMINDER,
    Notification,
    Notified,
    OutboxMessage,
    build_digests,
    notify_users,
)
from workflows.notifications.notify import notify_role_holders


def _notes(lifecycle: Lifecycle) -> list[Notification]:
    with lifecycle.db.read() as session:
        return list(session.execute(select(Notification).order_by(Notification.id)).scalars())


def _return_once(element: str) -> Any:
    returned: list[str] = []

    def decide(task: TaskInfo, info: UserTaskInfo | None, data: Mapping[str, Any]) -> Any:
        if task.element_id == element and not returned:
            returned.append(task.id)
            return {
                "decision": "return",
                "reason": "Hồ sơ còn thiếu báo cáo đánh giá tác động",
                "missing_items": ["bao_cao_danh_gia_tac_dong"],
            }
        return None

    return decide


def test_new_released_assigned_and_returned_work_is_each_notified_once(
    app: Flask, lifecycle: Lifecycle
) -> None:
    engine = lifecycle.engine
    draft = start_draft(lifecycle)  # by cv.sxd
    (task,) = engine.tasks(TaskQuery(instance_id=draft.instance_id))
    # New work for the drafters of SXD, except the one who caused it.
    assert [(n.recipient, n.kind, n.task_id) for n in _notes(lifecycle)] == [
        ("cv2.sxd", "task_new", task.id)
    ]
    engine.claim(task.id, engine.actor("cv.sxd"))
    engine.unclaim(task.id, engine.actor("cv.sxd"))  # back to the group
    engine.assign(task.id, engine.actor("gd.sxd"), "cv2.sxd")  # the head delegates
    kinds = [(n.recipient, n.kind) for n in _notes(lifecycle)]
    assert kinds == [
        ("cv2.sxd", "task_new"),
        ("cv2.sxd", "task_returned"),
        ("cv2.sxd", "task_assigned"),
    ]
    assigned = _notes(lifecycle)[-1]
    assert assigned.params["by"] == "Trần Văn Giám" and assigned.params["draft_code"] == draft.code

    # A dossier returned by the appraiser goes back to its author, who is told so.
    pilot = Autopilot(lifecycle, decide=_return_once("Task_apr_check"))
    pilot.run(draft, until=at_step("_apr_check"))
    before = len(_notes(lifecycle))
    check = next(t for t in pilot.open_tasks(draft) if t.element_id == "Task_apr_check")
    pilot.act(draft, check)
    submit = next(t for t in pilot.open_tasks(draft) if t.element_id == "Task_apr_submit")
    author = next(user for _code, element, user in pilot.steps if element == "Task_apr_submit")
    assert submit.assignee == author
    new = [(n.recipient, n.kind, n.task_id) for n in _notes(lifecycle)[before:]]
    assert (author, "rework", submit.id) in new
    assert all(kind != "task_new" or task_id != submit.id for _r, kind, task_id in new)
    # An administrator re-routes it: new work for the other organisation's group.
    engine.reroute(
        submit.id, engine.actor("admin"), organisation="STC", role="drafter", reason="Thử chuyển"
    )
    assert [(n.recipient, n.kind, n.task_id) for n in _notes(lifecycle)][-1] == (
        "cv.stc",
        "task_new",
        submit.id,
    )

    # Nothing twice: every (recipient, kind, topic, period) is one row.
    keys = Counter((n.recipient, n.kind, n.topic, n.period) for n in _notes(lifecycle))
    assert max(keys.values()) == 1

    # The reader sees the step and the draft in words, in their language, and marks them read.
    client = signed_in(app, "cv2.sxd")
    page = client.get("/notifications").get_data(as_text=True)
    assert f"New task: Registration: {draft.title} ({draft.code})" in page  # the step's name
    assert f"the draft {draft.code} “{draft.title}”" in page
    assert "Trần Văn Giám assigned you the step" in page
    mine = len([n for n in _notes(lifecycle) if n.recipient == "cv2.sxd"])
    assert mine >= 3 and f'class="count count-alert">{mine}<' in page
    done = client.post("/notifications/read-all", data={"csrf_token": csrf_token(client)})
    assert done.status_code == 302
    assert "count-alert" not in client.get("/notifications").get_data(as_text=True)
    with lifecycle.db.read() as session:
        unread_of_others = session.execute(
            select(func.count()).where(
                Notification.recipient != "cv2.sxd", Notification.read_at.is_(None)
            )
        ).scalar_one()
    assert unread_of_others == len([n for n in _notes(lifecycle) if n.recipient != "cv2.sxd"])


def test_two_transactions_creating_the_same_notification_make_one(lifecycle: Lifecycle) -> None:
    def create(session: Any) -> list[Notified]:
        return notify_users(
            session, ["cv2.sxd"], REMINDER, period="d-1", params={"draft_code": "QD-1"}
        )

    second: list[list[Notified]] = []

    def in_its_own_transaction() -> None:
        with lifecycle.db.write() as session:
            second.append(create(session))

    with lifecycle.db.write() as session:
        assert len(create(session)) == 1
        # The other process's transaction waits for ours (or starts after it): either way it
        # finds the row and creates nothing, without failing.
        other = threading.Thread(target=in_its_own_transaction)
        other.start()
    other.join(60)
    assert second == [[]]
    with lifecycle.db.read() as session:
        assert session.execute(select(func.count()).select_from(Notification)).scalar_one() == 1
        # cv2.sxd has no e-mail address: nothing to send.
        assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


def test_a_role_given_or_a_user_deactivated_in_the_session_changes_who_is_notified(
    lifecycle: Lifecycle,
) -> None:
    def holders(session: Any, period: str) -> list[str]:
        notified = notify_role_holders(session, "agency_head", "SXD", REMINDER, period=period)
        return [row.recipient for row in notified]

    with lifecycle.db.write() as session:
        assert holders(session, "d-1") == ["gd.sxd"]
        cv2 = find_user(session, "cv2.sxd")
        assert cv2 is not None
        session.add(RoleAssignment(user_id=cv2.id, role="agency_head", organisation_code="SXD"))
        session.flush()
        assert holders(session, "d-2") == ["cv2.sxd", "gd.sxd"]
        session.execute(update(User).where(User.username == "gd.sxd").values(active=False))
        assert holders(session, "d-3") == ["cv2.sxd"]


def test_preferences_decide_what_is_mailed_at_once_in_the_digest_or_not_at_all(
    app: Flask, lifecycle: Lifecycle
) -> None:
    with lifecycle.db.write() as session:
        user = find_user(session, "cv2.sxd")
        assert user is not None
        user.email, user.language = "cv2.sxd@tinh.example.vn", "en"
    client = signed_in(app, "cv2.sxd")
    token = csrf_token(client, "/profile")
    wrong = client.post(
        "/profile/notifications", data={"csrf_token": token, "delivery_reminder": "hourly"}
    )
    assert wrong.status_code == 422
    saved = client.post(
        "/profile/notifications",
        data={"csrf_token": token, "delivery_task_new": "digest", "delivery_reminder": "off"},
    )
    assert saved.status_code == 302
    profile = client.get("/profile").get_data(as_text=True)
    assert 'name="delivery_task_new" value="digest" aria-label' in profile
    assert (
        'name="delivery_task_new" value="digest" aria-label="A new task for me or my group: In the daily summary" checked'
        in profile
    )

    draft = start_draft(lifecycle)  # new task for cv2.sxd: in the digest
    with lifecycle.db.write() as session:
        notify_users(session, ["cv2.sxd"], REMINDER, period="d-1", params={"draft_code": "X"})
    notes = {n.kind: n for n in _notes(lifecycle)}
    assert notes["task_new"].delivery == "digest" and notes["reminder"].delivery == "off"
    with lifecycle.db.read() as session:  # nothing is mailed at once
        assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0

    today = vietnam_date(clock.now())
    assert build_digests(lifecycle.db, today) == 1
    assert build_digests(lifecycle.db, today) == 0  # once a day, each item once
    digest = next(n for n in _notes(lifecycle) if n.kind == "digest")
    assert [item["id"] for item in digest.params["items"]] == [notes["task_new"].id]
    with smtp_server() as (port, server):
        assert send_outbox(app) is None  # no server configured: the message waits
        app.config.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port})
        run = send_outbox(app)
        assert run is not None and len(run.delivered) == 1
    (mail,) = server.messages
    assert str(mail["Subject"]).startswith("Your Lexflow summary of")
    text = str(mail.get_body(("plain",)).get_content())
    assert f"- New task: Registration: {draft.title} ({draft.code})" in text
    assert "Reminder" not in text  # switched off: neither at once nor in the digest
