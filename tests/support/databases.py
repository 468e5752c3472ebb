"""Fresh, fully migrated databases for each test, on SQLite and PostgreSQL.

The schema is migrated once per backend into a template (a SQLite file, a PostgreSQL
template database); each test gets a copy, so tests are isolated and still run the real
Alembic migrations, triggers included.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.database import Database
from engine.schema import upgrade

from .postgres import PostgresServer

_counter = itertools.count(1)


class DatabaseFactory:
    def __init__(self, root: Path, postgres: PostgresServer | None) -> None:
        self.root = root
        self.postgres = postgres
        self._sqlite_template: Path | None = None
        self._pg_template_ready = False

    # SQLite ---------------------------------------------------------------------------------
    def sqlite(self) -> str:
        if self._sqlite_template is None:
            template = self.root / "template.sqlite3"
            db = Database(f"sqlite:///{template}")
            upgrade(db)
            db.dispose()
            self._sqlite_template = template
        target = self.root / f"test-{os.getpid()}-{next(_counter)}.sqlite3"
        shutil.copyfile(self._sqlite_template, target)
        return f"sqlite:///{target}"

    # PostgreSQL -----------------------------------------------------------------------------
    def _admin(self):
        assert self.postgres is not None
        return create_engine(self.postgres.url, isolation_level="AUTOCOMMIT")

    def postgresql(self) -> str:
        """This process's own migrated database, emptied (CREATE DATABASE per test is slow)."""
        assert self.postgres is not None
        name = f"lexflow_test_{os.getpid()}"
        url = make_url(self.postgres.url).set(database=name).render_as_string(hide_password=False)
        if not self._pg_template_ready:
            admin = self._admin()
            try:
                with admin.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    conn.execute(text(f"CREATE DATABASE {name}"))
            finally:
                admin.dispose()
            db = Database(url)
            upgrade(db)
            db.dispose()
            self._pg_template_ready = True
            return url
        cleaner = create_engine(url)
        try:
            with cleaner.begin() as conn:
                tables = conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                ).scalars()
                # The audit log refuses TRUNCATE; a superuser in replica mode skips triggers.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        finally:
            cleaner.dispose()
        return url

    def drop(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
            return
        # PostgreSQL: the database is reused (emptied) by the next test of this process.
