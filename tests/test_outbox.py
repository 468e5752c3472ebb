"""E-mail through the outbox to real SMTP servers on loopback: once each, in the
recipient's language, retried with backoff when the server is down, never holding a
database lock while the server is talked to, over STARTTLS or TLS with login."""

from __future__ import annotations

import threading
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine import TaskQuery, clock
from engine.models import AuditEvent, HumanTask
from tests.support.drafts import start_draft
from tests.support.smtp import (
    PASSWORD,
    USER,
    HungServer,
    free_port,
    self_signed_certificate,
    smtp_server,
)
from tests.support.web import csrf_token, signed_in
from web.mail import outbox_mailer
from workflows.directory import find_user
from workflows.lifecycle import Lifecycle
from workflows.notifications import (
    REMINDER,
    Notification,
    OutboxMessage,
    deliver_outbox,
    mark_all_read,
    notify_users,
)
from workflows.notifications.outbox import MAX_ATTEMPTS

BASE_URL = "http://lexflow.test"


def _set_email(lifecycle: Lifecycle, username: str, language: str) -> str:
    address = f"{username}@tinh.example.vn"
    with lifecycle.db.write() as session:
        user = find_user(session, username)
        assert user is not None
        user.email, user.language = address, language
    return address


def _configure(app: Flask, port: int, **settings: Any) -> Any:
    app.config.update(
        {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
            "SMTP_FROM": "lexflow@tinh.example.vn",
            "SMTP_TIMEOUT": 30,
            "SMTP_SECURITY": "none",
            "SMTP_USER": None,
            "SMTP_PASSWORD": None,
            "SMTP_CA_FILE": None,
            "BASE_URL": BASE_URL,
            **settings,
        }
    )
    mailer = outbox_mailer(app)
    assert mailer is not None
    return mailer


def _notify(lifecycle: Lifecycle, username: str, period: str = "p1") -> int:
    with lifecycle.db.write() as session:
        rows = notify_users(
            session,
            [username],
            REMINDER,
            period=period,
            params={"step": {"vi": "Soạn thảo", "en": "Drafting"}, "draft_code": "QD-1"},
        )
        assert len(rows) == 1
        return rows[0].id


def _outbox(lifecycle: Lifecycle, notification_id: int) -> OutboxMessage:
    with lifecycle.db.read() as session:
        row = session.execute(
            select(OutboxMessage).where(OutboxMessage.notification_id == notification_id)
        ).scalar_one()
        return row


