"""WSGI entry point for production servers: ``gunicorn 'web.wsgi:app'``.

Each worker process also runs the timer scheduler unless ``LEXFLOW_SCHEDULER=0``; timers
still fire once (the engine claims due instances in the database).
"""

from __future__ import annotations

from web import create_app, scheduler

app = create_app()
if app.config["SCHEDULER_ENABLED"]:
    scheduler.start(app)
