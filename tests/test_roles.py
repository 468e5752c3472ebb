"""Roles are data: a process owner adds a role on its page, and a lane may name it at once."""

from __future__ import annotations

import io

from flask import Flask
from sqlalchemy import select

from engine.models import AuditEvent
from tests.conftest import DATA
from tests.support.web import post_form, signed_in
from workflows.lifecycle import Lifecycle
from workflows.roles import lane_roles

MODEL = (DATA / "web_qd_ubnd_tinh.bpmn").read_bytes()
NEW_LANE = MODEL.replace(b'name="drafter">', b'name="legal_officer">')


def test_a_new_role_lets_a_lane_name_it(app: Flask, lifecycle: Lifecycle) -> None:
    owner = signed_in(app, "owner")
    upload = {"files": [(io.BytesIO(NEW_LANE), "m.bpmn")]}
    refused = post_form(owner, "/models", upload, content_type="multipart/form-data")
    assert refused.status_code == 422 and "legal_officer" in refused.get_data(as_text=True)

    page = owner.get("/admin/roles").get_data(as_text=True)
    assert 'data-role="drafter"' in page and "admin/organisations" not in page  # no admin tabs
    added = post_form(
        owner,
        "/admin/roles",
        {"code": "legal_officer", "name_vi": "Chuyên viên pháp chế", "name_en": "Legal officer"},
    )
    assert added.status_code == 302
    assert 'data-role="legal_officer"' in owner.get("/admin/roles").get_data(as_text=True)
    with lifecycle.db.read() as session:
        assert "legal_officer" in lane_roles(session)
        [event] = session.execute(
            select(AuditEvent).where(AuditEvent.stream == "admin:role")
        ).scalars()
        assert (event.actor, event.action, event.data["code"]) == ("owner", "add", "legal_officer")

    upload = {"files": [(io.BytesIO(NEW_LANE), "m.bpmn")]}
    deployed = post_form(owner, "/models", upload, content_type="multipart/form-data")
    assert deployed.status_code == 302
    [definition] = lifecycle.engine.definitions()
    assert definition.key == "qd_ubnd_tinh"


def test_a_role_needs_a_valid_new_code_and_both_names(app: Flask) -> None:
    owner = signed_in(app, "owner")
    for fields, says in [
        ({"code": "Bad-Code", "name_vi": "X", "name_en": "X"}, "lower-case letters"),
        ({"code": "drafter", "name_vi": "X", "name_en": "X"}, "exists"),
        ({"code": "clerk", "name_vi": "Thư ký", "name_en": ""}, "give a name"),
    ]:
        response = post_form(owner, "/admin/roles", fields)
        assert response.status_code == 422 and says in response.get_data(as_text=True)
    assert post_form(signed_in(app, "cv.sxd"), "/admin/roles", {"code": "x1"}).status_code == 403
    assert signed_in(app, "admin").get("/admin/roles").status_code == 200
