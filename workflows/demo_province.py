"""A fictional province for demos and tests: tỉnh Trà Giang, its two communes and its people.

Pure data. Every name here is invented: the province, the communes and the officials do not
exist (no real official is named). Organisation codes are what the BPMN lanes evaluate to
(``lead_agency``, ``appraisal_org``...), and :func:`process_orgs` gives the organisation
variables a draft of each document type starts with.

Since 1 July 2025 a commune has one office serving both its People's Council and its
People's Committee (Văn phòng HĐND và UBND xã), so at commune level ``hdnd_office_org`` and
``ubnd_office_org`` are the same organisation. The commune's justice work (appraisal,
inspection) is given to a "bộ phận tư pháp" unit here; how each commune staffs it is an
assumption of this demo.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from workflows.organisations import resolve_from

PROVINCE_NAME = "tỉnh Trà Giang"


class Organisation(NamedTuple):
    code: str
    name_vi: str
    name_en: str
    kind: str
    parent_code: str | None


class User(NamedTuple):
    username: str
    full_name: str
    grants: tuple[tuple[str, str | None], ...]  # (role, organisation code); None = everywhere


def _org(code: str, name_vi: str, name_en: str, kind: str, parent: str | None = None):
    return Organisation(code, name_vi, name_en, kind, parent)


_PROVINCE: tuple[Organisation, ...] = (
    _org("TG", "Tỉnh Trà Giang", "Tra Giang province", "province"),
    _org("HDND_TINH", "Hội đồng nhân dân tỉnh Trà Giang", "Tra Giang Provincial People's Council",
         "province_hdnd", "TG"),
    _org("TT_HDND_TINH", "Thường trực HĐND tỉnh", "Standing Committee of the Provincial Council",
         "hdnd_standing", "HDND_TINH"),
    _org("BAN_PC_TINH", "Ban Pháp chế HĐND tỉnh", "Legal Affairs Committee", "hdnd_committee",
         "HDND_TINH"),
    _org("BAN_KTNS_TINH", "Ban Kinh tế - Ngân sách HĐND tỉnh", "Economy and Budget Committee",
         "hdnd_committee", "HDND_TINH"),
    _org("BAN_VHXH_TINH", "Ban Văn hóa - Xã hội HĐND tỉnh", "Culture and Social Affairs Committee",
         "hdnd_committee", "HDND_TINH"),
    _org("VP_HDND", "Văn phòng Đoàn ĐBQH và HĐND tỉnh",
         "Office of the National Assembly Delegation and the Provincial Council", "hdnd_office",
         "HDND_TINH"),
    _org("UBND_TINH", "Ủy ban nhân dân tỉnh Trà Giang", "Tra Giang Provincial People's Committee",
         "province_ubnd", "TG"),
    _org("VP_UBND", "Văn phòng UBND tỉnh", "Office of the Provincial People's Committee",
         "ubnd_office", "UBND_TINH"),
    _org("STP", "Sở Tư pháp", "Department of Justice", "justice_department", "UBND_TINH"),
    _org("STC", "Sở Tài chính", "Department of Finance", "finance_department", "UBND_TINH"),
    _org("SNV", "Sở Nội vụ", "Department of Home Affairs", "home_affairs_department",
         "UBND_TINH"),
    _org("SKHCN", "Sở Khoa học và Công nghệ", "Department of Science and Technology",
         "science_department", "UBND_TINH"),
    _org("SXD", "Sở Xây dựng", "Department of Construction", "department", "UBND_TINH"),
    _org("SNNMT", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment",
         "department", "UBND_TINH"),
    _org("SYT", "Sở Y tế", "Department of Health", "department", "UBND_TINH"),
    _org("SGDDT", "Sở Giáo dục và Đào tạo", "Department of Education and Training",
         "department", "UBND_TINH"),
    _org("MTTQ_TINH", "Ủy ban MTTQ Việt Nam tỉnh Trà Giang",
         "Provincial Vietnam Fatherland Front Committee", "mttq", "TG"),
)  # fmt: skip

#: The two communes of the demo: code suffix -> Vietnamese name.
COMMUNES: dict[str, str] = {"BS": "xã Bến Sen", "DM": "xã Đồi Mây"}
_COMMUNES_EN = {"BS": "Ben Sen", "DM": "Doi May"}


def _commune_orgs(suffix: str, name: str) -> tuple[Organisation, ...]:
    en = _COMMUNES_EN[suffix]
    hdnd, ubnd = f"HDND_{suffix}", f"UBND_{suffix}"
    return (
        _org(f"XA_{suffix}", name.capitalize(), f"{en} commune", "commune", "TG"),
        _org(hdnd, f"Hội đồng nhân dân {name}", f"{en} Commune People's Council", "commune_hdnd",
             f"XA_{suffix}"),
        _org(f"TT_HDND_{suffix}", f"Thường trực HĐND {name}",
             f"Standing Committee of the {en} Commune Council", "commune_hdnd_standing", hdnd),
        _org(f"BAN_PC_{suffix}", f"Ban Pháp chế HĐND {name}", "Legal Affairs Committee",
             "commune_hdnd_committee", hdnd),
        _org(f"BAN_KTXH_{suffix}", f"Ban Kinh tế - Xã hội HĐND {name}",
             "Economic and Social Affairs Committee", "commune_hdnd_committee", hdnd),
        _org(ubnd, f"Ủy ban nhân dân {name}", f"{en} Commune People's Committee",
             "commune_ubnd", f"XA_{suffix}"),
        _org(f"VP_{suffix}", f"Văn phòng HĐND và UBND {name}",
             f"Office of the {en} Commune Council and Committee", "commune_office",
             f"XA_{suffix}"),
        _org(f"PKT_{suffix}", f"Phòng Kinh tế {name}", "Economic Division", "commune_division",
             ubnd),
        _org(f"TUPHAP_{suffix}", f"Bộ phận tư pháp {name}", "Justice officer unit",
             "commune_justice", f"XA_{suffix}"),
        _org(f"MTTQ_{suffix}", f"Ủy ban MTTQ Việt Nam {name}",
             f"{en} Commune Fatherland Front Committee", "commune_mttq", f"XA_{suffix}"),
    )  # fmt: skip


ORGANISATIONS: tuple[Organisation, ...] = _PROVINCE + tuple(
    org for suffix, name in COMMUNES.items() for org in _commune_orgs(suffix, name)
)
ORGANISATIONS_BY_CODE: dict[str, Organisation] = {org.code: org for org in ORGANISATIONS}

#: Departments that draft documents: code -> (specialist, director). The specialist drafts
#: and answers consultations (cv.<code>); the director heads the agency (gd.<code>).
_DEPARTMENTS: dict[str, tuple[str, str]] = {
    "STP": ("Lê Thị Thu Trang", "Phan Minh Đức"),
    "STC": ("Vũ Ngọc Hân", "Đặng Quốc Bảo"),
    "SNV": ("Hồ Thị Mai Phương", "Trương Văn Khải"),
    "SKHCN": ("Lý Gia Huy", "Quách Thị Diệu Linh"),
    "SXD": ("Ngô Thanh Tâm", "Tạ Đình Phong"),
    "SNNMT": ("Mạc Thị Lan Anh", "Doãn Công Thành"),
    "SYT": ("Kiều Minh Nhật", "Lạc Thị Hồng Nhung"),
    "SGDDT": ("Từ Hoài An", "Bạch Văn Lộc"),
}

_PROVINCE_USERS: tuple[User, ...] = (
    *(
        user
        for code, (drafter, head) in _DEPARTMENTS.items()
        for user in (
            User(f"cv.{code.lower()}", drafter, (("drafter", code), ("consulted_agency", code))),
            User(f"gd.{code.lower()}", head, (("agency_head", code),)),
        )
    ),
    User("tdv.stp", "Thái Bảo Ngọc", (("appraiser", "STP"),)),
    User("tdv2.stp", "Giang Thị Cẩm Tú", (("appraiser", "STP"),)),
    User("ktv.stp", "Ông Văn Trọng", (("inspector", "STP"),)),
    User("cv.vpubnd", "Lưu Thị Quỳnh Như", (("ubnd_office", "VP_UBND"),)),
    User("ct.ubnd", "Châu Quang Vinh", (("ubnd_chair", "UBND_TINH"),)),
    User("tt.hdnd", "Khúc Thị Thanh Hương", (("hdnd_standing", "TT_HDND_TINH"),)),
    User("ct.hdnd", "Viên Đức Toàn", (("hdnd_chair", "HDND_TINH"),)),
    User("cv.vphdnd", "Tôn Nữ Bích Ngân", (("hdnd_office", "VP_HDND"),)),
    User("ban.pc", "Nghiêm Xuân Hòa", (("examiner", "BAN_PC_TINH"),)),
    User("ban.ktns", "Khổng Minh Tuấn", (("examiner", "BAN_KTNS_TINH"),)),
    User("ban.vhxh", "Âu Thị Ngọc Diệp", (("examiner", "BAN_VHXH_TINH"),)),
    User("cv.mttq", "Hà Văn Sáng", (("mttq", "MTTQ_TINH"),)),
)

#: Invented commune officials: suffix -> (chair HĐND, standing, chair UBND, office head,
#: office specialist, economic division head, economic specialist, justice officer,
#: legal committee, economic-social committee, Fatherland Front).
_COMMUNE_PEOPLE: dict[str, tuple[str, ...]] = {
    "BS": ("Lò Văn Thắm", "Điêu Thị Xuân", "Cầm Bá Nghĩa", "Lục Thị Hòa", "Nông Văn Khánh",
           "Hoàng Thị Sen", "Mã Đức Lợi", "Triệu Thị Yến", "Vi Văn Hậu", "Bế Thị Nhàn",
           "Sầm Văn Tín"),
    "DM": ("Trịnh Thị Hoa", "Lâm Văn Khang", "Đoàn Bá Thông", "Cù Thị Mơ", "Đinh Văn Hưng",
           "Bùi Thị Thoa", "Kha Văn Đạt", "Tăng Thị Lụa", "Mai Văn Chung", "Lều Thị Dung",
           "Ninh Văn Bảo"),
}  # fmt: skip


def _commune_users(suffix: str) -> tuple[User, ...]:
    people = _COMMUNE_PEOPLE[suffix]
    s = suffix.lower()
    vp, pkt, tp = f"VP_{suffix}", f"PKT_{suffix}", f"TUPHAP_{suffix}"
    return (
        User(f"ct.hdnd.{s}", people[0], (("hdnd_chair", f"HDND_{suffix}"),)),
        User(f"tt.hdnd.{s}", people[1], (("hdnd_standing", f"TT_HDND_{suffix}"),)),
        User(f"ct.ubnd.{s}", people[2], (("ubnd_chair", f"UBND_{suffix}"),)),
        User(f"cvp.{s}", people[3], (("agency_head", vp),)),
        User(f"cv.vp.{s}", people[4], (("drafter", vp), ("consulted_agency", vp),
                                        ("ubnd_office", vp), ("hdnd_office", vp))),
        User(f"tp.pkt.{s}", people[5], (("agency_head", pkt),)),
        User(f"cv.pkt.{s}", people[6], (("drafter", pkt), ("consulted_agency", pkt))),
        User(f"tp.{s}", people[7], (("appraiser", tp), ("inspector", tp))),
        User(f"ban.pc.{s}", people[8], (("examiner", f"BAN_PC_{suffix}"),)),
        User(f"ban.ktxh.{s}", people[9], (("examiner", f"BAN_KTXH_{suffix}"),)),
        User(f"mttq.{s}", people[10], (("mttq", f"MTTQ_{suffix}"),)),
    )  # fmt: skip


USERS: tuple[User, ...] = (
    User("admin", "Quản trị hệ thống", (("admin", "TG"),)),
    User("process_owner", "Quan Thị Mỹ Duyên", (("process_owner", "STP"),)),
    *_PROVINCE_USERS,
    *(user for suffix in COMMUNES for user in _commune_users(suffix)),
)

PROVINCIAL_TYPES = ("nq_hdnd_tinh", "qd_ubnd_tinh", "qd_ct_ubnd_tinh")
COMMUNE_TYPES = ("nq_hdnd_xa", "qd_ubnd_xa")
#: Decree 187/2025: a chairperson's decision must be sent to these four departments.
CHAIR_MANDATORY_CONSULTED = ("STC", "SNV", "STP", "SKHCN")


def process_orgs(document_type: str, commune: str | None = None) -> dict[str, Any]:
    """The organisation variables a draft of ``document_type`` starts with.

    ``commune`` is a key of :data:`COMMUNES` for commune documents. Resolved by the same code
    as real drafts (:func:`workflows.organisations.resolve_from`), from the kinds above.
    """
    if document_type in PROVINCIAL_TYPES and commune is not None:
        raise ValueError(f"{document_type} is a provincial document")
    if document_type in COMMUNE_TYPES and commune not in COMMUNES:
        raise ValueError(f"{document_type} needs one of the communes {sorted(COMMUNES)}")
    if document_type not in PROVINCIAL_TYPES + COMMUNE_TYPES:
        raise ValueError(f"unknown document type {document_type!r}")
    code = f"XA_{commune}" if commune else None
    return resolve_from(ORGANISATIONS, document_type, code).variables()


#: Every (document type, commune) combination, precomputed.
PROCESS_ORGS: dict[tuple[str, str | None], dict[str, Any]] = {
    **{(kind, None): process_orgs(kind) for kind in PROVINCIAL_TYPES},
    **{(kind, c): process_orgs(kind, c) for kind in COMMUNE_TYPES for c in COMMUNES},
}
