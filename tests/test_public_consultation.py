"""Public consultation: the draft text by article, the public pages, moderation, the ledger
and the synthesis gate, through the Flask client with the real models."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import zxingcpp
from docx import Document
from flask import Flask
from PIL import Image

from engine import TaskQuery
from tests.support.consultation import draft_docx, post_for_comment
from tests.support.openapi import ApiClient, OpenApiDocument
from tests.support.web import csrf_token, signed_in
from web.api.spec import DOCUMENT
from workflows import dossier, registry
from workflows.autopilot import Autopilot, at_step
from workflows.consultation.text import UnreadableDraft, parse_docx
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle


def test_a_docx_draft_is_read_by_chapter_article_clause_and_point() -> None:
    articles = parse_docx(draft_docx())
    assert [(a.number, a.title) for a in articles] == [
        ("1", "Phạm vi điều chỉnh"), ("2", "Đối tượng áp dụng"), ("3", "Mỏ cát"),
    ]  # fmt: skip
    assert articles[0].chapter == "Chương I" and "quản lý vật liệu" in articles[0].intro
    assert [c.number for c in articles[1].clauses] == ["1", "2"]
    assert [p["letter"] for p in articles[1].clauses[1].points] == ["a", "b"]
    assert (articles[2].chapter, articles[2].section) == ("Chương II", "Mục 1. Khai thác")
    with pytest.raises(UnreadableDraft, match="could not be opened"):
        parse_docx(b"PK\x03\x04 not a docx")
    empty = Document()
    empty.add_paragraph("Chỉ có lời văn, không có điều khoản.")
    buffer = io.BytesIO()
    empty.save(buffer)
    with pytest.raises(UnreadableDraft, match="no article"):
        parse_docx(buffer.getvalue())


@pytest.fixture
def consulting(lifecycle: Lifecycle) -> Draft:
    return post_for_comment(lifecycle)


def _form(page: str) -> dict[str, str]:
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token, "no comment form on the page"
    return {"token": token.group(1), "name": "Nguyễn Văn A", "email": "a@example.vn",
            "article": "3", "body": "Đề nghị làm rõ thủ tục cấp phép."}  # fmt: skip


def test_public_comment_moderation_ledger_and_synthesis(
    app: Flask, lifecycle: Lifecycle, consulting: Draft
) -> None:
    app.config["PUBLIC_COMMENT_RATE_LIMIT"] = "3 per minute"
    public = app.test_client()
    listing = public.get("/public/drafts?q=vat lieu XAY dung")
    assert listing.status_code == 200 and "Set-Cookie" not in listing.headers
    assert f"/public/drafts/{consulting.id}" in listing.get_data(as_text=True)
    assert "/public/drafts/" not in public.get("/public/drafts?q=thuế").get_data(as_text=True)
    # The same list as JSON, for anyone (every exchange checked against the OpenAPI document).
    api = ApiClient(app.test_client(), lifecycle, OpenApiDocument(DOCUMENT))
    listed = api.anonymous().get("/public/drafts?q=vat lieu").get_json()["items"]
    assert [(d["id"], d["open"]) for d in listed] == [(consulting.id, True)]
    # Adopted regulations: a read-only list with number, dates and the signed document.
    with lifecycle.db.write() as session:
        regulation = registry.register(
            session, number="07/2026/QĐ-UBND", title="Quy định về bảo vệ nguồn nước",
            document_type="qd_ubnd_tinh", issuing_body="UBND_T", lead_agency="SXD",
            signed_on=date(2026, 3, 2), effective_on=date(2026, 3, 15), draft_id=consulting.id,
        )  # fmt: skip
        dossier.add_version(session, consulting.id, "van_ban_ky", "qd.docx", draft_docx(), "cv.sxd")
    adopted = public.get("/public/drafts?show=adopted&q=nguon NUOC&lang=en")
    listed = adopted.get_data(as_text=True)
    assert adopted.status_code == 200 and "Set-Cookie" not in adopted.headers
    assert "07/2026/QĐ-UBND" in listed and "02/03/2026" in listed and "15/03/2026" in listed
    signed = public.get(f"/public/regulations/{regulation.id}/document")
    assert signed.status_code == 200 and signed.data.startswith(b"PK")
    assert "07/2026" not in public.get("/public/drafts?show=adopted&q=thuế").get_data(as_text=True)
    page = public.get(f"/public/drafts/{consulting.id}?lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert 'id="dieu-3"' in text and "Mỏ cát" in text and "b) Hộ kinh doanh." in text
    assert "days left" in text and "du_thao.docx" in text
    png = public.get(f"/public/drafts/{consulting.id}/qr.png").data
    assert png.startswith(b"\x89PNG")
    # The printed code leads to this very page (read back by a barcode decoder).
    decoded = [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert decoded == [f"http://localhost/public/drafts/{consulting.id}"]
    svg = public.get(f"/public/drafts/{consulting.id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    form = _form(text)
    url = f"/public/drafts/{consulting.id}/comments"
    # A bot fills the hidden field: thanked, nothing kept.
    bot = public.post(url, data={**form, "website": "http://spam"})
    assert bot.status_code == 303 and bot.headers["Location"].endswith("?sent=1#comment")
    # A forged or missing token is refused.
    assert public.post(url, data={**form, "token": "forged"}).status_code == 400
    sent = public.post(url, data={**form, "body": "<script>alert(1)</script> Điều 3 chưa rõ"})
    assert sent.status_code == 303 and "Set-Cookie" not in sent.headers
    # Back to the page by GET: reloading the thanks sends nothing again.
    thanks = public.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'class="ok" role="status"' in thanks and 'name="token"' in thanks
    limited = public.post(url, data=form)  # the fourth within the minute
    assert limited.status_code == 429 and "Set-Cookie" not in limited.headers
    assert 'data-status="429"' in limited.get_data(as_text=True)  # the public layout
    for missing in ("/public/drafts/999999", "/public/nothing"):
        gone = public.get(missing)
        assert gone.status_code == 404 and "Set-Cookie" not in gone.headers
        assert 'data-status="404"' in gone.get_data(as_text=True)
    # Pending until moderated: not on the public page yet.
    assert "alert(1)" not in public.get(f"/public/drafts/{consulting.id}").get_data(as_text=True)
    drafter = signed_in(app, "cv.sxd")
    queue = drafter.get(f"/drafts/{consulting.id}/consultation").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in queue and "<script>alert" not in queue
    assert "shown by article: 3 articles" in queue
    comment_id = re.search(r"/consultation/comments/(\d+)", queue).group(1)
    moderate = f"/drafts/{consulting.id}/consultation/comments/{comment_id}"
    other = signed_in(app, "cv.stc")  # consulted on the draft: sees it, does not moderate
    other_token = csrf_token(other, "/inbox")
    refused = other.post(moderate, data={"action": "publish", "csrf_token": other_token})
    assert refused.status_code == 403
    token = csrf_token(drafter, f"/drafts/{consulting.id}/consultation")
    no_reason = drafter.post(moderate, data={"action": "spam", "csrf_token": token})
    assert no_reason.status_code == 422
    assert (
        drafter.post(moderate, data={"action": "publish", "csrf_token": token}).status_code == 302
    )
    shown = public.get(f"/public/drafts/{consulting.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Điều 3 chưa rõ" in shown
    assert "<script>alert(1)" not in shown
    # A new version of the draft is uploaded: the comment on the posted version stays in the
    # ledger, shown as made on that version and carried over until it is answered.
    made_on = re.search(r'data-version="(\d+)"', queue.split("data-entry=")[1]).group(1)
    assert "data-carried" not in queue
    with lifecycle.db.write() as session:
        dossier.add_version(
            session, consulting.id, "du_thao", "du_thao_v2.docx", draft_docx(revised=True), "cv.sxd"
        )
    ledger_page = drafter.get(f"/drafts/{consulting.id}/consultation").get_data(as_text=True)
    row = ledger_page.split(f'data-entry="public:{comment_id}"')[1].split("</tr>")[0]
    assert f'data-version="{made_on}"' in row and "data-carried" in row
    # Article by article, side by side, the changed words marked (drafter and public pages).
    changes = ledger_page.split('id="changes"')[1].split("</section>")[0]
    assert re.findall(r'data-change="(\w+)"', changes) == ["removed", "changed", "added"]
    assert "giấy <del>phép.</del>" in changes and "<ins>phép còn hiệu lực.</ins>" in changes
    public_changes = public.get(f"/public/drafts/{consulting.id}").get_data(as_text=True)
    assert 'data-change="added"' in public_changes and "Điều 4" in public_changes
    # The synthesis: one ledger of the public's comments and the agencies' replies.
    # (The published comment above is one entry; spam would not be.)
    # The agencies reply, the posting period ends: the window closes with the BPMN step.
    pilot = Autopilot(lifecycle)
    draft = pilot.run(consulting, until=at_step("_cns_synthesis"))
    elsewhere = {"REMOTE_ADDR": "127.0.0.2"}  # another visitor, under the rate limit
    closed = public.post(url, data=_form(text), environ_overrides=elsewhere)
    assert closed.status_code == 409
    assert 'name="token"' not in public.get(f"/public/drafts/{draft.id}").get_data(as_text=True)
    synthesis = lifecycle.engine.tasks(
        TaskQuery(instance_id=draft.instance_id, states=("open", "claimed"))
    )
    task = next(t for t in synthesis if t.element_id == "Task_cns_synthesis")
    task_page = drafter.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'id="ledger"' in task_page and "Unanswered" in task_page
    # The synthesis table is made by completing the step: not asked for as "missing".
    asked = task_page.split('data-item="tong_hop_y_kien"')[1].split("</li>")[0]
    assert "data-made-here" in asked and "badge-overdue" not in asked
    assert '<option value="tong_hop_y_kien" selected' not in task_page
    agency_only = drafter.get(f"/tasks/{task.id}?source=agency").get_data(as_text=True)
    assert 'data-entry="agency:' in agency_only and 'data-entry="public:' not in agency_only
    token = csrf_token(drafter, f"/tasks/{task.id}")
    complete = {"synthesis_summary": "Đã tiếp thu, giải trình", "csrf_token": token}
    refused = drafter.post(f"/tasks/{task.id}/complete", data=complete)
    assert refused.status_code == 422 and "have no answer yet" in refused.get_data(as_text=True)
    # The refused page's ledger forms (and its filter) go back to the task page, not to the
    # refused POST's URL (GET /tasks/<id>/complete is 405).
    refused_page = refused.get_data(as_text=True)
    assert f'name="next" value="/tasks/{task.id}"' in refused_page
    assert f'action="/tasks/{task.id}" class="filters"' in refused_page
    assert f"/tasks/{task.id}/complete" not in refused_page.split('id="moderation"')[1]
    # No synthesis table in the dossier yet: its page says so.
    table_page = f"/drafts/{draft.id}/synthesis"
    empty = drafter.get(table_page).get_data(as_text=True)
    assert "No synthesis table is in the dossier yet." in empty
    answers = f"/drafts/{draft.id}/consultation/answers"
    assert other.post(answers, data={"key": "x", "csrf_token": other_token}).status_code == 403
    keys = re.findall(r'data-entry="([^"]+)"', task_page)
    # The public's comment, STC's reply and the Fatherland Front's social criticism.
    assert sorted(k.split(":")[0] for k in keys) == ["agency", "mttq", "public"]
    assert 'data-source="mttq"' in task_page
    public_key = next(k for k in keys if k.startswith("public:"))
    first = {"key": public_key, "answer": "accepted", "note": "x", "csrf_token": token}
    assert drafter.post(answers, data=first).status_code == 422  # say what was changed
    for key, answer in zip(keys, ("accepted", "explained", "partly_accepted"), strict=True):
        done = drafter.post(answers, data={"key": key, "answer": answer, "article": "3",
                                           "note": "Đã sửa Điều 3", "csrf_token": token})  # fmt: skip
        assert done.status_code == 302
    # Each answer form shows the answer given (saving it again does not turn it into another).
    answered = drafter.get(f"/tasks/{task.id}").get_data(as_text=True)
    for key, answer in zip(keys, ("accepted", "explained", "partly_accepted"), strict=True):
        form = answered.split(f'value="{key}"')[1].split("</form>")[0]
        assert re.findall(r'<option value="(\w+)" selected', form) == [answer]
    assert drafter.post(f"/tasks/{task.id}/complete", data=complete).status_code == 302
    data = lifecycle.engine.instance_data(draft.instance_id)
    assert (data["comments_received"], data["comments_accepted"], data["comments_explained"]) == (
        3, 2, 1,
    )  # fmt: skip
    # The ledger through the API, for whoever may see the draft.
    mttq = api.as_user("cv.stc").get(f"/drafts/{draft.id}/ledger?source=mttq").get_json()
    assert [e["key"] for e in mttq["entries"]] == [k for k in keys if k.startswith("mttq:")]
    assert mttq["entries"][0]["answer"]["note"] == "Đã sửa Điều 3"
    assert mttq["counts"]["comments_received"] == 3
    # The synthesis table went into the dossier as a DOCX: one row per entry with its answer.
    with lifecycle.db.read() as session:
        table = next(
            v for v in dossier.versions(session, draft.id) if v.item_code == "tong_hop_y_kien"
        )
        exported = Document(io.BytesIO(dossier.read_file(table)))
    # The administrative format: issuing body and national motto above the title.
    heading = exported.tables[0].rows[0].cells
    assert "SỞ XÂY DỰNG" in heading[0].text.upper() and "Độc lập - Tự do" in heading[1].text
    rows = exported.tables[1].rows
    assert table.filename.endswith(".docx") and len(rows) == 4  # the header and three entries
    assert {row.cells[4].text.split(" ")[0] for row in rows[1:]} == {"Tiếp", "Giải"}
    assert "<script>alert(1)</script>" in "".join(r.cells[3].text for r in rows)  # plain text
    # The same rows on a page, for whoever sees the draft (the appraiser reads them there).
    read = other.get(table_page)
    shown = read.get_data(as_text=True).split('id="synthesis-table"')[1]
    assert read.status_code == 200 and shown.count("<tr data-row=") == 3
    assert "Đã sửa Điều 3" in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "Ngô Thị Tài (Sở Tài chính)" in shown  # who replied, by name, not "cv.stc"
    assert f"synthesis?version={table.id}" in drafter.get(f"/tasks/{task.id}").get_data(
        as_text=True
    )  # the dossier's row links to it
    with lifecycle.db.write() as session:  # a table written by hand is a download only
        by_hand = dossier.add_version(
            session, draft.id, "tong_hop_y_kien", "tong_hop.docx", draft_docx(), "cv.sxd"
        )
    hand = drafter.get(f"{table_page}?version={by_hand.id}").get_data(as_text=True)
    assert "holds no synthesis table that Lexflow can show" in hand
    assert drafter.get(f"{table_page}?version=999999").status_code == 404
    # The appraisal's findings enter the same ledger; the report on them must answer them.
    draft = pilot.run(draft, until=at_step("_apr_intake"))
    intake = next(
        t
        for t in lifecycle.engine.tasks(TaskQuery(instance_id=draft.instance_id))
        if t.element_id == "Task_apr_intake" and t.state in ("open", "claimed")
    )
    intake_page = drafter.get(f"/tasks/{intake.id}").get_data(as_text=True)
    appraisal_key = re.search(r'data-entry="(appraisal:[^"]+)"', intake_page).group(1)
    report = {"intake_summary": "Đã tiếp thu ý kiến thẩm định", "csrf_token": token}
    refused = drafter.post(f"/tasks/{intake.id}/complete", data=report)
    assert refused.status_code == 422 and "findings in the ledger" in refused.get_data(as_text=True)
    done = drafter.post(answers, data={"key": appraisal_key, "answer": "explained",
                                       "note": "Giữ nguyên Điều 3", "csrf_token": token})  # fmt: skip
    assert done.status_code == 302
    with lifecycle.db.write() as session:
        dossier.add_version(
            session, draft.id, "bao_cao_tiep_thu_tham_dinh", "tiep_thu.docx", draft_docx(),
            "cv.sxd",
        )  # fmt: skip
    assert drafter.post(f"/tasks/{intake.id}/complete", data=report).status_code == 302
