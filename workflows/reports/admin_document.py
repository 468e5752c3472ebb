"""An administrative document (Decree 30/2020/NĐ-CP presentation) as DOCX and as PDF.

Lexflow's standard documents (appraisal and examination reports, the tờ trình skeleton,
the behind-plan report) share one shape, :class:`AdminDocument`: the heading in two columns
(the superior body and the issuing body with the document's number on the left; the
national motto and the place and date on the right), the kind of document and its subject,
"Kính gửi" when it is addressed, the body (headings, paragraphs, tables), then the
recipients ("Nơi nhận") beside the signer's title. Two renderers read it:

* :func:`docx_bytes` with docxtpl (a kept library) from the committed Word template
  ``templates/admin_document.docx`` (authored by :mod:`.admin_document_template`, and anyone
  may rework it in Word keeping its ``{{ }}`` fields), as the synthesis table and the dossier
  summary are: every text goes in as a value, never into the template's source, so a title
  or an answer holding ``{{ 7*7 }}`` comes out as typed (Jinja never evaluates values);
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
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from docx.shared import Pt
from docxtpl import DocxTemplate
from docxtpl.subdoc import Subdoc
from jinja2 import Environment, FileSystemLoader, select_autoescape

from workflows.reports.admin_document_template import TEMPLATE, runs

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


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def plain(text: object) -> str:
    """``text`` as a value a DOCX can hold: line ends as ``\\n`` (docxtpl makes them line
    breaks), characters XML cannot carry (form feeds, NULs typed or pasted) dropped."""
    return _NOT_XML.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))


def _table(template: DocxTemplate, block: TableBlock) -> Subdoc:
    subdoc = template.new_subdoc()
    table = subdoc.add_table(rows=1, cols=len(block.header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, block.header, strict=True):
        runs(cell.paragraphs[0], (plain(text), {"bold": True, "size": 12}))
    for row in block.rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            runs(cell.paragraphs[0], (plain(text), {"size": 12}))
    section = template.get_docx().sections[0]  # the columns share the template's text width
    width = (section.page_width - section.left_margin - section.right_margin) // len(block.header)
    for column in table.columns:
        column.width = width
        for cell in column.cells:
            cell.width = width
            spacing = cell.paragraphs[0].paragraph_format
            spacing.space_before = spacing.space_after = Pt(2)
    return subdoc


def _block(template: DocxTemplate, block: Block) -> dict[str, Any]:
    if isinstance(block, Heading):
        return {"kind": "heading", "text": plain(block.text)}
    if isinstance(block, Paragraph):
        return {"kind": "paragraph", "label": plain(block.label or ""), "text": plain(block.text)}
    return {"kind": "table", "table": _table(template, block)}


def _values(doc: AdminDocument, template: DocxTemplate) -> dict[str, Any]:
    """What the DOCX template's fields show: every text is a value, never template source."""
    return {
        "superior_upper": plain((doc.superior or "").upper()),
        "superior": bool(doc.superior),
        "issuing_body_upper": plain(doc.issuing_body.upper()),
        "number": plain(doc.number),
        "motto": MOTTO,
        "motto_line": MOTTO_LINE,
        "date_line": plain(doc.date_line),
        "draft_note": plain(doc.draft_note or ""),
        "kind": plain(doc.kind),
        "subject": plain(doc.subject),
        "addressee": plain(doc.addressee or ""),
        "blocks": [_block(template, block) for block in doc.blocks],
        "recipients": [plain(name) for name in doc.recipients],
        "signer_title_upper": plain(doc.signer_title.upper()),
    }


def docx_bytes(doc: AdminDocument) -> bytes:
    """``doc`` rendered from ``templates/admin_document.docx`` (authored by
    :mod:`workflows.reports.admin_document_template`, editable in Word)."""
    template = DocxTemplate(str(TEMPLATE))
    template.render(_values(doc, template), autoescape=True)
    out = io.BytesIO()
    template.save(out)
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
