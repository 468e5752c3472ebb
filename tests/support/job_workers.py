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
    url: str, at: str, barrier: Any, results: Any, smtp_port: int | None = None
) -> None:
    lifecycle = Lifecycle(Database(url))
    mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=smtp_port)) if smtp_port else None
    scheduler = JobScheduler(lifecycle.db, lifecycle_jobs(lifecycle, JobSettings(mailer=mailer)))
    barrier.wait(timeout=120)
    with clock.travelling(datetime.fromisoformat(at)):
        outcomes = scheduler.run_once()
    results.put((os.getpid(), {o.name: (o.ok, o.handled, o.error) for o in outcomes}))
    lifecycle.db.dispose()
