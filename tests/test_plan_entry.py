"""Entering and editing items of the annual plan, and an approved registration entering it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine import audit, clock
from engine.models import AuditEvent
from engine.specs import UserTaskInfo
from engine.task_queries import TaskInfo
from tests.support.web import csrf_token, post_form, signed_in
from workflows.autopilot import Autopilot
from workflows.calendar import vietnam_date
from workflows.directory import Organisation
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle
from workflows.plan import PlanItem

YEAR = 2027
ITEM = {
    "year": str(YEAR),
    "title": "Quy định giá dịch vụ thu gom rác thải sinh hoạt",
    "document_type": "qd_ubnd_tinh",
    "lead_agency": "SXD",
    "target_session": "Phiên họp thường kỳ tháng 6/2027 của UBND tỉnh",
    "target_date": "30/06/2027",
    "origin": "plan",
}


def _items(lifecycle: Lifecycle) -> list[PlanItem]:
    with lifecycle.db.read() as session:
        rows = session.execute(select(PlanItem).order_by(PlanItem.id)).scalars().all()
        session.expunge_all()
        return list(rows)


def _stream(lifecycle: Lifecycle, item_id: int) -> list[tuple[str, str]]:
    with lifecycle.db.read() as session:
        assert audit.verify(session, f"plan:{item_id}").ok
        events = session.execute(
            select(AuditEvent)
            .where(AuditEvent.stream == f"plan:{item_id}")
            .order_by(AuditEvent.seq)
        ).scalars()
        return [(event.actor, event.action) for event in events]


def _add_item(lifecycle: Lifecycle, **fields: Any) -> int:
    values: dict[str, Any] = {
        "year": YEAR,
        "title": "Mục kế hoạch có sẵn",
        "document_type": "qd_ubnd_tinh",
        "lead_agency": "SXD",
        "target_session": None,
        "target_date": date(YEAR, 6, 30),
        "origin": "plan",
        "created_by": "system",
        "created_at": clock.now(),
        **fields,
    }
    with lifecycle.db.write() as session:
        item = PlanItem(**values)
        session.add(item)
        session.flush()
        return item.id


# Entering and editing by hand ----------------------------------------------------------------
@pytest.mark.parametrize("user", ["cv.vpubnd", "tdv.stp", "kt.stp", "admin"])
def test_a_plan_keeper_enters_an_item_and_edits_it(app: Flask, lifecycle: Any, user: str) -> None:
    client = signed_in(app, user)
    plan = client.get(f"/plan?year={YEAR}").get_data(as_text=True)
    assert f'href="/plan/items/new?year={YEAR}"' in plan

    created = post_form(client, "/plan/items/new", ITEM, token_from="/plan/items/new")
    assert created.status_code == 302 and created.location.endswith(f"/plan?year={YEAR}")
    [item] = _items(lifecycle)
    assert (item.year, item.title, item.lead_agency, item.target_date) == (
        YEAR,
        ITEM["title"],
        "SXD",
        date(2027, 6, 30),
    )
    assert (item.origin, item.created_by) == ("plan", user)
    page = client.get(f"/plan?year={YEAR}").get_data(as_text=True)
    assert ITEM["title"] in page and f'href="/plan/items/{item.id}/edit"' in page

    form = client.get(f"/plan/items/{item.id}/edit").get_data(as_text=True)
    assert 'value="2027-06-30"' in form and ITEM["target_session"] in form
    changed = {**ITEM, "target_session": "Phiên họp tháng 9", "target_date": "2027-09-30"}
    changed["origin"] = "arising"
    edited = post_form(client, f"/plan/items/{item.id}/edit", changed)
    assert edited.status_code == 302
    [item] = _items(lifecycle)
    assert (item.target_session, item.target_date, item.origin) == (
        "Phiên họp tháng 9",
        date(2027, 9, 30),
        "arising",
    )
    assert _stream(lifecycle, item.id) == [
        (user, "plan_item_created"),
        (user, "plan_item_updated"),
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"year": "1999"}, "year", "The year is between 2000 and 2100."),
        ({"year": "hai nghìn"}, "year", "The year is a year such as 2027."),
        ({"title": "Quy"}, "title", "The title needs 5 to 500 characters."),
        ({"title": "x" * 501}, "title", "The title needs 5 to 500 characters."),
        ({"document_type": "nope"}, "document_type", "Choose a document type."),
        ({"lead_agency": "NOPE"}, "lead_agency", "Choose an active organisation as lead agency."),
        ({"lead_agency": "SKHCN"}, "lead_agency", "Choose an active organisation as lead agency."),
        ({"target_date": "31/12/2026"}, "target_date", "The target date is in the plan year 2027"),
        ({"target_date": "31-12-2027"}, "target_date", "The target date is a date such as"),
        ({"target_session": "k" * 201}, "target_session", "at most 200 characters."),
        ({"origin": "gift"}, "origin", "The origin is the annual plan or arising"),
    ],
)
def test_wrong_fields_are_refused_beside_the_field(
    app: Flask, lifecycle: Any, change: dict[str, str], field: str, message: str
) -> None:
    with lifecycle.db.write() as session:
        organisation = session.get(Organisation, "SKHCN")
        assert organisation is not None
        organisation.active = False
    client = signed_in(app, "cv.vpubnd")
    response = post_form(
        client, "/plan/items/new", {**ITEM, **change}, token_from="/plan/items/new"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    match = re.search(rf'<p class="field-error" id="{field}-error" role="alert">([^<]*)</p>', page)
    assert match and message in match.group(1)
    assert _items(lifecycle) == []


def test_several_wrong_fields_are_each_reported(app: Flask, lifecycle: Any) -> None:
    client = signed_in(app, "tdv.stp")
    bad = {**ITEM, "year": "2101", "title": "", "lead_agency": ""}
    page = post_form(client, "/plan/items/new", bad, token_from="/plan/items/new")
    assert page.status_code == 422
    assert set(re.findall(r'id="([a-z_]+)-error"', page.get_data(as_text=True))) == {
        "year",
        "title",
        "lead_agency",
    }


@pytest.mark.parametrize("user", ["cv.sxd", "gd.sxd", "ct.ubnd", "cv.vphdnd"])
def test_others_may_not_enter_or_edit_items(app: Flask, lifecycle: Any, user: str) -> None:
    item_id = _add_item(lifecycle)
    client = signed_in(app, user)
    page = client.get(f"/plan?year={YEAR}").get_data(as_text=True)
    assert "/plan/items/new" not in page and f"/plan/items/{item_id}/edit" not in page
    assert client.get("/plan/items/new").status_code == 403
    assert client.get(f"/plan/items/{item_id}/edit").status_code == 403
    token = csrf_token(client, "/inbox")
    for path in ("/plan/items/new", f"/plan/items/{item_id}/edit"):
        assert client.post(path, data={**ITEM, "csrf_token": token}).status_code == 403
    [item] = _items(lifecycle)
    assert item.title == "Mục kế hoạch có sẵn"


def test_editing_an_unknown_item_is_404(app: Flask, lifecycle: Any) -> None:
    client = signed_in(app, "cv.vpubnd")
    assert client.get("/plan/items/999/edit").status_code == 404
    assert post_form(client, "/plan/items/999/edit", ITEM).status_code == 404


def test_an_item_whose_draft_has_started_keeps_its_type_and_lead_agency(
    app: Flask, lifecycle: Any
) -> None:
    item_id = _add_item(lifecycle)
    now = clock.now()
    with lifecycle.db.write() as session:
        session.add(
            Draft(
                code="DT-2027-001",
                title="Mục kế hoạch có sẵn",
                document_type="qd_ubnd_tinh",
                issuing_body="UBND_T",
                lead_agency="SXD",
                plan_year=YEAR,
                stage="drafting",
                status="active",
                plan_item_id=item_id,
                rules_as_of=vietnam_date(now),
                created_by="cv.sxd",
                created_at=now,
                updated_at=now,
            )
        )
    client = signed_in(app, "cv.vpubnd")
    form = client.get(f"/plan/items/{item_id}/edit").get_data(as_text=True)
    assert re.search(r'<select id="lead_agency" name="lead_agency" required disabled', form)
    # The disabled pickers are not submitted: the target moves, type and agency stay.
    moved = {**ITEM, "target_session": "Phiên họp tháng 12", "target_date": "2027-12-30"}
    del moved["lead_agency"], moved["document_type"]
    assert post_form(client, f"/plan/items/{item_id}/edit", moved).status_code == 302
    [item] = _items(lifecycle)
    assert (item.target_session, item.target_date) == ("Phiên họp tháng 12", date(2027, 12, 30))
    assert (item.lead_agency, item.document_type) == ("SXD", "qd_ubnd_tinh")
    # Asking for another agency or type is refused, beside each field.
    other = {**moved, "lead_agency": "STC", "document_type": "nq_hdnd_tinh"}
    refused = post_form(client, f"/plan/items/{item_id}/edit", other)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "its lead agency can no longer change" in page
    assert "its document type can no longer change" in page
    [item] = _items(lifecycle)
    assert (item.lead_agency, item.document_type) == ("SXD", "qd_ubnd_tinh")


# An approved registration enters the plan ------------------------------------------------------
SESSION_ANSWER = "Kỳ họp thường lệ giữa năm 2027"


def _answer_session(
    task: TaskInfo, info: UserTaskInfo | None, data: Mapping[str, Any]
) -> dict[str, Any] | None:
    if task.element_id.endswith("_register"):
        text = "Nội dung do hệ thống điền minh họa."
        return {"necessity": text, "main_content": text, "target_session": SESSION_ANSWER}
    return None


def _registered(lifecycle: Lifecycle, title: str, plan_item_id: int | None = None) -> Draft:
    """A draft of YEAR's plan walked until its registration is approved."""
    with lifecycle.db.write() as session:
        draft = lifecycle.start_draft(
            session,
            lifecycle.engine.actor("cv.sxd"),
            title=title,
            document_type="qd_ubnd_tinh",
            lead_agency="SXD",
            plan_year=YEAR,
            target_date=date(YEAR, 7, 31),
            plan_item_id=plan_item_id,
        )
        session.flush()
        session.expunge(draft)
    pilot = Autopilot(lifecycle, decide=_answer_session)
    return pilot.run(draft, until=lambda d, _tasks: d.stage != "plan")


