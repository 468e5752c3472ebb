"""The browser modeler's pages and JSON calls over HTTP: who gets in, drafts, checks, deploys.

Draft models are saved and listed, a check reports what a deployment would refuse and
stores nothing, a deploy goes through the engine's validation and keeps its note, and an
expression is checked by the engine's safe checker. The editor itself is driven in
Chromium by tests/browser/test_modeler.py.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from tests.support.web import csrf_token, post_form, signed_in
from workflows import model_drafts

MODEL = (DATA / "web_qd_ubnd_tinh.bpmn").read_text()
KEY = "qd_ubnd_tinh"
# The same process with its lane given a role Lexflow does not know.
UNKNOWN_ROLE = MODEL.replace(
    '<bpmn:lane id="Lane_drafter" name="drafter">', '<bpmn:lane id="Lane_drafter" name="clerk">'
)
RENAMED = MODEL.replace('name="Prepare the draft"', 'name="Prepare the first draft"')


class Caller:
    """A signed-in client sending the editor's JSON calls with its session's CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_token(client, "/modeler")

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            path, json=body, headers={"X-CSRFToken": self.token, "Accept": "application/json"}
        )


@pytest.fixture
def owner(app: Flask) -> Caller:
    return Caller(signed_in(app, "owner"))


@pytest.fixture
def definition_id(lifecycle: Any) -> int:
    return lifecycle.engine.deploy({f"{KEY}.bpmn": MODEL}, "owner", "first")[0].id


def _drafts(lifecycle: Any) -> list[model_drafts.ModelDraft]:
    with lifecycle.db.read() as session:
        return model_drafts.listed(session)


def test_only_process_owners_and_administrators_get_in(
    app: Flask, lifecycle: Any, definition_id: int
) -> None:
    drafter = signed_in(app, "cv.sxd")
    token = csrf_token(drafter, "/inbox")
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    assert drafter.get("/modeler").status_code == 403
    assert drafter.get(f"/modeler/definitions/{definition_id}").status_code == 403
    assert drafter.get("/modeler/catalog.json").status_code == 403
    for path in ("/modeler/drafts", "/modeler/check", "/modeler/deploy"):
        answer = drafter.post(path, json={"xml": MODEL, "note": "x"}, headers=headers)
        assert answer.status_code == 403, path
    assert _drafts(lifecycle) == []
    assert len(lifecycle.engine.definitions(KEY)) == 1
    for username in ("owner", "admin"):
        page = signed_in(app, username).get(f"/modeler/definitions/{definition_id}")
        assert page.status_code == 200
        assert 'id="modeler-config"' in page.get_data(as_text=True)


def test_a_draft_is_saved_listed_and_deployed_as_a_version_with_its_note(
    app: Flask, lifecycle: Any, owner: Caller, definition_id: int
) -> None:
    created = owner.post("/modeler/drafts", {"xml": MODEL, "base_definition_id": definition_id})
    assert created.status_code == 201, created.get_json()
    draft = created.get_json()
    assert (draft["key"], draft["author"]) == (KEY, "owner")
    saved = owner.post(draft["save_url"], {"xml": RENAMED})
    assert saved.status_code == 200
    assert "Prepare the first draft" in owner.client.get(f"/modeler/drafts/{draft['id']}/xml").text
    listing = owner.client.get("/modeler").get_data(as_text=True)
    assert f'data-draft="{draft["id"]}"' in listing
    assert owner.client.get(draft["url"]).status_code == 200

    no_note = owner.post("/modeler/deploy", {"xml": RENAMED, "draft_id": draft["id"]})
    assert no_note.status_code == 422
    deployed = owner.post(
        "/modeler/deploy", {"xml": RENAMED, "note": "Renamed the step", "draft_id": draft["id"]}
    )
    assert deployed.status_code == 200, deployed.get_json()
    assert deployed.get_json()["version"] == 2
    versions = lifecycle.engine.definitions(KEY)
    assert [(v.version, v.note, v.deployed_by) for v in versions] == [
        (1, "first", "owner"),
        (2, "Renamed the step", "owner"),
    ]
    assert _drafts(lifecycle) == []  # the draft became version 2
    show = owner.client.get(f"/models/{versions[-1].id}").get_data(as_text=True)
    assert "Renamed the step" in show  # the version list shows who, when and the note


