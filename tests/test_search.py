"""Accent-insensitive search: "thu phi", "THU PHÍ" and "thu  phí" find the same rows,
through the pages and the API, on SQLite and PostgreSQL; LIKE wildcards are literal."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import text

from engine import Database
from engine.schema import alembic_config
from tests.support.openapi import ApiClient, api_fixture  # noqa: F401
from tests.support.web import signed_in
from tests.test_web_lists import add_draft, codes, numbers
from workflows import registry, search
from workflows.drafts import Draft, DraftFilter, list_drafts

SPELLINGS = ["thu phi", "THU PHÍ", "thu phí", "Thu Phi", "thu  phí", " Thu   PHI "]


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Thu phí  ĐẤT", "thu phi dat"),
        ("Nghị quyết ưu đãi Ở", "nghi quyet uu dai o"),
        ("ă â ê ô ơ ư đ", "a a e o o u d"),
        ("Thủ tục\tHỒ SƠ\n", "thu tuc ho so"),
        ("12/2025/NQ-HĐND", "12/2025/nq-hdnd"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold_strips_marks_maps_d_and_collapses_spaces(typed: str | None, folded: str) -> None:
    assert search.fold(typed) == folded


@pytest.fixture
def drafts(lifecycle: Any) -> None:
    with lifecycle.db.write() as session:
        add_draft(session, "DT-2026-001", "Quy định mức thu phí tham quan")
        add_draft(session, "DT-2026-002", "Thu phi dich vu")  # typed without accents
        add_draft(session, "DT-2026-003", "Bảng giá đất ở")
        add_draft(session, "DT-2026-004", "Ưu đãi 50%_tiền thuê")
        add_draft(session, "DT-2026-005", "Ưu đãi 500 tiền thuê")


FOUND = {
    **{key: ["DT-2026-001", "DT-2026-002"] for key in SPELLINGS},
    "dat": ["DT-2026-003"],
    "ĐẤT Ở": ["DT-2026-003"],
    "dt-2026-003": ["DT-2026-003"],
    "50%": ["DT-2026-004"],
    "50%_": ["DT-2026-004"],
    "%": ["DT-2026-004"],
    "_": ["DT-2026-004"],
    "thu phi dat": [],
}


def test_the_spellings_find_the_same_drafts_on_the_page(app: Flask, drafts: None) -> None:
    client = signed_in(app, "cv.sxd")
    found = {}
    for typed in FOUND:
        page = client.get("/drafts", query_string={"q": typed})
        assert page.status_code == 200
        found[typed] = sorted(codes(page))
    assert found == FOUND


def test_the_spellings_find_the_same_drafts_through_the_api(api: ApiClient, drafts: None) -> None:
    client = api.as_user("cv.sxd")
    found = {}
    for typed in FOUND:
        response = client.get("/drafts", query_string={"text": typed})
        assert response.status_code == 200
        found[typed] = sorted(item["code"] for item in response.get_json()["items"])
    assert found == FOUND


def test_search_text_follows_a_renamed_draft(lifecycle: Any, drafts: None) -> None:
    with lifecycle.db.write() as session:
        draft = session.query(Draft).filter_by(code="DT-2026-003").one()
        draft.title = "Quy định về hè phố"
    with lifecycle.db.read() as session:
        old, _ = list_drafts(session, DraftFilter(text="gia dat"))
        new, _ = list_drafts(session, DraftFilter(text="HE PHO"))
    assert old == [] and [d.code for d in new] == ["DT-2026-003"]


@pytest.fixture
def regulations(lifecycle: Any) -> None:
    with lifecycle.db.write() as session:
        for number, title, body in [
            ("01/2025/QĐ-UBND", "Quy định mức thu phí tham quan", "UBND_T"),
            ("02/2025/NQ-HĐND", "Bảng giá đất", "HDND_T"),
            ("03/2025/NQ-HĐND", "Thu phi cho xe", "HDND_T"),
        ]:
            registry.register(
                session,
                number=number,
                title=title,
                document_type="qd_ubnd_tinh" if "QĐ" in number else "nq_hdnd_tinh",
                issuing_body=body,
                lead_agency="SXD",
                signed_on=date(2025, 5, 1),
                effective_on=date(2025, 5, 15),
            )


REGISTRY_FOUND = {
    **{key: ["01/2025/QĐ-UBND", "03/2025/NQ-HĐND"] for key in SPELLINGS},
    "dat": ["02/2025/NQ-HĐND"],
    "qd-ubnd": ["01/2025/QĐ-UBND"],
    "NQ-HDND": ["02/2025/NQ-HĐND", "03/2025/NQ-HĐND"],
    "%": [],
}


def test_the_spellings_find_the_same_regulations(app: Flask, regulations: None) -> None:
    client = signed_in(app, "cv.snv")
    found = {}
    for typed in REGISTRY_FOUND:
        page = client.get("/regulations", query_string={"q": typed})
        assert page.status_code == 200
        found[typed] = numbers(page)
    assert found == REGISTRY_FOUND


def test_the_migration_folds_existing_rows(database: Database) -> None:
    """Rows written before w0002 get their search text from the same fold."""
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "w0001")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (code, name_vi, name_en, kind, active) "
                "VALUES ('SXD', 'Sở Xây dựng', 'Construction', 'department', :yes)"
            ),
            {"yes": True},
        )
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    with database.engine.connect() as connection:
        stored = connection.execute(text("SELECT search_text FROM organisation")).scalar_one()
    assert stored == "sxd so xay dung"


def test_the_administration_lists_fold_too(app: Flask) -> None:
    admin = signed_in(app, "admin")
    organisations = admin.get("/admin/organisations", query_string={"q": "SO  XAY DUNG"})
    assert re.findall(r'data-code="([^"]+)"', organisations.get_data(as_text=True)) == ["SXD"]
    users = admin.get("/admin/users", query_string={"q": "quan tri"})
    assert re.findall(r'data-username="([^"]+)"', users.get_data(as_text=True)) == ["admin"]
