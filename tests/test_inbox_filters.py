"""Saved inbox filters: saved from the inbox, shown as tabs to the owner and to colleagues of
the organisation they are shared with, changed only by their owner (pages and API)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.models import AuditEvent
from tests.support.openapi import ApiClient, api_fixture  # noqa: F401
from tests.support.web import post_form, signed_in

URGENT_MINE = {"tab": "mine", "priority": "urgent", "sort": "follow_up"}


def _tabs(client: Any) -> dict[str, str]:
    """Saved-filter tabs of the inbox: id -> href."""
    page = client.get("/inbox").get_data(as_text=True)
    return {
        match[1]: match[0].replace("&amp;", "&")
        for match in re.findall(
            r'<a href="([^"]+)" class="tab saved-filter[^"]*"[^>]*data-saved-filter="(\d+)"', page
        )
    }


def test_a_filter_shared_with_my_organisation_is_a_tab_for_my_colleagues(
    app: Flask, lifecycle: Any
) -> None:
    owner = signed_in(app, "cv.sxd")
    saved = post_form(
        owner, "/inbox/filters", {**URGENT_MINE, "name": "Khẩn của tôi", "share_with": "SXD"}
    )
    assert saved.status_code == 302
    [filter_id] = re.findall(r"saved=(\d+)", saved.headers["Location"])
    colleague, stranger = signed_in(app, "cv2.sxd"), signed_in(app, "cv.stc")
    href = _tabs(colleague)[filter_id]
    assert "priority=urgent" in href and "tab=mine" in href and "sort=follow_up" in href
    opened = colleague.get(href).get_data(as_text=True)
    assert 'aria-current="page"' in opened and 'value="urgent" selected' in opened
    assert 'id="rename-filter"' not in opened  # only the owner renames and deletes
    assert filter_id not in _tabs(stranger)
    # After htmx reloads the rows for a changed filter, the save form sends the new filters
    rows = owner.get("/inbox?tab=offered&stage=drafting", headers={"HX-Request": "true"})
    oob = rows.get_data(as_text=True).split('id="save-filter-params" hx-swap-oob="true"')[1]
    assert 'name="stage" value="drafting"' in oob and 'name="tab" value="offered"' in oob
    assert 'id="rename-filter"' in owner.get(href).get_data(as_text=True)
    # Refused: another organisation, a parameter the inbox does not know or a bad value, a name
    # already used; a colleague or a stranger changing it
    for fields, status in [
        ({"name": "Của STP", "share_with": "STP"}, 403),
        ({"name": "Sai", "priority": "soon"}, 422),
        ({"name": "Khẩn của tôi"}, 422),
        ({"name": ""}, 422),
    ]:
        assert post_form(owner, "/inbox/filters", fields).status_code == status, fields
    assert post_form(colleague, f"/inbox/filters/{filter_id}/delete", {}).status_code == 403
    assert (
        post_form(colleague, f"/inbox/filters/{filter_id}", {"name": "Của tôi"}).status_code == 403
    )
    assert post_form(stranger, f"/inbox/filters/{filter_id}/delete", {}).status_code == 404
    # The owner renames, stops sharing, deletes
    renamed = post_form(owner, f"/inbox/filters/{filter_id}", {"name": "Khẩn", "share_with": ""})
    assert renamed.status_code == 302
    assert filter_id not in _tabs(colleague)
    assert post_form(owner, f"/inbox/filters/{filter_id}/delete", {}).status_code == 302
    assert _tabs(owner) == {}
    with lifecycle.db.read() as session:
        actions = (
            session.execute(
                select(AuditEvent.action)
                .where(AuditEvent.stream == f"inbox_filter:{filter_id}")
                .order_by(AuditEvent.seq)
            )
            .scalars()
            .all()
        )
    assert actions == ["inbox_filter_created", "inbox_filter_updated", "inbox_filter_deleted"]


def test_the_api_lists_saves_and_deletes(api: ApiClient) -> None:
    owner = api.as_user("cv.sxd")
    body = {"name": "Theo dõi hôm nay", "params": {"tab": "mine", "follow_up": "due"},
            "shared_with_organisation": "SXD"}  # fmt: skip
    created = owner.post("/inbox/filters", json=body)
    assert created.status_code == 201, created.get_json()
    filter_id = created.get_json()["id"]
    [seen] = api.as_user("gd.sxd").get("/inbox/filters").get_json()
    assert (seen["id"], seen["mine"], seen["params"]) == (filter_id, False, body["params"])
    assert api.as_user("tdv.stp").get("/inbox/filters").get_json() == []
    for refused, status in [
        ({**body, "name": "Khác", "shared_with_organisation": "STP"}, 403),
        ({**body, "name": "Khác", "params": {"colour": "red"}}, 422),
        ({**body, "name": "Khác", "params": {"sort": "random"}}, 422),
    ]:
        assert owner.post("/inbox/filters", json=refused).status_code == status, refused
    assert api.as_user("gd.sxd").delete(f"/inbox/filters/{filter_id}").status_code == 403
    assert api.as_user("tdv.stp").delete(f"/inbox/filters/{filter_id}").status_code == 404
    assert owner.delete(f"/inbox/filters/{filter_id}").status_code == 200
    assert owner.get("/inbox/filters").get_json() == []
