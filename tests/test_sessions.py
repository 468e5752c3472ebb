"""Sessions and tokens end when they should (sign-out, password change, deactivation), the
password policy, sign-in that reveals nothing, and throttled guessing instead of a lock."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.province import PASSWORD
from tests.support.web import csrf_token, post_form, signed_in
from workflows import accounts
from workflows.directory import find_user

STRONG = "bon-con-meo-nhay-qua-rao"
#: What the web layer alone decides runs on one database (argon2 makes each sign-in slow).
WEB_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def token_for(lifecycle: Any, username: str) -> dict[str, str]:
    with lifecycle.db.write() as session:
        secret = accounts.issue_token(session, find_user(session, username), "script")
    return {"Authorization": f"Bearer {secret}"}


def attempt(client: FlaskClient, username: str, password: str) -> Any:
    token = csrf_token(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


@WEB_ONLY
def test_a_copied_cookie_dies_with_sign_out(app: Flask) -> None:
    client = signed_in(app, "cv.sxd")
    thief = copy_of(app, client)
    assert thief.get("/inbox").status_code == 200
    post_form(client, "/logout", {})
    assert thief.get("/inbox").status_code == 302
    assert client.get("/inbox").status_code == 302


@WEB_ONLY
def test_a_password_change_ends_other_sessions_and_every_token(app: Flask, lifecycle: Any) -> None:
    client = signed_in(app, "cv.sxd")
    other = signed_in(app, "cv.sxd")
    bearer = token_for(lifecycle, "cv.sxd")
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 200
    weak = post_form(
        client,
        "/profile",
        {
            "action": "password",
            "current": PASSWORD,
            "new": "password1234",
            "confirm": "password1234",
        },
        token_from="/profile",
        follow_redirects=True,
    )
    assert "too easy to guess" in weak.get_data(as_text=True)
    assert other.get("/inbox").status_code == 200  # nothing changed yet
    post_form(
        client,
        "/profile",
        {"action": "password", "current": PASSWORD, "new": STRONG, "confirm": STRONG},
        token_from="/profile",
    )
    assert client.get("/inbox").status_code == 200  # the session that changed it lives on
    assert other.get("/inbox").status_code == 302
    assert app.test_client().get("/api/v1/tasks", headers=bearer).status_code == 401


def test_deactivation_ends_sessions_and_tokens_for_good(app: Flask, lifecycle: Any) -> None:
    admin = signed_in(app, "admin")
    victim = signed_in(app, "cv2.sxd")
    bearer = token_for(lifecycle, "cv2.sxd")
    with lifecycle.db.read() as session:
        base = f"/admin/users/{find_user(session, 'cv2.sxd').id}"
    assert post_form(admin, f"{base}/active", {"active": "0"}).status_code == 302
    assert post_form(admin, f"{base}/active", {"active": "1"}).status_code == 302
    assert victim.get("/inbox").status_code == 302
    assert app.test_client().get("/api/v1/tasks", headers=bearer).status_code == 401
    weak = post_form(admin, f"{base}/password", {"password": "cv2.sxd12345"})
    assert weak.status_code == 422 and "too easy to guess" in weak.get_data(as_text=True)


@WEB_ONLY
def test_sign_in_does_not_tell_unknown_disabled_or_wrong_apart(app: Flask, lifecycle: Any) -> None:
    with lifecycle.db.write() as session:
        find_user(session, "cv2.sxd").active = False
    client = app.test_client()
    answers = [
        attempt(client, "cv2.sxd", PASSWORD),  # disabled, right password
        attempt(client, "nobody.here", PASSWORD),
        attempt(client, "cv.sxd", "sai-mat-khau-roi"),
    ]
    assert {a.status_code for a in answers} == {401}
    alerts = {re.findall(r'role="alert">([^<]*)<', a.get_data(as_text=True))[0] for a in answers}
    assert len(alerts) == 1


@WEB_ONLY
def test_guessing_is_throttled_per_account_and_address_not_locked(app: Flask) -> None:
    app.config["LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"] = "2/minute"
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "4/minute"
    guesser = app.test_client()
    for _ in range(2):
        assert attempt(guesser, "cv.sxd", "sai-mat-khau-roi").status_code == 401
    throttled = attempt(guesser, "cv.sxd", PASSWORD)
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    # The same address may still sign in to another account; the owner elsewhere is not locked.
    assert attempt(guesser, "cv.stc", PASSWORD).status_code == 302
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    assert attempt(owner, "cv.sxd", PASSWORD).status_code == 302
    # One address guessing many accounts is throttled too (2 + 2 refusals so far).
    guesser = app.test_client()
    for name in ("a.one", "b.two"):
        assert attempt(guesser, name, "sai-mat-khau-roi").status_code == 401
    assert attempt(guesser, "c.three", "sai-mat-khau-roi").status_code == 429
