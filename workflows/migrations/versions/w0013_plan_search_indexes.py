"""The dashboards and the plan page with 100 k drafts: searchable plan items, covering indexes.

* ``plan_item.search_text``: the title folded by :func:`workflows.search.fold`, so the plan
  page filters and pages in SQL (it used to load every item of the year and filter in Python:
  53 s at 100 k items on SQLite). Existing rows get it here.
* Covering indexes in place of w0012's and the year's: the plan's state of an item and the
  draft facts step times group by are read from indexes, not from draft rows (which hold
  titles, summaries and legal bases: a page read per draft).

Revision ID: w0013
Revises: w0012
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflows.search import fold

revision = "w0013"
down_revision = "w0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "plan_item", sa.Column("search_text", sa.Text(), server_default="", nullable=False)
    )
    connection = op.get_bind()
    table = sa.table("plan_item", sa.column("id"), sa.column("title"), sa.column("search_text"))
    rows = [
        {"key": key, "text": fold(title)}
        for key, title in connection.execute(sa.select(table.c.id, table.c.title)).all()
    ]
    if rows:  # one executemany, not a round trip per item
        connection.execute(
            table.update()
            .where(table.c.id == sa.bindparam("key"))
            .values(search_text=sa.bindparam("text")),
            rows,
        )
    op.drop_index("ix_plan_item_year", table_name="plan_item")
    op.create_index(
        "ix_plan_item_year_facts",
        "plan_item",
        ["year", "lead_agency", "document_type", "target_date"],
    )
    op.drop_index("ix_draft_plan_item_id", table_name="draft")
    op.drop_index("ix_draft_instance_id", table_name="draft")
    op.create_index(
        "ix_draft_plan_item_state",
        "draft",
        ["plan_item_id", "status", "number", "instance_id", "code"],
    )
    op.create_index(
        "ix_draft_instance_facts",
        "draft",
        ["instance_id", "document_type", "procedure", "lead_agency"],
    )


def downgrade() -> None:
    op.drop_index("ix_draft_instance_facts", table_name="draft")
    op.drop_index("ix_draft_plan_item_state", table_name="draft")
    op.create_index("ix_draft_instance_id", "draft", ["instance_id"])
    op.create_index("ix_draft_plan_item_id", "draft", ["plan_item_id"])
    op.drop_index("ix_plan_item_year_facts", table_name="plan_item")
    op.create_index("ix_plan_item_year", "plan_item", ["year"])
    with op.batch_alter_table("plan_item") as batch:
        batch.drop_column("search_text")
