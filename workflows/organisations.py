"""Which organisation plays which part for a draft, read from the organisation tree.

The models route work with variables such as ``appraisal_org`` and ``hdnd_office_org``. They
are resolved from the organisation *kinds* under the draft's level (the province, or the
commune for commune documents), so a province configures its bodies once in the
organisation table and every document type finds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import InvalidData, Message
from workflows.directory import Organisation

PROVINCE_KINDS = {
    "hdnd": "province_hdnd",
    "ubnd": "province_ubnd",
    "hdnd_standing": "hdnd_standing",
    "hdnd_office": "hdnd_office",
    "ubnd_office": "ubnd_office",
    "justice": "justice_department",
    "mttq": "mttq",
    "committee": "hdnd_committee",
}
COMMUNE_KINDS = {
    "hdnd": "commune_hdnd",
    "ubnd": "commune_ubnd",
    "hdnd_standing": "commune_hdnd_standing",
    "hdnd_office": "commune_office",
    "ubnd_office": "commune_office",
    "justice": "commune_justice",
    "mttq": "commune_mttq",
    "committee": "commune_hdnd_committee",
}
#: Departments a chairperson decision must consult (Decree 187/2025) [V].
CHAIR_DECISION_CONSULTED_KINDS = (
    "finance_department",
    "home_affairs_department",
    "justice_department",
    "science_department",
)


@dataclass(frozen=True)
class ProcessOrganisations:
    issuing_body: str
    appraisal_org: str
    ubnd_office_org: str
    hdnd_office_org: str
    hdnd_standing_org: str
    mttq_org: str
    committees: tuple[str, ...]
    mandatory_consulted: tuple[str, ...]

    def variables(self) -> dict[str, object]:
        return {
            "issuing_body": self.issuing_body,
            "appraisal_org": self.appraisal_org,
            "ubnd_office_org": self.ubnd_office_org,
            "hdnd_office_org": self.hdnd_office_org,
            "hdnd_standing_org": self.hdnd_standing_org,
            "mttq_org": self.mttq_org,
            "hdnd_committees": list(self.committees),
            "mandatory_consulted_agencies": list(self.mandatory_consulted),
        }


class OrgLike(Protocol):
    """Anything with the organisation fields resolution reads (a row or plain data)."""

    code: str
    kind: str
    name_vi: str

    @property
    def parent_code(self) -> str | None: ...


def _descendants(organisations: Iterable[OrgLike], root: str) -> list[OrgLike]:
    children: dict[str | None, list[OrgLike]] = {}
    for org in organisations:
        children.setdefault(org.parent_code, []).append(org)
    found: list[OrgLike] = []
    stack = [root]
    while stack:
        for org in children.get(stack.pop(), []):
            found.append(org)
            stack.append(org.code)
    return found


def resolve_from(
    organisations: Iterable[OrgLike], document_type: str, commune: str | None
) -> ProcessOrganisations:
    """The organisations of a draft of ``document_type`` (in ``commune`` for commune types).

    Pure: works on rows or on plain data (the demo province's tables).
    """
    everything = list(organisations)
    by_code = {org.code: org for org in everything}
    if document_type.endswith("_xa"):
        scope = by_code.get(commune or "")
        if scope is None or scope.kind != "commune":
            raise InvalidData(Message("a commune document needs the commune it belongs to"))
        kinds = COMMUNE_KINDS
    else:
        provinces = [org for org in everything if org.kind == "province"]
        if not provinces:
            raise InvalidData(Message("no organisation of kind 'province' is configured"))
        scope = provinces[0]
        kinds = PROVINCE_KINDS
    below = _descendants(everything, scope.code)

    def one(part: str) -> str:
        matches = [org.code for org in below if org.kind == kinds[part]]
        if not matches:
            raise InvalidData(
                Message(
                    "%(scope)s: no organisation of kind '%(kind)s'",
                    scope=scope.name_vi,
                    kind=kinds[part],
                )
            )
        return sorted(matches)[0]

    issuing = one("hdnd") if document_type.startswith("nq_") else one("ubnd")
    mandatory: tuple[str, ...] = ()
    if document_type == "qd_ct_ubnd_tinh":
        mandatory = tuple(
            sorted(org.code for org in below if org.kind in CHAIR_DECISION_CONSULTED_KINDS)
        )
    return ProcessOrganisations(
        issuing_body=issuing,
        appraisal_org=one("justice"),
        ubnd_office_org=one("ubnd_office"),
        hdnd_office_org=one("hdnd_office"),
        hdnd_standing_org=one("hdnd_standing"),
        mttq_org=one("mttq"),
        committees=tuple(sorted(o.code for o in below if o.kind == kinds["committee"])),
        mandatory_consulted=mandatory,
    )


def commune_of(session: Session, code: str | None) -> str | None:
    """The commune an organisation belongs to (walking up the tree), None for the province's."""
    seen: set[str] = set()
    current = session.get(Organisation, code) if code else None
    while current is not None and current.code not in seen:
        if current.kind == "commune":
            return current.code
        seen.add(current.code)
        current = session.get(Organisation, current.parent_code) if current.parent_code else None
    return None


def resolve(session: Session, document_type: str, commune: str | None) -> ProcessOrganisations:
    """:func:`resolve_from` over the active organisations in the database."""
    rows = session.execute(select(Organisation).where(Organisation.active)).scalars()
    return resolve_from(rows, document_type, commune)
