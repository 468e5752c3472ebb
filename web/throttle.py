"""Throttling password guesses (Flask-Limiter): per address, per account from one address,
and per account overall - instead of a hard account lock that anyone could trigger at will.

Only refused sign-ins count (``deduct_when``): people who type their password right are
never slowed. The limits are per account *name* as typed, so the answer (429) is the same
for accounts that exist and ones that do not. Storage is in memory per process by default;
set ``LEXFLOW_RATELIMIT_STORAGE_URI`` (e.g. ``redis://...``) to share counts between
gunicorn workers and servers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)

#: Defaults; each can be overridden in the app config under the same name.
DEFAULTS = {
    "LOGIN_LIMIT_PER_ADDRESS": "30/minute;300/hour",
    "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS": "5/minute;20/hour",
    # Several addresses must conspire to reach it; it bounds a distributed guess.
    "LOGIN_LIMIT_PER_ACCOUNT": "100/hour",
}


def settings() -> dict[str, Any]:
    return {
        **DEFAULTS,
        "RATELIMIT_STORAGE_URI": os.environ.get("LEXFLOW_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
    }


def init_app(app: Flask) -> None:
    for name, value in settings().items():
        app.config.setdefault(name, value)
    limiter.init_app(app)


def _configured(name: str) -> Callable[[], str]:
    return lambda: str(current_app.config[name])


def _account() -> str:
    return request.form.get("username", "")[:100].strip().lower()


def _refused(response: Response) -> bool:
    return response.status_code == 401


def sign_in_throttled(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate the sign-in view: POSTs past a limit get 429 with Retry-After."""
    for limit, key in (
        ("LOGIN_LIMIT_PER_ADDRESS", get_remote_address),
        ("LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS", lambda: f"{get_remote_address()}|{_account()}"),
        ("LOGIN_LIMIT_PER_ACCOUNT", _account),
    ):
        view = limiter.limit(
            _configured(limit),
            key_func=key,
            methods=["POST"],
            deduct_when=_refused,
            error_message=lambda: _("Too many sign-in attempts. Wait a few minutes and try again."),
            scope=limit.lower(),
        )(view)
    return view
