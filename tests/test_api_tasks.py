"""``/tasks``: a draft worked through the API, with the refusals on the way (403/409/422)."""

from __future__ import annotations

import io
from typing import Any

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


def act(api: ApiClient, username: str, task_id: str, action: str, body: Any = None) -> Any:
    kwargs = {"json": body} if body is not None else {}
    return api.as_user(username).post(f"/tasks/{task_id}/{action}", **kwargs)


def test_a_draft_worked_from_start_to_end(api: ApiClient) -> None:
    draft = new_draft(api)
    instance_id = draft["instance_id"]
    task = open_task(api, "cv.sxd", instance_id)
    assert (task["element_id"], task["state"], task["organisation"]) == (
        "Task_draft",
        "open",
        "SXD",
    )
    assert task["title"] == "Soạn thảo: Quy định phí tham quan" and task["due_at"]
    assert task["labels"]["stage"] == "drafting" and task["labels"]["draft_code"] == draft["code"]
    detail = api.as_user("cv.sxd").get(f"/tasks/{task['id']}").get_json()
    assert detail["required_documents"] == ["to_trinh"] and "summary" in detail["form"]["required"]

    # An appraiser may not even see a drafter's step; the first drafter to claim it wins.
    assert (
        act(api, "tdv.stp", task["id"], "complete", {"data": {"summary": "abc"}}).status_code == 404
    )
    claimed = act(api, "cv.sxd", task["id"], "claim")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "cv.sxd"
    lost = act(api, "cv2.sxd", task["id"], "claim")
    assert lost.status_code == 409 and lost.get_json()["error"] == "conflict"
    mine = api.as_user("cv.sxd").get("/tasks", query_string={"view": "mine"}).get_json()
    assert [t["id"] for t in mine["items"]] == [task["id"]] and mine["total"] == 1

    # The submission is missing from the dossier; then the form is wrong.
    missing = act(api, "cv.sxd", task["id"], "complete", {"data": {"summary": "Tóm tắt"}})
    assert missing.status_code == 422
    assert missing.get_json()["details"][0]["item"] == "to_trinh"
    form = {"item": "to_trinh", "file": (io.BytesIO(PDF), "to-trinh.pdf")}
    uploaded = api.as_user("cv.sxd").post(f"/drafts/{draft['id']}/documents", data=form)
    assert uploaded.status_code == 201
    short = act(api, "cv.sxd", task["id"], "complete", {"data": {"summary": "x"}})
    assert short.status_code == 422 and short.get_json()["details"][0]["field"] == "summary"
    extra = act(api, "cv.sxd", task["id"], "complete", {"data": {"summary": "Tóm tắt", "x": 1}})
    assert extra.status_code == 422 and extra.get_json()["details"][0]["field"] == "x"
    done = act(api, "cv.sxd", task["id"], "complete", {"data": {"summary": "Tóm tắt"}})
    assert done.status_code == 200
    assert done.get_json()["state"] == "completed" and done.get_json()["completed_by"] == "cv.sxd"
    again = act(api, "cv.sxd", task["id"], "complete", {"data": {"summary": "Tóm tắt"}})
    assert again.status_code == 409

    # Four-eyes: whoever drafted may not check; another drafter does (claiming implicitly).
    check = open_task(api, "cv2.sxd", instance_id)
    assert check["element_id"] == "Task_check"
    for action in ("claim", "complete"):
        refused = act(api, "cv.sxd", check["id"], action)
        assert refused.status_code == 403 and "bốn mắt" in refused.get_json()["message"]
        english = api.as_user("cv.sxd").post(
            f"/tasks/{check['id']}/{action}", headers={"Accept-Language": "en"}
        )
        assert english.status_code == 403 and "four-eyes" in english.get_json()["message"]
    assert act(api, "cv2.sxd", check["id"], "complete").status_code == 200

    # The Department of Justice appraises; returning needs a reason.
    offered = api.as_user("tdv.stp").get("/tasks", query_string={"view": "offered"}).get_json()
    [appraise] = offered["items"]
    assert appraise["labels"]["stage"] == "appraisal" and appraise["organisation"] == "STP"
    no_reason = act(api, "tdv.stp", appraise["id"], "complete", {"data": {"decision": "return"}})
    assert no_reason.status_code == 422
    approved = act(api, "tdv.stp", appraise["id"], "complete", {"data": {"decision": "approve"}})
    assert approved.status_code == 200
    assert (
        api.as_user("cv.sxd").get(f"/instances/{instance_id}").get_json()["status"] == "completed"
    )
    assert api.as_user("cv.sxd").get(f"/drafts/{draft['id']}").get_json()["status"] == "done"


def test_unclaim_and_assign(api: ApiClient) -> None:
    task = open_task(api, "cv.sxd", new_draft(api)["instance_id"])
    act(api, "cv.sxd", task["id"], "claim")
    assert act(api, "cv2.sxd", task["id"], "unclaim").status_code == 403
    released = act(api, "gd.sxd", task["id"], "unclaim")  # the head supervises SXD
    assert released.status_code == 200 and released.get_json()["assignee"] is None
    assert act(api, "gd.sxd", task["id"], "unclaim").status_code == 409
    assigned = act(api, "gd.sxd", task["id"], "assign", {"assignee": "cv2.sxd"})
    assert assigned.status_code == 200
    assert (
        assigned.get_json()["assignee"] == "cv2.sxd"
        and assigned.get_json()["claimed_by"] == "gd.sxd"
    )
    assert act(api, "cv.sxd", task["id"], "assign", {"assignee": "cv.sxd"}).status_code == 403
    assert act(api, "gd.sxd", task["id"], "assign", {"assignee": "tdv.stp"}).status_code == 403
    for body in ({"assignee": "nobody"}, {}, {"assignee": 5}, {"assignee": "cv.sxd", "x": 1}):
        assert act(api, "gd.sxd", task["id"], "assign", body).status_code == 422, body
    handed = act(api, "cv2.sxd", task["id"], "assign", {"assignee": "cv.sxd"})  # the assignee may
    assert handed.status_code == 200 and handed.get_json()["assignee"] == "cv.sxd"
    assert act(api, "cv.sxd", task["id"], "complete", {"data": []}).status_code == 422
    assert act(api, "cv.sxd", task["id"], "complete", ["not", "an", "object"]).status_code == 400


@pytest.mark.parametrize("action", ["claim", "unclaim", "assign", "complete"])
def test_unknown_tasks_are_404(api: ApiClient, action: str) -> None:
    body = {"assignee": "cv.sxd"} if action == "assign" else None
    response = act(api, "admin", "00000000-0000-0000-0000-000000000000", action, body)
    assert response.status_code == 404


def test_task_details_follow_visibility(api: ApiClient) -> None:
    task = open_task(api, "cv.sxd", new_draft(api)["instance_id"])
    assert api.as_user("kt.stp").get(f"/tasks/{task['id']}").status_code == 200
    assert api.as_user("cv.stc").get(f"/tasks/{task['id']}").status_code == 404
    assert api.as_user("cv.sxd").get("/tasks/no-such-task").status_code == 404
