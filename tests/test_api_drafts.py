"""``/drafts``: registering drafts (drafters and heads of the lead agency) and reading them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.openapi import (
    ApiClient,
    api_fixture,  # noqa: F401
    deployed_fixture,  # noqa: F401
    new_draft,
)
from workflows.lifecycle import Lifecycle

pytestmark = pytest.mark.usefixtures("deployed")


@pytest.mark.parametrize("username", ["cv.sxd", "gd.sxd", "admin"])
def test_drafters_heads_and_admins_register_drafts(api: ApiClient, username: str) -> None:
    draft = new_draft(
        api,
        username,
        plan_year=2026,
        target_date="2026-12-31",
        summary="Tóm tắt",
        consulted_agencies=["STC"],
    )
    assert draft["code"].startswith("DT-") and draft["status"] == "active"
    assert draft["stage"] == "drafting" and draft["instance_id"] is not None
    assert draft["issuing_body"] == "UBND_T" and draft["target_date"] == "2026-12-31"
    assert draft["created_by"] == username and draft["created_at"].endswith("+00:00")
    shown = api.as_user("cv.sxd").get(f"/drafts/{draft['id']}")
    assert shown.get_json() == draft


@pytest.mark.parametrize(
    ("username", "lead_agency"),
    [("tdv.stp", "SXD"), ("cv.sxd", "STC"), ("owner", "SXD"), ("kt.stp", "SXD")],
)
def test_others_may_not_register_drafts(api: ApiClient, username: str, lead_agency: str) -> None:
    body = {"title": "Quy định phí tham quan", "document_type": "qd_ubnd_tinh",
            "lead_agency": lead_agency}  # fmt: skip
    response = api.as_user(username).post("/drafts", json=body)
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"title": None}, "title"),
        ({"title": "Ngắn"}, "title"),
        ({"document_type": "luat"}, "document_type"),
        ({"target_date": "2026-13-40"}, "target_date"),
        ({"plan_year": "2026"}, "plan_year"),
        ({"colour": "red"}, "colour"),
        ({"lead_agency": "NOWHERE"}, "NOWHERE"),
        ({"ground": "whim"}, "ground"),
        ({"document_type": "nq_hdnd_tinh"}, "nq_hdnd_tinh"),  # its process is not deployed
    ],
)
def test_invalid_drafts_are_422(api: ApiClient, change: dict[str, Any], named: str) -> None:
    body = {"title": "Quy định phí tham quan", "document_type": "qd_ubnd_tinh",
            "lead_agency": "SXD", **change}  # fmt: skip
    body = {key: value for key, value in body.items() if value is not None}
    response = api.as_user("cv.sxd").post("/drafts", json=body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()
    assert error["error"] == "invalid_data"
    assert named in str(error)
    assert api.as_user("admin").get("/drafts").get_json()["total"] == 0


def test_drafts_of_another_agency_are_invisible(api: ApiClient, lifecycle: Lifecycle) -> None:
    draft = new_draft(api)
    other = api.as_user("cv.stc")
    assert other.get("/drafts").get_json() == {"items": [], "total": 0, "limit": 25, "offset": 0}
    hidden = other.get(f"/drafts/{draft['id']}")
    assert hidden.status_code == 404  # exactly like a draft that does not exist
    assert hidden.get_json() == {"error": "not_found", "message": f"no draft {draft['id']}"}
    for reader in ("kt.stp", "owner", "ct.ubnd", "gd.sxd", "cv2.sxd"):
        assert api.as_user(reader).get("/drafts").get_json()["total"] == 1, reader


def test_list_filters_and_paging(api: ApiClient) -> None:
    first = new_draft(api, title="Quy định về phí tham quan")
    second = new_draft(api, title="Quy định về lệ phí cấp phép")
    reader = api.as_user("cv.sxd")

    def codes(**query: Any) -> list[str]:
        response = reader.get("/drafts", query_string=query)
        assert response.status_code == 200
        return [d["code"] for d in response.get_json()["items"]]

    assert codes() == [second["code"], first["code"]]
    assert codes(text="lệ phí") == [second["code"]]
    assert codes(text=first["code"]) == [first["code"]]
    assert codes(document_type="qd_ubnd_tinh", stage="drafting", status="active") == [
        second["code"],
        first["code"],
    ]
    assert codes(stage="appraisal") == []
    assert codes(lead_agency="STC") == []
    assert codes(plan_year=first["plan_year"] + 1) == []
    page = reader.get("/drafts", query_string={"limit": 1, "offset": 1}).get_json()
    assert page["total"] == 2 and page["limit"] == 1 and page["offset"] == 1
    assert [d["code"] for d in page["items"]] == [first["code"]]


@pytest.mark.parametrize(
    "query",
    [
        {"stage": "nope"},
        {"document_type": "luat"},
        {"status": "lost"},
        {"plan_year": "abc"},
        {"plan_year": "1999"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "many"},
        {"offset": "-1"},
        {"bogus": "1"},
        {"text": "x" * 201},
    ],
)
def test_bad_query_parameters_are_400(api: ApiClient, query: dict[str, str]) -> None:
    response = api.as_user("cv.sxd").get("/drafts", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request" and response.get_json()["message"]


def test_unknown_and_malformed_ids_are_404(api: ApiClient) -> None:
    reader = api.as_user("admin")
    assert reader.get("/drafts/424242").status_code == 404
    assert reader.get("/drafts/abc").status_code == 404


@pytest.mark.parametrize(
    ("body", "named"),
    [
        # A commune document for another commune than its lead agency's (or for none).
        ({"document_type": "qd_ubnd_xa", "lead_agency": "XA_A_VP", "commune": "TT"}, "XA_A"),
        ({"document_type": "qd_ubnd_xa", "lead_agency": "SXD"}, "SXD"),
        # A commune office leading a provincial document.
        ({"document_type": "qd_ubnd_tinh", "lead_agency": "XA_A_VP"}, "XA_A_VP"),
        # A province's department consulted on a commune's draft, and the other way round.
        (
            {
                "document_type": "qd_ubnd_xa",
                "lead_agency": "XA_A_VP",
                "consulted_agencies": ["STC"],
            },
            "STC",
        ),
        (
            {
                "document_type": "qd_ubnd_tinh",
                "lead_agency": "SXD",
                "consulted_agencies": ["XA_A_TP"],
            },
            "XA_A_TP",
        ),
    ],
)
def test_every_organisation_in_a_new_draft_is_checked_against_its_level(
    api: ApiClient, body: dict[str, Any], named: str
) -> None:
    """The commune is derived from the lead agency, never trusted from the request."""
    response = api.as_user("admin").post("/drafts", json={"title": "Quy định phí chợ xã", **body})
    assert response.status_code == 422, response.get_json()
    assert named in response.get_json()["message"]
