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

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from engine.database import Database
from engine.models import Base
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


def copy_rows(source: Database, target: Database, batch: int = 2000) -> None:
    """Every row of ``source`` into the migrated PostgreSQL ``target`` (emptied first: the
    migrations' seed rows come with the copy), identities moved past the copied ids: a data
    set built once (the demo takes a minute to load) is then read on both backends for the
    price of a bulk insert."""
    tables = [t for t in Base.metadata.sorted_tables if t.name != "alembic_version"]
    with source.engine.connect() as read, target.engine.begin() as write:
        # Triggers (the audit log's refusals) are skipped: the rows are copied as they are.
        write.execute(text("SET LOCAL session_replication_role = replica"))
        names = ", ".join(t.name for t in tables)
        write.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for table in tables:
            rows = [dict(row._mapping) for row in read.execute(select(table))]
            for start in range(0, len(rows), batch):
                write.execute(insert(table), rows[start : start + batch])
            keys = list(table.primary_key.columns)
            for column in keys if len(keys) == 1 else []:
                if column.autoincrement is True or (
                    column.autoincrement == "auto" and column.type.python_type is int
                ):
                    write.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', "  # noqa: S608
                            f"'{column.name}'), (SELECT COALESCE(MAX({column.name}), 0) + 1 "
                            f"FROM {table.name}), false)"
                        )
                    )
