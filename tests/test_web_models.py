"""Process models: listing definitions, the diagram page, uploads, the bundled models."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from tests.support.web import post_form, signed_in

MODEL = (DATA / "web_qd_ubnd_tinh.bpmn").read_bytes()
# The same process with its lane given a role Lexflow does not know.
BROKEN = MODEL.replace(
    b'<bpmn:lane id="Lane_drafter" name="drafter">', b'<bpmn:lane id="Lane_drafter" name="clerk">'
)
NOT_XML = b"<bpmn:definitions><oops"


def upload(client: FlaskClient, files: dict[str, bytes], note: str = "") -> Any:
    data = {"files": [(io.BytesIO(raw), name) for name, raw in files.items()], "note": note}
    return post_form(client, "/models", data, content_type="multipart/form-data")


@pytest.fixture
def owner(app: Flask) -> FlaskClient:
    return signed_in(app, "owner")


@pytest.fixture
def definition_id(lifecycle: Any) -> int:
    return lifecycle.engine.deploy({"web_qd_ubnd_tinh.bpmn": MODEL}, "owner", "first")[0].id


def test_pages_are_for_process_owners_and_administrators(
    app: Flask, lifecycle: Any, definition_id: int
) -> None:
    paths = ["/models", f"/models/{definition_id}", f"/models/{definition_id}/xml"]
    anonymous = app.test_client()
    drafter, owner, admin = (signed_in(app, u) for u in ("cv.sxd", "owner", "admin"))
    for path in paths:
        response = anonymous.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert drafter.get(path).status_code == 403
        assert owner.get(path).status_code == 200
        assert admin.get(path).status_code == 200
    assert upload(drafter, {"other.bpmn": MODEL}).status_code == 403
    assert post_form(drafter, "/models/bundled", {}).status_code == 403
    assert len(lifecycle.engine.definitions()) == 1


def test_the_list_and_the_diagram_page(owner: FlaskClient, definition_id: int) -> None:
    listing = owner.get("/models").get_data(as_text=True)
    assert 'data-key="qd_ubnd_tinh" data-version="1"' in listing and "first" in listing
    page = owner.get(f"/models/{definition_id}").get_data(as_text=True)
    assert f'data-diagram-url="/models/{definition_id}/xml"' in page
    assert "/assets/bpmn-js/bpmn-navigated-viewer.production.min.js" in page
    assert "/static/js/diagram.js" in page
    assert "<script>" not in page  # the CSP forbids inline scripts
    assert "Task_prepare" in page  # the steps people perform
    xml = owner.get(f"/models/{definition_id}/xml")
    assert xml.mimetype == "application/xml"
    assert xml.get_data() == MODEL
    assert owner.get("/models/999999").status_code == 404
    assert owner.get("/models/999999/xml").status_code == 404
    assert owner.get("/models/99999999999999999999999").status_code == 404


def test_diagram_script_reads_the_url_and_highlights(owner: FlaskClient) -> None:
    script = owner.get("/static/js/diagram.js").get_data(as_text=True)
    for needed in ("data-diagram-url", "completed", "active", "highlight-done", "addMarker"):
        assert needed in script


def test_upload_a_new_version(owner: FlaskClient, lifecycle: Any, definition_id: int) -> None:
    changed = MODEL.replace(b'name="Prepare the draft"', b'name="Prepare the draft (v2)"')
    response = upload(owner, {"web_qd_ubnd_tinh.bpmn": changed}, note="renamed the step")
    assert response.status_code == 302
    versions = lifecycle.engine.definitions("qd_ubnd_tinh")
    assert [(d.version, d.deployed_by, d.note) for d in versions] == [
        (1, "owner", "first"),
        (2, "owner", "renamed the step"),
    ]
    listing = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "qd_ubnd_tinh v2" in listing  # the flash
    every = owner.get("/models?all=1").get_data(as_text=True)
    assert every.count('data-key="qd_ubnd_tinh"') == 2
    assert owner.get("/models").get_data(as_text=True).count('data-key="qd_ubnd_tinh"') == 1


def test_a_broken_model_is_refused_with_its_element(owner: FlaskClient, lifecycle: Any) -> None:
    response = upload(owner, {"web_qd_ubnd_tinh.bpmn": BROKEN})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Task_prepare" in page and "clerk" in page
    assert lifecycle.engine.definitions() == []


def test_deployment_problems_speak_the_owners_language(owner: FlaskClient, lifecycle: Any) -> None:
    hostile = MODEL.replace(b'name="drafter">', b'name="clerk">').replace(
        b'name="organisation" value="lead_agency"',
        b'name="organisation" value="__import__(\'os\')"',
    )
    english = upload(owner, {"web_qd_ubnd_tinh.bpmn": hostile}).get_data(as_text=True)
    assert "the role &#39;clerk&#39; is not a role Lexflow knows" in english
    assert (
        "property &#39;organisation&#39;: The name &#39;__import__&#39; is not allowed at 1:1"
        in (english)
    )
    post_form(owner, "/language/vi", {})
    page = upload(owner, {"web_qd_ubnd_tinh.bpmn": hostile}).get_data(as_text=True)
    assert "“clerk” không phải vai trò Lexflow biết" in page
    assert "thuộc tính “organisation”: Không được dùng tên “__import__” tại 1:1" in page
    assert lifecycle.engine.definitions() == []


def test_malformed_xml_is_refused_with_its_line(owner: FlaskClient, lifecycle: Any) -> None:
    response = upload(owner, {"broken.bpmn": NOT_XML})
    assert response.status_code == 422
    assert "line" in response.get_data(as_text=True)
    assert lifecycle.engine.definitions() == []


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "at least one"),
        ({"notes.txt": b"hello"}, "is not a .bpmn"),
        ({"../../etc/evil.exe": b"x"}, "evil.exe is not a .bpmn"),
        ({"f" * 250 + ".json": b"{}"}, "at most 200 characters"),
        ({"a.bpmn": MODEL, "b/a.bpmn": MODEL}, "chosen twice"),
    ],
)
def test_uploads_that_are_not_models_are_refused(
    owner: FlaskClient, lifecycle: Any, files: dict, message: str
) -> None:
    response = upload(owner, files)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert lifecycle.engine.definitions() == []


def test_deploy_the_bundled_models(
    owner: FlaskClient, lifecycle: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real bundle is being written elsewhere; the button's wiring is what is tested here.
    monkeypatch.setattr(
        "workflows.lifecycle.model_files", lambda directory=None: {"web_qd_ubnd_tinh.bpmn": MODEL}
    )
    response = post_form(owner, "/models/bundled", {})
    assert response.status_code == 302
    [definition] = lifecycle.engine.definitions()
    assert (definition.key, definition.deployed_by) == ("qd_ubnd_tinh", "owner")
    again = post_form(owner, "/models/bundled", {})
    assert "Unchanged" in owner.get(again.headers["Location"]).get_data(as_text=True)


def test_a_broken_bundle_is_shown_not_crashed(
    owner: FlaskClient, lifecycle: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "workflows.lifecycle.model_files", lambda directory=None: {"x.bpmn": BROKEN}
    )
    response = post_form(owner, "/models/bundled", {})
    assert response.status_code == 422 and "Task_prepare" in response.get_data(as_text=True)


def test_filters_and_pages(app: Flask, owner: FlaskClient, lifecycle: Any) -> None:
    form = Path(DATA / "draft_form.json").read_bytes()
    lifecycle.engine.deploy({"web_qd_ubnd_tinh.bpmn": MODEL, "draft_form.json": form}, "owner")
    assert owner.get("/models?kind=json").get_data(as_text=True).count("data-key=") == 1
    assert owner.get("/models?q=qd_ubnd").get_data(as_text=True).count("data-key=") == 1
    app.config["PAGE_SIZE"] = 1
    assert owner.get("/models?page=2").get_data(as_text=True).count("data-key=") == 1
    assert owner.get("/models?kind=exe").status_code == 400
    assert owner.get("/models?page=x").status_code == 400
