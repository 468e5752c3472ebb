"""Priority and follow-up date in the API, on the task page and in the inbox (sort, filter)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from engine.task_attributes import today
from tests.support.openapi import (
    ApiClient,
    api_fixture,  # noqa: F401
    deployed_fixture,  # noqa: F401
    new_draft,
    open_task,
)
from tests.support.web import post_form, signed_in

pytestmark = pytest.mark.usefixtures("deployed")


@pytest.fixture
def claimed(api: ApiClient) -> list[str]:
    """Three register tasks of SXD claimed by cv.sxd (oldest first, all due alike)."""
    ids = []
    for n in range(3):
        draft = new_draft(api, title=f"Quy định phí số {n}")
        task = open_task(api, "cv.sxd", draft["instance_id"])
        assert api.as_user("cv.sxd").post(f"/tasks/{task['id']}/claim").status_code == 200
        ids.append(task["id"])
    return ids


def listed(api: ApiClient, **query: Any) -> list[str]:
    response = api.as_user("cv.sxd").get("/tasks", query_string={"view": "mine", **query})
    assert response.status_code == 200, response.get_json()
    return [task["id"] for task in response.get_json()["items"]]


def test_the_assignee_plans_through_the_api_others_are_refused(
    api: ApiClient, claimed: list[str]
) -> None:
    first, second, third = claimed
    soon = (today() + timedelta(days=2)).isoformat()
    response = api.as_user("cv.sxd").patch(
        f"/tasks/{second}", json={"priority": "urgent", "follow_up_on": soon}
    )
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["priority"], response.get_json()["follow_up_on"]) == (
        "urgent",
        soon,
    )
    assert (
        api.as_user("gd.sxd").patch(f"/tasks/{third}", json={"priority": "low"}).status_code == 200
    )
    for username in ("kt.stp", "cv2.sxd"):  # an inspector of STP sees the task; a colleague
        refused = api.as_user(username).patch(f"/tasks/{first}", json={"priority": "high"})
        assert refused.status_code == 403, username
    assert (
        api.as_user("cv.stc").patch(f"/tasks/{first}", json={"priority": "high"}).status_code == 404
    )
    yesterday = (today() - timedelta(days=1)).isoformat()
    for body in (
        {"follow_up_on": yesterday},
        {"follow_up_on": "2027-02-30"},
        {"priority": "asap"},
        {},
    ):
        bad = api.as_user("cv.sxd").patch(f"/tasks/{first}", json=body)
        assert bad.status_code == 422, body
    assert (
        "quá khứ"  # in the default language, Vietnamese
        in api.as_user("cv.sxd")
        .patch(f"/tasks/{first}", json={"follow_up_on": yesterday})
        .get_json()["message"]
    )
    # Sorting and filtering
    assert listed(api, sort="priority") == [second, first, third]
    assert listed(api, sort="follow_up")[0] == second
    assert listed(api, priority="urgent") == [second]
    assert listed(api, follow_up="none") == [first, third]
    assert listed(api, follow_up="due") == []
    assert api.as_user("cv.sxd").get("/tasks", query_string={"sort": "random"}).status_code == 400


def _row_ids(page: Any) -> list[str]:
    return re.findall(r'data-task-id="([^"]+)"', page.get_data(as_text=True))


def test_the_task_page_form_and_the_inbox_columns(app: Flask, claimed: list[str]) -> None:
    first, second, third = claimed
    client = signed_in(app, "cv.sxd")
    path = f"/tasks/{second}/follow-up"
    past = post_form(
        client,
        path,
        {"priority": "high", "follow_up_on": (today() - timedelta(days=3)).isoformat()},
    )
    assert past.status_code == 422 and "past" in past.get_data(as_text=True)
    assert (
        post_form(client, path, {"priority": "high", "follow_up_on": "31/12/2027"}).status_code
        == 422
    )
    saved = post_form(client, path, {"priority": "high", "follow_up_on": today().isoformat()})
    assert saved.status_code == 302
    page = client.get(f"/tasks/{second}").get_data(as_text=True)
    assert 'data-priority="high"' in page and today().strftime("%d/%m/%Y") in page
    inbox = client.get("/inbox?tab=mine&sort=priority")
    assert _row_ids(inbox) == [second, first, third]
    assert 'aria-sort="descending"' in inbox.get_data(as_text=True)
    assert _row_ids(client.get("/inbox?tab=mine&follow_up=today")) == [second]
    assert _row_ids(client.get("/inbox?tab=mine&priority=high")) == [second]
    assert client.get("/inbox?tab=mine&priority=soon").status_code == 400
    other = signed_in(app, "kt.stp")
    assert post_form(other, path, {"priority": "low"}).status_code == 403
