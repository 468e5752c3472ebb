"""Background jobs: fire due BPMN timers and deliver notification e-mail.

Every app process may run this scheduler; the engine claims due instances row by row
(``SKIP LOCKED`` on PostgreSQL, a lease on SQLite), so each timer fires once however many
processes poll. The job never raises: failures are logged and retried on the next tick.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from workflows.lifecycle import Lifecycle
from workflows.notifications import deliver_email

log = logging.getLogger(__name__)


def tick(lifecycle: Lifecycle) -> None:
    try:
        run = lifecycle.engine.fire_due_timers()
        if run.fired or run.failed:
            log.info("timers: fired %d instance(s), %d failed", len(run.fired), len(run.failed))
    except Exception:
        log.exception("firing timers failed")
    try:
        with lifecycle.db.write() as session:
            deliver_email(session)
    except Exception:
        log.exception("delivering e-mail failed")


def start(app: Flask) -> BackgroundScheduler:
    lifecycle: Lifecycle = app.extensions["lexflow"]
    scheduler = BackgroundScheduler(timezone="Asia/Ho_Chi_Minh")
    scheduler.add_job(
        tick,
        "interval",
        seconds=app.config["SCHEDULER_INTERVAL_SECONDS"],
        args=[lifecycle],
        id="lexflow-tick",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    scheduler.start()
    app.extensions["lexflow_scheduler"] = scheduler
    log.info("scheduler started: every %ss", app.config["SCHEDULER_INTERVAL_SECONDS"])
    return scheduler
