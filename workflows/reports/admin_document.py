"""An administrative document (Decree 30/2020/NĐ-CP presentation) as DOCX and as PDF.

Lexflow's standard documents (appraisal and examination reports, the tờ trình skeleton,
the behind-plan report) share one shape, :class:`AdminDocument`: the heading in two columns
(the superior body and the issuing body with the document's number on the left; the
national motto and the place and date on the right), the kind of document and its subject,
"Kính gửi" when it is addressed, the body (headings, paragraphs, tables), then the
recipients ("Nơi nhận") beside the signer's title. Two renderers read it:

* :func:`docx_bytes` with python-docx (a kept library), as the dossier summary is written;
* :func:`pdf_bytes` with WeasyPrint (a kept library): the HTML template
  ``templates/admin_document.html`` laid out in A4 with Times-like fonts. WeasyPrint was
  chosen over converting the DOCX with LibreOffice headless: it is a Python wheel plus
  Pango, which Debian ships (``libpango-1.0-0``, ``libpangoft2-1.0-0``,
  ``libharfbuzz-subset0``, installed by ``.ci/install-system-deps``), it converts in-process
  in tens of milliseconds, and it needs no 300 MB office suite, profile directory or
  single-instance lock that makes a headless LibreOffice fail under parallel requests.
  Its URL fetcher is replaced by one that refuses everything: nothing in a document (a
  draft's title, an answer typed into a form) can make the server fetch a URL or read a file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from jinja2 import Environment, FileSystemLoader, select_autoescape

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_LINE = "Độc lập - Tự do - Hạnh phúc"


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    label: str | None = None  # a bold lead ("Kết luận thẩm định: ...")


@dataclass(frozen=True)
class TableBlock:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Heading | Paragraph | TableBlock


@dataclass(frozen=True)
class AdminDocument:
    superior: str | None  # the body above the issuing one ("UBND TỈNH ...")
    issuing_body: str
    number: str  # "Số: ..../BC-STP"
    place: str
    day: date
    kind: str  # "BÁO CÁO", "TỜ TRÌNH"
    subject: str
    addressee: str | None
    blocks: tuple[Block, ...]
    recipients: tuple[str, ...] = ()
    signer_title: str = ""
    draft_note: str | None = None  # "DỰ THẢO" mark on a skeleton
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def date_line(self) -> str:
        return (
            f"{self.place}, ngày {self.day.day:02d} tháng {self.day.month:02d} năm {self.day.year}"
        )


def _run(paragraph: Any, text: str, *, bold: bool = False, italic: bool = False, size: int = 13):
    run = paragraph.add_run(text)
    run.bold = bold
    run.italic = italic
    run.font.size = Pt(size)
    return run


def _cell_lines(cell: Any, lines: list[tuple[str, dict[str, Any]]]) -> None:
    first = True
    for text, style in lines:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(paragraph, text, **style)


def docx_bytes(doc: AdminDocument) -> bytes:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(13)
    head = document.add_table(rows=1, cols=2)
    left: list[tuple[str, dict[str, Any]]] = []
    if doc.superior:
        left.append((doc.superior.upper(), {"size": 12}))
    left.append((doc.issuing_body.upper(), {"bold": True, "size": 12}))
    left.append((doc.number, {"size": 13}))
    _cell_lines(head.rows[0].cells[0], left)
    _cell_lines(
        head.rows[0].cells[1],
        [
            (MOTTO, {"bold": True, "size": 12}),
            (MOTTO_LINE, {"bold": True, "size": 13}),
            (doc.date_line, {"italic": True, "size": 13}),
        ],
    )
    if doc.draft_note:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        _run(paragraph, doc.draft_note, bold=True)
    for text, bold, size in ((doc.kind, True, 14), (doc.subject, True, 14)):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(paragraph, text, bold=bold, size=size)
    if doc.addressee:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(paragraph, f"Kính gửi: {doc.addressee}")
    for block in doc.blocks:
        if isinstance(block, Heading):
            _run(document.add_paragraph(), block.text, bold=True)
        elif isinstance(block, Paragraph):
            paragraph = document.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            if block.label:
                _run(paragraph, f"{block.label}: ", bold=True)
            _run(paragraph, block.text)
        else:
            table = document.add_table(rows=1, cols=len(block.header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, block.header, strict=True):
                cell.text = ""
                _run(cell.paragraphs[0], text, bold=True, size=12)
            for row in block.rows:
                for cell, text in zip(table.add_row().cells, row, strict=True):
                    cell.text = ""
                    _run(cell.paragraphs[0], text, size=12)
    document.add_paragraph()
    foot = document.add_table(rows=1, cols=2)
    recipients = foot.rows[0].cells[0]
    _run(recipients.paragraphs[0], "Nơi nhận:", bold=True, italic=True, size=12)
    for name in doc.recipients:
        _run(recipients.add_paragraph(), f"- {name};", size=11)
    _cell_lines(foot.rows[0].cells[1], [(doc.signer_title.upper(), {"bold": True})])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(("html",)),
)
_TEMPLATES.tests["heading"] = lambda block: isinstance(block, Heading)
_TEMPLATES.tests["paragraph"] = lambda block: isinstance(block, Paragraph)


def html_text(doc: AdminDocument) -> str:
    return _TEMPLATES.get_template("admin_document.html").render(
        doc=doc, motto=MOTTO, motto_line=MOTTO_LINE
    )


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"an administrative document fetches nothing ({url[:40]})")


def pdf_bytes(doc: AdminDocument) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango takes a moment, pages need not

    return HTML(string=html_text(doc), url_fetcher=_refuse).write_pdf()
