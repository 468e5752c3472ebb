"""Malformed input is a 4xx with a message, never a 500: ids beyond the integer range, NUL
characters in any field, runaway JSON nesting and lone surrogates."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.support.web import csrf_token, signed_in
from workflows import accounts
from workflows.directory import find_user

HUGE = 99999999999  # beyond PostgreSQL's integer


def test_malformed_input_is_refused_with_a_message(app: Flask, lifecycle: Any) -> None:
    with lifecycle.db.write() as session:
        secret = accounts.issue_token(session, find_user(session, "cv.sxd"), "script")
    api = {"Authorization": f"Bearer {secret}"}
    client = signed_in(app, "cv.sxd")

    # Ids beyond the integer range: no such thing (route) or a bad parameter (query).
    assert client.get(f"/drafts/{HUGE}").status_code == 404
    assert client.get(f"/api/v1/drafts/{HUGE}", headers=api).status_code == 404
    assert client.get(f"/api/v1/instances/{HUGE}/history", headers=api).status_code == 404
    # ... whatever the method (a POST whose path has a GET twin once got 405).
    assert client.post(f"/api/v1/drafts/{HUGE}/documents", headers=api).status_code == 404
    bad_query = client.get(f"/api/v1/tasks?instance_id={HUGE}", headers=api)
    assert bad_query.status_code == 400 and "instance_id" in bad_query.get_json()["message"]
    assert client.get(f"/drafts?page={HUGE}").status_code == 400
    # An empty choice is neither a status nor no status (found by the API fuzzing suite).
    empty = client.get("/api/v1/drafts?status=&text=", headers=api)
    assert empty.status_code == 400 and "status" in empty.get_json()["message"]

    # NUL characters: the anonymous sign-in form, a query string, a JSON value.
    anonymous = app.test_client()
    token = csrf_token(anonymous)
    login = anonymous.post(
        "/login", data={"username": "cv\x00sxd", "password": "x\x00", "csrf_token": token}
    )
    assert login.status_code == 400 and "NUL" in login.get_data(as_text=True)
    assert client.get("/drafts?q=a%00b").status_code == 400
    nul_json = client.post("/api/v1/drafts", json={"title": "a\x00b"}, headers=api)
    assert nul_json.status_code == 400 and "NUL" in nul_json.get_json()["message"]

    # Runaway nesting (deep enough to overflow the parser, and merely too deep).
    for depth in (100_000, 40):
        body = "[" * depth + "]" * depth
        deep = client.post(
            "/api/v1/drafts", data=body, content_type="application/json", headers=api
        )
        assert deep.status_code == 400 and "nests deeper" in deep.get_json()["message"]

    # A lone surrogate, which Python's parser accepts and no database stores.
    lone = client.post(
        "/api/v1/drafts", data='{"title": "\\ud800"}', content_type="application/json", headers=api
    )
    assert lone.status_code == 400 and "surrogate" in lone.get_json()["message"]
