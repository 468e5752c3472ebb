"""The roles and lifecycle stages of the drafting domain.

A role is held *in an organisation* (a drafter of the Department of Construction, an
appraiser of the Department of Justice); lanes of the BPMN models name these codes, and the
engine refuses to deploy a model whose lane names a role not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    code: str
    name_vi: str
    name_en: str
    supervises: bool = False  # may assign and reassign the work of its organisation


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
    Role("process_owner", "Quản trị quy trình", "Process owner"),
    Role("admin", "Quản trị hệ thống", "Administrator"),
)

ROLE_CODES: frozenset[str] = frozenset(role.code for role in ROLES)
SUPERVISOR_ROLES: frozenset[str] = frozenset(role.code for role in ROLES if role.supervises)
ROLES_BY_CODE: dict[str, Role] = {role.code: role for role in ROLES}

#: Roles that may own a lane (process_owner and admin act on the system, not on drafts).
LANE_ROLES: frozenset[str] = ROLE_CODES - {"process_owner", "admin"}


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
