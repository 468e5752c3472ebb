"""Accent-insensitive search text on drafts, regulations, users and organisations; when an
API token was revoked.

Existing rows get their ``search_text`` from the same :func:`workflows.search.fold` the
models use from now on. No index: the filter is ``LIKE '%...%'``, which a B-tree cannot serve.

Revision ID: w0002
Revises: w0001
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime
from workflows.search import fold

revision = "w0002"
down_revision = "w0001"
branch_labels = None
depends_on = None

#: table -> (primary key, the columns folded into search_text)
SEARCHED = {
    "draft": ("id", ("title", "code")),
    "regulation": ("id", ("title", "number")),
    "app_user": ("id", ("username", "full_name")),
    "organisation": ("code", ("code", "name_vi")),
}


def upgrade() -> None:
    connection = op.get_bind()
    for name, (key, sources) in SEARCHED.items():
        op.add_column(name, sa.Column("search_text", sa.Text(), server_default="", nullable=False))
        table = sa.table(name, sa.column(key), sa.column("search_text"), *map(sa.column, sources))
        rows = connection.execute(sa.select(table.c[key], *(table.c[s] for s in sources))).all()
        for row in rows:
            text = fold(" ".join(str(part) for part in row[1:] if part))
            connection.execute(
                table.update().where(table.c[key] == row[0]).values(search_text=text)
            )
    op.add_column("api_token", sa.Column("revoked_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("revoked_at")
    for name in SEARCHED:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("search_text")
