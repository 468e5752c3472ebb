"""The standard documents Lexflow fills from a draft's recorded steps and from the plan.

* the appraisal report (báo cáo thẩm định) of the justice agency, from what the appraisal
  step recorded (its conclusion and summary, and every other answer of its form);
* the examination report (báo cáo thẩm tra) of the People's Council committee, from the
  examination step;
* the tờ trình skeleton of the lead agency: what Lexflow knows (the draft, its legal basis,
  how it was built step by step, the appraisal's conclusion) with the sections the drafters
  write themselves left as headings to fill;
* the behind-plan report of the Department of Justice: the items of the year's plan behind
  schedule, why, and their slack on the backward plan;
* the plan itself (danh mục): every item of the year's plan with where it stands.

Each is an :class:`~workflows.reports.admin_document.AdminDocument` in the administrative
presentation, written in Vietnamese as the administration's documents are. A step's answers
come in already labelled (:class:`StepRecord`: the web layer labels them with the step's
form); a report whose step has not been recorded yet is not available
(:func:`available_reports`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from workflows.calendar import vietnam_date
from workflows.directory import Organisation
from workflows.drafts import DOCUMENT_TYPES, Draft
from workflows.reports.admin_document import (
    AdminDocument,
    Block,
    Heading,
    Paragraph,
    TableBlock,
)
from workflows.reports.schedule import BackwardPlan

APPRAISAL, EXAMINATION, SUBMISSION = "appraisal", "examination", "submission"
DRAFT_REPORTS = (APPRAISAL, EXAMINATION, SUBMISSION)
#: The answer a report's step records, by which it is recognised in any model.
_RESULT_FIELD = {APPRAISAL: "appraisal_result", EXAMINATION: "examination_result"}
_SUMMARY_FIELD = {APPRAISAL: "appraisal_summary", EXAMINATION: "examination_summary"}
#: Words a file name carries (ASCII).
FILE_WORDS = {
    APPRAISAL: "bao-cao-tham-dinh",
    EXAMINATION: "bao-cao-tham-tra",
    SUBMISSION: "to-trinh",
    "behind_plan": "bao-cao-cham-ke-hoach",
    "plan": "danh-muc-ke-hoach",
}
_PLACE_PREFIXES = ("Tỉnh ", "Thành phố ", "Xã ", "Phường ", "Đặc khu ")


@dataclass(frozen=True)
class StepRecord:
    """One completed step as a report reads it."""

    title: str
    organisation: str | None
    who: str | None
    at: datetime
    data: Mapping[str, Any]
    answers: Sequence[tuple[str, str]]  # (label, value) in the form's order


class ReportUnavailable(LookupError):
    """The step the report is made from has not been recorded yet."""


class _Orgs:
    def __init__(self, session: Session) -> None:
        self.rows = {o.code: o for o in session.execute(select(Organisation)).scalars()}

    def name(self, code: str | None) -> str:
        row = self.rows.get(code or "")
        return row.name_vi if row else (code or "")

    def parent(self, code: str | None) -> str | None:
        row = self.rows.get(code or "")
        return self.name(row.parent_code) if row and row.parent_code else None

    def place(self, code: str | None) -> str:
        """The place line's name: the province (or commune) the body belongs to."""
        seen: set[str] = set()
        row = self.rows.get(code or "")
        while row is not None and row.parent_code and row.code not in seen:
            seen.add(row.code)
            if row.kind in ("province", "commune"):
                break
            row = self.rows.get(row.parent_code)
        name = row.name_vi if row else ""
        for prefix in _PLACE_PREFIXES:
            if name.lower().startswith(prefix.lower()):
                return name[len(prefix) :]
        return name

    def first_of_kind(self, kind: str) -> str | None:
        return next((code for code, row in self.rows.items() if row.kind == kind), None)


def _abbreviation(code: str | None) -> str:
    return (code or "").replace("_", "")[:10]


def _day(moment: datetime | date | None) -> str:
    if moment is None:
        return "…"
    day = vietnam_date(clock.as_utc(moment)) if isinstance(moment, datetime) else moment
    return day.strftime("%d/%m/%Y")


def _type_name(document_type: str) -> str:
    return DOCUMENT_TYPES.get(document_type, (document_type,))[0]


def _recorded(records: Sequence[StepRecord], kind: str) -> StepRecord | None:
    field = _RESULT_FIELD.get(kind)
    found = [r for r in records if field and field in r.data]
    return found[-1] if found else None


def available_reports(records: Sequence[StepRecord]) -> list[str]:
    """The draft reports that can be made now (the tờ trình skeleton always can)."""
    return [kind for kind in DRAFT_REPORTS if kind == SUBMISSION or _recorded(records, kind)]


def _answers(record: StepRecord, kind: str) -> list[Paragraph]:
    return [Paragraph(value, label) for label, value in record.answers]


def _about(draft: Draft) -> str:
    return f"dự thảo {_type_name(draft.document_type)} “{draft.title}”"


