"""The dossier summary of a draft as a DOCX document (docxtpl, a kept library).

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
from typing import Any

from docxtpl import DocxTemplate

from engine import clock
from engine.task_queries import TaskInfo
from workflows.calendar import vietnam_date
from workflows.dossier import DocumentVersion, item_name
from workflows.drafts import DOCUMENT_TYPES, Draft
from workflows.reports.admin_document import MOTTO, MOTTO_LINE, plain
from workflows.reports.dossier_summary_template import TEMPLATE

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


def summary_docx(
    draft: Draft,
    steps: Sequence[TaskInfo],
    documents: Sequence[DocumentVersion],
    names: dict[str, str],
) -> bytes:
    """The summary of ``draft``; ``names`` maps organisation codes to their names.

    Rendered from ``templates/dossier_summary.docx`` (authored by
    :mod:`workflows.reports.dossier_summary_template`, editable in Word): every text is a
    value of the template, never its source."""
    today = vietnam_date(clock.now())
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
    values = {
        "issuing_body_upper": names.get(draft.issuing_body, draft.issuing_body).upper(),
        "motto": MOTTO,
        "motto_line": MOTTO_LINE,
        "date_line": f"Ngày {today.day:02d} tháng {today.month:02d} năm {today.year}",
        "code": draft.code,
        "title": draft.title,
        "facts": [{"name": k, "value": v} for k, v in facts if v],
        "steps": [
            {
                "title": step.title,
                "organisation": names.get(step.organisation or "", step.organisation or ""),
                "who": step.completed_by or step.assignee or "",
                "received": _day(step.created_at),
                "due": _day(step.due_at),
                "done": _day(step.completed_at),
                "state": STATE_VI.get(step.state, step.state)
                + (
                    " (quá hạn)"
                    if step.due_at
                    and (step.completed_at or clock.now()) > step.due_at
                    and step.state != "cancelled"
                    else ""
                ),
            }
            for step in steps
        ],
        "documents": [
            {
                "item": item_name(v.item_code),
                "version": str(v.version),
                "filename": v.filename,
                "uploaded_by": v.uploaded_by,
                "day": _day(v.uploaded_at),
            }
            for v in documents
        ],
    }
    template = DocxTemplate(str(TEMPLATE))
    template.render(_plain(values), autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def _plain(value: Any) -> Any:
    """Every text of ``value`` made fit for a DOCX (:func:`~.admin_document.plain`)."""
    if isinstance(value, str):
        return plain(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
