"""A draft posted for public comment with a DOCX text by article (consultation tests)."""

from __future__ import annotations

import io

from docx import Document

from workflows import dossier
from workflows.autopilot import Autopilot, at_step
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle


def draft_docx(*, revised: bool = False) -> bytes:
    """The draft; ``revised``: version 2, with Điều 3 changed, Điều 2 gone and Điều 4 added."""
    document = Document()
    document.add_paragraph("ỦY BAN NHÂN DÂN TỈNH")
    document.add_paragraph("QUYẾT ĐỊNH Ban hành Quy định quản lý vật liệu xây dựng")
    document.add_paragraph("Chương I")
    document.add_paragraph("QUY ĐỊNH CHUNG")
    document.add_paragraph("Điều 1. Phạm vi điều chỉnh")
    document.add_paragraph("Quy định này quy định việc quản lý vật liệu xây dựng.")
    if not revised:
        document.add_paragraph("Điều 2. Đối tượng áp dụng")
        document.add_paragraph("1. Cơ quan nhà nước.")
        document.add_paragraph("2. Tổ chức, cá nhân:")
        document.add_paragraph("a) Doanh nghiệp sản xuất;")
        document.add_paragraph("b) Hộ kinh doanh.")
    document.add_paragraph("Chương II")
    document.add_paragraph("Mục 1. Khai thác")
    document.add_paragraph("Điều 3. Mỏ cát")
    if revised:
        document.add_paragraph("1. Việc khai thác cát phải có giấy phép còn hiệu lực.")
        document.add_paragraph("Điều 4. Hiệu lực thi hành")
        document.add_paragraph("Quy định này có hiệu lực từ ngày ký.")
    else:
        document.add_paragraph("1. Việc khai thác cát phải có giấy phép.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def post_for_comment(lifecycle: Lifecycle) -> Draft:
    """A province draft of SXD (STC consulted) posted for comment with a DOCX draft text,
    waiting on the consulted agencies' replies (the comment window is open)."""
    lifecycle.deploy_models("owner")
    with lifecycle.db.write() as session:
        draft = lifecycle.start_draft(
            session, lifecycle.engine.actor("cv.sxd"),
            title="Quy định quản lý vật liệu xây dựng", document_type="qd_ubnd_tinh",
            lead_agency="SXD", consulted_agencies=("STC",),
        )  # fmt: skip
        session.flush()
    pilot = Autopilot(lifecycle)
    draft = pilot.run(draft, until=at_step("_cns_post"))
    with lifecycle.db.write() as session:
        dossier.add_version(session, draft.id, "du_thao", "du_thao.docx", draft_docx(), "cv.sxd")
    return pilot.run(draft, until=at_step("_cns_reply"))
