"""PostgreSQL stops while Lexflow serves: 503 with Retry-After, one log line, nothing half-kept.

The server is this test's own (the suite's shared one cannot be stopped) and dies in the
middle of a draft's registration, as a crash would (``pg_ctl stop -m immediate``): pages get
a 503 page, the API a 503 error of its documented shape, the public pages no cookie, the log
one warning; when the server is back the next request succeeds without a restart of the app,
what was committed before is there and the interrupted registration is not, not even in part.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.support.databases import DatabaseFactory
from tests.support.openapi import (
    ApiClient,
    api_fixture,  # noqa: F401
    deployed_fixture,  # noqa: F401
    new_draft,
)
from tests.support.postgres import PostgresServer, start_postgres
from tests.support.web import sign_in
from workflows.drafts import Draft

pytestmark = pytest.mark.usefixtures("deployed")
DRAFT = {
    "title": "Quy định phí trông giữ xe",
    "document_type": "qd_ubnd_tinh",
    "lead_agency": "SXD",
}


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    if os.environ.get("LEXFLOW_TEST_PG_URL"):
        pytest.skip("needs a PostgreSQL server of its own to stop (LEXFLOW_TEST_PG_URL is set)")
    server = start_postgres(durable_commits=True)  # what was committed must survive the stop
    yield server
    server.stop()


@pytest.fixture
def database_url(own_postgres: PostgresServer, tmp_path: Path) -> str:
    """Overrides the suite's fixture: the app's database lives on the server we may stop."""
    return DatabaseFactory(tmp_path, own_postgres).postgresql()


def _counts(api: ApiClient) -> tuple[int, ...]:
    with api.lifecycle.db.read() as session:
        return tuple(
            session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (Draft, ProcessInstance, HumanTask, AuditEvent)
        )


def test_an_outage_answers_503_logs_once_and_heals_by_itself(
    api: ApiClient, own_postgres: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    drafter = api.as_user("cv.sxd")
    kept = new_draft(api)  # committed before the outage
    before = _counts(api)
    browser, visitor = api.client.application.test_client(), api.client
    sign_in(browser, "cv.sxd")
    assert browser.get("/inbox").status_code == 200

    # The server dies after the registration's first INSERT, inside its transaction.
    def crash_on_insert(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            event.remove(api.lifecycle.db.engine, "after_cursor_execute", crash_on_insert)
            own_postgres.halt()

    caplog.set_level(logging.INFO)
    event.listen(api.lifecycle.db.engine, "after_cursor_execute", crash_on_insert)
    try:
        interrupted = drafter.post("/drafts", json=DRAFT)  # checked against the OpenAPI 503
        assert interrupted.status_code == 503, interrupted.get_json()
        assert interrupted.get_json()["error"] == "database_unavailable"
        assert interrupted.headers["Retry-After"] == "30"
        listing = drafter.get("/tasks")
        assert listing.status_code == 503 and listing.headers["Retry-After"] == "30"

        page = browser.get("/inbox")
        assert page.status_code == 503 and page.headers["Retry-After"] == "30"
        assert page.content_type.startswith("text/html")
        assert '<html lang="vi">' in page.get_data(as_text=True)  # the user's language
        public = visitor.get("/public/drafts", headers={"Accept-Language": "en"})
        assert public.status_code == 503 and "Set-Cookie" not in public.headers
        assert '<html lang="en">' in public.get_data(as_text=True)
        outage = [r for r in caplog.records if r.name == "engine.availability"]
        assert [r.levelname for r in outage] == ["WARNING"]
        assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    finally:
        own_postgres.resume()

    # No restart of the app: the broken connections were dropped, new ones are made.
    assert drafter.get("/tasks").status_code == 200
    assert browser.get("/inbox").status_code == 200
    outage = [r for r in caplog.records if r.name == "engine.availability"]
    assert [r.levelname for r in outage] == ["WARNING", "INFO"]
    assert _counts(api) == before  # nothing of the interrupted registration
    listed = drafter.get("/drafts").get_json()["items"]
    assert [draft["id"] for draft in listed] == [kept["id"]]
    report = api.lifecycle.engine.verify_audit(kept["instance_id"])
    assert report.ok, report.problem