def draft_report(
    session: Session, kind: str, draft: Draft, records: Sequence[StepRecord]
) -> AdminDocument:
    """The ``kind`` report of ``draft`` (one of :data:`DRAFT_REPORTS`)."""
    orgs = _Orgs(session)
    today = vietnam_date(clock.now())
    overview = [
        Paragraph(draft.code, "Mã dự thảo"),
        Paragraph(orgs.name(draft.lead_agency), "Cơ quan chủ trì soạn thảo"),
        Paragraph(f"{draft.target_session or '…'} ({_day(draft.target_date)})", "Kỳ họp dự kiến"),
    ]
    if draft.legal_basis:
        overview.append(Paragraph(draft.legal_basis, "Căn cứ pháp lý"))
    if kind == SUBMISSION:
        return _submission(orgs, draft, records, overview, today)
    record = _recorded(records, kind)
    if record is None:
        raise ReportUnavailable(kind)
    result = str(record.data.get(_RESULT_FIELD[kind]) or "")
    summary = str(record.data.get(_SUMMARY_FIELD[kind]) or "")
    if kind == APPRAISAL:
        issuer = record.organisation or orgs.first_of_kind("justice_department")
        title, addressee, signer = "Thẩm định", orgs.name(draft.lead_agency), "Giám đốc"
        recipients = (orgs.name(draft.lead_agency), orgs.parent(issuer) or "", "Lưu: VT")
        number = f"Số:       /BC-{_abbreviation(issuer)}"
    else:
        issuer = record.organisation
        title, addressee, signer = "Thẩm tra", orgs.parent(issuer) or "", "TM. Ban / Trưởng ban"
        recipients = (orgs.parent(issuer) or "", orgs.name(draft.lead_agency), "Lưu: VT")
        number = f"Số:       /BC-{_abbreviation(issuer)}"
    blocks = (
        Heading("I. KHÁI QUÁT VỀ DỰ THẢO"),
        *overview,
        Heading(f"II. Ý KIẾN {title.upper()}"),
        Paragraph(summary or "…", f"Tóm tắt ý kiến {title.lower()}"),
        *(p for p in _answers(record, kind) if p.text not in (result, summary)),
        Heading("III. KẾT LUẬN"),
        Paragraph(result or "…", f"Kết luận {title.lower()}"),
        Paragraph(f"{record.who or '…'}, {_day(record.at)}", "Ghi nhận trên Lexflow"),
    )
    return AdminDocument(
        superior=orgs.parent(issuer),
        issuing_body=orgs.name(issuer),
        number=number,
        place=orgs.place(issuer),
        day=today,
        kind="BÁO CÁO",
        subject=f"{title} {_about(draft)}",
        addressee=addressee or None,
        blocks=blocks,
        recipients=tuple(r for r in recipients if r),
        signer_title=signer,
        facts={"draft": draft.code, "result": result},
    )


def _submission(
    orgs: _Orgs,
    draft: Draft,
    records: Sequence[StepRecord],
    overview: list[Paragraph],
    today: date,
) -> AdminDocument:
    appraisal = _recorded(records, APPRAISAL)
    history = TableBlock(
        ("TT", "Bước", "Cơ quan", "Ngày hoàn thành"),
        tuple(
            (str(i), r.title, orgs.name(r.organisation), _day(r.at))
            for i, r in enumerate(records, 1)
        ),
    )
    addressee = orgs.parent(draft.lead_agency) or orgs.name(draft.issuing_body)
    blocks: list[Any] = [
        Heading("I. SỰ CẦN THIẾT BAN HÀNH"),
        Paragraph("(Cơ quan chủ trì soạn thảo viết.)"),
        Heading("II. MỤC ĐÍCH, QUAN ĐIỂM XÂY DỰNG DỰ THẢO"),
        Paragraph("(Cơ quan chủ trì soạn thảo viết.)"),
        Heading("III. QUÁ TRÌNH XÂY DỰNG DỰ THẢO"),
        *overview,
        history,
    ]
    if appraisal is not None:
        blocks.append(
            Paragraph(
                str(appraisal.data.get("appraisal_result") or "…"),
                f"Kết luận thẩm định ({_day(appraisal.at)})",
            )
        )
    blocks += [
        Heading("IV. BỐ CỤC VÀ NỘI DUNG CƠ BẢN CỦA DỰ THẢO"),
        Paragraph("(Cơ quan chủ trì soạn thảo viết.)"),
        Heading("V. NHỮNG VẤN ĐỀ CẦN XIN Ý KIẾN"),
        Paragraph("(Nếu có.)"),
        Paragraph(
            f"Trên đây là Tờ trình về {_about(draft)}, {orgs.name(draft.lead_agency)} kính trình "
            f"{addressee} xem xét, quyết định."
        ),
    ]
    return AdminDocument(
        superior=orgs.parent(draft.lead_agency),
        issuing_body=orgs.name(draft.lead_agency),
        number=f"Số:       /TTr-{_abbreviation(draft.lead_agency)}",
        place=orgs.place(draft.lead_agency),
        day=today,
        kind="TỜ TRÌNH",
        subject=f"Về {_about(draft)}",
        addressee=addressee,
        blocks=tuple(blocks),
        recipients=(addressee, "Lưu: VT"),
        signer_title="Thủ trưởng cơ quan",
        draft_note="DỰ THẢO",
        facts={"draft": draft.code},
    )


