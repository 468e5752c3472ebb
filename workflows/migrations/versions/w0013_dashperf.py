"""The dashboards and the plan page with 100 k drafts: searchable plan items, covering indexes.

* ``plan_item.search_text``: the title folded by :func:`workflows.search.fold`, so the plan
  page filters and pages in SQL (it used to load every item of the year and filter in Python:
  53 s at 100 k items on SQLite). Existing rows get it here.

Revision ID: w0013_dashperf
Revises: w0012
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflows.search import fold

revision = "w0013_dashperf"
down_revision = "w0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "plan_item", sa.Column("search_text", sa.Text(), server_default="", nullable=False)
    )
    connection = op.get_bind()
    table = sa.table("plan_item", sa.column("id"), sa.column("title"), sa.column("search_text"))
    for key, title in connection.execute(sa.select(table.c.id, table.c.title)).all():
        connection.execute(table.update().where(table.c.id == key).values(search_text=fold(title)))


def downgrade() -> None:
    with op.batch_alter_table("plan_item") as batch:
        batch.drop_column("search_text")
