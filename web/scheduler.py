"""Where the background jobs run: in the web processes (default) or a separate process.

``LEXFLOW_SCHEDULER`` chooses: ``web`` (each web process runs the jobs: the demo command
starts everything), ``separate`` (web processes run none; run ``lexflow scheduler``), or
``off``. The jobs claim their work from rows, so several processes never do an item twice.

A web process starts its scheduler only once it is the process that serves requests, never
in a process that will fork: under ``gunicorn --preload`` the app is imported in the master,
which forks its workers later (again after ``--max-requests``, a crash or a timeout). A
scheduler thread and pooled database connections in the master would be shared by every
worker forked afterwards. So ``web.wsgi`` does not start anything at import: the gunicorn
hook ``post_worker_init`` (``gunicorn.conf.py``) starts the scheduler in each worker, with a
start on a worker's first request as the fallback for servers without that hook; and
:class:`engine.Database` drops inherited pooled connections in a forked child.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta

from flask import Flask

from engine.scheduling import JobScheduler
from web.mail import outbox_mailer
from workflows.lifecycle import Lifecycle
from workflows.scheduled_jobs import JobSettings, lifecycle_jobs

log = logging.getLogger(__name__)
MODES = ("web", "separate", "off")
_lock = threading.Lock()


def job_settings(app: Flask) -> JobSettings:
    return JobSettings(
        timers_every=timedelta(seconds=app.config["SCHEDULER_INTERVAL_SECONDS"]),
        reminders_every=timedelta(seconds=app.config["REMINDER_INTERVAL_SECONDS"]),
        outbox_every=timedelta(seconds=app.config["OUTBOX_INTERVAL_SECONDS"]),
        digest_at=app.config["DIGEST_AT"],
        mailer=outbox_mailer(app),
    )


def build(app: Flask) -> JobScheduler:
    lifecycle: Lifecycle = app.extensions["lexflow"]
    return JobScheduler(lifecycle.db, lifecycle_jobs(lifecycle, job_settings(app)))


def start(app: Flask) -> JobScheduler | None:
    """Start this process's scheduler once (no-op when the mode is not ``web``)."""
    if not app.config.get("SCHEDULER_ENABLED"):
        return None
    with _lock:
        running = app.extensions.get("lexflow_scheduler")
        if running is not None and running[0] == os.getpid():
            return running[1]
        scheduler = build(app)
        scheduler.start()
        app.extensions["lexflow_scheduler"] = (os.getpid(), scheduler)
    log.info("scheduler started in process %s", os.getpid())
    return scheduler


def stop(app: Flask) -> None:
    """Stop this process's scheduler (waiting for a job that is running), if it runs here."""
    with _lock:
        running = app.extensions.get("lexflow_scheduler")
        if running is None or running[0] != os.getpid():
            return
        running[1].shutdown()
        del app.extensions["lexflow_scheduler"]
    log.info("scheduler stopped in process %s", os.getpid())


def start_on_first_request(app: Flask) -> None:
    """Start the scheduler in whichever process serves the first request (see module doc)."""

    @app.before_request
    def _ensure_scheduler() -> None:
        running = app.extensions.get("lexflow_scheduler")
        if running is None or running[0] != os.getpid():
            start(app)


def running_scheduler(app: Flask) -> JobScheduler | None:
    running = app.extensions.get("lexflow_scheduler")
    if running is None or running[0] != os.getpid():
        return None
    return running[1]