@dataclass(frozen=True)
class BehindItem:
    code: str | None
    title: str
    agency: str
    target: date | None
    stage: str | None
    reason: str
    plan: BackwardPlan | None


def behind_plan_report(
    session: Session, year: int, totals: Mapping[str, int], items: Sequence[BehindItem]
) -> AdminDocument:
    """The Department of Justice's report on the year's plan items behind schedule."""
    orgs = _Orgs(session)

    def slack(plan: BackwardPlan | None) -> str:
        if plan is None or plan.slack is None:
            return "—"
        if plan.slack < 0:
            return f"chậm {-plan.slack} ngày làm việc"
        return f"còn {plan.slack} ngày làm việc"

    blocks = (
        Heading("I. TÌNH HÌNH CHUNG"),
        Paragraph(_plan_summary(year, totals)),
        Heading("II. CÁC VĂN BẢN CHẬM TIẾN ĐỘ"),
        TableBlock(
            ("TT", "Văn bản", "Cơ quan chủ trì", "Kỳ họp dự kiến", "Lý do", "Thời gian dự phòng"),
            tuple(
                (
                    str(i),
                    _code_and_title(item.code, item.title),
                    orgs.name(item.agency),
                    _day(item.target),
                    item.reason,
                    slack(item.plan),
                )
                for i, item in enumerate(items, 1)
            ),
        ),
        Heading("III. KIẾN NGHỊ"),
        Paragraph("(Sở Tư pháp viết.)"),
    )
    return _from_justice_department(
        orgs,
        "BC",
        "BÁO CÁO",
        f"Tình hình thực hiện Kế hoạch xây dựng văn bản quy phạm pháp luật năm {year}",
        blocks,
        {"behind": len(items)},
    )


@dataclass(frozen=True)
class PlanLine:
    """One item of the year's plan as the plan document lists it (texts already localized)."""

    code: str | None
    title: str
    agency: str
    target: date | None
    state: str
    reason: str


def plan_report(
    session: Session,
    year: int,
    totals: Mapping[str, int],
    lines: Sequence[PlanLine],
    *,
    truncated: bool = False,
) -> AdminDocument:
    """The year's plan with where each item stands: the list the Department of Justice
    brings to the People's Committee's meeting (every item, not only those behind)."""
    orgs = _Orgs(session)
    blocks: list[Block] = [
        Heading("I. TỔNG HỢP"),
        Paragraph(_plan_summary(year, totals)),
        Heading("II. DANH MỤC VĂN BẢN"),
        TableBlock(
            ("TT", "Văn bản", "Cơ quan chủ trì", "Kỳ họp dự kiến", "Tình trạng", "Ghi chú"),
            tuple(
                (
                    str(i),
                    _code_and_title(line.code, line.title),
                    orgs.name(line.agency),
                    _day(line.target),
                    line.state,
                    line.reason,
                )
                for i, line in enumerate(lines, 1)
            ),
        ),
    ]
    if truncated:
        blocks.append(
            Paragraph(f"Danh mục chỉ liệt kê {len(lines)} văn bản đầu; xem đủ trên Lexflow.")
        )
    return _from_justice_department(
        orgs,
        "DM",
        "DANH MỤC",
        f"Văn bản quy phạm pháp luật trong Kế hoạch năm {year} và tiến độ thực hiện",
        tuple(blocks),
        {"items": len(lines)},
    )


def _code_and_title(code: str | None, title: str) -> str:
    """A plan item as the plan's reports name it: its draft's code first, once it has one."""
    return f"{code}: {title}" if code else title


def _plan_summary(year: int, totals: Mapping[str, int]) -> str:
    return (
        f"Kế hoạch năm {year} có {sum(totals.values())} văn bản: {totals.get('done', 0)} đã "
        f"hoàn thành, {totals.get('on_track', 0)} đúng tiến độ, {totals.get('behind', 0)} chậm "
        f"tiến độ, {totals.get('not_started', 0)} chưa triển khai, {totals.get('dropped', 0)} "
        "dừng hoặc hủy."
    )


def _from_justice_department(
    orgs: _Orgs,
    symbol: str,
    kind: str,
    subject: str,
    blocks: tuple[Block, ...],
    facts: dict[str, Any],
) -> AdminDocument:
    """A document of the Department of Justice to its People's Committee, signed by its
    director (the plan's reports)."""
    issuer = orgs.first_of_kind("justice_department")
    return AdminDocument(
        superior=orgs.parent(issuer),
        issuing_body=orgs.name(issuer),
        number=f"Số:       /{symbol}-{_abbreviation(issuer)}",
        place=orgs.place(issuer),
        day=vietnam_date(clock.now()),
        kind=kind,
        subject=subject,
        addressee=orgs.parent(issuer),
        blocks=blocks,
        recipients=tuple(r for r in (orgs.parent(issuer), "Lưu: VT") if r),
        signer_title="Giám đốc",
        facts=facts,
    )
