"""Entering regulations already in force: the form, corrections, links, expiry, file import."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import select

from engine import clock
from engine.models import AuditEvent
from tests.support.web import csrf_token, post_form, signed_in
from workflows.calendar import VIETNAM_TZ, vietnam_date
from workflows.registry import Regulation, RegulationLink

HEADER = (
    "so_hieu,trich_yeu,loai_van_ban,co_quan_ban_hanh,co_quan_chu_tri,"
    "ngay_ky,ngay_cong_bo,ngay_hieu_luc,ngay_het_hieu_luc,thay_the"
)


def entry(**changes: str) -> dict[str, str]:
    values = {
        "number": "12/2025/NQ-HĐND",
        "title": "Quy định mức thu phí tham quan",
        "document_type": "nq_hdnd_tinh",
        "issuing_body": "HDND_T",
        "lead_agency": "SXD",
        "signed_on": "10/07/2025",
        "published_on": "2025-07-12",
        "effective_on": "20/07/2025",
        "expires_on": "",
        "relation": "",
        "relation_number": "",
    }
    return {**values, **changes}


def regulation(app: Flask, number: str) -> Regulation:
    with app.extensions["lexflow"].db.read() as session:
        row = session.execute(select(Regulation).where(Regulation.number == number)).scalar_one()
        session.expunge(row)
        return row


def problems(page: Any) -> dict[str, str]:
    text = page.get_data(as_text=True)
    return dict(re.findall(r'data-problem="([a-z_]+)">([^<]+)<', text))


def enter(client: FlaskClient, **changes: str) -> Any:
    return post_form(client, "/regulations/new", entry(**changes), token_from="/regulations/new")


@pytest.fixture
def keeper(app: Flask) -> FlaskClient:
    return signed_in(app, "kt.stp")  # inspector of the Department of Justice


def test_a_keeper_enters_a_regulation_and_it_is_audited(app: Flask, keeper: FlaskClient) -> None:
    response = enter(keeper)
    assert response.status_code == 302
    row = regulation(app, "12/2025/NQ-HĐND")
    assert (row.signed_on, row.published_on, row.effective_on) == (
        date(2025, 7, 10),
        date(2025, 7, 12),
        date(2025, 7, 20),
    )
    assert (row.status, row.lead_agency, row.draft_id) == ("in_force", "SXD", None)
    page = keeper.get(response.headers["Location"]).get_data(as_text=True)
    assert "Quy định mức thu phí tham quan" in page and "20/07/2025" in page
    with app.extensions["lexflow"].db.read() as session:
        events = session.execute(
            select(AuditEvent).where(AuditEvent.stream == f"regulation:{row.id}")
        ).scalars()
        assert [(e.action, e.actor) for e in events] == [("create", "kt.stp")]


def test_a_correction_changes_the_entry_and_is_audited(app: Flask, keeper: FlaskClient) -> None:
    enter(keeper)
    row = regulation(app, "12/2025/NQ-HĐND")
    form = keeper.get(f"/regulations/{row.id}/edit").get_data(as_text=True)
    assert 'value="10/07/2025"' in form
    response = post_form(
        keeper,
        f"/regulations/{row.id}/edit",
        entry(title="Quy định mức thu phí tham quan (đính chính)", expires_on="01/01/2030"),
        token_from="/regulations/new",
    )
    assert response.status_code == 302
    fixed = regulation(app, "12/2025/NQ-HĐND")
    assert fixed.title.endswith("(đính chính)") and fixed.expires_on == date(2030, 1, 1)
    with app.extensions["lexflow"].db.read() as session:
        events = session.execute(
            select(AuditEvent).where(AuditEvent.stream == f"regulation:{row.id}")
        ).scalars()
        create, edit = events
        assert (create.action, edit.action) == ("create", "edit")
        assert sorted(edit.data["changed"]) == ["expires_on", "title"]
        assert edit.data["changed"]["expires_on"] == [None, "2030-01-01"]


def test_a_number_is_unique_per_issuing_body(app: Flask, keeper: FlaskClient) -> None:
    enter(keeper)
    again = enter(keeper, title="Một văn bản khác")
    assert again.status_code == 422
    assert "already has a regulation numbered 12/2025/NQ-HĐND" in problems(again)["number"]
    # A commune's council numbers its own resolutions from 01 again.
    commune = enter(keeper, document_type="nq_hdnd_xa", issuing_body="XA_A_HDND")
    assert commune.status_code == 302


BAD_ENTRIES = [
    ({"effective_on": "01/07/2025"}, "effective_on", "cannot take effect before it is signed"),
    ({"signed_on": "31/02/2025"}, "signed_on", "DD/MM/YYYY"),
    ({"signed_on": ""}, "signed_on", "required"),
    ({"expires_on": "20/07/2025"}, "expires_on", "before it takes effect"),
    ({"issuing_body": "UBND_T"}, "issuing_body", "does not issue this document type"),
    ({"issuing_body": "SXD"}, "issuing_body", "Council or People"),
    ({"document_type": "nope"}, "document_type", "five document types"),
    ({"title": ""}, "title", "required"),
    ({"relation": "replaces", "relation_number": "99/2020/NQ-HĐND"}, "relation_number", "No"),
]


@pytest.mark.parametrize(("changes", "field", "words"), BAD_ENTRIES)
def test_each_wrong_field_gets_its_own_message(
    app: Flask, keeper: FlaskClient, changes: dict[str, str], field: str, words: str
) -> None:
    response = enter(keeper, **changes)
    assert response.status_code == 422
    assert words in problems(response)[field]
    assert 'value="12/2025/NQ-HĐND"' in response.get_data(as_text=True)  # kept for correcting


def test_a_replacement_marks_the_replaced_regulation(app: Flask, keeper: FlaskClient) -> None:
    enter(keeper, number="04/2020/NQ-HĐND", signed_on="01/03/2020", effective_on="15/03/2020")
    enter(keeper, relation="replaces", relation_number="04/2020/NQ-HĐND")
    old, new = regulation(app, "04/2020/NQ-HĐND"), regulation(app, "12/2025/NQ-HĐND")
    assert old.status == "replaced"
    with app.extensions["lexflow"].db.read() as session:
        links = session.execute(select(RegulationLink)).scalars().all()
        assert [(x.source_id, x.target_id, x.kind) for x in links] == [(new.id, old.id, "replaces")]
    page = keeper.get(f"/regulations/{old.id}").get_data(as_text=True)
    assert 'data-status="replaced"' in page and 'data-link-kind="replaces"' in page
    # Corrected to "amends": the old one is amended instead; without the link, in force again.
    post_form(
        keeper,
        f"/regulations/{new.id}/edit",
        entry(relation="amends", relation_number="04/2020/NQ-HĐND"),
        token_from="/regulations/new",
    )
    assert regulation(app, "04/2020/NQ-HĐND").status == "amended"
    post_form(keeper, f"/regulations/{new.id}/edit", entry(), token_from="/regulations/new")
    assert regulation(app, "04/2020/NQ-HĐND").status == "in_force"


def test_a_regulation_is_no_longer_in_force_from_its_expiry_date(
    app: Flask, keeper: FlaskClient
) -> None:
    today = vietnam_date(clock.now())
    expires = today + timedelta(days=10)
    enter(keeper, expires_on=expires.strftime("%d/%m/%Y"))
    enter(keeper, number="13/2025/NQ-HĐND")
    row = regulation(app, "12/2025/NQ-HĐND")

    def in_force_count() -> str:
        page = keeper.get("/regulations").get_data(as_text=True)
        return re.search(r'data-count="in_force"><a [^>]+>(\d+)', page).group(1)

    def filtered(status: str) -> list[str]:
        page = keeper.get(f"/regulations?status={status}").get_data(as_text=True)
        return sorted(re.findall(r'data-number="([^"]+)"', page))

    assert in_force_count() == "2"
    assert 'data-status="in_force"' in keeper.get(f"/regulations/{row.id}").get_data(as_text=True)
    with clock.travelling(datetime.combine(expires, time(0, 30), tzinfo=VIETNAM_TZ)):
        assert in_force_count() == "1"
        assert filtered("in_force") == ["13/2025/NQ-HĐND"]
        assert filtered("expired") == ["12/2025/NQ-HĐND"]
        page = keeper.get(f"/regulations/{row.id}").get_data(as_text=True)
        assert 'data-status="expired"' in page
    with clock.travelling(
        datetime.combine(expires, time(0, 30), tzinfo=VIETNAM_TZ) - timedelta(hours=1)
    ):
        assert in_force_count() == "2"


def upload(client: FlaskClient, name: str, data: bytes) -> Any:
    return client.post(
        "/regulations/import",
        data={
            "csrf_token": csrf_token(client, "/regulations/import"),
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def confirm(client: FlaskClient, preview: Any) -> Any:
    token = re.search(r'name="rows" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    return post_form(
        client, "/regulations/import/confirm", {"rows": token}, token_from="/regulations/import"
    )


def a_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return buffer.getvalue()


def csv_file(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode("utf-8")


ROWS = (
    "01/2024/NQ-HĐND,Quy định phí,nq_hdnd_tinh,HDND_T,SXD,01/03/2024,05/03/2024,15/03/2024,,",
    "02/2024/QĐ-UBND,Quy chế phối hợp,Quyết định UBND tỉnh,Ủy ban nhân dân tỉnh,,2024-04-01,,"
    "2024-04-15,2030-01-01,",
    "05/2025/NQ-HĐND,Quy định phí (thay thế),nq_hdnd_tinh,HDND_T,STC,01/06/2025,,15/06/2025,,"
    "03/2019/NQ-HĐND",
)


def test_a_csv_file_is_previewed_then_imported(app: Flask, keeper: FlaskClient) -> None:
    enter(keeper, number="03/2019/NQ-HĐND", signed_on="01/01/2019", effective_on="15/01/2019")
    preview = upload(keeper, "van-ban.csv", csv_file(*ROWS))
    assert preview.status_code == 200
    shown = sorted(re.findall(r'data-number="([^"]+)"', preview.get_data(as_text=True)))
    assert shown == ["01/2024/NQ-HĐND", "02/2024/QĐ-UBND", "05/2025/NQ-HĐND"]
    with app.extensions["lexflow"].db.read() as session:  # the preview saves nothing
        assert len(session.execute(select(Regulation.id)).all()) == 1
    assert confirm(keeper, preview).status_code == 302
    second = regulation(app, "02/2024/QĐ-UBND")
    assert (second.issuing_body, second.expires_on) == ("UBND_T", date(2030, 1, 1))
    assert regulation(app, "03/2019/NQ-HĐND").status == "replaced"
    with app.extensions["lexflow"].db.read() as session:
        streams = session.execute(
            select(AuditEvent.stream).where(AuditEvent.stream.like("regulation:%"))
        ).scalars()
        assert len(set(streams)) == 4


def test_an_xlsx_file_with_real_dates_is_imported(app: Flask, keeper: FlaskClient) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "so_hieu",
            "trich_yeu",
            "loai_van_ban",
            "co_quan_ban_hanh",
            "ngay_ky",
            "ngay_hieu_luc",
            "ngay_het_hieu_luc",
        ]
    )
    sheet.append(
        [
            "07/2023/QĐ-UBND",
            "Quy định xã",
            "qd_ubnd_xa",
            "XA_A_UBND",
            datetime(2023, 5, 2),
            datetime(2023, 5, 12),
            "01/01/2027",
        ]
    )
    sheet.append(
        [
            "08/2023/QĐ-UBND",
            "Quy định xã 2",
            "qd_ubnd_xa",
            "UBND xã Thử A",
            date(2023, 6, 2),
            "12/06/2023",
            None,
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    preview = upload(keeper, "Danh-muc.XLSX", buffer.getvalue())
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert confirm(keeper, preview).status_code == 302
    row = regulation(app, "07/2023/QĐ-UBND")
    assert (row.signed_on, row.effective_on, row.expires_on) == (
        date(2023, 5, 2),
        date(2023, 5, 12),
        date(2027, 1, 1),
    )
    assert regulation(app, "08/2023/QĐ-UBND").signed_on == date(2023, 6, 2)


def test_one_bad_row_imports_nothing_and_names_its_line(app: Flask, keeper: FlaskClient) -> None:
    bad = "09/2024/NQ-HĐND,Sai ngày,nq_hdnd_tinh,HDND_T,,15/03/2024,,01/03/2024,,"
    twice = ROWS[0].replace("Quy định phí", "Trùng số")
    preview = upload(keeper, "van-ban.csv", csv_file(ROWS[0], ROWS[1], bad, twice))
    assert preview.status_code == 422
    text = preview.get_data(as_text=True)
    assert 'data-line="4" data-column="ngay_hieu_luc"' in text
    assert 'data-line="5" data-column="so_hieu"' in text and "line 2" in text
    assert 'name="rows"' not in text
    with app.extensions["lexflow"].db.read() as session:
        assert session.execute(select(Regulation)).first() is None


def test_five_hundred_rows_import_in_one_go(app: Flask, keeper: FlaskClient) -> None:
    rows = [
        f"{n:03d}/2022/QĐ-UBND,Quy định số {n},qd_ubnd_tinh,UBND_T,SXD,01/02/2022,,15/02/2022,,"
        for n in range(1, 501)
    ]
    preview = upload(keeper, "nhieu.csv", csv_file(*rows))
    assert preview.status_code == 200
    assert confirm(keeper, preview).status_code == 302
    with app.extensions["lexflow"].db.read() as session:
        assert len(session.execute(select(Regulation.id)).all()) == 500


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("notes.txt", b"so_hieu\n1", 400, "CSV or XLSX"),
        ("empty.csv", b"", 400, "empty"),
        ("header.csv", b"number,title\n1,2", 400, "header row"),
        ("only-header.csv", HEADER.encode(), 400, "no rows"),
        ("latin1.csv", HEADER.encode() + "\n1,Tiêu".encode("latin-1"), 400, "UTF-8"),
        ("broken.xlsx", b"PK not really a workbook", 400, "XLSX"),
        ("zip.xlsx", a_zip(), 400, "XLSX"),
        ("big.csv", HEADER.encode() + b"\n" + b"x" * (5 * 1024 * 1024), 413, "5 MB"),
        (
            "many.csv",
            csv_file(*[f"{n},t,nq_hdnd_tinh,HDND_T,,,,,," for n in range(5001)]),
            400,
            "5000 rows",
        ),
    ],
)
def test_bad_files_get_a_clear_refusal(
    keeper: FlaskClient, name: str, data: bytes, status: int, words: str
) -> None:
    response = upload(keeper, name, data)
    assert response.status_code == status
    assert words in re.search(r"data-refused>([^<]+)<", response.get_data(as_text=True)).group(1)


def test_an_altered_preview_is_refused(keeper: FlaskClient) -> None:
    response = post_form(
        keeper, "/regulations/import/confirm", {"rows": "forged"}, token_from="/regulations/import"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("username", ["cv.vpubnd", "cv.vphdnd", "admin"])
def test_the_offices_and_administrators_keep_the_registry(app: Flask, username: str) -> None:
    client = signed_in(app, username)
    assert client.get("/regulations/new").status_code == 200
    assert client.get("/regulations/import").status_code == 200
    assert "/regulations/new" in client.get("/regulations").get_data(as_text=True)


def test_a_drafter_may_not_enter_or_import(app: Flask, keeper: FlaskClient) -> None:
    enter(keeper)
    row = regulation(app, "12/2025/NQ-HĐND")
    drafter = signed_in(app, "cv.sxd")
    assert drafter.get("/regulations/new").status_code == 403
    assert drafter.get(f"/regulations/{row.id}/edit").status_code == 403
    assert drafter.get("/regulations/import").status_code == 403
    token = csrf_token(drafter, "/inbox")
    assert (
        drafter.post("/regulations/new", data={**entry(), "csrf_token": token}).status_code == 403
    )
    assert (
        drafter.post(
            "/regulations/import",
            data={"csrf_token": token, "file": (io.BytesIO(csv_file(ROWS[0])), "a.csv")},
            content_type="multipart/form-data",
        ).status_code
        == 403
    )
    assert "/regulations/new" not in drafter.get("/regulations").get_data(as_text=True)
