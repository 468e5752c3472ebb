"""The synthesis table (bản tổng hợp, tiếp thu, giải trình ý kiến) as a DOCX, from the ledger.

Rendered with docxtpl from our administrative-format template
(``tong_hop_y_kien_template.docx``, authored by :mod:`.synthesis_template`): issuing body,
national motto, place and date, title, one row per ledger entry (who, article, opinion, how
it was taken in) and the signature block. It is attached to the dossier as the
``tong_hop_y_kien`` item when the synthesis step completes, so the appraisal request's
completeness check finds it. :func:`read_rows` reads the table back out of a DOCX of the
dossier, so the appraiser reads on a page exactly what the dossier holds.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from docxtpl import DocxTemplate, Listing
from sqlalchemy.orm import Session

from engine import clock
from workflows.calendar import vietnam_date
from workflows.consultation.synthesis_template import HEADER, TEMPLATE
from workflows.dossier import DocumentVersion, add_version
from workflows.drafts import Draft

if TYPE_CHECKING:  # the ledger attaches the table: imported for types only
    from workflows.consultation.ledger import Entry

ITEM = "tong_hop_y_kien"
MAX_ROWS = 5000  # a table read back for a page: more rows than any ledger has
ANSWER_NAMES = {
    "accepted": "Tiếp thu",
    "partly_accepted": "Tiếp thu một phần",
    "explained": "Giải trình",
}
SOURCE_NAMES = {
    "public": "Tổ chức, cá nhân (lấy ý kiến công khai)",
    "agency": "Cơ quan được lấy ý kiến",
    "mttq": "Ủy ban Mặt trận Tổ quốc Việt Nam (phản biện xã hội)",
    "appraisal": "Cơ quan thẩm định",
    "examination": "Cơ quan thẩm tra",
}


def _row(number: int, entry: Entry, names: dict[str, str]) -> dict[str, object]:
    organisation = entry.organisation
    if organisation and entry.source != "public":
        organisation = names.get(organisation, organisation)
    who = entry.author + (f" ({organisation})" if organisation else "")
    who += f"\n{SOURCE_NAMES.get(entry.source, entry.source)}"
    opinion = entry.text
    if entry.agrees is not None:
        opinion = ("Thống nhất. " if entry.agrees else "Không thống nhất. ") + opinion
    taken = "Chưa trả lời"
    if entry.answer is not None:
        taken = ANSWER_NAMES.get(entry.answer.answer, entry.answer.answer)
        if entry.answer.article:
            taken += f" (Điều {entry.answer.article})"
        taken += f": {entry.answer.note}"
    article = f"Điều {entry.article}" if entry.article else "Toàn bộ dự thảo"
    if entry.version:
        article += f"\n(dự thảo lần {entry.version})"
    return {
        "number": number,
        "who": Listing(who),
        "article": Listing(article),
        "opinion": Listing(opinion),
        "answer": Listing(taken),
    }


def build(
    draft: Draft, entries: list[Entry], organisation_name: str,
    organisation_names: dict[str, str] | None = None,
) -> bytes:  # fmt: skip
    """The table's bytes; ``organisation_names`` names the agencies' codes."""
    names = organisation_names or {}
    today = vietnam_date(clock.now())
    answers = [e.answer.answer for e in entries if e.answer is not None]
    template = DocxTemplate(str(TEMPLATE))
    template.render(
        {
            "issuing_body": organisation_name,
            "issuing_body_upper": organisation_name.upper(),
            "number": "      /BC-" + draft.lead_agency,
            "place_and_date": f"ngày {today:%d} tháng {today:%m} năm {today:%Y}",
            "title": draft.title,
            "code": draft.code,
            "received": len(entries),
            "accepted": sum(a in ("accepted", "partly_accepted") for a in answers),
            "explained": sum(a == "explained" for a in answers),
            "entries": [_row(n, e, names) for n, e in enumerate(entries, start=1)],
        },
        autoescape=True,
    )
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()


def attach(
    session: Session, draft: Draft, entries: list[Entry], organisation_name: str, actor: str,
    task_id: str | None = None, organisation_names: dict[str, str] | None = None,
) -> DocumentVersion:  # fmt: skip
    """Keep the table as a new version of the dossier's synthesis item."""
    data = build(draft, entries, organisation_name, organisation_names)
    return add_version(
        session, draft.id, ITEM, f"tong_hop_y_kien_{draft.code}.docx", data, actor,
        note="Lập tự động từ sổ ý kiến", task_id=task_id,
    )  # fmt: skip


def read_rows(data: bytes) -> list[tuple[str, ...]] | None:
    """The rows (STT, who, article, opinion, answer) of the synthesis table in a DOCX, or
    None when the file is no DOCX or holds no table with the synthesis table's header (a
    table written by hand, say: it is still in the dossier, to download)."""
    from docx import Document  # python-docx, as for the draft's text

    try:
        document = Document(io.BytesIO(data))
    except Exception:  # not a DOCX, or a damaged one: nothing to show, the file stays
        return None
    for table in document.tables:
        rows = table.rows
        if not len(rows) or tuple(c.text.strip() for c in rows[0].cells) != HEADER:
            continue
        return [
            tuple(cell.text.strip() for cell in row.cells[: len(HEADER)])
            for row in list(rows)[1 : MAX_ROWS + 1]
        ]
    return None
