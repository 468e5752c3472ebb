"""The Alembic migrations create exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine import Database
from engine.models import Base
from engine.schema import head_revisions, is_up_to_date


def test_migrations_match_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_database_is_at_every_head(database: Database) -> None:
    assert is_up_to_date(database)
    assert head_revisions(database) == {
        "e0008_open_work",
        "w0014_stepfig",
    }  # the engine's head and the domain's
