"""Entering a regulation already in force by hand or from a file: one set of rules for both.

A province holds hundreds of regulations made before Lexflow. The entry form and the CSV/XLSX
import (:mod:`workflows.registry_import`) hand :func:`validate` the same raw text fields, so a
row of a spreadsheet is refused for exactly the reasons the form would refuse it, and
:func:`save` writes it the way the lifecycle does (``registry.register`` and
``registry.link_and_apply``), with an audit event on the regulation's own stream.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Message, audit
from workflows import registry as reg
from workflows.directory import Organisation, active_organisations
from workflows.drafts import DOCUMENT_TYPES

#: The kind of organisation that issues each document type.
ISSUER_KINDS = {
    "nq_hdnd_tinh": "province_hdnd",
    "qd_ubnd_tinh": "province_ubnd",
    "qd_ct_ubnd_tinh": "province_ubnd",
    "nq_hdnd_xa": "commune_hdnd",
    "qd_ubnd_xa": "commune_ubnd",
}
ISSUING_KINDS = ("province_hdnd", "province_ubnd", "commune_hdnd", "commune_ubnd")
#: Links an entry may declare to an earlier regulation (``details`` changes no status).
RELATIONS = ("amends", "replaces", "suspends", "repeals")
FIELDS = (
    "number",
    "title",
    "document_type",
    "issuing_body",
    "lead_agency",
    "signed_on",
    "published_on",
    "effective_on",
    "expires_on",
    "relation",
    "relation_number",
)
MAX_NUMBER, MAX_TITLE = 60, 500
FIRST_YEAR, LAST_YEAR = 1945, 2100


@dataclass(frozen=True)
class Entry:
    """A regulation's facts after validation, ready for :func:`save`."""

    number: str
    title: str
    document_type: str
    issuing_body: str
    lead_agency: str | None
    signed_on: date
    published_on: date | None
    effective_on: date
    expires_on: date | None
    relation: str | None
    target_id: int | None

    def audit_data(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class Organisations:
    """The active organisations, looked up by code or Vietnamese name (read once per import)."""

    def __init__(self, rows: list[Organisation]) -> None:
        self.by_code = {row.code: row for row in rows}
        self.by_name = {row.name_vi.casefold(): row for row in rows}

    @classmethod
    def load(cls, session: Session) -> Organisations:
        return cls(active_organisations(session))

    def find(self, text: str) -> Organisation | None:
        return self.by_code.get(text) or self.by_name.get(text.casefold())

    def issuing_bodies(self) -> list[Organisation]:
        return [row for row in self.by_code.values() if row.kind in ISSUING_KINDS]


def parse_day(value: Any) -> date | None:
    """A day from a date/datetime (Excel cells) or text as DD/MM/YYYY or YYYY-MM-DD.

    ``None`` when empty; ``ValueError`` when it is not a day in either form.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    if "/" in text:
        return datetime.strptime(text, "%d/%m/%Y").date()
    return date.fromisoformat(text[:10] if len(text) > 10 and text[10] in " T" else text)


def _document_type(text: str) -> str | None:
    if text in DOCUMENT_TYPES:
        return text
    folded = text.casefold()
    for code, (name_vi, name_en, _suffix) in DOCUMENT_TYPES.items():
        if folded in (name_vi.casefold(), name_en.casefold()):
            return code
    return None


class _Checker:
    """Collects one problem per field while reading a raw entry."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.problems: dict[str, Message] = {}

    def text(self, name: str) -> str:
        return " ".join(str(self.raw.get(name) or "").split())

    def day(self, name: str, *, required: bool) -> date | None:
        value = self.raw.get(name)
        try:
            day = parse_day(value)
        except ValueError:
            self.problems[name] = Message("Write a date as DD/MM/YYYY, for example 15/07/2025.")
            return None
        if day is None and required:
            self.problems[name] = Message("This date is required.")
        elif day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.problems[name] = Message(
                "The year must be between %(low)s and %(high)s.", low=FIRST_YEAR, high=LAST_YEAR
            )
            return None
        return day


def validate(
    session: Session,
    raw: Mapping[str, Any],
    organisations: Organisations,
    *,
    regulation_id: int | None = None,
    taken: Collection[tuple[str, str]] | None = None,
) -> tuple[Entry | None, dict[str, Message]]:
    """Check a raw entry (field name → text, or a date from a spreadsheet).

    Returns the entry, or ``None`` and a message per field in :data:`FIELDS` that is wrong.
    ``regulation_id`` is the regulation being edited (its own number is not a duplicate);
    ``taken`` the (issuing body, number) pairs already used, read once for a whole file.
    """
    check = _Checker(raw)
    problems = check.problems
    number, title = check.text("number"), check.text("title")
    if not number:
        problems["number"] = Message("The number is required.")
    elif len(number) > MAX_NUMBER:
        problems["number"] = Message("The number is at most %(n)s characters.", n=MAX_NUMBER)
    if not title:
        problems["title"] = Message("The title is required.")
    elif len(title) > MAX_TITLE:
        problems["title"] = Message("The title is at most %(n)s characters.", n=MAX_TITLE)
    document_type = _document_type(check.text("document_type"))
    if document_type is None:
        problems["document_type"] = Message("Choose one of the five document types.")
    issuer = organisations.find(check.text("issuing_body"))
    if issuer is None or issuer.kind not in ISSUING_KINDS:
        problems["issuing_body"] = Message("Choose a People's Council or People's Committee.")
    elif document_type and issuer.kind != ISSUER_KINDS[document_type]:
        problems["issuing_body"] = Message("This body does not issue this document type.")
    lead_text = check.text("lead_agency")
    lead = organisations.find(lead_text) if lead_text else None
    if lead_text and lead is None:
        problems["lead_agency"] = Message("There is no organisation '%(name)s'.", name=lead_text)
    signed = check.day("signed_on", required=True)
    published = check.day("published_on", required=False)
    effective = check.day("effective_on", required=True)
    expires = check.day("expires_on", required=False)
    if signed and effective and effective < signed:
        problems["effective_on"] = Message("a regulation cannot take effect before it is signed")
    if signed and published and published < signed:
        problems["published_on"] = Message("A regulation cannot be published before it is signed.")
    if effective and expires and expires <= effective:
        problems["expires_on"] = Message(
            "a regulation cannot stop being in force before it takes effect"
        )
    if number and issuer is not None and "issuing_body" not in problems:
        if taken is not None:
            duplicate = (issuer.code, number) in taken
        else:
            duplicate = (
                session.execute(
                    select(reg.Regulation.id).where(
                        reg.Regulation.number == number,
                        reg.Regulation.issuing_body == issuer.code,
                        reg.Regulation.id != (regulation_id or 0),
                    )
                ).first()
                is not None
            )
        if duplicate:
            problems["number"] = Message(
                "%(body)s already has a regulation numbered %(number)s",
                body=issuer.name_vi,
                number=number,
            )
    relation, target_id = _relation(session, check, issuer, regulation_id)
    if problems:
        return None, problems
    assert document_type and issuer and signed and effective  # noqa: S101 - checked above
    return Entry(
        number=number,
        title=title,
        document_type=document_type,
        issuing_body=issuer.code,
        lead_agency=lead.code if lead else None,
        signed_on=signed,
        published_on=published,
        effective_on=effective,
        expires_on=expires,
        relation=relation,
        target_id=target_id,
    ), {}


def _relation(
    session: Session, check: _Checker, issuer: Organisation | None, regulation_id: int | None
) -> tuple[str | None, int | None]:
    """The earlier regulation this one amends/replaces, found by its number."""
    kind, number = check.text("relation"), check.text("relation_number")
    if not number:
        if kind and kind in RELATIONS:
            check.problems["relation_number"] = Message("Give the number of that regulation.")
        return None, None
    if kind not in RELATIONS:
        check.problems["relation"] = Message("Choose what this regulation does to the other one.")
        return None, None
    rows = list(
        session.execute(select(reg.Regulation).where(reg.Regulation.number == number)).scalars()
    )
    if len(rows) > 1 and issuer is not None:
        rows = [row for row in rows if row.issuing_body == issuer.code] or rows
    if not rows:
        check.problems["relation_number"] = Message(
            "No regulation numbered %(number)s is in the registry.", number=number
        )
        return None, None
    if len(rows) > 1:
        check.problems["relation_number"] = Message(
            "Several bodies have a regulation numbered %(number)s.", number=number
        )
        return None, None
    if rows[0].id == regulation_id:
        check.problems["relation_number"] = Message("a regulation cannot amend or replace itself")
        return None, None
    return kind, rows[0].id


def managed_link(session: Session, regulation_id: int) -> reg.RegulationLink | None:
    """The link the entry form shows and edits: this regulation's newest status-changing one."""
    return session.execute(
        select(reg.RegulationLink)
        .where(
            reg.RegulationLink.source_id == regulation_id,
            reg.RegulationLink.kind.in_(RELATIONS),
        )
        .order_by(reg.RegulationLink.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def save(
    session: Session, entry: Entry, actor: str, regulation: reg.Regulation | None = None
) -> reg.Regulation:
    """Create (``regulation`` None) or correct a regulation, apply its link, audit it."""
    if regulation is None:
        regulation = reg.register(
            session,
            number=entry.number,
            title=entry.title,
            document_type=entry.document_type,
            issuing_body=entry.issuing_body,
            lead_agency=entry.lead_agency,
            signed_on=entry.signed_on,
            effective_on=entry.effective_on,
            published_on=entry.published_on,
            expires_on=entry.expires_on,
        )
        action, data = "create", entry.audit_data()
    else:
        changed = {
            name: [getattr(regulation, name), getattr(entry, name)]
            for name in FIELDS[:9]
            if getattr(regulation, name) != getattr(entry, name)
        }
        for name in changed:
            setattr(regulation, name, getattr(entry, name))
        session.flush()
        action, data = "edit", {**entry.audit_data(), "changed": changed}
    current = managed_link(session, regulation.id) if action == "edit" else None
    wanted = (entry.relation, entry.target_id) if entry.relation else None
    if current is not None and wanted != (current.kind, current.target_id):
        reg.unlink_and_restore(session, current)
        current = None
    if wanted is not None and current is None:
        assert entry.relation and entry.target_id  # noqa: S101 - wanted implies both
        reg.link_and_apply(session, regulation.id, entry.target_id, entry.relation)
    audit.append_stream_event(
        session,
        f"regulation:{regulation.id}",
        actor=actor,
        action=action,
        data=data,
    )
    return regulation


def raw_of(session: Session, regulation: reg.Regulation) -> dict[str, str]:
    """The form's fields for an existing regulation (dates as DD/MM/YYYY)."""

    def day(value: date | None) -> str:
        return value.strftime("%d/%m/%Y") if value else ""

    link = managed_link(session, regulation.id)
    target = session.get(reg.Regulation, link.target_id) if link else None
    return {
        "number": regulation.number,
        "title": regulation.title,
        "document_type": regulation.document_type,
        "issuing_body": regulation.issuing_body,
        "lead_agency": regulation.lead_agency or "",
        "signed_on": day(regulation.signed_on),
        "published_on": day(regulation.published_on),
        "effective_on": day(regulation.effective_on),
        "expires_on": day(regulation.expires_on),
        "relation": link.kind if link else "",
        "relation_number": target.number if target else "",
    }


def taken_numbers(session: Session) -> set[tuple[str, str]]:
    """Every (issuing body, number) in the registry, for checking a whole file at once."""
    rows = session.execute(select(reg.Regulation.issuing_body, reg.Regulation.number)).all()
    return {(body, number) for body, number in rows}
