"""Author the DOCX template of the dossier summary (our own file, rendered by docxtpl).

The template (``templates/dossier_summary.docx`` beside this module, committed): A4 with the
margins of Decree 30/2020/NĐ-CP, Times New Roman 13 pt; the issuing body, the national motto
and the date centred, the title and the draft, then three tables whose rows repeat with
docxtpl's ``{%tr for %}`` (their columns are fixed): the general facts, every step with its
dates, and every document of the dossier. Anyone may change the wording or the layout in Word
as long as the ``{{ }}`` fields and the ``{%tr %}`` rows stay; every value is passed to the
template as data, so nothing a user types is ever read as a template. To start again from this
layout, run ``python -m workflows.reports.dossier_summary_template``.
"""

from __future__ import annotations

from collections.abc import Sequence

from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from workflows.reports.admin_document_template import TEMPLATES, line, new_document, saved

TEMPLATE = TEMPLATES / "dossier_summary.docx"
FACTS = ("Mục", "Nội dung")
STEPS = ("Bước", "Cơ quan", "Người thực hiện", "Nhận", "Hạn", "Xong", "Tình trạng")
DOCUMENTS = ("Thành phần", "Phiên bản", "Tệp", "Người tải lên", "Ngày")


def _table(
    document: DocumentObject, header: Sequence[str], widths_mm: Sequence[float], rows: str,
    fields: str,
) -> None:  # fmt: skip
    """A header row, then ``{%tr for row in rows %}`` repeating one row of ``row.<field>``."""
    names = fields.split()
    table = document.add_table(rows=4, cols=len(header))
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        line(cell, text, align=None, bold=True, size=11)
    table.rows[1].cells[0].text = f"{{%tr for row in {rows} %}}"
    for cell, name in zip(table.rows[2].cells, names, strict=True):
        line(cell, f"{{{{ row.{name} }}}}", align=None, size=11)
    table.rows[3].cells[0].text = "{%tr endfor %}"


def build_template() -> bytes:
    """The template's bytes."""
    document = new_document()
    heading = document.styles["Heading 2"]  # the sections' titles, in the document's type
    heading.font.name, heading.font.size, heading.font.bold = "Times New Roman", Pt(13), True
    heading.font.color.rgb = RGBColor(0, 0, 0)
    fonts = heading.element.rPr.rFonts  # the theme's font would win over the name
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    line(document, "{{ issuing_body_upper }}", bold=True)
    line(document, "{{ motto }}", bold=True)
    line(document, "{{ motto_line }}", bold=True)
    line(document, "{{ date_line }}", size=12)
    line(document, "TÓM TẮT HỒ SƠ DỰ THẢO", bold=True, size=14)
    line(document, "{{ code }}: {{ title }}", bold=True)
    document.add_heading("Thông tin chung", level=2)
    _table(document, FACTS, (55, 105), "facts", "name value")
    document.add_heading("Các bước xử lý", level=2)
    _table(
        document, STEPS, (30, 21, 21, 22, 22, 22, 22), "steps",
        "title organisation who received due done state",
    )  # fmt: skip
    document.add_heading("Tài liệu trong hồ sơ", level=2)
    _table(
        document, DOCUMENTS, (45, 18, 45, 30, 22), "documents",
        "item version filename uploaded_by day",
    )  # fmt: skip
    return saved(document)


if __name__ == "__main__":
    TEMPLATE.write_bytes(build_template())
    print(f"wrote {TEMPLATE}")
