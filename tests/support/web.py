"""Helpers for driving the web app through its real forms (CSRF tokens included)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.support.province import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """A CSRF token for this client's session, read from a rendered form."""
    page = client.get(path, follow_redirects=True)  # /login redirects a signed-in client
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, f"sign-in of {username} failed: {response.status_code}"


def signed_in(app: Flask, username: str, password: str = PASSWORD) -> FlaskClient:
    """A client of its own signed in as ``username``, in English (untranslated msgids)."""
    client = app.test_client()
    sign_in(client, username, password)
    client.post("/language/en", data={"csrf_token": csrf_token(client, "/inbox")})
    return client


def post_form(
    client: FlaskClient,
    path: str,
    data: dict[str, Any],
    *,
    token_from: str | None = None,
    **kwargs: Any,
) -> Any:
    """POST a form with a valid CSRF token (taken from ``token_from`` or the inbox)."""
    token = csrf_token(client, token_from or "/inbox")
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)
