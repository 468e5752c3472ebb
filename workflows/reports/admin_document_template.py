"""Author the DOCX template of the administrative documents (our own file, rendered by docxtpl).

The template (``templates/admin_document.docx`` beside this module, committed) lays out every
standard document (appraisal and examination reports, the tờ trình skeleton, the behind-plan
report) in the presentation of Decree 30/2020/NĐ-CP: A4, margins 20/20/30/20 mm, Times New
Roman 13-14 pt; a borderless heading in two columns (the superior body, the issuing body and
"Số: ..." on the left; the national motto and the place and date on the right), the "DỰ THẢO"
mark of a skeleton, the kind and subject centred, "Kính gửi", then the body: one block after
another in a ``{%p for block in blocks %}`` loop, a heading, a paragraph with its bold lead
label, or a table (``{{p block.table }}``, a docxtpl Subdoc built per table by
:func:`workflows.reports.admin_document.docx_bytes`, since tables have any number of
columns); then "Nơi nhận:" and the recipients beside the signer's title.

Anyone may change the wording or the layout in Word (fonts, spacing, a logo, the order of the
lines) as long as the ``{{ }}`` fields and the ``{%p %}`` lines stay; every value is passed to
the template as data, so nothing a user types is ever read as a template. To start again from
this layout, run ``python -m workflows.reports.admin_document_template``.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = TEMPLATES / "admin_document.docx"
CENTER, LEFT, JUSTIFY = (
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.LEFT,
    WD_ALIGN_PARAGRAPH.JUSTIFY,
)


def runs(paragraph: Paragraph, *parts: tuple[str, dict[str, object]]) -> Paragraph:
    """Add ``(text, {"bold": .., "italic": .., "underline": .., "size": ..})`` runs."""
    for text, style in parts:
        run = paragraph.add_run(text)
        # None where not asked: the paragraph's style (editable in Word) decides.
        run.bold = True if style.get("bold") else None
        run.italic = True if style.get("italic") else None
        run.underline = True if style.get("underline") else None
        run.font.size = Pt(int(style.get("size", 13)))  # type: ignore[call-overload]
    return paragraph


def line(
    where: DocumentObject | _Cell, text: str, *, align: WD_ALIGN_PARAGRAPH | None = CENTER,
    **style: object,
) -> Paragraph:  # fmt: skip
    """One paragraph of one run; a cell's first (empty) paragraph is used first."""
    paragraph = where.paragraphs[0] if isinstance(where, _Cell) else None
    if paragraph is None or paragraph.text or paragraph.runs:
        paragraph = where.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if isinstance(where, _Cell):  # heading, recipients: lines set close
        paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(0)
    return runs(paragraph, (text, style))


def new_document(*, size: int = 13) -> DocumentObject:
    """A4 portrait, Decree 30 margins, Times New Roman."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(size)
    style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(0), Pt(6)
    style.paragraph_format.line_spacing = 1.15
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(20)
    return document


def saved(document: DocumentObject) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_template() -> bytes:
    """The template's bytes."""
    document = new_document()
    heading = document.add_table(rows=1, cols=2)  # no style: no borders
    heading.autofit = False
    left, right = heading.rows[0].cells
    for column, width in zip(heading.columns, (Mm(62), Mm(98)), strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width
    line(left, "{%p if superior %}")
    line(left, "{{ superior_upper }}", size=12)
    line(left, "{%p endif %}")
    line(left, "{{ issuing_body_upper }}", bold=True, size=12)
    line(left, "{{ number }}")
    line(right, "{{ motto }}", bold=True, size=12)
    line(right, "{{ motto_line }}", bold=True, underline=True)
    line(right, "{{ date_line }}", italic=True)

    line(document, "{%p if draft_note %}")
    line(document, "{{ draft_note }}", align=LEFT, bold=True).paragraph_format.space_before = Pt(6)
    line(document, "{%p endif %}")
    line(document, "{{ kind }}", bold=True, size=14)
    line(document, "{{ subject }}", bold=True, size=14)
    line(document, "{%p if addressee %}")
    line(document, "Kính gửi: {{ addressee }}")
    line(document, "{%p endif %}")

    line(document, "{%p for block in blocks %}")
    line(document, '{%p if block.kind == "heading" %}')
    line(document, "{{ block.text }}", align=None, bold=True)
    line(document, '{%p elif block.kind == "table" %}')
    line(document, "{{p block.table }}")
    line(document, "{%p else %}")
    body = runs(
        document.add_paragraph(),
        ("{% if block.label %}{{ block.label }}: {% endif %}", {"bold": True}),
        ("{{ block.text }}", {}),
    )
    body.alignment, body.paragraph_format.first_line_indent = JUSTIFY, Mm(10)
    line(document, "{%p endif %}")
    line(document, "{%p endfor %}")

    document.add_paragraph()
    foot = document.add_table(rows=1, cols=2)
    recipients, signer = foot.rows[0].cells
    line(recipients, "Nơi nhận:", align=LEFT, bold=True, italic=True, size=12)
    line(recipients, "{%p for name in recipients %}", align=LEFT)
    line(recipients, "- {{ name }};", align=LEFT, size=11)
    line(recipients, "{%p endfor %}", align=LEFT)
    line(signer, "{{ signer_title_upper }}", bold=True)
    return saved(document)


if __name__ == "__main__":
    TEMPLATE.write_bytes(build_template())
    print(f"wrote {TEMPLATE}")
