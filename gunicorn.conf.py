"""gunicorn reads this file from the working directory: each worker starts Lexflow's job
scheduler once it has loaded the app (never the master, which forks; see web/scheduler.py),
and stops it when it exits (recycled by --max-requests, or the server stopping)."""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    from web import scheduler

    app = worker.wsgi  # the Flask app of web.wsgi:app
    if hasattr(app, "extensions"):
        scheduler.start(app)


def worker_exit(server: Any, worker: Any) -> None:
    """Stop the scheduler before the interpreter shuts down: once it has begun, the thread
    pool refuses new jobs and a tick that came due meanwhile logged a traceback."""
    from web import scheduler

    app = worker.wsgi
    if hasattr(app, "extensions"):
        scheduler.stop(app)
