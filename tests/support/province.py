"""A small fictional province for web and domain tests: organisations, one user per role.

Organisation kinds follow :mod:`workflows.organisations`, so the real resolution of
``appraisal_org``, offices and committees works on it. Every user's password is
``PASSWORD``.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy.orm import Session

from workflows import accounts
from workflows.deadlines import seed_rules
from workflows.directory import Organisation

PASSWORD = "mat-khau-thu-nghiem"

ORGANISATIONS: tuple[tuple[str, str, str, str | None], ...] = (
    # code, Vietnamese name, kind, parent
    ("TT", "Tỉnh Thử Nghiệm", "province", None),
    ("HDND_T", "Hội đồng nhân dân tỉnh", "province_hdnd", "TT"),
    ("TTHDND_T", "Thường trực HĐND tỉnh", "hdnd_standing", "HDND_T"),
    ("BAN_PC", "Ban Pháp chế HĐND tỉnh", "hdnd_committee", "HDND_T"),
    ("BAN_KTNS", "Ban Kinh tế - Ngân sách HĐND tỉnh", "hdnd_committee", "HDND_T"),
    ("VP_HDND", "Văn phòng HĐND tỉnh", "hdnd_office", "HDND_T"),
    ("UBND_T", "Ủy ban nhân dân tỉnh", "province_ubnd", "TT"),
    ("VP_UBND", "Văn phòng UBND tỉnh", "ubnd_office", "UBND_T"),
    ("STP", "Sở Tư pháp", "justice_department", "UBND_T"),
    ("STC", "Sở Tài chính", "finance_department", "UBND_T"),
    ("SNV", "Sở Nội vụ", "home_affairs_department", "UBND_T"),
    ("SKHCN", "Sở Khoa học và Công nghệ", "science_department", "UBND_T"),
    ("SXD", "Sở Xây dựng", "department", "UBND_T"),
    ("MTTQ_T", "Ủy ban MTTQ Việt Nam tỉnh", "mttq", "TT"),
    ("XA_A", "Xã Thử A", "commune", "TT"),
    ("XA_A_HDND", "HĐND xã Thử A", "commune_hdnd", "XA_A"),
    ("XA_A_TT", "Thường trực HĐND xã Thử A", "commune_hdnd_standing", "XA_A_HDND"),
    ("XA_A_BAN", "Ban Pháp chế HĐND xã Thử A", "commune_hdnd_committee", "XA_A_HDND"),
    ("XA_A_UBND", "UBND xã Thử A", "commune_ubnd", "XA_A"),
    ("XA_A_VP", "Văn phòng HĐND và UBND xã Thử A", "commune_office", "XA_A"),
    ("XA_A_TP", "Công chức Tư pháp xã Thử A", "commune_justice", "XA_A"),
    ("XA_A_MTTQ", "Ủy ban MTTQ xã Thử A", "commune_mttq", "XA_A"),
)

USERS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("cv.sxd", "Lê Văn Soạn", (("drafter", "SXD"),)),
    ("cv2.sxd", "Phạm Thị Thảo", (("drafter", "SXD"),)),
    ("gd.sxd", "Trần Văn Giám", (("agency_head", "SXD"),)),
    ("cv.stc", "Ngô Thị Tài", (("consulted_agency", "STC"), ("drafter", "STC"))),
    ("cv.snv", "Đỗ Văn Nội", (("consulted_agency", "SNV"),)),
    ("cv.skhcn", "Vũ Thị Khoa", (("consulted_agency", "SKHCN"),)),
    ("tdv.stp", "Hoàng Văn Định", (("appraiser", "STP"), ("consulted_agency", "STP"))),
    ("kt.stp", "Bùi Thị Kiểm", (("inspector", "STP"),)),
    ("gd.stp", "Đặng Văn Pháp", (("agency_head", "STP"),)),
    ("cv.vpubnd", "Lý Thị Văn", (("ubnd_office", "VP_UBND"),)),
    ("ct.ubnd", "Mai Văn Chủ", (("ubnd_chair", "UBND_T"),)),
    ("tt.hdnd", "Cao Thị Trực", (("hdnd_standing", "TTHDND_T"),)),
    ("ban.pc", "Tạ Văn Thẩm", (("examiner", "BAN_PC"),)),
    ("ban.ktns", "Lưu Thị Ngân", (("examiner", "BAN_KTNS"),)),
    ("cv.vphdnd", "Kiều Văn Phòng", (("hdnd_office", "VP_HDND"),)),
    ("ct.hdnd", "Đinh Văn Hội", (("hdnd_chair", "HDND_T"),)),
    ("mttq", "Quách Thị Mặt", (("mttq", "MTTQ_T"),)),
    (
        "cv.xa",
        "Lâm Văn Xã",
        (("drafter", "XA_A_VP"), ("ubnd_office", "XA_A_VP"), ("hdnd_office", "XA_A_VP")),
    ),
    ("ct.xa", "Hà Thị Xuân", (("ubnd_chair", "XA_A_UBND"), ("agency_head", "XA_A_VP"))),
    ("tp.xa", "Khổng Văn Tư", (("appraiser", "XA_A_TP"), ("inspector", "XA_A_TP"))),
    ("tt.xa", "Mạc Thị Thường", (("hdnd_standing", "XA_A_TT"), ("hdnd_chair", "XA_A_HDND"))),
    ("ban.xa", "Âu Văn Ban", (("examiner", "XA_A_BAN"),)),
    ("mttq.xa", "Ông Thị Mai", (("mttq", "XA_A_MTTQ"),)),
    ("owner", "Nguyễn Quy Trình", (("process_owner", "STP"),)),
    ("admin", "Quản Trị Viên", (("admin", "TT"),)),
)


@cache
def _password_hash() -> str:
    return accounts.hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run


def seed(session: Session) -> None:
    """Insert the organisations, users and default deadline rules."""
    for code, name, kind, parent in ORGANISATIONS:
        session.add(
            Organisation(
                code=code, name_vi=name, name_en=name, kind=kind, parent_code=parent, active=True
            )
        )
    session.flush()
    for username, full_name, grants in USERS:
        user = accounts.create_user(session, username, full_name, None, grants)
        user.password_hash = _password_hash()
    seed_rules(session)
