"""Fresh, fully migrated databases for each test, on SQLite and PostgreSQL.

The schema is migrated once per backend into a template (a SQLite file, a PostgreSQL
template database); each test gets a copy, so tests are isolated and still run the real
Alembic migrations, triggers included.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
from collections.abc import Callable
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
        self._prepared_sqlite: dict[str, Path] = {}
        self._prepared_postgresql: dict[str, _Snapshot] = {}

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

    # Prepared contents ----------------------------------------------------------------------
    def fill(self, url: str, key: str, prepare: Callable[[str], None]) -> None:
        """Make the fresh database at ``url`` hold what ``prepare(url)`` writes.

        ``prepare`` runs once per process and ``key``; later tests get a copy of its result
        (SQLite's backup API, or the rows put back with ``COPY`` on PostgreSQL), so a costly
        set-up such as seeding the province or deploying every model is paid once, not per
        test. ``prepare`` must close what it opens.
        """
        backend = make_url(url).get_backend_name()
        if backend == "sqlite":
            template = self._prepared_sqlite.get(key)
            path = make_url(url).database or ""
            if template is None:
                prepare(url)
                template = self.root / f"prepared-{os.getpid()}-{next(_counter)}.sqlite3"
                _sqlite_copy(Path(path), template)
                self._prepared_sqlite[key] = template
            else:
                _sqlite_copy(template, Path(path))
            return
        snapshot = self._prepared_postgresql.get(key)
        if snapshot is None:
            prepare(url)
            self._prepared_postgresql[key] = _Snapshot.take(url)
        else:
            snapshot.restore(url)

    def drop(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
            return
        # PostgreSQL: the database is reused (emptied) by the next test of this process.


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a SQLite database whole, its write-ahead log included (a file copy is not)."""
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


class _Snapshot:
    """Every row and sequence of a PostgreSQL database, to put back into the emptied one."""

    def __init__(self, tables: dict[str, bytes], sequences: list[tuple[str, int, bool]]) -> None:
        self.tables = tables
        self.sequences = sequences

    @classmethod
    def take(cls, url: str) -> _Snapshot:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                tables: dict[str, bytes] = {}
                names = conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                ).scalars()
                for name in names:
                    data = bytearray()
                    with raw.cursor().copy(f'COPY "{name}" TO STDOUT (FORMAT binary)') as copy:
                        for chunk in copy:
                            data += chunk
                    tables[name] = bytes(data)
                sequences = [
                    (row.name, row.last_value, row.is_called)
                    for row in conn.execute(
                        text(
                            "SELECT format('%I', sequencename) AS name, "
                            "coalesce(last_value, 1) AS last_value, "
                            "last_value IS NOT NULL AS is_called "
                            "FROM pg_sequences WHERE schemaname = 'public'"
                        )
                    )
                ]
        finally:
            engine.dispose()
        return cls(tables, sequences)

    def restore(self, url: str) -> None:
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                # Rows go back as they were: no trigger runs (the audit chain is copied whole).
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                cursor = raw.cursor()
                for name, data in self.tables.items():
                    with cursor.copy(f'COPY "{name}" FROM STDIN (FORMAT binary)') as copy:
                        copy.write(data)
                for name, value, called in self.sequences:
                    conn.execute(
                        text("SELECT setval(:name, :value, :called)"),
                        {"name": name, "value": value, "called": called},
                    )
        finally:
            engine.dispose()


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
