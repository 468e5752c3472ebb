"""``/instances``: bare starts (process owners), visibility, history and diagram."""

from __future__ import annotations

import io
from typing import Any

import pytest

from engine.models import ProcessInstance
from tests.support.openapi import (
    ApiClient,
    api_fixture,  # noqa: F401
    deployed_fixture,  # noqa: F401
    new_draft,
    open_task,
)
from web import access
from workflows.directory import actor_of, find_user
from workflows.lifecycle import Lifecycle

pytestmark = pytest.mark.usefixtures("deployed")
START = {
    "key": "qd_ubnd_tinh",
    "business_key": "THU-1",
    "organisation": "STP",
    "data": {"title": "Thử khởi động", "lead_agency": "STP", "appraisal_org": "STP"},
    "labels": {"document_type": "qd_ubnd_tinh"},
}


@pytest.mark.parametrize("username", ["admin", "owner"])
def test_administrators_and_process_owners_start_bare_instances(
    api: ApiClient, username: str
) -> None:
    response = api.as_user(username).post("/instances", json=START)
    assert response.status_code == 201
    instance = response.get_json()
    assert instance["status"] == "running" and instance["started_by"] == username
    assert instance["business_key"] == "THU-1" and instance["organisation"] == "STP"


@pytest.mark.parametrize("username", ["cv.sxd", "gd.sxd", "kt.stp"])
def test_others_may_not_start_bare_instances(api: ApiClient, username: str) -> None:
    # Drafters and heads register drafts instead; inspectors start nothing.
    response = api.as_user(username).post("/instances", json=START)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "change",
    [{"key": "luat_moi"}, {"key": ""}, {"data": ["x"]}, {"data": {"_x": 1}}, {"colour": 1},
     {"version": 7}],
)  # fmt: skip
def test_invalid_starts_are_422(api: ApiClient, change: dict[str, Any]) -> None:
    response = api.as_user("admin").post("/instances", json={**START, **change})
    assert response.status_code == 422, response.get_json()
    assert api.as_user("admin").get("/instances").get_json()["total"] == 0


def test_lists_show_only_visible_instances(api: ApiClient, lifecycle: Lifecycle) -> None:
    first, second = new_draft(api), new_draft(api)
    bare = api.as_user("admin").post("/instances", json=START).get_json()

    def listed(username: str, **query: Any) -> list[int]:
        response = api.as_user(username).get("/instances", query_string=query)
        assert response.status_code == 200
        return [item["id"] for item in response.get_json()["items"]]

    assert listed("cv.sxd") == [second["instance_id"], first["instance_id"]]
    assert listed("cv.stc") == []
    assert listed("tdv.stp") == [bare["id"]]  # its organisation
    assert listed("admin") == [bare["id"], second["instance_id"], first["instance_id"]]
    assert listed("admin", business_key=first["code"]) == [first["instance_id"]]
    assert listed("admin", organisation="STP", status="running", key="qd_ubnd_tinh") == [bare["id"]]
    assert listed("admin", status="completed") == []
    page = api.as_user("admin").get("/instances", query_string={"limit": 2, "offset": 2})
    assert page.get_json()["total"] == 3 and len(page.get_json()["items"]) == 1
    # The SQL filter agrees with the per-instance rule of web.access.
    with lifecycle.db.read() as session:
        for username in ("cv.sxd", "cv.stc", "tdv.stp", "gd.sxd", "mttq"):
            user = find_user(session, username)
            assert user is not None
            actor = actor_of(session, user)
            expected = sorted(
                row.id
                for row in session.query(ProcessInstance)
                if access.can_view_instance(session, actor, row)
            )
            assert sorted(listed(username)) == expected, username


@pytest.mark.parametrize(
    "query", [{"status": "lost"}, {"limit": "0"}, {"offset": "x"}, {"bogus": "1"}]
)
def test_bad_query_parameters_are_400(api: ApiClient, query: dict[str, str]) -> None:
    assert api.as_user("admin").get("/instances", query_string=query).status_code == 400


def test_history_and_diagram(api: ApiClient) -> None:
    draft = new_draft(api)
    instance_id = draft["instance_id"]
    task = open_task(api, "cv.sxd", instance_id)
    drafter = api.as_user("cv.sxd")
    drafter.post(f"/tasks/{task['id']}/claim")
    form = {"item": "to_trinh", "file": (io.BytesIO(b"%PDF-1.4\n%%EOF"), "a.pdf")}
    drafter.post(f"/drafts/{draft['id']}/documents", data=form)
    drafter.post(f"/tasks/{task['id']}/complete", json={"data": {"summary": "Tóm tắt"}})

    history = api.as_user("gd.sxd").get(f"/instances/{instance_id}/history").get_json()
    assert [(t["element_id"], t["state"], t["completed_by"]) for t in history["tasks"]] == [
        ("Task_draft", "completed", "cv.sxd"),
        ("Task_check", "open", None),
    ]
    actions = [event["action"] for event in history["events"]]
    assert actions[0] == "start" and "claim" in actions and "complete" in actions
    assert [event["seq"] for event in history["events"]] == sorted(
        e["seq"] for e in history["events"]
    )
    assert history["audit_intact"] is True

    diagram = api.as_user("gd.sxd").get(f"/instances/{instance_id}/diagram").get_json()
    assert 'id="qd_ubnd_tinh"' in diagram["xml"]
    assert diagram["active"] == ["Task_check"]
    assert {"Start_api", "Task_draft"} <= set(diagram["completed"])
    shown = api.as_user("gd.sxd").get(f"/instances/{instance_id}").get_json()
    assert shown["definition_id"] == diagram["definition_id"] and shown["version"] > 1


@pytest.mark.parametrize("suffix", ["", "/history", "/diagram"])
def test_invisible_and_unknown_instances_are_404(api: ApiClient, suffix: str) -> None:
    instance_id = new_draft(api)["instance_id"]
    assert api.as_user("cv.stc").get(f"/instances/{instance_id}{suffix}").status_code == 404
    assert api.as_user("admin").get(f"/instances/999999{suffix}").status_code == 404
    assert api.as_user("kt.stp").get(f"/instances/{instance_id}{suffix}").status_code == 200
