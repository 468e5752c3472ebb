"""Reading a CSV or XLSX list of regulations in force and checking every row before any is saved.

The file has a header row with the Vietnamese column names of :data:`COLUMNS` (the names the
provinces' own spreadsheets use); every row goes through :func:`workflows.registry_entry.validate`,
the form's rules, and the file is imported whole or not at all, so a half-imported registry never
has to be cleaned up by hand. The caps keep one upload from tying up a worker.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from engine import InvalidData, Message
from workflows import registry_entry as entry_rules
from workflows.registry import Regulation

#: Column header → field of :mod:`workflows.registry_entry`.
COLUMNS = {
    "so_hieu": "number",
    "trich_yeu": "title",
    "loai_van_ban": "document_type",
    "co_quan_ban_hanh": "issuing_body",
    "co_quan_chu_tri": "lead_agency",
    "ngay_ky": "signed_on",
    "ngay_cong_bo": "published_on",
    "ngay_hieu_luc": "effective_on",
    "ngay_het_hieu_luc": "expires_on",
}
#: Columns naming an earlier regulation by number; at most one of them per row.
RELATION_COLUMNS = {
    "thay_the": "replaces",
    "sua_doi": "amends",
    "ngung_hieu_luc": "suspends",
    "bai_bo": "repeals",
}
REQUIRED_COLUMNS = ("so_hieu", "trich_yeu", "loai_van_ban", "co_quan_ban_hanh", "ngay_ky")
REQUIRED_COLUMNS += ("ngay_hieu_luc",)
COLUMN_OF_FIELD = {name: column for column, name in COLUMNS.items()}
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


class ImportRefused(InvalidData):
    """The file as a whole cannot be read (type, size, header): nothing is looked at further."""


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    message: Message


@dataclass
class ImportCheck:
    """Each row's entry (by line number) or the problems that stop the whole import."""

    entries: list[tuple[int, entry_rules.Entry]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.entries)


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(Message("The CSV file must be saved as UTF-8.")) from exc
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


#: What openpyxl raises on a file that is not a workbook or is damaged inside (a broken
#: zip, a missing part, bad XML: ElementTree's ParseError is a SyntaxError).
XLSX_ERRORS = (zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, OSError)
XLSX_ERRORS += (SyntaxError,)


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except XLSX_ERRORS as exc:
        raise ImportRefused(Message("The file is not a readable XLSX workbook.")) from exc
    try:
        if not book.worksheets:
            return
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield list(row)
    except XLSX_ERRORS as exc:
        raise ImportRefused(Message("The file is not a readable XLSX workbook.")) from exc
    finally:
        book.close()


def _cell(value: Any) -> str:
    """Cells as text: real Excel dates become YYYY-MM-DD, which the entry rules accept."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The data rows of the file as (line number, raw entry); :class:`ImportRefused` if the
    file is not a CSV/XLSX within the caps or its header is not :data:`COLUMNS`."""
    name = (filename or "").lower()
    if len(data) > MAX_BYTES:
        raise ImportRefused(Message("The file is larger than 5 MB."))
    if not data:
        raise ImportRefused(Message("The file is empty."))
    if name.endswith(".csv"):
        rows: Iterable[list[Any]] = _csv_rows(data)
    elif name.endswith(".xlsx"):
        rows = _xlsx_rows(data)
    else:
        raise ImportRefused(Message("Upload a CSV or XLSX file."))
    iterator = iter(rows)
    try:
        header = [str(cell or "").strip().lower() for cell in next(iterator)]
    except StopIteration:
        raise ImportRefused(Message("The file is empty.")) from None
    except csv.Error as exc:
        raise ImportRefused(Message("The CSV file cannot be read.")) from exc
    columns = _check_header(header)
    found: list[tuple[int, dict[str, str]]] = []
    try:
        for line, row in enumerate(iterator, start=2):
            cells = {column: _cell(row[i]) for i, column in columns.items() if i < len(row)}
            if not any(cells.values()):
                continue
            if len(found) == MAX_ROWS:
                raise ImportRefused(Message("The file has more than %(n)s rows.", n=MAX_ROWS))
            found.append((line, cells))
    except csv.Error as exc:
        raise ImportRefused(Message("The CSV file cannot be read.")) from exc
    if not found:
        raise ImportRefused(Message("The file has a header but no rows."))
    return found


def _check_header(header: list[str]) -> dict[int, str]:
    known = set(COLUMNS) | set(RELATION_COLUMNS)
    unknown = [name for name in header if name and name not in known]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if unknown or missing:
        raise ImportRefused(
            Message(
                "The header row must name the columns %(columns)s (unknown: %(unknown)s;"
                " missing: %(missing)s).",
                columns=", ".join([*COLUMNS, *RELATION_COLUMNS]),
                unknown=", ".join(unknown) or "-",
                missing=", ".join(missing) or "-",
            )
        )
    return {i: name for i, name in enumerate(header) if name}


def _raw_entry(cells: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    raw = {COLUMNS[column]: value for column, value in cells.items() if column in COLUMNS}
    relations = [column for column in RELATION_COLUMNS if str(cells.get(column) or "").strip()]
    if relations:
        raw["relation"] = RELATION_COLUMNS[relations[0]]
        raw["relation_number"] = cells[relations[0]]
    return raw, relations


def check_rows(session: Session, rows: list[tuple[int, dict[str, str]]]) -> ImportCheck:
    """Validate every row with the form's rules, and rows against each other (a number twice)."""
    organisations = entry_rules.Organisations.load(session)
    taken = entry_rules.taken_numbers(session)
    result = ImportCheck()
    seen: dict[tuple[str, str], int] = {}
    for line, cells in rows:
        raw, relations = _raw_entry(cells)
        entry, problems = entry_rules.validate(session, raw, organisations, taken=taken)
        if len(relations) > 1:
            result.problems.append(
                Problem(line, " / ".join(relations), Message("Fill in only one of these columns."))
            )
        for name, message in problems.items():
            column = COLUMN_OF_FIELD.get(name) or (relations[0] if relations else name)
            result.problems.append(Problem(line, column, message))
        if entry is None:
            continue
        key = (entry.issuing_body, entry.number)
        if key in seen:
            result.problems.append(
                Problem(
                    line,
                    "so_hieu",
                    Message("The same number is on line %(line)s.", line=seen[key]),
                )
            )
            continue
        seen[key] = line
        result.entries.append((line, entry))
    return result


def import_entries(
    session: Session, entries: list[tuple[int, entry_rules.Entry]], actor: str
) -> list[Regulation]:
    """Save checked entries in the caller's transaction (all of them or, on error, none)."""
    return [entry_rules.save(session, entry, actor) for _line, entry in entries]
