"""Listing and revoking one's own API tokens: on the profile page and at ``/api/v1/tokens``."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.models import AuditEvent
from tests.support.openapi import ApiClient, api_fixture  # noqa: F401
from tests.support.web import post_form, signed_in
from workflows import accounts
from workflows.directory import find_user


def issue(lifecycle: Any, username: str, name: str) -> tuple[int, str]:
    with lifecycle.db.write() as session:
        user = find_user(session, username)
        secret = accounts.issue_token(session, user, name)
        return accounts.tokens_of(session, user)[0].id, secret


def rows(page: Any) -> dict[str, str]:
    """Token id -> the text of its table row."""
    found = re.findall(r'<tr data-token="(\d+)">(.*?)</tr>', page.get_data(as_text=True), re.S)
    return {
        token: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for token, row in found
    }


def test_the_profile_lists_only_the_users_own_tokens(app: Flask, lifecycle: Any) -> None:
    mine, _ = issue(lifecycle, "cv.sxd", "báo cáo tuần")
    theirs, _ = issue(lifecycle, "cv.stc", "other")
    listed = rows(signed_in(app, "cv.sxd").get("/profile"))
    assert list(listed) == [str(mine)] and str(theirs) not in listed
    assert "báo cáo tuần" in listed[str(mine)] and "Active" in listed[str(mine)]
    assert "Never" in listed[str(mine)]
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", listed[str(mine)])


def test_revoking_on_the_page_stops_the_token_at_once_and_is_audited(
    app: Flask, api: ApiClient, lifecycle: Any
) -> None:
    token_id, secret = issue(lifecycle, "cv.sxd", "script")
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.anonymous().get("/tasks", headers=bearer).status_code == 200
    client = signed_in(app, "cv.sxd")
    page = client.get("/profile").get_data(as_text=True)
    assert f"/profile/tokens/{token_id}/revoke" in page and "data-confirm=" in page
    done = post_form(client, f"/profile/tokens/{token_id}/revoke", {}, token_from="/profile")
    assert done.status_code == 302
    assert api.anonymous().get("/tasks", headers=bearer).status_code == 401
    assert "Revoked" in rows(client.get("/profile"))[str(token_id)]
    with lifecycle.db.read() as session:
        events = session.execute(
            select(AuditEvent).where(AuditEvent.stream == "user:cv.sxd")
        ).scalars()
        assert [(e.actor, e.action, e.data) for e in events] == [
            ("cv.sxd", "revoke_token", {"token_id": token_id, "name": "script"})
        ]


def test_another_users_token_is_not_found_and_stays_valid(
    app: Flask, api: ApiClient, lifecycle: Any
) -> None:
    token_id, secret = issue(lifecycle, "cv.stc", "theirs")
    client = signed_in(app, "cv.sxd")
    for target in (token_id, 999999):
        refused = post_form(client, f"/profile/tokens/{target}/revoke", {}, token_from="/profile")
        assert refused.status_code == 404
    assert api.as_user("cv.sxd").request("DELETE", f"/tokens/{token_id}").status_code == 404
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.anonymous().get("/tasks", headers=bearer).status_code == 200


def test_revoking_without_the_csrf_token_is_refused(app: Flask, lifecycle: Any) -> None:
    token_id, _ = issue(lifecycle, "cv.sxd", "script")
    client = signed_in(app, "cv.sxd")
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 400
    assert "Active" in rows(client.get("/profile"))[str(token_id)]


def test_the_api_lists_and_revokes_the_callers_tokens(api: ApiClient, lifecycle: Any) -> None:
    spare, spare_secret = issue(lifecycle, "cv.sxd", "spare")
    issue(lifecycle, "cv.stc", "theirs")
    caller = api.as_user("cv.sxd")
    listed = caller.get("/tokens").get_json()
    assert [t["name"] for t in listed] == ["tests", "spare"]  # newest first, own only
    assert all("secret" not in t and "token_sha256" not in t for t in listed)
    revoked = caller.request("DELETE", f"/tokens/{spare}")
    assert revoked.status_code == 200
    assert revoked.get_json()["revoked"] is True and revoked.get_json()["revoked_at"]
    again = caller.request("DELETE", f"/tokens/{spare}")  # harmless, audited once
    assert again.status_code == 200
    bearer = {"Authorization": f"Bearer {spare_secret}"}
    assert api.anonymous().get("/tokens", headers=bearer).status_code == 401
    assert [t["revoked"] for t in caller.get("/tokens").get_json()] == [False, True]
    with lifecycle.db.read() as session:
        actions = session.execute(
            select(AuditEvent.action).where(AuditEvent.stream == "user:cv.sxd")
        ).scalars()
        assert list(actions) == ["revoke_token"]


def test_a_session_revoke_through_the_api_needs_the_csrf_header(
    api: ApiClient, lifecycle: Any
) -> None:
    token_id, _ = issue(lifecycle, "cv.sxd", "script")
    browser = api.signed_in("cv.sxd")
    assert browser.request("DELETE", f"/tokens/{token_id}").status_code == 400
    assert browser.request("DELETE", f"/tokens/{token_id}", csrf=True).status_code == 200
