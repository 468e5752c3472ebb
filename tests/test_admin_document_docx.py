"""An administrative document's DOCX, from the Word template, read back with python-docx.

Every part of the Decree 30 presentation is where the template puts it, and text holding
Jinja's marks (a user may type ``{{ 7*7 }}`` into an answer or a title) comes out as typed:
docxtpl renders the template with Jinja, and Lexflow passes text only as values.
"""

from __future__ import annotations

import io
from datetime import date

from docx import Document

from workflows.reports.admin_document import (
    AdminDocument,
    Heading,
    Paragraph,
    TableBlock,
    docx_bytes,
)

TYPED = "{{ 7*7 }} {%p for x in y %}{%tr if 1 %}{{p z }}</w:t><b>&amp; “x”\nsecond line\x0c"
SHOWN = TYPED.replace("\x0c", "")  # no DOCX can hold a form feed


def document(text: str) -> AdminDocument:
    return AdminDocument(
        superior="UBND tỉnh Hà Tĩnh",
        issuing_body="Sở Tư pháp",
        number="Số:       /BC-STP",
        place="Hà Tĩnh",
        day=date(2026, 3, 4),
        kind="BÁO CÁO",
        subject=f"Thẩm định dự thảo {text}",
        addressee=f"Sở Xây dựng {text}",
        blocks=(
            Heading(f"I. KHÁI QUÁT {text}"),
            Paragraph(f"ý kiến {text}", f"Nhãn {text}"),
            Paragraph("không nhãn"),
            TableBlock(("TT", "Bước", f"Cột {text}"), (("1", "Soạn thảo", text), ("2", "x", "y"))),
            Paragraph("sau bảng"),
        ),
        recipients=("Sở Xây dựng", text, "Lưu: VT"),
        signer_title="Giám đốc",
        draft_note="DỰ THẢO",
    )


def test_docx_has_the_administrative_layout_and_user_text_as_typed() -> None:
    word = Document(io.BytesIO(docx_bytes(document(TYPED))))
    section = word.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.left_margin.mm) == 30
    left, right = (c.text.split("\n") for c in word.tables[0].rows[0].cells)
    assert left == ["UBND TỈNH HÀ TĨNH", "SỞ TƯ PHÁP", "Số:       /BC-STP"]
    assert right == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Hà Tĩnh, ngày 04 tháng 03 năm 2026",
    ]
    texts = [p.text for p in word.paragraphs]
    assert texts == [
        "DỰ THẢO",
        "BÁO CÁO",
        f"Thẩm định dự thảo {SHOWN}",
        f"Kính gửi: Sở Xây dựng {SHOWN}",
        f"I. KHÁI QUÁT {SHOWN}",
        f"Nhãn {SHOWN}: ý kiến {SHOWN}",
        "không nhãn",
        "sau bảng",
        "",
    ]
    label = word.paragraphs[5].runs[0]
    assert label.bold and label.text == f"Nhãn {SHOWN}: "
    table = word.tables[1]
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["TT", "Bước", f"Cột {SHOWN}"],
        ["1", "Soạn thảo", SHOWN],
        ["2", "x", "y"],
    ]
    recipients, signer = word.tables[2].rows[0].cells
    assert recipients.text.split("\n") == [
        "Nơi nhận:",
        "- Sở Xây dựng;",
        *f"- {SHOWN};".split("\n"),
        "- Lưu: VT;",
    ]
    assert signer.text == "GIÁM ĐỐC"


def test_a_document_without_superior_addressee_or_mark_leaves_their_lines_out() -> None:
    plain = AdminDocument(
        superior=None, issuing_body="Sở Tư pháp", number="Số: 1/BC-STP", place="Hà Tĩnh",
        day=date(2026, 3, 4), kind="BÁO CÁO", subject="Chậm kế hoạch", addressee=None,
        blocks=(Paragraph("một"),),
    )  # fmt: skip
    word = Document(io.BytesIO(docx_bytes(plain)))
    assert word.tables[0].rows[0].cells[0].text == "SỞ TƯ PHÁP\nSố: 1/BC-STP"
    assert [p.text for p in word.paragraphs] == ["BÁO CÁO", "Chậm kế hoạch", "một", ""]
    assert word.tables[-1].rows[0].cells[0].text == "Nơi nhận:"