def test_a_check_reports_what_a_deployment_refuses_and_stores_nothing(
    lifecycle: Any, owner: Caller, definition_id: int
) -> None:
    clean = owner.post("/modeler/check", {"kind": "bpmn", "xml": MODEL})
    assert clean.get_json() == {"ok": True, "problems": []}
    checked = owner.post("/modeler/check", {"kind": "bpmn", "xml": UNKNOWN_ROLE}).get_json()
    assert checked["ok"] is False
    # the lane that names the role and the task in it (lexflow/role-known checks both)
    assert {p["element_id"] for p in checked["problems"]} == {"Lane_drafter", "Task_prepare"}
    assert all(p["severity"] == "error" and "clerk" in p["message"] for p in checked["problems"])
    refused = owner.post("/modeler/deploy", {"xml": UNKNOWN_ROLE, "note": "Try a clerk"})
    assert refused.status_code == 422
    assert "Task_prepare" in {p["element_id"] for p in refused.get_json()["problems"]}
    assert len(lifecycle.engine.definitions(KEY)) == 1  # neither the check nor the refusal
    not_xml = owner.post("/modeler/check", {"kind": "bpmn", "xml": "<bpmn:definitions><oops"})
    assert not_xml.status_code == 200 and not_xml.get_json()["ok"] is False
    assert owner.post("/modeler/check", {"kind": "dmn", "xml": MODEL}).status_code == 400
    assert owner.post("/modeler/drafts", {"xml": "<oops"}).status_code == 422


def test_expressions_and_scripts_are_checked_by_the_safe_checker(owner: Caller) -> None:
    def check(kind: str, source: str) -> Any:
        return owner.post("/modeler/check-expression", {"kind": kind, "source": source})

    assert check("expression", 'decision == "approve"').get_json() == {"ok": True, "message": ""}
    assert check("script", "procedure = 'normal'").get_json()["ok"] is True
    broken = check("expression", '"Title: " +').get_json()
    assert broken["ok"] is False and broken["message"]
    assert check("expression", "__import__('os')").get_json()["ok"] is False
    assert check("python", "1").status_code == 400


def test_a_new_model_from_the_template_and_an_imported_file_open_as_drafts(
    app: Flask, lifecycle: Any, owner: Caller
) -> None:
    client = owner.client
    created = post_form(client, "/modeler/new", {"key": "quy_trinh_moi", "name": "Quy trình mới"})
    assert created.status_code == 302
    template = client.get(created.headers["Location"] + "/xml").text
    assert 'name="role" value="drafter"' in template
    draft_id = int(created.headers["Location"].rsplit("/", 1)[1])
    deployed = owner.post(
        "/modeler/deploy", {"xml": template, "note": "From the template", "draft_id": draft_id}
    )
    assert deployed.status_code == 200, deployed.get_json()  # a valid Lexflow process
    refused = post_form(client, "/modeler/new", {"key": "1 bad key"})
    assert refused.status_code == 303

    imported = post_form(
        client,
        "/modeler/import",
        {"file": (io.BytesIO(MODEL.encode()), "from-camunda.bpmn")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302
    assert [d.key for d in _drafts(lifecycle)] == [KEY]
    not_bpmn = post_form(
        client,
        "/modeler/import",
        {"file": (io.BytesIO(b"<oops"), "broken.bpmn")},
        content_type="multipart/form-data",
    )
    assert not_bpmn.status_code == 303
    assert len(_drafts(lifecycle)) == 1
