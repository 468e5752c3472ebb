"""Author the DOCX template of the synthesis table (our own file, rendered by docxtpl).

The template (``tong_hop_y_kien_template.docx`` beside this module, committed) follows the
administrative format of Decree 30/2020/ND-CP: A4, margins 20/20/30/15 mm, Times New Roman
13-14 pt; a borderless header with the issuing body on the left and the national motto on
the right, the place and date, the title, then the table of comments and answers (one row
per ledger entry, the ``{%tr for %}`` rows of docxtpl) and the signature block. Anyone may
change the wording or layout in Word as long as the ``{{ }}`` fields stay; to start again
from this layout, run ``python -m workflows.consultation.synthesis_template``.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from docx.table import _Cell

TEMPLATE = Path(__file__).with_name("tong_hop_y_kien_template.docx")
HEADER = ("STT", "Chủ thể góp ý", "Điều, khoản", "Nội dung góp ý", "Tiếp thu, giải trình")
WIDTHS_MM = (12, 48, 28, 92, 92)


def _write(cell: _Cell, text: str, *, bold: bool = False, italic: bool = False,
           underline: bool = False, size: int = 13, center: bool = True) -> None:  # fmt: skip
    paragraph = cell.paragraphs[0]
    if paragraph.text:
        paragraph = cell.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline, run.font.size = bold, italic, underline, Pt(size)


CENTER = WD_ALIGN_PARAGRAPH.CENTER


def _paragraph(document: Document, text: str, *, bold: bool = False, italic: bool = False,
               size: int = 14, align: WD_ALIGN_PARAGRAPH = CENTER) -> None:  # fmt: skip
    paragraph = document.add_paragraph()
    paragraph.alignment = align
    run = paragraph.add_run(text)
    run.bold, run.italic, run.font.size = bold, italic, Pt(size)


def build_template() -> bytes:
    """The template's bytes (landscape A4: the table has five columns of text)."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(13)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)

    header = document.add_table(rows=1, cols=2)  # no style: no borders
    left, right = header.rows[0].cells
    _write(left, "{{ issuing_body_upper }}", bold=True)
    _write(left, "Số: {{ number }}", size=13)
    _write(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    _write(right, "Độc lập - Tự do - Hạnh phúc", bold=True, underline=True, size=14)
    _write(right, "{{ place_and_date }}", italic=True, size=14)

    _paragraph(document, "BẢN TỔNG HỢP, TIẾP THU, GIẢI TRÌNH Ý KIẾN GÓP Ý", bold=True)
    _paragraph(document, "đối với dự thảo {{ title }} ({{ code }})", bold=True)
    _paragraph(document, "Cơ quan chủ trì soạn thảo: {{ issuing_body }}", size=13)
    _paragraph(
        document, "Tổng số ý kiến: {{ received }}; tiếp thu: {{ accepted }}; "
        "giải trình: {{ explained }}.", size=13, align=WD_ALIGN_PARAGRAPH.LEFT,
    )  # fmt: skip

    table = document.add_table(rows=4, cols=len(HEADER))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row in table.rows:
        for cell, width in zip(row.cells, WIDTHS_MM, strict=True):
            cell.width = Mm(width)
    for cell, title in zip(table.rows[0].cells, HEADER, strict=True):
        _write(cell, title, bold=True)
    # docxtpl: a row holding only "{%tr for %}" / "{%tr endfor %}" repeats the rows between.
    table.rows[1].cells[0].text = "{%tr for e in entries %}"
    fields = ("{{ e.number }}", "{{ e.who }}", "{{ e.article }}", "{{ e.opinion }}",
              "{{ e.answer }}")  # fmt: skip
    for cell, field in zip(table.rows[2].cells, fields, strict=True):
        _write(cell, field, size=12, center=field == "{{ e.number }}")
    table.rows[3].cells[0].text = "{%tr endfor %}"

    signature = document.add_table(rows=1, cols=2)
    _write(signature.rows[0].cells[1], "THỦ TRƯỞNG CƠ QUAN CHỦ TRÌ SOẠN THẢO", bold=True)
    _write(signature.rows[0].cells[1], "(Ký, ghi rõ họ tên và đóng dấu)", italic=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


if __name__ == "__main__":
    TEMPLATE.write_bytes(build_template())
    print(f"wrote {TEMPLATE}")
