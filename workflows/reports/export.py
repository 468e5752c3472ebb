"""Any dashboard's tables as one XLSX workbook (openpyxl), one sheet per table.

A table is a title, a header row and rows of plain values (text, numbers, dates), the same
values the page's tables show, so the workbook and the page never disagree.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Cell = str | int | float | date | None


@dataclass(frozen=True)
class Table:
    title: str  # also the sheet's name (cut to Excel's 31 characters)
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]


_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def workbook_bytes(tables: Sequence[Table]) -> bytes:
    """The workbook of ``tables``, ready to send as ``application/vnd.openxmlformats...``."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for index, table in enumerate(tables, start=1):
        name = table.title.translate(_FORBIDDEN)[:31] or f"Sheet {index}"
        if name in used:
            name = f"{name[:27]} ({index})"
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append(list(table.header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        for column, head in enumerate(table.header, start=1):
            width = max([len(str(head))] + [len(str(r[column - 1] or "")) for r in table.rows])
            sheet.column_dimensions[get_column_letter(column)].width = min(60, width + 2)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
