"""Administration pages: organisations, users and roles, the working-day calendar, time limits."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.models import AuditEvent
from tests.support.web import post_form, signed_in
from workflows.calendar_store import CalendarDay
from workflows.deadlines import DeadlineRule, rules_snapshot
from workflows.directory import Organisation, RoleAssignment, User, find_user


def count(lifecycle: Any, table: type, *where: Any) -> int:
    with lifecycle.db.read() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where))


def audited(lifecycle: Any, stream: str) -> list[tuple[str, str]]:
    with lifecycle.db.read() as session:
        rows = session.execute(
            select(AuditEvent.actor, AuditEvent.action)
            .where(AuditEvent.stream == stream)
            .order_by(AuditEvent.seq)
        ).all()
    return [tuple(row) for row in rows]


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    return signed_in(app, "admin")


PAGES = [
    "/admin",
    "/admin/organisations",
    "/admin/organisations/SXD",
    "/admin/users",
    "/admin/users/1",
    "/admin/calendar",
    "/admin/calendar?year=2026",
    "/admin/rules",
]


def test_only_administrators_see_the_admin_pages(app: Flask) -> None:
    anonymous = app.test_client()
    drafter, owner, admin = (signed_in(app, u) for u in ("cv.sxd", "owner", "admin"))
    statuses = {
        path: (
            anonymous.get(path).status_code,
            drafter.get(path).status_code,
            owner.get(path).status_code,
            admin.get(path).status_code,
        )
        for path in PAGES
    }
    assert statuses == {path: (302, 403, 403, 200) for path in PAGES}
    assert "/login" in anonymous.get("/admin").headers["Location"]


CHANGES = [
    ("/admin/organisations", {"code": "SYT", "name_vi": "Sở Y tế", "kind": "department"}),
    ("/admin/organisations/SXD", {"name_vi": "Đổi tên", "kind": "department"}),
    ("/admin/organisations/SXD/active", {"active": "0"}),
    ("/admin/users", {"username": "x", "full_name": "X", "password": "mot-hai-ba-bon"}),
    ("/admin/users/2/active", {"active": "0"}),
    ("/admin/users/2/grant", {"role": "admin", "organisation": "TT"}),
    ("/admin/calendar", {"day": "2027-03-03", "kind": "off", "name": "Nghỉ"}),
    ("/admin/rules", {"step": "appraisal", "amount": "5"}),
]


def test_drafters_cannot_change_anything(app: Flask, lifecycle: Any) -> None:
    tables = (Organisation, User, RoleAssignment, CalendarDay, DeadlineRule)
    before = [count(lifecycle, table) for table in tables]
    client = signed_in(app, "cv.sxd")
    statuses = {path: post_form(client, path, data).status_code for path, data in CHANGES}
    assert statuses == {path: 403 for path, _ in CHANGES}
    assert [count(lifecycle, table) for table in tables] == before
    with lifecycle.db.read() as session:
        assert session.get(Organisation, "SXD").name_vi == "Sở Xây dựng"
        assert session.get(Organisation, "SXD").active
        assert session.get(User, 2).active


# Organisations ------------------------------------------------------------------------------------
def test_create_edit_and_deactivate_an_organisation(admin: FlaskClient, lifecycle: Any) -> None:
    created = post_form(
        admin,
        "/admin/organisations",
        {
            "code": "syt",
            "name_vi": "Sở Y tế",
            "name_en": "",
            "kind": "department",
            "parent_code": "UBND_T",
        },
    )
    assert created.status_code == 302
    with lifecycle.db.read() as session:
        row = session.get(Organisation, "SYT")
        assert (row.name_vi, row.name_en, row.kind, row.parent_code, row.active) == (
            "Sở Y tế",
            "Sở Y tế",
            "department",
            "UBND_T",
            True,
        )
    edited = post_form(
        admin,
        "/admin/organisations/SYT",
        {
            "name_vi": "Sở Y tế tỉnh",
            "name_en": "Health",
            "kind": "health_department",
            "parent_code": "UBND_T",
        },
    )
    assert edited.status_code == 302
    assert post_form(admin, "/admin/organisations/SYT/active", {"active": "0"}).status_code == 302
    with lifecycle.db.read() as session:
        row = session.get(Organisation, "SYT")
        assert (row.name_vi, row.kind, row.active) == ("Sở Y tế tỉnh", "health_department", False)
    assert audited(lifecycle, "admin:organisation") == [
        ("admin", "create"),
        ("admin", "edit"),
        ("admin", "deactivate"),
    ]
    listing = admin.get("/admin/organisations?q=y+t%E1%BA%BF").get_data(as_text=True)
    assert 'data-code="SYT"' in listing and 'data-code="SXD"' not in listing
    by_kind = admin.get("/admin/organisations?kind=commune").get_data(as_text=True)
    assert 'data-code="XA_A"' in by_kind and 'data-code="SYT"' not in by_kind


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "SXD", "name_vi": "Trùng", "kind": "department"}, "is taken"),
        ({"code": "BAD CODE", "name_vi": "Sai", "kind": "department"}, "capital letters"),
        ({"code": "NEW", "name_vi": "", "kind": "department"}, "is required"),
        ({"code": "NEW", "name_vi": "Sai", "kind": "Bad Kind"}, "lower-case"),
        ({"code": "NEW", "name_vi": "Sai", "kind": "department", "parent_code": "NOPE"}, "parent"),
    ],
)
def test_bad_organisations_are_refused(
    admin: FlaskClient, lifecycle: Any, data: dict, message: str
) -> None:
    before = count(lifecycle, Organisation)
    response = post_form(admin, "/admin/organisations", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(lifecycle, Organisation) == before


def test_an_organisation_cannot_be_put_under_itself(admin: FlaskClient, lifecycle: Any) -> None:
    response = post_form(
        admin,
        "/admin/organisations/UBND_T",
        {"name_vi": "UBND", "kind": "province_ubnd", "parent_code": "SXD"},  # SXD is below it
    )
    assert response.status_code == 422
    with lifecycle.db.read() as session:
        assert session.get(Organisation, "UBND_T").parent_code == "TT"
    assert admin.get("/admin/organisations/NOPE").status_code == 404


def test_admin_lists_page(app: Flask, admin: FlaskClient) -> None:
    app.config["PAGE_SIZE"] = 10
    first = admin.get("/admin/organisations").get_data(as_text=True)
    second = admin.get("/admin/organisations?page=2").get_data(as_text=True)
    assert first.count("data-code=") == 10 and second.count("data-code=") == 10
    assert admin.get("/admin/users?page=3").get_data(as_text=True).count("data-username=") == 5
    assert admin.get("/admin/users?page=zero").status_code == 400


# Users --------------------------------------------------------------------------------------------
NEW_USER = {
    "username": "cv3.sxd",
    "full_name": "Trịnh Văn Mới",
    "email": "moi@example.vn",
    "language": "vi",
    "password": "mat-khau-moi-10",
    "role": "drafter",
    "organisation": "SXD",
}


def test_create_a_user_who_can_then_sign_in(app: Flask, admin: FlaskClient, lifecycle: Any) -> None:
    response = post_form(admin, "/admin/users", NEW_USER)
    assert response.status_code == 302
    with lifecycle.db.read() as session:
        user = find_user(session, "cv3.sxd")
        assert user is not None and user.email == "moi@example.vn"
        grants = session.execute(
            select(RoleAssignment.role, RoleAssignment.organisation_code).where(
                RoleAssignment.user_id == user.id
            )
        ).all()
    assert [tuple(g) for g in grants] == [("drafter", "SXD")]
    assert signed_in(app, "cv3.sxd", "mat-khau-moi-10").get("/drafts").status_code == 200
    assert audited(lifecycle, "admin:user:cv3.sxd") == [("admin", "create")]
    listing = admin.get("/admin/users?organisation=SXD").get_data(as_text=True)
    assert 'data-username="cv3.sxd"' in listing and 'data-username="cv.stc"' not in listing
    assert 'data-username="cv3.sxd"' in admin.get("/admin/users?q=M%E1%BB%9Bi").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password": "short"}, "at least 10"),
        ({"password": "x" * 201}, "at most 200"),
        ({"username": "cv.sxd"}, "is taken"),
        ({"username": "không hợp lệ"}, "letters, digits"),
        ({"full_name": ""}, "is required"),
        ({"email": "not-an-address"}, "e-mail"),
        ({"role": "no_such_role"}, "not a role"),
        ({"organisation": ""}, "both a role and an organisation"),
    ],
)
def test_bad_users_are_refused(
    admin: FlaskClient, lifecycle: Any, changes: dict, message: str
) -> None:
    before = count(lifecycle, User), count(lifecycle, RoleAssignment)
    response = post_form(admin, "/admin/users", {**NEW_USER, **changes})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert (count(lifecycle, User), count(lifecycle, RoleAssignment)) == before


def user_id(lifecycle: Any, username: str) -> int:
    with lifecycle.db.read() as session:
        user = find_user(session, username)
        assert user is not None
        return user.id


def test_deactivate_reset_password_grant_and_revoke(
    app: Flask, admin: FlaskClient, lifecycle: Any
) -> None:
    target = user_id(lifecycle, "cv2.sxd")
    victim = signed_in(app, "cv2.sxd")
    base = f"/admin/users/{target}"
    assert post_form(admin, f"{base}/active", {"active": "0"}).status_code == 302
    assert victim.get("/drafts").status_code == 302  # signed out at once
    assert post_form(admin, f"{base}/active", {"active": "1"}).status_code == 302
    short = post_form(admin, f"{base}/password", {"password": "ngan"})
    assert short.status_code == 422 and "at least 10" in short.get_data(as_text=True)
    assert post_form(admin, f"{base}/password", {"password": "mat-khau-dat-lai"}).status_code == 302
    assert signed_in(app, "cv2.sxd", "mat-khau-dat-lai").get("/drafts").status_code == 200
    granted = post_form(admin, f"{base}/grant", {"role": "agency_head", "organisation": "SXD"})
    assert granted.status_code == 302
    assert 'data-grant="agency_head@SXD"' in admin.get(base).get_data(as_text=True)
    bad = post_form(admin, f"{base}/grant", {"role": "agency_head", "organisation": "NOPE"})
    assert bad.status_code == 422 and "NOPE" in bad.get_data(as_text=True)
    revoked = post_form(admin, f"{base}/revoke", {"role": "drafter", "organisation": "SXD"})
    assert revoked.status_code == 302
    with lifecycle.db.read() as session:
        grants = session.execute(
            select(RoleAssignment.role).where(RoleAssignment.user_id == target)
        ).scalars()
        assert list(grants) == ["agency_head"]
        assert session.get(User, target).active
    missing = post_form(admin, f"{base}/revoke", {"role": "drafter", "organisation": "SXD"})
    assert missing.status_code == 422
    assert [action for _, action in audited(lifecycle, "admin:user:cv2.sxd")] == [
        "active",
        "active",
        "password",
        "grant",
        "revoke",
    ]
    assert post_form(admin, f"{base}/explode", {}).status_code == 404
    assert post_form(admin, "/admin/users/999999/active", {"active": "0"}).status_code == 404
    huge = "/admin/users/99999999999999999999"
    assert admin.get(huge).status_code == 404
    assert admin.get("/admin/rules?from=99999999999999999999").status_code == 200


def test_administrators_cannot_lock_themselves_out(admin: FlaskClient, lifecycle: Any) -> None:
    me = user_id(lifecycle, "admin")
    off = post_form(admin, f"/admin/users/{me}/active", {"active": "0"})
    assert off.status_code == 422
    revoke = post_form(admin, f"/admin/users/{me}/revoke", {"role": "admin", "organisation": "TT"})
    assert revoke.status_code == 422
    assert admin.get("/admin").status_code == 200


# Calendar -----------------------------------------------------------------------------------------
def test_calendar_exceptions_change_the_live_calendar(admin: FlaskClient, lifecycle: Any) -> None:
    wednesday, saturday = date(2027, 3, 3), date(2027, 3, 6)
    assert lifecycle.calendar().is_working_day(wednesday)
    assert not lifecycle.calendar().is_working_day(saturday)
    for day, kind in ((wednesday, "off"), (saturday, "work")):
        response = post_form(
            admin,
            "/admin/calendar",
            {"action": "set", "year": "2027", "day": day.isoformat(), "kind": kind, "name": "Thử"},
        )
        assert response.status_code == 302
    assert not lifecycle.calendar().is_working_day(wednesday)
    assert lifecycle.calendar().is_working_day(saturday)
    with lifecycle.db.read() as session:
        assert session.get(CalendarDay, wednesday).entered_by == "admin"
    page = admin.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert 'data-day="2027-03-03" data-kind="off"' in page
    assert 'data-day="2027-03-06" data-kind="work"' in page
    removed = post_form(
        admin, "/admin/calendar", {"action": "remove", "year": "2027", "day": "2027-03-03"}
    )
    assert removed.status_code == 302
    assert lifecycle.calendar().is_working_day(wednesday)
    assert [a for _, a in audited(lifecycle, "admin:calendar")] == ["set", "set", "remove"]


def test_the_calendar_lists_the_official_schedule(admin: FlaskClient) -> None:
    page = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert 'data-day="2026-01-02" data-kind="off"' in page  # the New Year swap
    assert 'data-day="2026-01-10" data-kind="work"' in page  # paid back on a Saturday
    assert admin.get("/admin/calendar?year=abc").status_code == 400


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "03/03/2027", "kind": "off", "name": "Nghỉ"}, "date such as"),
        ({"day": "2027-03-03", "kind": "holiday", "name": "Nghỉ"}, "kind must be"),
        ({"day": "2027-03-03", "kind": "off", "name": " "}, "is required"),
    ],
)
def test_bad_calendar_entries_are_refused(
    admin: FlaskClient, lifecycle: Any, data: dict, message: str
) -> None:
    response = post_form(admin, "/admin/calendar", {"action": "set", "year": "2027", **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(lifecycle, CalendarDay) == 0
    assert lifecycle.calendar().is_working_day(date(2027, 3, 3))


# Deadline rules -----------------------------------------------------------------------------------
def appraisal_rule(lifecycle: Any) -> DeadlineRule:
    with lifecycle.db.read() as session:
        return session.execute(
            select(DeadlineRule).where(
                DeadlineRule.document_type == "*",
                DeadlineRule.procedure == "normal",
                DeadlineRule.step == "appraisal",
            )
        ).scalar_one()


RULE = {
    "step": "appraisal",
    "document_type": "*",
    "procedure": "normal",
    "amount": "15",
    "unit": "working_days",
    "legal_basis": "Nghị định mới",
    "effective_from": "2090-01-01",
    "confirmed": "1",
}


def test_a_rule_version_is_a_new_row_and_the_old_one_stays(
    admin: FlaskClient, lifecycle: Any
) -> None:
    old = appraisal_rule(lifecycle)
    before = count(lifecycle, DeadlineRule)
    page = admin.get(f"/admin/rules?from={old.id}").get_data(as_text=True)
    assert 'name="step" value="appraisal"' in page and "unconfirmed" in page
    response = post_form(admin, "/admin/rules", RULE)
    assert response.status_code == 302
    assert count(lifecycle, DeadlineRule) == before + 1
    with lifecycle.db.read() as session:
        kept = session.get(DeadlineRule, old.id)
        assert (kept.amount, kept.effective_from, kept.confirmed) == (10, old.effective_from, False)
        # A draft started before the new date keeps the old limit; one started after gets the new.
        assert (
            rules_snapshot(session, "qd_ubnd_tinh", date(2026, 6, 1))["normal"]["appraisal"][
                "amount"
            ]
            == 10
        )
        assert (
            rules_snapshot(session, "qd_ubnd_tinh", date(2090, 1, 2))["normal"]["appraisal"][
                "amount"
            ]
            == 15
        )
    assert audited(lifecycle, "admin:deadline_rule") == [("admin", "add")]
    assert "scheduled" in admin.get("/admin/rules").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"effective_from": "2025-04-01"}, "after 01/04/2025"),  # same date as the old version
        ({"effective_from": "2024-01-01"}, "after 01/04/2025"),
        ({"effective_from": ""}, "date such as"),
        ({"amount": "-3"}, "whole number of days"),
        ({"amount": "mười"}, "whole number of days"),
        ({"unit": "weeks"}, "working days or calendar days"),
        ({"document_type": "nope"}, "Choose a document type"),
        ({"procedure": "fast"}, "Choose a procedure"),
        ({"step": "Not A Step"}, "The step is a name"),
        ({"legal_basis": ""}, "is required"),
    ],
)
def test_bad_rule_versions_are_refused(
    admin: FlaskClient, lifecycle: Any, changes: dict, message: str
) -> None:
    before = count(lifecycle, DeadlineRule)
    response = post_form(admin, "/admin/rules", {**RULE, **changes})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(lifecycle, DeadlineRule) == before
