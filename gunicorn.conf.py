"""gunicorn reads this file from the working directory: each worker starts Lexflow's job
scheduler once it has loaded the app (never the master, which forks; see web/scheduler.py)."""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    from web import scheduler

    app = worker.wsgi  # the Flask app of web.wsgi:app
    if hasattr(app, "extensions"):
        scheduler.start(app)
