"""``GET /tasks``: the inbox views and filters, the same as the inbox page's, strictly parsed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine import clock
from tests.support.openapi import (
    ApiClient,
    api_fixture,  # noqa: F401
    deployed_fixture,  # noqa: F401
    new_draft,
    open_task,
)

pytestmark = pytest.mark.usefixtures("deployed")


@pytest.fixture
def drafts(api: ApiClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """An old draft (its first step long overdue) and a new one (due in 10 working days)."""
    with clock.frozen_at(datetime(2025, 1, 6, 3, tzinfo=UTC)):
        old = new_draft(api, title="Quy định cũ về phí")
    return old, new_draft(api, title="Quy định mới về phí")


def ids(api: ApiClient, username: str, **query: Any) -> list[int]:
    """Instance ids of the tasks listed for ``username`` with ``query``."""
    response = api.as_user(username).get("/tasks", query_string=query)
    assert response.status_code == 200, response.get_json()
    page = response.get_json()
    assert page["total"] >= len(page["items"])
    return [task["instance_id"] for task in page["items"]]


def test_views_filters_and_paging(api: ApiClient, drafts: tuple[dict[str, Any], ...]) -> None:
    old, new = (draft["instance_id"] for draft in drafts)
    assert ids(api, "cv.sxd", view="offered") == [old, new]  # soonest due first
    assert ids(api, "cv.sxd") == []  # "mine" by default: nothing claimed yet
    assert ids(api, "cv.sxd", view="offered", overdue="true") == [old]
    assert ids(api, "cv.sxd", view="offered", due_within=20) == [old, new]
    assert ids(api, "cv.sxd", view="offered", due_within=5) == [old]
    assert ids(api, "cv.sxd", view="offered", stage="drafting", document_type="qd_ubnd_tinh") == [
        old,
        new,
    ]
    assert ids(api, "cv.sxd", view="offered", stage="appraisal") == []
    assert ids(api, "cv.sxd", view="offered", lead_agency="STC") == []
    assert ids(api, "cv.sxd", instance_id=new) == [new]
    assert ids(api, "tdv.stp", view="offered") == []
    page = api.as_user("cv.sxd").get("/tasks", query_string={"view": "offered", "limit": 1,
                                                              "offset": 1})  # fmt: skip
    assert page.get_json()["total"] == 2 and [
        t["instance_id"] for t in page.get_json()["items"]
    ] == [new]
    task = open_task(api, "cv.sxd", old)
    assert task["overdue"] is True
    api.as_user("cv.sxd").post(f"/tasks/{task['id']}/claim")
    assert ids(api, "cv.sxd", view="mine") == [old]


def test_the_organisation_view_is_for_heads(
    api: ApiClient, drafts: tuple[dict[str, Any], ...]
) -> None:
    old, new = (draft["instance_id"] for draft in drafts)
    assert ids(api, "gd.sxd", view="organisation") == [old, new]
    assert ids(api, "gd.sxd", view="organisation", organisation="SXD") == [old, new]
    assert ids(api, "admin", view="organisation", organisation="SXD") == [old, new]
    for username, query, status in [
        ("gd.sxd", {"organisation": "STP"}, 403),  # heads SXD, not STP
        ("cv.sxd", {}, 403),  # heads nothing
        ("admin", {}, 400),  # may look anywhere, so must say where
        ("ct.xa", {}, 400),  # heads two organisations
    ]:
        response = api.as_user(username).get(
            "/tasks", query_string={"view": "organisation", **query}
        )
        assert response.status_code == status, (username, query)


def test_an_invisible_instance_is_404(api: ApiClient, drafts: tuple[dict[str, Any], ...]) -> None:
    response = api.as_user("cv.stc").get(
        "/tasks", query_string={"instance_id": drafts[0]["instance_id"]}
    )
    assert response.status_code == 404
    assert (
        api.as_user("cv.sxd").get("/tasks", query_string={"instance_id": 999999}).status_code == 404
    )


@pytest.mark.parametrize(
    "query",
    [
        {"view": "everything"},
        {"stage": "nope"},
        {"document_type": "luat"},
        {"overdue": "maybe"},
        {"due_within": "-1"},
        {"due_within": "366"},
        {"due_within": "soon"},
        {"limit": "0"},
        {"limit": "101"},
        {"offset": "-5"},
        {"instance_id": "0"},
        {"instance_id": "1", "view": "mine"},
        {"organisation": "SXD"},
        {"page": "2"},
    ],
)
def test_bad_query_parameters_are_400(api: ApiClient, query: dict[str, str]) -> None:
    response = api.as_user("gd.sxd").get("/tasks", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request" and response.get_json()["message"]
