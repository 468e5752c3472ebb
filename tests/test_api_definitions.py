"""``/definitions``: reading models (everyone), deploying them (process owners, admins)."""

from __future__ import annotations

import io

import pytest

from tests.conftest import read_model
from tests.support.openapi import (
    TEST_MODELS,
    ApiClient,
    api_fixture,  # noqa: F401
)


def _multipart(*names: str, note: str | None = None) -> dict[str, object]:
    data: dict[str, object] = {"files": [(io.BytesIO(read_model(n)), n) for n in names]}
    if note:
        data["note"] = note
    return data


def test_owner_deploys_a_bundle_by_multipart_and_again_unchanged(api: ApiClient) -> None:
    owner = api.as_user("owner")
    first = owner.post("/definitions", data=_multipart(*TEST_MODELS, note="first"))
    assert first.status_code == 201
    deployed = {d["key"]: d for d in first.get_json()}
    assert set(deployed) == {"qd_ubnd_tinh", "draft_form.json", "appraisal_form.json"}
    assert deployed["qd_ubnd_tinh"]["created"] is True
    assert deployed["qd_ubnd_tinh"]["deployed_by"] == "owner"
    assert deployed["qd_ubnd_tinh"]["note"] == "first"
    again = owner.post("/definitions", data=_multipart(*TEST_MODELS))
    assert again.status_code == 200
    assert not any(d["created"] for d in again.get_json())


def test_admin_deploys_by_json_and_everyone_reads(api: ApiClient) -> None:
    files = {name: read_model(name).decode("utf-8") for name in TEST_MODELS}
    created = api.as_user("admin").post("/definitions", json={"files": files, "note": "json"})
    assert created.status_code == 201
    reader = api.as_user("cv.stc")
    listed = reader.get("/definitions").get_json()
    assert {d["key"] for d in listed} == {"qd_ubnd_tinh", "draft_form.json", "appraisal_form.json"}
    only = reader.get("/definitions", query_string={"key": "qd_ubnd_tinh", "latest": "true"})
    [process] = only.get_json()
    detail = reader.get(f"/definitions/{process['id']}").get_json()
    assert detail["kind"] == "bpmn" and 'id="qd_ubnd_tinh"' in detail["xml"]
    assert reader.get("/definitions/999999").status_code == 404


@pytest.mark.parametrize("username", ["cv.sxd", "gd.sxd", "tdv.stp", "kt.stp"])
def test_only_process_owners_and_admins_deploy(api: ApiClient, username: str) -> None:
    response = api.as_user(username).post("/definitions", data=_multipart(*TEST_MODELS))
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert api.as_user(username).get("/definitions").get_json() == []


def test_a_rejected_model_says_where(api: ApiClient) -> None:
    xml = read_model("api_qd_ubnd_tinh.bpmn").decode("utf-8")
    broken = xml.replace('value="appraiser"', 'value="wizard"')
    files = {"broken.bpmn": broken}
    files.update({n: read_model(n).decode("utf-8") for n in TEST_MODELS[1:]})
    response = api.as_user("owner").post("/definitions", json={"files": files})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_definition"
    assert body["element_id"] == "Task_appraise" and body["line"] > 1
    assert "wizard" in body["details"][0]["message"]
    malformed = api.as_user("owner").post("/definitions", json={"files": {"x.bpmn": "<bpmn"}})
    assert malformed.status_code == 422 and malformed.get_json()["line"] == 1


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": {"note": "no files"}}, 400),
        ({"data": "plain text", "content_type": "text/plain"}, 400),
        ({"data": "{not json", "content_type": "application/json"}, 400),
        ({"json": ["a", "list"]}, 400),
        ({"json": {"files": {}}}, 422),
        ({"json": {"files": {"a.bpmn": 1}}}, 422),
        ({"json": {"files": {"a.bpmn": "<x/>"}, "extra": 1}}, 422),
    ],
)
def test_malformed_deployments_are_refused(
    api: ApiClient, kwargs: dict[str, object], status: int
) -> None:
    response = api.as_user("owner").post("/definitions", **kwargs)
    assert response.status_code == status, response.get_json()


@pytest.mark.parametrize("query", [{"latest": "maybe"}, {"bogus": "1"}, {"key": "k" * 201}])
def test_bad_query_parameters_are_400(api: ApiClient, query: dict[str, str]) -> None:
    response = api.as_user("owner").get("/definitions", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"
