"""The roles and lifecycle stages of the drafting domain.

A role is held *in an organisation* (a drafter of the Department of Construction, an
appraiser of the Department of Justice); lanes of the BPMN models name these codes, and the
engine refuses to deploy a model whose lane names a role that does not exist.

Roles are data: the ``role`` table, seeded with :data:`ROLES` (the roles Lexflow ships
with), to which an administrator or process owner adds a role so that a new lane needs no
code change. Lookups (:func:`role_codes`, :func:`lane_roles`, :func:`supervisor_roles`,
:func:`roles_by_code`) read the table once per database session and keep it in the
session's ``info``; the constants below are the seed and the fallback of code that has no
session (the migration, the demo's grants).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Boolean, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import InvalidData, Message
from engine.models import Base

#: A role code: what lanes, grants and the API name it by.
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,39}")


@dataclass(frozen=True)
class Role:
    code: str
    name_vi: str
    name_en: str
    supervises: bool = False  # may assign and reassign the work of its organisation
    lane_allowed: bool = True  # may own a lane (false for roles that act on the system)


class RoleRecord(Base):
    """One role of the ``role`` table."""

    __tablename__ = "role"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    supervises: Mapped[bool] = mapped_column(Boolean, default=False)
    lane_allowed: Mapped[bool] = mapped_column(Boolean, default=True)

    def as_role(self) -> Role:
        return Role(self.code, self.name_vi, self.name_en, self.supervises, self.lane_allowed)


ROLES: tuple[Role, ...] = (
    Role("drafter", "Chuyên viên soạn thảo", "Drafter"),
    Role("agency_head", "Thủ trưởng cơ quan chủ trì", "Head of the lead agency", supervises=True),
    Role("consulted_agency", "Cơ quan được lấy ý kiến", "Consulted agency"),
    Role("appraiser", "Chuyên viên thẩm định", "Appraiser"),
    Role("ubnd_office", "Văn phòng UBND", "People's Committee office"),
    Role("ubnd_chair", "Chủ tịch UBND", "People's Committee chairperson", supervises=True),
    Role(
        "hdnd_standing", "Thường trực HĐND", "People's Council standing committee", supervises=True
    ),
    Role("examiner", "Ban của HĐND (thẩm tra)", "People's Council committee (examiner)"),
    Role("hdnd_office", "Văn phòng HĐND", "People's Council office"),
    Role("hdnd_chair", "Chủ tịch HĐND", "People's Council chairperson", supervises=True),
    Role("mttq", "Ủy ban MTTQ Việt Nam", "Fatherland Front committee"),
    Role("inspector", "Kiểm tra, rà soát văn bản", "Inspector (legality review)"),
    Role("process_owner", "Quản trị quy trình", "Process owner", lane_allowed=False),
    Role("admin", "Quản trị hệ thống", "Administrator", lane_allowed=False),
)

# The built-in roles (the seed of the table). Code with a session asks the functions below.
ROLE_CODES: frozenset[str] = frozenset(role.code for role in ROLES)
SUPERVISOR_ROLES: frozenset[str] = frozenset(role.code for role in ROLES if role.supervises)
ROLES_BY_CODE: dict[str, Role] = {role.code: role for role in ROLES}

#: Roles that may own a lane (process_owner and admin act on the system, not on drafts).
LANE_ROLES: frozenset[str] = frozenset(role.code for role in ROLES if role.lane_allowed)

_CACHE_KEY = "lexflow.roles"


def roles_by_code(session: Session) -> dict[str, Role]:
    """Every role, read once per session (a role added in another shows in the next one).

    The built-in roles are always there (code such as the authorizer names them; a row of
    the table with the same code wins), then the roles added to the table.
    """
    cached = session.info.get(_CACHE_KEY)
    if cached is None:
        rows = session.execute(_ALL_ROLES).scalars()
        cached = {**ROLES_BY_CODE, **{row.code: row.as_role() for row in rows}}
        session.info[_CACHE_KEY] = cached
    return cached  # type: ignore[no-any-return]


_ALL_ROLES = select(RoleRecord).order_by(RoleRecord.code)


def role_codes(session: Session) -> frozenset[str]:
    return frozenset(roles_by_code(session))


def lane_roles(session: Session) -> frozenset[str]:
    return frozenset(code for code, role in roles_by_code(session).items() if role.lane_allowed)


def supervisor_roles(session: Session) -> frozenset[str]:
    return frozenset(code for code, role in roles_by_code(session).items() if role.supervises)


def lane_role_exists(session: Session, code: str) -> bool:
    """What the engine asks when a lane or a re-routed task names a role."""
    return code in lane_roles(session)


def add_role(session: Session, code: str, name_vi: str, name_en: str) -> Role:
    """A new role that lanes may name (no supervision: that stays the built-in roles').

    Refused (InvalidData, one entry per field) when the code is not
    ``[a-z][a-z0-9_]{1,39}``, already exists, or a name is missing.
    """
    code, name_vi, name_en = code.strip(), name_vi.strip(), name_en.strip()
    details = []
    if not CODE_PATTERN.fullmatch(code):
        details.append(
            {
                "field": "code",
                "message": Message(
                    "a role code is 2 to 40 lower-case letters, digits or _, starting with a letter"
                ),
            }
        )
    elif code in ROLES_BY_CODE or session.get(RoleRecord, code) is not None:
        details.append(
            {"field": "code", "message": Message("the role '%(code)s' exists", code=code)}
        )
    for field, value in (("name_vi", name_vi), ("name_en", name_en)):
        if not value or len(value) > 200:
            details.append(
                {"field": field, "message": Message("give a name of 1 to 200 characters")}
            )
    if details:
        raise InvalidData(Message("the role cannot be added"), details=details)
    record = RoleRecord(
        code=code, name_vi=name_vi, name_en=name_en, supervises=False, lane_allowed=True
    )
    session.add(record)
    session.flush()
    session.info.pop(_CACHE_KEY, None)
    return record.as_role()


@dataclass(frozen=True)
class Stage:
    code: str
    name_vi: str
    name_en: str


STAGES: tuple[Stage, ...] = (
    Stage("plan", "Đăng ký kế hoạch", "Plan & registration"),
    Stage("drafting", "Soạn thảo", "Drafting"),
    Stage("consultation", "Lấy ý kiến", "Consultation"),
    Stage("appraisal", "Thẩm định", "Appraisal"),
    Stage("ubnd_review", "UBND xem xét", "People's Committee review"),
    Stage("examination", "Thẩm tra", "Examination"),
    Stage("adoption", "Thông qua", "Adoption"),
    Stage("signing", "Ký ban hành", "Signing"),
    Stage("publication", "Đăng công báo", "Publication"),
    Stage("monitoring", "Theo dõi thi hành", "Monitoring"),
    Stage("done", "Hoàn thành", "Done"),
    Stage("dropped", "Dừng", "Dropped"),
)
STAGE_CODES: tuple[str, ...] = tuple(stage.code for stage in STAGES)
STAGES_BY_CODE: dict[str, Stage] = {stage.code: stage for stage in STAGES}
