"""Creating and upgrading the database schema with Alembic.

The engine owns the Alembic environment; other packages (the domain) add their own version
directories, each a branch that depends on the engine's, and ``upgrade`` runs all heads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .database import Database
from .models import Base

MIGRATIONS = Path(__file__).parent / "migrations"
_extra_locations: list[Path] = []


def register_version_location(path: Path) -> None:
    """Add a package's migration versions directory (called by that package on import)."""
    resolved = Path(path).resolve()
    if resolved not in _extra_locations:
        _extra_locations.append(resolved)


def alembic_config(db: Database, extra: Sequence[Path] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    locations = [MIGRATIONS / "versions", *_extra_locations, *extra]
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    config.attributes["target_metadata"] = Base.metadata
    return config


def upgrade(db: Database, revision: str = "heads") -> None:
    """Bring the schema to the newest revision of every branch."""
    config = alembic_config(db)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revisions(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def head_revisions(db: Database) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(db)).get_heads())


def is_up_to_date(db: Database) -> bool:
    return current_revisions(db) == head_revisions(db)
