"""Connections and transactions for SQLite (embedded default) and PostgreSQL.

Every engine mutation runs in one :meth:`Database.write` transaction. On SQLite that
transaction starts with ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout
instead of failing half-way through with "database is locked"; on PostgreSQL the default
READ COMMITTED isolation plus the instance row's optimistic ``version`` check decides races.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .availability import Availability
from .errors import Conflict
from .messages import Message

DEFAULT_SQLITE_PATH = Path("instance") / "lexflow.sqlite3"
_WRITE_OPTION = "lexflow_write"
_open_databases: weakref.WeakSet[Database] = weakref.WeakSet()


def _forget_inherited_connections() -> None:
    """In a forked child: drop the parent's pooled connections without closing them.

    A connection is a socket shared with the parent after ``fork()``; if both processes use
    it, their statements interleave on one server session (a gunicorn ``--preload`` master
    and its workers). ``dispose(close=False)`` gives the child a fresh, empty pool and leaves
    the parent's connections to the parent (SQLAlchemy's documented recipe).
    """
    for database in list(_open_databases):
        database.engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


def default_database_url() -> str:
    """``LEXFLOW_DATABASE_URL`` or a SQLite file under ``instance/`` in the working directory."""
    url = os.environ.get("LEXFLOW_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{DEFAULT_SQLITE_PATH.resolve()}"


def _normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (SQLAlchemy would pick psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """An SQLAlchemy engine plus the session factory the engine and the domain share."""

    def __init__(self, url: str | None = None, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = _normalise_url(url or default_database_url())
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.dialect == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            # No cap on connections (SQLite's are cheap, the lock serialises writers anyway):
            # with a capped pool, 16 threads each holding one while waiting for the write
            # lock starved the lock holder's second (read) connection, and everyone waited
            # 30 s for nothing, then failed with 500 and "database is busy".
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = -1
        else:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
            # No pre-ping round trip per transaction: connections are recycled instead.
            kwargs["pool_recycle"] = 300
            # A server that does not answer fails the request within seconds (503), instead
            # of holding the worker for the operating system's TCP timeout.
            kwargs["connect_args"] = {"connect_timeout": 5}
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        # Writes flush explicitly (once per step) instead of before every query.
        self._write_sessions = sessionmaker(
            self._write_engine, expire_on_commit=False, autoflush=False
        )
        #: Outages as the callers saw them (503 and one log line each way, in the web layer).
        self.availability = Availability(self.engine)
        _open_databases.add(self)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; closed (rolled back) at the end, nothing it does is kept.

        Objects loaded in it stay readable after the block (they are detached, not expired).
        """
        session = self._sessions()
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work is committed at the end, or rolled back on any exception."""
        session = self._write_sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if self.is_sqlite and "locked" in str(exc).lower():
                raise Conflict(Message("The database is busy; try again.")) from exc
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers, a busy timeout, enforced foreign keys, explicit BEGIN.

    pysqlite's own transaction handling is switched off so that we can issue
    ``BEGIN IMMEDIATE`` for write sessions (SQLAlchemy's documented recipe).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
