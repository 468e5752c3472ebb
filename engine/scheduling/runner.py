"""Running jobs with APScheduler, in the background of a web process or in the foreground.

APScheduler decides *when* (intervals, a daily local time, one run right at start-up so that
work that came due while nothing ran is done first); the jobs decide *what*, claiming their
items from rows, so that several schedulers never do the same item twice. A job never runs
twice at once in one process (``max_instances=1``), and missed runs are coalesced into one.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from datetime import time

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .. import clock
from ..database import Database
from .jobs import Job, JobOutcome, run_job

log = logging.getLogger(__name__)
TIMEZONE = "Asia/Ho_Chi_Minh"


class JobScheduler:
    """The jobs of one process. ``start()`` returns at once; ``run_forever()`` blocks."""

    def __init__(self, db: Database, jobs: Sequence[Job]) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self.db = db
        self.jobs = list(jobs)
        self.runner = f"{socket.gethostname()}:{os.getpid()}"
        self._scheduler: BaseScheduler | None = None

    def run_once(self) -> list[JobOutcome]:
        """Every job once, in order, in this thread (``lexflow scheduler run-once``, tests)."""
        return [run_job(self.db, job, runner=self.runner) for job in self.jobs]

    def start(self) -> None:
        self._start(BackgroundScheduler(timezone=TIMEZONE))

    def run_forever(self) -> None:
        self._start(BlockingScheduler(timezone=TIMEZONE))

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    def _start(self, scheduler: BaseScheduler) -> None:
        if self._scheduler is not None:
            raise RuntimeError("this scheduler was already started")
        self._scheduler = scheduler
        for job in self.jobs:
            scheduler.add_job(
                self._run,
                self._trigger(job),
                args=[job],
                id=job.name,
                name=job.description or job.name,
                next_run_time=clock.now(),  # a run at start-up: catch up on what came due
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
                replace_existing=True,
            )
        log.info("scheduler %s: %s", self.runner, ", ".join(j.name for j in self.jobs))
        scheduler.start()

    @staticmethod
    def _trigger(job: Job) -> IntervalTrigger | CronTrigger:
        if job.every is not None:
            return IntervalTrigger(seconds=job.every.total_seconds(), timezone=TIMEZONE)
        daily = job.daily_at or time(0, 0)  # Job guarantees one of the two
        return CronTrigger(hour=daily.hour, minute=daily.minute, timezone=TIMEZONE)

    def _run(self, job: Job) -> None:
        scheduled = self._scheduler.get_job(job.name) if self._scheduler is not None else None
        next_run = scheduled.next_run_time if scheduled is not None else None
        run_job(
            self.db,
            job,
            runner=self.runner,
            next_run_at=clock.as_utc(next_run) if next_run is not None else None,
        )
