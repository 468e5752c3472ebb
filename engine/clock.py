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

A third, :func:`evaluating_as_of`, is for "what is due at that moment?" runs (``lexflow timers
fire --at``): :func:`now` reads the chosen moment, so timers and due dates are decided as of
then, but :func:`record_time`, which stamps the audit log, keeps reading the time things really
happen; the simulated moment is written beside it in the event's data by the caller.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

_frozen: ContextVar[datetime | None] = ContextVar("lexflow_frozen_now", default=None)
#: The instant that :func:`record_time` reads inside :func:`evaluating_as_of` (the enclosing
#: frozen instant, or ``None`` for the running clock).
_recorded: ContextVar[tuple[datetime | None] | None] = ContextVar(
    "lexflow_recorded_now", default=None
)
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


def record_time() -> datetime:
    """When something happens, for the record (audit events): :func:`now`, except inside
    :func:`evaluating_as_of`, where it is the time outside that block."""
    recorded = _recorded.get()
    if recorded is None:
        return now()
    moment = recorded[0]
    return moment if moment is not None else _real_now() + _offset


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
    token_recorded = _recorded.set(None)  # frozen means recorded at that instant too
    try:
        yield as_utc(moment)
    finally:
        _recorded.reset(token_recorded)
        _frozen.reset(token)


@contextmanager
def evaluating_as_of(moment: datetime) -> Iterator[datetime]:
    """Decide what is due as if the time were ``moment`` while :func:`record_time` goes on
    reading the real (or enclosing frozen) time."""
    outer = _recorded.get()
    recorded = outer if outer is not None else (_frozen.get(),)
    token_recorded = _recorded.set(recorded)
    token_frozen = _frozen.set(as_utc(moment))
    try:
        yield as_utc(moment)
    finally:
        _frozen.reset(token_frozen)
        _recorded.reset(token_recorded)


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
