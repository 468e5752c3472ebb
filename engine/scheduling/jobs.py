"""A job and one recorded run of it.

The run's start and end are written in their own short transactions, never around the job's
work: a job that talks to a mail server holds no database lock meanwhile, and a job that
fails still leaves its failure on record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy.exc import IntegrityError, OperationalError

from .. import clock
from ..database import Database
from ..errors import Conflict
from .records import job_row

log = logging.getLogger(__name__)
MAX_ERROR = 2000


@dataclass(frozen=True)
class Job:
    """``run()`` does one round of work and returns how many items it handled.

    Exactly one of ``every`` (an interval) and ``daily_at`` (a local time of day, Vietnam) is
    given. ``run`` must be safe to call from several processes at once.
    """

    name: str
    run: Callable[[], int]
    description: str = ""
    every: timedelta | None = None
    daily_at: time | None = None
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"job {self.name}: give exactly one of every= and daily_at=")
        if self.every is not None and self.every <= timedelta(0):
            raise ValueError(f"job {self.name}: the interval must be positive")

    def schedule_text(self) -> str:
        if self.every is not None:
            seconds = int(self.every.total_seconds())
            return f"every {seconds} s" if seconds < 120 else f"every {seconds // 60} min"
        daily = self.daily_at or time(0, 0)
        return f"daily at {daily.strftime('%H:%M')}"


@dataclass(frozen=True)
class JobOutcome:
    name: str
    ok: bool
    handled: int
    error: str | None
    started_at: datetime
    finished_at: datetime


def _record(db: Database, name: str, update: Callable) -> None:
    """Write the job's status row; losing a race for it is harmless (retried once)."""
    for _attempt in range(2):
        try:
            with db.write() as session:
                update(job_row(session, name))
            return
        except (IntegrityError, Conflict, OperationalError) as exc:
            if db.availability.failed(exc):
                return  # the database is away: said once, in the outage's own log line
            continue
    log.warning("could not record the status of job %s", name)


def run_job(
    db: Database, job: Job, *, runner: str = "", next_run_at: datetime | None = None
) -> JobOutcome:
    """Run ``job`` once and record it; never raises (a failure is recorded and logged)."""
    started = clock.record_time()

    def mark_started(row) -> None:
        row.last_started_at = started
        row.last_status = "running"
        row.last_runner = runner[:120] or None

    _record(db, job.name, mark_started)
    handled, error = 0, None
    try:
        handled = int(job.run() or 0)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        if not db.availability.failed(exc):  # an outage is logged once, not per run
            log.exception("job %s failed", job.name)
    finished = clock.record_time()

    def mark_finished(row) -> None:
        row.last_finished_at = finished
        row.last_status = "ok" if error is None else "failed"
        row.last_handled = handled
        row.last_error = error
        row.runs = (row.runs or 0) + 1
        row.total_handled = (row.total_handled or 0) + handled
        if error is not None:
            row.failures = (row.failures or 0) + 1
        if next_run_at is not None:
            row.next_run_at = next_run_at

    _record(db, job.name, mark_finished)
    if handled or error:
        log.info("job %s: %d handled%s", job.name, handled, f", failed: {error}" if error else "")
    return JobOutcome(job.name, error is None, handled, error, started, finished)
