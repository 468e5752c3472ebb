"""Whether the database can be reached: telling an outage from an ordinary database error.

A request that fails because the server is down, restarting or out of connections is not a
bug and not the caller's fault: the caller should wait and retry (503), and the log should
say once that the database went away and once that it came back, not print a traceback per
request. A failure of one statement on a live connection (a deadlock, a timeout, a
constraint, SQLite's "database is locked") is none of this and stays what it was.

:func:`is_unreachable` classifies an exception (following its causes); :class:`Availability`
keeps one database's state and writes those two log lines. Recovery needs nothing from the
caller: a connection found broken invalidates the whole pool (SQLAlchemy's optimistic
disconnect handling), so the first request after the server returns connects afresh.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)

#: PostgreSQL's "the server is going away / not there yet" states (class 08 is connection
#: exceptions): administrator or crash shutdown, "the database system is starting up".
_UNREACHABLE_SQLSTATES = ("57P01", "57P02", "57P03")
#: SQLite's only connection-level failure: the file cannot be opened (missing folder, mount).
_SQLITE_UNREACHABLE = "unable to open database file"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _connection_level(error: DBAPIError) -> bool:
    if error.connection_invalidated:  # the dialect saw the connection break
        return True
    original: Any = error.orig
    if type(original).__module__.startswith("sqlite3"):
        return _SQLITE_UNREACHABLE in str(original).lower()
    if not isinstance(error, (OperationalError, InterfaceError)):
        return False  # integrity, data, programming errors: the server answered
    sqlstate = getattr(original, "sqlstate", "")
    # No SQLSTATE: libpq itself failed (connection refused, server closed the connection).
    return sqlstate is None or str(sqlstate).startswith("08") or sqlstate in _UNREACHABLE_SQLSTATES


def is_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception it was raised from) means the database cannot be
    reached: a refused or broken connection, a server shutting down or starting up, or no
    pooled connection free within the pool timeout."""
    for link in _chain(exc):
        if isinstance(link, PoolTimeout):
            return True
        if isinstance(link, DBAPIError) and _connection_level(link):
            return True
    return False


def reason(exc: BaseException) -> str:
    """The first line of the driver's own message: what the log says about the outage."""
    for link in _chain(exc):
        if isinstance(link, DBAPIError):
            text = str(link.orig).strip()
            return text.splitlines()[0] if text else type(link.orig).__name__
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class Availability:
    """One database's reachability as its users saw it, logged once per outage.

    :meth:`failed` is called with every exception a caller could not handle; it answers
    whether that was an outage and logs a warning for the first one. The first new
    connection made after that logs that the database answers again (during an outage no
    connection can be made, and the broken ones were invalidated).
    """

    def __init__(self, engine: Engine) -> None:
        self._lock = threading.Lock()
        self._down = False
        self._failures = 0
        event.listen(engine, "connect", self._connected)

    @property
    def down(self) -> bool:
        return self._down

    def failed(self, exc: BaseException) -> bool:
        if not is_unreachable(exc):
            return False
        with self._lock:
            self._failures += 1
            first = not self._down
            self._down = True
        if first:
            log.warning("database unreachable, answering 503 until it returns: %s", reason(exc))
        return True

    def _connected(self, _dbapi_connection: Any, _record: Any) -> None:
        with self._lock:
            was_down, failures = self._down, self._failures
            self._down, self._failures = False, 0
        if was_down:
            log.info("database reachable again (%d requests failed meanwhile)", failures)
