"""The synthesis table (bản tổng hợp, tiếp thu, giải trình ý kiến) as a DOCX, from the ledger.

Built with python-docx in the administrative layout (national motto, title, one row per
ledger entry: who, article, opinion, how it was taken in) and attached to the dossier as the
``tong_hop_y_kien`` item when the synthesis step completes, so the appraisal request's
completeness check finds it.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from sqlalchemy.orm import Session

from workflows.dossier import DocumentVersion, add_version
from workflows.drafts import Draft

if TYPE_CHECKING:  # the ledger attaches the table: imported for types only
    from workflows.consultation.ledger import Entry

ITEM = "tong_hop_y_kien"
ANSWER_NAMES = {
    "accepted": "Tiếp thu",
    "partly_accepted": "Tiếp thu một phần",
    "explained": "Giải trình",
}
HEADER = ("STT", "Chủ thể góp ý", "Điều", "Nội dung góp ý", "Tiếp thu, giải trình")


def _centered(document: Document, text: str, *, bold: bool = False, size: int = 13) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold, run.font.size = bold, Pt(size)


def build(draft: Draft, entries: list[Entry], organisation_name: str) -> bytes:
    document = Document()
    _centered(document, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    _centered(document, "Độc lập - Tự do - Hạnh phúc", bold=True)
    _centered(document, "BẢN TỔNG HỢP, TIẾP THU, GIẢI TRÌNH Ý KIẾN GÓP Ý", bold=True, size=14)
    _centered(document, f"Dự thảo {draft.title} ({draft.code})")
    _centered(document, f"Cơ quan chủ trì soạn thảo: {organisation_name}", size=12)
    table = document.add_table(rows=1, cols=len(HEADER))
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = title
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for number, entry in enumerate(entries, start=1):
        who = entry.author + (f" ({entry.organisation})" if entry.organisation else "")
        opinion = entry.text
        if entry.agrees is not None:
            opinion = ("Thống nhất. " if entry.agrees else "Không thống nhất. ") + opinion
        answer = entry.answer
        taken = "Chưa trả lời"
        if answer is not None:
            taken = ANSWER_NAMES.get(answer.answer, answer.answer)
            if answer.article:
                taken += f" (Điều {answer.article})"
            taken += f": {answer.note}"
        article = f"Điều {entry.article}" if entry.article else "Toàn bộ dự thảo"
        cells = table.add_row().cells
        for cell, text in zip(cells, (str(number), who, article, opinion, taken), strict=True):
            cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def attach(
    session: Session, draft: Draft, entries: list[Entry], organisation_name: str, actor: str,
    task_id: str | None = None,
) -> DocumentVersion:  # fmt: skip
    """Keep the table as a new version of the dossier's synthesis item."""
    data = build(draft, entries, organisation_name)
    return add_version(
        session, draft.id, ITEM, f"tong_hop_y_kien_{draft.code}.docx", data, actor,
        note="Lập tự động từ sổ ý kiến", task_id=task_id,
    )  # fmt: skip
