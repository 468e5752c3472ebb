"""Who reads the leaders' dashboards, and over which lead agencies.

The dashboards answer the questions of the province's leaders (the People's Committee
chairperson, the People's Council standing committee and chairperson) and of the
Department of Justice, which appraises and inspects every draft: held in an organisation of
the province, these roles read the whole province. The head of an agency reads its own
agency's figures, and a leader role held in a commune reads that commune's organisations.
Administrators read everything. Everybody else (drafters, consulted agencies, process
owners) is refused: the figures name every agency's delays.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor
from workflows.directory import Organisation

#: Roles whose holders lead: the whole province when held in a province organisation.
LEADER_ROLES = frozenset({"ubnd_chair", "hdnd_standing", "hdnd_chair"})
#: Roles of the Department of Justice (an organisation of kind ``justice_department``).
JUSTICE_ROLES = frozenset({"appraiser", "inspector", "agency_head"})
JUSTICE_KIND = "justice_department"
HEAD_ROLE = "agency_head"
#: Whoever holds one of these may have a dashboard (the page decides: see dashboard_scope).
DASHBOARD_ROLES = LEADER_ROLES | JUSTICE_ROLES | {HEAD_ROLE}


@dataclass(frozen=True)
class DashboardScope:
    """What a reader may see: every agency (``agencies`` None) or only these lead agencies."""

    agencies: frozenset[str] | None

    def allows(self, agency: str) -> bool:
        return self.agencies is None or agency in self.agencies


def _province_level(kinds: dict[str, tuple[str, str | None]], code: str) -> bool:
    seen: set[str] = set()
    current: str | None = code
    while current is not None and current not in seen:
        seen.add(current)
        row = kinds.get(current)
        if row is None or row[0] == "commune":
            return False
        current = row[1]
    return True


def dashboard_scope(session: Session, actor: Actor) -> DashboardScope | None:
    """The reader's scope, or None when the actor may not read the dashboards at all."""
    if actor.is_admin:
        return DashboardScope(None)
    kinds = {
        code: (kind, parent)
        for code, kind, parent in session.execute(
            select(Organisation.code, Organisation.kind, Organisation.parent_code)
        ).all()
    }
    scoped: set[str] = set()
    for grant in actor.grants:
        org = grant.organisation
        if not org:
            continue
        if grant.role in JUSTICE_ROLES and kinds.get(org, ("", None))[0] == JUSTICE_KIND:
            return DashboardScope(None)
        if grant.role in LEADER_ROLES:
            if _province_level(kinds, org):
                return DashboardScope(None)
            scoped.add(org)
        elif grant.role == HEAD_ROLE:
            scoped.add(org)
    if not scoped:
        return None
    return DashboardScope(frozenset(_with_descendants(kinds, scoped)))


def _with_descendants(kinds: dict[str, tuple[str, str | None]], codes: set[str]) -> set[str]:
    """``codes`` and every organisation under them (a commune's chair reads its offices)."""
    result = set(codes)
    grew = True
    while grew:
        grew = False
        for code, (_, parent) in kinds.items():
            if parent in result and code not in result:
                result.add(code)
                grew = True
    return result
