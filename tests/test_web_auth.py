"""Sign-in, sign-out, CSRF, language, error pages, security headers."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.web import csrf_token, sign_in
from web import refuse_to_serve_with_test_settings


def test_sign_in_and_out(client: FlaskClient) -> None:
    assert client.get("/inbox").status_code == 302
    sign_in(client, "cv.sxd")
    page = client.get("/inbox")
    assert page.status_code == 200
    assert "Lê Văn Soạn" in page.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})
    assert client.get("/inbox").status_code == 302


def test_forms_without_csrf_token_are_refused(client: FlaskClient) -> None:
    response = client.post("/login", data={"username": "cv.sxd", "password": "mat-khau-thu-nghiem"})
    assert response.status_code == 400
    assert client.get("/inbox").status_code == 302


def test_open_redirect_is_refused(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"username": "cv.sxd", "password": "mat-khau-thu-nghiem", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"


def test_language_switch(client: FlaskClient) -> None:
    sign_in(client, "cv.sxd")
    client.post("/language/en", data={"csrf_token": csrf_token(client, "/inbox"), "next": "/inbox"})
    assert 'lang="en"' in client.get("/inbox").get_data(as_text=True)
    client.post("/language/vi", data={"csrf_token": csrf_token(client, "/inbox"), "next": "/inbox"})
    assert 'lang="vi"' in client.get("/inbox").get_data(as_text=True)


def test_error_pages_and_headers(client: FlaskClient) -> None:
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "<html" in page.get_data(as_text=True)
    api = client.get("/api/v1/nothing")
    assert api.status_code == 404 and api.get_json()["error"] == "not_found"
    headers = client.get("/login").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_app_refuses_the_test_suites_cheap_password_hashing_outside_tests() -> None:
    """The suite hashes with argon2's cheapest parameters; a served app must not."""
    with pytest.raises(RuntimeError, match="LEXFLOW_INSECURE_FAST_PASSWORD_HASHING=1"):
        refuse_to_serve_with_test_settings()
