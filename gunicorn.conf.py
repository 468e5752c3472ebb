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
    pool refuses new jobs and a tick that came due meanwhile logged a traceback.

    Stopping waits for a running job; if that takes over 10 seconds, every thread's stack
    goes to the log (a stop that hung once under heavy load: this says where, next time).
    """
    import faulthandler
    import sys

    from web import scheduler

    app = worker.wsgi
    if hasattr(app, "extensions"):
        faulthandler.dump_traceback_later(10, file=sys.stderr)
        try:
            scheduler.stop(app)
        finally:
            faulthandler.cancel_dump_traceback_later()
