"""``/drafts/{id}/documents``: the dossier: who may add versions, which files, downloads."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from tests.support.openapi import (
    ApiClient,
    api_fixture,  # noqa: F401
    deployed_fixture,  # noqa: F401
    new_draft,
    open_task,
)

pytestmark = pytest.mark.usefixtures("deployed")
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A DOCX whose central directory says document.xml unpacks to 200 MB (the proof suite
    sends a real one; the size it declares is what the check reads)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        archive.filelist[-1].file_size = 200 * 1024 * 1024
    return buffer.getvalue()


def upload(
    client: ApiClient, draft_id: int, item: str, name: str, data: bytes, **fields: str
) -> Any:
    form = {"item": item, "file": (io.BytesIO(data), name), **fields}
    return client.post(f"/drafts/{draft_id}/documents", data=form)


def test_drafters_add_versions_and_readers_download_them(api: ApiClient) -> None:
    draft = new_draft(api)
    drafter = api.as_user("cv.sxd")
    first = upload(drafter, draft["id"], "to_trinh", "Tờ trình.pdf", PDF, note="bản đầu")
    assert first.status_code == 201, first.get_json()
    version = first.get_json()
    assert (version["item"], version["version"], version["note"]) == ("to_trinh", 1, "bản đầu")
    assert version["content_type"] == "application/pdf" and version["size"] == len(PDF)
    assert version["uploaded_by"] == "cv.sxd" and version["item_name"] == "Tờ trình"
    assert (
        upload(api.as_user("cv2.sxd"), draft["id"], "du_thao", "du-thao.docx", docx()).status_code
        == 201
    )
    assert upload(drafter, draft["id"], "to_trinh", "to-trinh-2.pdf", PDF).status_code == 201

    listed = api.as_user("gd.sxd").get(f"/drafts/{draft['id']}/documents").get_json()
    assert [(v["item"], v["version"]) for v in listed] == [
        ("to_trinh", 2),
        ("du_thao", 1),
        ("to_trinh", 1),
    ]
    download = api.as_user("kt.stp").get(version["download_url"])
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "T%E1%BB%9D%20tr%C3%ACnh.pdf" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("item", "name", "data", "status"),
    [
        ("to_trinh", "to-trinh.pdf", EXE, 422),  # an executable renamed .pdf
        ("to_trinh", "to-trinh.exe", EXE, 422),
        ("to_trinh", "to-trinh.docx", PDF, 422),
        ("to_trinh", "to-trinh.pdf", b"", 422),
        ("to_trinh", "to-trinh.docx", zip_bomb(), 422),  # unpacks to more than 100 MB
        ("giay_phep", "to-trinh.pdf", PDF, 422),  # not a dossier item
    ],
)
def test_bad_files_are_refused(
    api: ApiClient, item: str, name: str, data: bytes, status: int
) -> None:
    draft = new_draft(api)
    response = upload(api.as_user("cv.sxd"), draft["id"], item, name, data)
    assert response.status_code == status
    assert response.get_json()["error"] == "invalid_data"
    assert api.as_user("cv.sxd").get(f"/drafts/{draft['id']}/documents").get_json() == []


@pytest.mark.parametrize("fields", [("item",), ("file",), ()])
def test_incomplete_uploads_are_400(api: ApiClient, fields: tuple[str, ...]) -> None:
    draft = new_draft(api)
    form = {"item": "to_trinh", "file": (io.BytesIO(PDF), "a.pdf")}
    sent = {name: value for name, value in form.items() if name in fields}
    response = api.as_user("cv.sxd").post(f"/drafts/{draft['id']}/documents", data=sent)
    assert response.status_code == 400


def test_only_people_working_an_open_step_upload(api: ApiClient) -> None:
    draft = new_draft(api)
    path = draft["id"]
    # The head of the agency sees the draft but does not draft it.
    assert upload(api.as_user("gd.sxd"), path, "to_trinh", "a.pdf", PDF).status_code == 403
    # Once a drafter has claimed the step, it is theirs alone.
    [task] = (
        api.as_user("cv.sxd").get("/tasks", query_string={"view": "offered"}).get_json()["items"]
    )
    assert api.as_user("cv.sxd").post(f"/tasks/{task['id']}/claim").status_code == 200
    assert upload(api.as_user("cv2.sxd"), path, "to_trinh", "a.pdf", PDF).status_code == 403
    own = upload(api.as_user("cv.sxd"), path, "to_trinh", "a.pdf", PDF, task_id=task["id"])
    assert own.status_code == 201 and own.get_json()["task_id"] == task["id"]


def test_a_task_of_another_draft_is_422(api: ApiClient) -> None:
    first, second = new_draft(api), new_draft(api)
    other_task = open_task(api, "cv.sxd", second["instance_id"])
    response = upload(
        api.as_user("cv.sxd"), first["id"], "to_trinh", "a.pdf", PDF, task_id=other_task["id"]
    )
    assert response.status_code == 422
    assert response.get_json()["task_id"] == other_task["id"]


def test_other_agencies_cannot_see_the_dossier(api: ApiClient) -> None:
    draft = new_draft(api)
    version = upload(api.as_user("cv.sxd"), draft["id"], "to_trinh", "a.pdf", PDF).get_json()
    outsider = api.as_user("cv.stc")
    assert outsider.get(f"/drafts/{draft['id']}/documents").status_code == 404
    assert outsider.get(version["download_url"]).status_code == 404
    assert upload(outsider, draft["id"], "to_trinh", "a.pdf", PDF).status_code == 404
    # A version id only downloads under its own draft.
    other = new_draft(api)
    wrong = f"/drafts/{other['id']}/documents/{version['id']}/download"
    assert api.as_user("cv.sxd").get(wrong).status_code == 404
