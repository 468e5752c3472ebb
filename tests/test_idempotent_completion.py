"""``Idempotency-Key`` on ``POST /tasks/{id}/complete``: a client that lost the answer retries
safely - its own committed completion answers 200 with the first result, not 409."""

from __future__ import annotations

import io

import pytest

from tests.support.openapi import (
    ApiClient,
    api_fixture,  # noqa: F401
    deployed_fixture,  # noqa: F401
    new_draft,
    open_task,
)

pytestmark = pytest.mark.usefixtures("deployed")
PDF = b"%PDF-1.7\n%%EOF\n"


def test_a_retry_with_the_same_key_gets_the_first_result(api: ApiClient) -> None:
    drafter = api.as_user("cv.sxd")
    draft = new_draft(api)
    task = open_task(api, "cv.sxd", draft["instance_id"])
    form = {"item": "to_trinh", "file": (io.BytesIO(PDF), "to-trinh.pdf")}
    assert drafter.post(f"/drafts/{draft['id']}/documents", data=form).status_code == 201
    url, body = f"/tasks/{task['id']}/complete", {"json": {"data": {"summary": "Tóm tắt"}}}
    key = {"Idempotency-Key": "lan-1-7f3a"}

    first = drafter.post(url, headers=key, **body)
    assert first.status_code == 200 and first.get_json()["state"] == "completed"
    retry = drafter.post(url, headers=key, **body)
    assert retry.status_code == 200 and retry.get_json() == first.get_json()
    # Without the key, or with another key, it is what it is: already completed.
    assert drafter.post(url, **body).status_code == 409
    assert drafter.post(url, headers={"Idempotency-Key": "other"}, **body).status_code == 409
    # The key is the caller's own: someone else's identical key is not a retry of theirs.
    assert api.as_user("cv2.sxd").post(url, headers=key, **body).status_code in (403, 409)
    # The same key for another task is a client's mistake, said so.
    following = open_task(api, "cv2.sxd", draft["instance_id"])
    reused = drafter.post(f"/tasks/{following['id']}/complete", headers=key)
    assert reused.status_code == 422 and task["id"] in reused.get_json()["message"]
