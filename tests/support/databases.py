"""Fresh, fully migrated databases for each test, on SQLite and PostgreSQL.

The schema is migrated once per backend into a template (a SQLite file, a PostgreSQL
template database); each test gets a copy, so tests are isolated and still run the real
Alembic migrations, triggers included. A costly set-up (the demo province) is prepared once
per test run for every xdist worker (:class:`SharedDatabase`), ahead of the tests that need it.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import multiprocessing
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from engine import clock
from engine.database import Database
from engine.models import Base
from engine.schema import upgrade

from .postgres import PostgresServer

_counter = itertools.count(1)
_SPAWN = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class SharedDatabase:
    """A SQLite database that ``prepare(url, *args)`` fills, made once per test run.

    ``prepare`` is a module-level function (a background process imports it), writes into
    the fresh migrated database at ``url``, closes what it opens and returns what the tests
    also need, as JSON (``load_demo``'s lines, say). A test module marks the tests that use
    it with ``@pytest.mark.shared_database(recipe)``: the recipes of the selected tests are
    started in the background when the run begins (tests/conftest.py), and
    :meth:`DatabaseFactory.shared_sqlite` hands each test a copy.
    """

    name: str
    prepare: Callable[..., Any]
    args: tuple[str, ...] = ()

    def key(self, day: str) -> str:
        """The files' name: the recipe and the day of the run (rows carry its timestamps)."""
        raw = "-".join((self.name, *self.args, day))
        return re.sub(r"[^\w.-]+", "_", raw)


class _SharedFiles:
    """The files of one shared database in the folder every process of the run shares: the
    database, what ``prepare`` returned (written last: it says the database is complete), a
    lock held while it is prepared, and a claim (who starts it in the background)."""

    def __init__(self, folder: Path, key: str) -> None:
        self.database = folder / f"{key}.sqlite3"
        self.result = folder / f"{key}.json"
        self.lock = folder / f"{key}.lock"
        self.claim = folder / f"{key}.claim"

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self.lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            yield

    def claimed(self) -> bool:
        """True for the one process of the run that claims the database first."""
        try:
            os.close(os.open(self.claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True

    def make(self, factory: DatabaseFactory, recipe: SharedDatabase) -> None:
        """Prepare the database unless it is there (the caller holds the lock)."""
        if self.result.exists():
            return
        url = factory.sqlite()
        result = recipe.prepare(url, *recipe.args)
        _sqlite_copy(Path(make_url(url).database or ""), self.database)
        factory.drop(url)
        written = self.result.with_suffix(".json.part")
        written.write_text(json.dumps(result))
        written.replace(self.result)


def _prepare_in_background(folder: str, root: str, key: str, recipe: SharedDatabase) -> None:
    """A spawned process: prepare the shared database while the tests run. (Not niced: a
    worker that needs it before it is made waits idle, and on a busy machine a niced
    process is starved.)"""
    import workflows.schema  # noqa: F401  (domain tables and migrations join the schema)
    from tests.conftest import suite_moment

    files = _SharedFiles(Path(folder), key)
    moment = suite_moment()
    with files.locked(), clock.travelling(moment) if moment else _nothing():
        files.make(DatabaseFactory(Path(root), None), recipe)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


class DatabaseFactory:
    def __init__(
        self, root: Path, postgres: PostgresServer | None, shared: Path | None = None
    ) -> None:
        """``root`` holds this process's databases; ``shared`` is the folder every process of
        the test run shares (the xdist workers'), for :meth:`shared_sqlite`."""
        self.root = root
        self.postgres = postgres
        self.shared = shared or root
        #: The day the process began (a test may freeze the clock on another day; the
        #: background preparations run on the suite's clock).
        self.day = clock.now().date().isoformat()
        self._sqlite_template: Path | None = None
        self._pg_template_ready = False
        self._prepared_sqlite: dict[str, Path] = {}
        self._prepared_postgresql: dict[str, _Snapshot] = {}
        self._background: list[BaseProcess] = []

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

    # Shared by every process of the run ----------------------------------------------------
    def shared_sqlite(self, recipe: SharedDatabase) -> tuple[str, Any]:
        """A new SQLite database holding what ``recipe`` prepares, and what it returned.

        The recipe runs once per test run: in the background (:meth:`prepare_ahead`), or
        here in whichever process first holds its lock; the others wait for the lock and
        copy the finished file (SQLite's backup API).
        """
        files = _SharedFiles(self.shared, recipe.key(self.day))
        with files.locked():
            files.make(self, recipe)
        target = self.root / f"test-{os.getpid()}-{next(_counter)}.sqlite3"
        _sqlite_copy(files.database, target)
        return f"sqlite:///{target}", json.loads(files.result.read_text())

    def prepare_ahead(self, recipes: Iterable[SharedDatabase]) -> None:
        """Start preparing ``recipes`` in background processes (the one process of the run
        that claims a recipe starts it), so the tests that need them find them made."""
        for recipe in recipes:
            key = recipe.key(self.day)
            files = _SharedFiles(self.shared, key)
            if not files.claimed():
                continue
            root = self.root / f"background-{next(_counter)}"
            root.mkdir()
            process = _SPAWN.Process(
                target=_prepare_in_background,
                args=(str(self.shared), str(root), key, recipe),
                name=f"prepare {key}",
            )
            process.start()
            self._background.append(process)

    def close(self) -> None:
        """Wait for the background preparations (another process may be waiting for one)."""
        for process in self._background:
            process.join()
        self._background.clear()

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
