"""Roles are data: the ``role`` table, seeded with the roles Lexflow ships with.

Revision ID: w0008
Revises: w0007
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "w0008"
down_revision = "w0007"
branch_labels = None
depends_on = None

#: The built-in roles as of this revision (workflows.roles.ROLES), copied so that the
#: migration keeps its meaning when the constants change.
SEED = (
    ("drafter", "Chuyên viên soạn thảo", "Drafter", False, True),
    ("agency_head", "Thủ trưởng cơ quan chủ trì", "Head of the lead agency", True, True),
    ("consulted_agency", "Cơ quan được lấy ý kiến", "Consulted agency", False, True),
    ("appraiser", "Chuyên viên thẩm định", "Appraiser", False, True),
    ("ubnd_office", "Văn phòng UBND", "People's Committee office", False, True),
    ("ubnd_chair", "Chủ tịch UBND", "People's Committee chairperson", True, True),
    ("hdnd_standing", "Thường trực HĐND", "People's Council standing committee", True, True),
    ("examiner", "Ban của HĐND (thẩm tra)", "People's Council committee (examiner)", False, True),
    ("hdnd_office", "Văn phòng HĐND", "People's Council office", False, True),
    ("hdnd_chair", "Chủ tịch HĐND", "People's Council chairperson", True, True),
    ("mttq", "Ủy ban MTTQ Việt Nam", "Fatherland Front committee", False, True),
    ("inspector", "Kiểm tra, rà soát văn bản", "Inspector (legality review)", False, True),
    ("process_owner", "Quản trị quy trình", "Process owner", False, False),
    ("admin", "Quản trị hệ thống", "Administrator", False, False),
)


def upgrade() -> None:
    table = op.create_table(
        "role",
        sa.Column("code", sa.String(length=40), primary_key=True),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("supervises", sa.Boolean(), nullable=False),
        sa.Column("lane_allowed", sa.Boolean(), nullable=False),
    )
    op.bulk_insert(
        table,
        [
            {
                "code": code,
                "name_vi": name_vi,
                "name_en": name_en,
                "supervises": supervises,
                "lane_allowed": lane_allowed,
            }
            for code, name_vi, name_en, supervises, lane_allowed in SEED
        ],
    )


def downgrade() -> None:
    op.drop_table("role")
