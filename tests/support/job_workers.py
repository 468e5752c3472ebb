"""The scheduler's jobs run in separate processes (spawned: a fresh interpreter each), for the
exactly-once tests: every process runs every job once, all at the same moment."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from engine import Database, clock
from engine.scheduling import JobScheduler
from workflows.lifecycle import Lifecycle
from workflows.notifications.smtp import SmtpMailer, SmtpSettings
from workflows.scheduled_jobs import JobSettings, lifecycle_jobs


def run_every_job_once(
    url: str,
    at: str,
    barrier: Any,
    results: Any,
    smtp_port: int | None = None,
    rounds: int = 1,
) -> None:
    """Every job once, ``rounds`` times: each round is released for all the processes at
    once (``barrier``), so it begins when every process has finished the one before; each
    puts ``(round, pid, outcomes)`` on ``results``. (One process for all the rounds: a spawned
    interpreter takes seconds to import the app.)"""
    lifecycle = Lifecycle(Database(url))
    mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=smtp_port)) if smtp_port else None
    scheduler = JobScheduler(lifecycle.db, lifecycle_jobs(lifecycle, JobSettings(mailer=mailer)))
    for number in range(rounds):
        barrier.wait(timeout=120)
        with clock.travelling(datetime.fromisoformat(at)):
            outcomes = scheduler.run_once()
        results.put((number, os.getpid(), {o.name: (o.ok, o.handled, o.error) for o in outcomes}))
    lifecycle.db.dispose()
