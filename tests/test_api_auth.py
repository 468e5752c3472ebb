"""Who is calling: bearer tokens, the browser session, 401 for nobody, CSRF for cookie writes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text

from engine import clock
from tests.support.openapi import (
    ApiClient,
    api_fixture,  # noqa: F401
    deployed_fixture,  # noqa: F401
)
from web.api.spec import DOCUMENT
from workflows import accounts
from workflows.lifecycle import Lifecycle

OPERATIONS = sorted(
    (method.upper(), path)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if operation.get("security") != []
)


def _concrete(template: str) -> str:
    """A path for the template: numbers for integer ids, a fake UUID for task ids."""
    return re.sub(
        r"\{(\w+)\}",
        lambda m: "00000000-0000-0000-0000-000000000000" if m.group(1) == "task_id" else "1",
        template,
    )


@pytest.mark.parametrize(("method", "template"), OPERATIONS)
def test_every_operation_needs_authentication(api: ApiClient, method: str, template: str) -> None:
    response = api.anonymous().request(method, _concrete(template))
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bearer_token_authenticates_and_bad_tokens_do_not(api: ApiClient) -> None:
    assert api.as_user("cv.sxd").get("/tasks").status_code == 200
    for header in ("Bearer lxf_not-a-token", "Bearer nonsense", "Basic Y3Y6c3hk"):
        response = api.anonymous().get("/tasks", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_session_reads_need_no_csrf_token(api: ApiClient) -> None:
    session = api.signed_in("cv.sxd")
    assert session.get("/drafts").status_code == 200


def test_session_writes_need_the_csrf_header(api: ApiClient, deployed: Lifecycle) -> None:
    session = api.signed_in("cv.sxd")
    body = {"title": "Quy định phí tham quan", "document_type": "qd_ubnd_tinh",
            "lead_agency": "SXD"}  # fmt: skip
    refused = session.post("/drafts", json=body)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "csrf_failed"
    forged = session.post("/drafts", json=body, headers={"X-CSRFToken": "forged"})
    assert forged.get_json()["error"] == "csrf_failed"
    assert session.get("/drafts").get_json()["total"] == 0  # nothing was created
    created = session.post("/drafts", json=body, csrf=True)
    assert created.status_code == 201


def test_token_writes_need_no_csrf_token(api: ApiClient, deployed: Lifecycle) -> None:
    drafter = api.as_user("cv.sxd")
    body = {"title": "Quy định phí tham quan", "document_type": "qd_ubnd_tinh",
            "lead_agency": "SXD"}  # fmt: skip
    assert drafter.post("/drafts", json=body).status_code == 201


def test_token_use_is_recorded_without_a_write_on_every_request(api: ApiClient) -> None:
    """The last use is kept to within minutes, so read-only calls do not each take a write."""
    drafter = api.as_user("cv.sxd")
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

    def last_used() -> datetime | None:
        with api.lifecycle.db.read() as session:
            return session.execute(select(accounts.ApiToken.last_used_at)).scalar_one()

    with clock.frozen_at(start):
        assert drafter.get("/tasks").status_code == 200
    assert last_used() == start
    with clock.frozen_at(start + accounts.TOKEN_USE_RESOLUTION - timedelta(seconds=1)):
        assert drafter.get("/tasks").status_code == 200
    assert last_used() == start
    later = start + accounts.TOKEN_USE_RESOLUTION
    with clock.frozen_at(later):
        assert drafter.get("/tasks").status_code == 200
    assert last_used() == later


def test_reading_does_not_wait_for_a_writer(api: ApiClient) -> None:
    """Signing a request in only reads: a long write elsewhere (here an open transaction that
    changed the very user) does not hold up people reading their tasks. On SQLite a write
    transaction per request would wait for the writer's lock and fail after the busy timeout."""
    drafter = api.as_user("cv.sxd")
    assert drafter.get("/tasks").status_code == 200  # the token's use is now recorded
    browser = api.signed_in("cv.sxd")
    writer = create_engine(api.lifecycle.db.url)
    try:
        with writer.connect() as connection:
            transaction = connection.begin()
            connection.execute(
                text("UPDATE app_user SET full_name = 'Đang sửa' WHERE username = 'cv.sxd'")
            )
            assert drafter.get("/tasks").status_code == 200
            assert browser.get("/tasks").status_code == 200
            transaction.rollback()
    finally:
        writer.dispose()