def _plain(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_each_notification_is_mailed_once_in_its_recipients_language(
    app: Flask, lifecycle: Lifecycle
) -> None:
    english = _set_email(lifecycle, "cv2.sxd", "en")
    vietnamese = _set_email(lifecycle, "gd.sxd", "vi")
    draft = start_draft(lifecycle)  # by cv.sxd: the step is news for the other drafter
    (task,) = lifecycle.engine.tasks(TaskQuery(instance_id=draft.instance_id))
    with lifecycle.db.write() as session:
        row = session.get(HumanTask, task.id)
        assert row is not None and row.title_en
        title_vi, title_en = row.title, row.title_en
        assert notify_users(session, ["gd.sxd"], REMINDER, task=row, period="d-3")
        assert notify_users(session, ["gd.sxd"], REMINDER, task=row, period="d-3") == []
    with smtp_server() as (port, server):
        mailer = _configure(app, port)
        run = deliver_outbox(lifecycle.db, mailer)
        assert len(run.delivered) == 2 and not run.retrying and not run.failed
        again = deliver_outbox(lifecycle.db, mailer)
    assert again.handled == 0 and len(server.messages) == 2  # a delivered row is never resent
    by_address = {str(m["To"]): m for m in server.messages}
    link = f"{BASE_URL}/tasks/{task.id}"

    mail = by_address[english]
    assert mail["Content-Language"] == "en" and mail.get_content_type() == "multipart/alternative"
    assert title_en in str(mail["Subject"]) and draft.code in str(mail["Subject"])
    assert f"Open it in Lexflow: {link}" in _plain(mail)
    assert draft.title in _plain(mail) and title_vi not in _plain(mail)
    assert f'<a href="{link}">' in _html(mail) and title_en in _html(mail)

    mail = by_address[vietnamese]
    assert mail["Content-Language"] == "vi"
    assert title_vi in str(mail["Subject"]) and title_en not in str(mail["Subject"])
    assert task.due_at is not None
    due = clock.as_utc(task.due_at)
    from workflows.calendar import vietnam_date

    assert vietnam_date(due).strftime("%d/%m/%Y") in _plain(mail)  # DD/MM/YYYY
    assert title_vi in _html(mail) and link in _html(mail)


def test_a_server_that_is_down_is_retried_with_backoff_and_then_delivered(
    app: Flask, lifecycle: Lifecycle
) -> None:
    _set_email(lifecycle, "cv2.sxd", "vi")
    notification = _notify(lifecycle, "cv2.sxd")
    port = free_port()  # nothing listens there yet
    mailer = _configure(app, port)
    start = clock.now()

    first = deliver_outbox(lifecycle.db, mailer, now=start)
    assert not first.delivered and len(first.retrying) == 1
    row = _outbox(lifecycle, notification)
    assert (row.state, row.attempts) == ("pending", 1) and row.last_error
    assert row.next_attempt_at == start + timedelta(minutes=1)

    assert deliver_outbox(lifecycle.db, mailer, now=start + timedelta(seconds=30)).handled == 0
    second = deliver_outbox(lifecycle.db, mailer, now=start + timedelta(minutes=1))
    assert len(second.retrying) == 1
    row = _outbox(lifecycle, notification)
    assert row.attempts == 2 and row.next_attempt_at == start + timedelta(minutes=3)

    with smtp_server(port=port) as (_port, server):
        assert deliver_outbox(lifecycle.db, mailer, now=start + timedelta(minutes=2)).handled == 0
        third = deliver_outbox(lifecycle.db, mailer, now=start + timedelta(minutes=3))
    assert len(third.delivered) == 1 and len(server.messages) == 1
    row = _outbox(lifecycle, notification)
    assert (row.state, row.attempts, row.last_error) == ("delivered", 3, None)


def test_a_hung_mail_server_holds_no_database_lock(app: Flask, lifecycle: Lifecycle) -> None:
    _set_email(lifecycle, "cv2.sxd", "vi")
    notification = _notify(lifecycle, "cv2.sxd")
    hung = HungServer()
    mailer = _configure(app, hung.port, SMTP_TIMEOUT=120)
    runs: list[Any] = []
    sender = threading.Thread(target=lambda: runs.append(deliver_outbox(lifecycle.db, mailer)))
    sender.start()
    try:
        assert hung.connected.wait(60), "the sender never reached the mail server"
        # While the sender waits for the server's greeting, others write: the very row it
        # sends is marked read, and an unrelated account changes.
        with lifecycle.db.write() as session:
            assert mark_all_read(session, "cv2.sxd") == 1
            user = find_user(session, "gd.sxd")
            assert user is not None
            user.full_name = "Trần Văn Giám (đã đổi)"
        assert sender.is_alive()  # the write did not wait for the mail server
        with lifecycle.db.read() as session:
            assert session.get(OutboxMessage, _outbox(lifecycle, notification).id).state == (
                "sending"
            )
    finally:
        hung.release()
        sender.join(120)
    assert not sender.is_alive() and len(runs[0].retrying) == 1
    row = _outbox(lifecycle, notification)
    assert (row.state, row.attempts) == ("pending", 1) and row.last_error


# aiosmtpd's check of AUTH over TLS knows only STARTTLS; the implicit TLS server warns.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_starttls_and_implicit_tls_with_login_are_used_when_configured(
    app: Flask, lifecycle: Lifecycle, tmp_path: Path
) -> None:
    _set_email(lifecycle, "cv2.sxd", "en")
    cert, key = self_signed_certificate(tmp_path)
    login = {"SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD}
    with smtp_server("starttls", cert=(cert, key)) as (port, server):
        # Not trusted (the system's store does not know this certificate): not sent.
        untrusting = _configure(app, port, SMTP_SECURITY="starttls", **login)
        notification = _notify(lifecycle, "cv2.sxd", "starttls")
        refused = deliver_outbox(lifecycle.db, untrusting)
        assert len(refused.retrying) == 1 and not server.messages
        assert "CERTIFICATE_VERIFY_FAILED" in next(iter(refused.retrying.values()))
        trusting = _configure(app, port, SMTP_SECURITY="starttls", SMTP_CA_FILE=str(cert), **login)
        later = clock.now() + timedelta(minutes=1)
        assert len(deliver_outbox(lifecycle.db, trusting, now=later).delivered) == 1
        assert server.logins == [USER] and server.tls_seen == [True]
    assert _outbox(lifecycle, notification).state == "delivered"
    with smtp_server("tls", cert=(cert, key)) as (port, server):
        mailer = _configure(app, port, SMTP_SECURITY="tls", SMTP_CA_FILE=str(cert), **login)
        _notify(lifecycle, "cv2.sxd", "tls")
        assert len(deliver_outbox(lifecycle.db, mailer).delivered) == 1
        assert server.logins == [USER] and server.tls_seen == [True]
        assert "Drafting" in str(server.messages[0]["Subject"])


def test_a_message_that_keeps_failing_is_kept_shown_to_administrators_and_resent(
    app: Flask, lifecycle: Lifecycle
) -> None:
    _set_email(lifecycle, "cv2.sxd", "en")
    notification = _notify(lifecycle, "cv2.sxd")
    port = free_port()
    mailer = _configure(app, port)
    moment = clock.now()
    for _attempt in range(MAX_ATTEMPTS):
        deliver_outbox(lifecycle.db, mailer, now=moment)
        moment += timedelta(hours=7)  # past the longest backoff
    row = _outbox(lifecycle, notification)
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert deliver_outbox(lifecycle.db, mailer, now=moment).handled == 0  # not retried alone

    admin = signed_in(app, "admin")
    page = admin.get("/admin/outbox?state=failed").get_data(as_text=True)
    assert f'data-outbox="{row.id}"' in page and "Connection refused" in page
    assert f'data-outbox="{row.id}"' not in admin.get("/admin/outbox?state=delivered").get_data(
        as_text=True
    )
    assert admin.get("/admin/outbox?state=lost").status_code == 400
    token = csrf_token(admin, "/admin/outbox")
    resent = admin.post(f"/admin/outbox/{row.id}/resend", data={"csrf_token": token})
    assert resent.status_code == 302
    with lifecycle.db.read() as session:
        events = (
            session.execute(select(AuditEvent).where(AuditEvent.stream == "admin:outbox"))
            .scalars()
            .all()
        )
    assert [(e.action, e.actor, e.data["outbox_id"]) for e in events] == [
        ("resend", "admin", row.id)
    ]
    with smtp_server(port=port) as (_port, server):
        assert len(deliver_outbox(lifecycle.db, mailer).delivered) == 1
    assert len(server.messages) == 1
    again = admin.post(f"/admin/outbox/{row.id}/resend", data={"csrf_token": token})
    assert again.status_code == 409  # delivered: never sent again
    with lifecycle.db.read() as session:
        assert session.get(Notification, notification) is not None
