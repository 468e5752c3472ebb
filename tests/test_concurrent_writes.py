"""Concurrent creations: numbering and versioning without collisions.

Twelve clients at once (more than SQLite's connection pool once held, which starved the
write-lock holder) register drafts (codes ``DT-<year>-NNN``) and add versions to one
dossier item: every request succeeds, and numbers and versions are all distinct."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask

from tests.support.openapi import api_fixture, deployed_fixture, new_draft  # noqa: F401
from workflows import accounts
from workflows.directory import find_user

pytestmark = pytest.mark.usefixtures("deployed")
CLIENTS = 12
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_concurrent_drafts_and_uploads_all_succeed_with_distinct_numbers(
    app: Flask, lifecycle: Any, api: Any
) -> None:
    with lifecycle.db.write() as session:
        secret = accounts.issue_token(session, find_user(session, "cv.sxd"), "race")
    bearer = {"Authorization": f"Bearer {secret}"}
    body = {"title": "Quy định phí tham quan", "document_type": "qd_ubnd_tinh",
            "lead_agency": "SXD"}  # fmt: skip

    def create(_: int) -> Any:
        return app.test_client().post("/api/v1/drafts", json=body, headers=bearer)

    with ThreadPoolExecutor(CLIENTS) as pool:
        created = list(pool.map(create, range(CLIENTS)))
    assert [r.status_code for r in created] == [201] * CLIENTS, [r.get_json() for r in created]
    assert len({r.get_json()["code"] for r in created}) == CLIENTS

    draft_id = created[0].get_json()["id"]

    def upload(n: int) -> Any:
        form = {"item": "du_thao", "file": (io.BytesIO(PDF + b"%" * (n % 2)), f"v{n}.pdf")}
        return app.test_client().post(
            f"/api/v1/drafts/{draft_id}/documents", data=form, headers=bearer
        )

    with ThreadPoolExecutor(CLIENTS) as pool:
        uploaded = list(pool.map(upload, range(CLIENTS)))
    assert [r.status_code for r in uploaded] == [201] * CLIENTS, [r.get_json() for r in uploaded]
    assert sorted(r.get_json()["version"] for r in uploaded) == list(range(1, CLIENTS + 1))
