"""WSGI entry point for production servers: ``gunicorn 'web.wsgi:app'``.

Nothing is started at import: with ``--preload`` this module is imported by gunicorn's master,
which forks. Each worker starts its scheduler (``LEXFLOW_SCHEDULER=web``, the default) from
the ``post_worker_init`` hook in ``gunicorn.conf.py``, or else on its first request; see
:mod:`web.scheduler`.
"""

from __future__ import annotations

from web import create_app, refuse_to_serve_with_test_settings, scheduler

refuse_to_serve_with_test_settings()
app = create_app()
scheduler.start_on_first_request(app)