def test_an_approved_registration_enters_the_plan(app: Flask, lifecycle: Lifecycle) -> None:
    lifecycle.deploy_models("owner")
    first = _registered(lifecycle, "Quy định đầu tiên của kế hoạch")
    assert first.stage == "drafting" and first.plan_item_id is not None
    [item] = _items(lifecycle)
    assert (item.id, item.year, item.title, item.lead_agency, item.document_type) == (
        first.plan_item_id,
        YEAR,
        "Quy định đầu tiên của kế hoạch",
        "SXD",
        "qd_ubnd_tinh",
    )
    # The year's plan was empty: the registration is part of drawing it up.
    assert (item.origin, item.target_session, item.target_date) == (
        "plan",
        SESSION_ANSWER,
        date(YEAR, 7, 31),
    )
    assert _stream(lifecycle, item.id) == [("system", "plan_item_entered")]

    # Now the plan has items: the next registration arises during the year.
    second = _registered(lifecycle, "Quy định phát sinh trong năm")
    assert [i.origin for i in _items(lifecycle)] == ["plan", "arising"]
    assert second.plan_item_id == _items(lifecycle)[1].id

    # A draft started on an item keeps that item.
    planned = _add_item(lifecycle, title="Quy định theo mục kế hoạch")
    third = _registered(lifecycle, "Quy định theo mục kế hoạch", plan_item_id=planned)
    assert third.plan_item_id == planned and len(_items(lifecycle)) == 3

    page = signed_in(app, "cv.sxd").get(f"/plan?year={YEAR}").get_data(as_text=True)
    for draft in (first, second, third):
        row = re.search(rf'data-plan-item="{draft.plan_item_id}".*?</tr>', page, re.S)
        assert row and draft.code in row.group(0)


def test_a_rejected_registration_stays_outside_the_plan(lifecycle: Lifecycle) -> None:
    lifecycle.deploy_models("owner")
    with lifecycle.db.write() as session:
        draft = lifecycle.start_draft(
            session,
            lifecycle.engine.actor("cv.sxd"),
            title="Quy định không được chấp thuận",
            document_type="qd_ubnd_tinh",
            lead_agency="SXD",
        )
        session.flush()
        session.expunge(draft)

    def reject(task: TaskInfo, info: Any, data: Mapping[str, Any]) -> dict[str, Any] | None:
        if task.element_id.endswith("_approve_registration"):
            return {"decision": "reject", "reason": "Chưa cần thiết ban hành."}
        return None

    draft = Autopilot(lifecycle, decide=reject).run(draft)
    assert draft.status == "dropped" and draft.plan_item_id is None
    assert _items(lifecycle) == []
