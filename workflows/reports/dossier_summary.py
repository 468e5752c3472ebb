"""The dossier summary of a draft as a DOCX document (python-docx, a kept library).

What a leader takes to a meeting: the administrative heading (issuing body, the national
emblem line, the date), what the draft is (code, title, type, lead agency, target session),
every step with its dates, actor and whether it was late, and every document of the
dossier with its version. The text is Vietnamese, as the administration's documents are.
The caller decides who may have it (the draft page's rule) and logs the export.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from engine import clock
from engine.task_queries import TaskInfo
from workflows.calendar import vietnam_date
from workflows.dossier import DocumentVersion, item_name
from workflows.drafts import DOCUMENT_TYPES, Draft

STATE_VI = {
    "open": "Đang chờ",
    "claimed": "Đang xử lý",
    "completed": "Đã xong",
    "cancelled": "Đã hủy",
}


def _day(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    day = vietnam_date(clock.as_utc(moment)) if isinstance(moment, datetime) else moment
    return day.strftime("%d/%m/%Y")


def _centered(document: Document, text: str, *, bold: bool = False, size: int = 13) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)


def _table(document: Document, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text


def summary_docx(
    draft: Draft,
    steps: Sequence[TaskInfo],
    documents: Sequence[DocumentVersion],
    names: dict[str, str],
) -> bytes:
    """The summary of ``draft``; ``names`` maps organisation codes to their names."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    _centered(document, names.get(draft.issuing_body, draft.issuing_body).upper(), bold=True)
    _centered(document, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    _centered(document, "Độc lập - Tự do - Hạnh phúc", bold=True)
    today = vietnam_date(clock.now())
    _centered(document, f"Ngày {today.day:02d} tháng {today.month:02d} năm {today.year}", size=12)
    _centered(document, "TÓM TẮT HỒ SƠ DỰ THẢO", bold=True, size=14)
    _centered(document, f"{draft.code}: {draft.title}", bold=True)
    facts = [
        ("Loại văn bản", DOCUMENT_TYPES.get(draft.document_type, (draft.document_type,))[0]),
        ("Cơ quan chủ trì", names.get(draft.lead_agency, draft.lead_agency)),
        ("Cơ quan ban hành", names.get(draft.issuing_body, draft.issuing_body)),
        ("Năm kế hoạch", str(draft.plan_year)),
        ("Kỳ họp dự kiến", f"{draft.target_session or ''} {_day(draft.target_date)}".strip()),
        ("Trình tự", "rút gọn" if draft.procedure == "simplified" else "thông thường"),
        ("Số, ký hiệu", draft.number or ""),
        ("Ngày ký", _day(draft.signed_on)),
    ]
    document.add_heading("Thông tin chung", level=2)
    _table(document, ("Mục", "Nội dung"), [(k, v) for k, v in facts if v])
    document.add_heading("Các bước xử lý", level=2)
    _table(
        document,
        ("Bước", "Cơ quan", "Người thực hiện", "Nhận", "Hạn", "Xong", "Tình trạng"),
        [
            (
                step.title,
                names.get(step.organisation or "", step.organisation or ""),
                step.completed_by or step.assignee or "",
                _day(step.created_at),
                _day(step.due_at),
                _day(step.completed_at),
                STATE_VI.get(step.state, step.state)
                + (
                    " (quá hạn)"
                    if step.due_at
                    and (step.completed_at or clock.now()) > step.due_at
                    and step.state != "cancelled"
                    else ""
                ),
            )
            for step in steps
        ],
    )
    document.add_heading("Tài liệu trong hồ sơ", level=2)
    _table(
        document,
        ("Thành phần", "Phiên bản", "Tệp", "Người tải lên", "Ngày"),
        [
            (item_name(v.item_code), str(v.version), v.filename, v.uploaded_by, _day(v.uploaded_at))
            for v in documents
        ],
    )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
