"""The engine's notion of "now".

Timers, due dates and audit timestamps all read the time through :func:`now`, so that a
timer runner (``fire_due_timers(now)``), a test or a demo loader can run the engine at a
chosen instant with :func:`frozen_at`. Outside such a block it is the real UTC time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_frozen: ContextVar[datetime | None] = ContextVar("lexflow_frozen_now", default=None)


def now() -> datetime:
    """Current time as an aware UTC datetime (the frozen instant inside :func:`frozen_at`)."""
    frozen = _frozen.get()
    return frozen if frozen is not None else datetime.now(UTC)


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
