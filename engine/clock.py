"""The engine's notion of "now": the one clock every date decision reads.

Timers, due dates, audit timestamps, "today" on a page and "behind plan" all read the time
through :func:`now`; nothing in Lexflow calls ``datetime.now()`` or ``date.today()`` itself
(a test enforces it), so that a chosen day holds everywhere at once.

Two ways to choose the time, for two kinds of caller:

* :func:`frozen_at` fixes the instant for the enclosed block of *this* thread or task (a
  context variable): a timer runner firing ``fire_due_timers(now)``, the demo loader walking
  drafts in simulated time, a test of one computation.
* :func:`travel_to` moves the clock of the *whole process* (every thread: a live test server
  included) to a chosen moment, from which it keeps running at the real pace. Tests set "today"
  this way (the suite can be run as of any day with ``LEXFLOW_TODAY=YYYY-MM-DD``), and a test
  lets days pass with :func:`advance`. Production never calls it.

A frozen instant wins over a travelled clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

_frozen: ContextVar[datetime | None] = ContextVar("lexflow_frozen_now", default=None)
_offset = timedelta(0)  # added to the real time, process-wide (see travel_to)
_offset_lock = threading.Lock()


def _real_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """Current time as an aware UTC datetime (the frozen instant inside :func:`frozen_at`)."""
    frozen = _frozen.get()
    if frozen is not None:
        return frozen
    return _real_now() + _offset


def as_utc(moment: datetime) -> datetime:
    """Make ``moment`` aware and in UTC; naive values are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@contextmanager
def frozen_at(moment: datetime | None) -> Iterator[datetime]:
    """Run the enclosed block as if the time were ``moment`` (no-op when ``None``)."""
    if moment is None:
        yield now()
        return
    token = _frozen.set(as_utc(moment))
    try:
        yield as_utc(moment)
    finally:
        _frozen.reset(token)


def travel_to(moment: datetime | None) -> None:
    """Move the process-wide clock so that :func:`now` reads ``moment`` from here on (it keeps
    running); ``None`` goes back to the real time. Meant for tests and test servers."""
    global _offset
    with _offset_lock:
        _offset = timedelta(0) if moment is None else as_utc(moment) - _real_now()


def advance(delta: timedelta) -> datetime:
    """Let ``delta`` pass on the process-wide clock at once; returns the new :func:`now`."""
    global _offset
    with _offset_lock:
        _offset += delta
    return now()


def offset() -> timedelta:
    """How far the process-wide clock is from the real time (zero unless travelled)."""
    return _offset


@contextmanager
def travelling(moment: datetime) -> Iterator[datetime]:
    """:func:`travel_to` ``moment`` for the enclosed block, then restore the previous offset."""
    global _offset
    with _offset_lock:
        saved = _offset
        _offset = as_utc(moment) - _real_now()
    try:
        yield now()
    finally:
        with _offset_lock:
            _offset = saved
