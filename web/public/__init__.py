"""Public consultation pages: drafts open for comment, readable without signing in.

This sub-package owns the citizens' pages (``views``: the list, a page per draft with its
text by article, the comment form, QR codes, public downloads), their light templates
(``templates/public``, no session, no script), the rate limiter of the comment form and
the drafter's side of the consultation (``moderation``: the queue of public comments and
the comment ledger with its answers, on the task page and the draft's consultation page)
and ``synthesis``: the synthesis table of the dossier read on a page (for the appraiser).
The domain logic lives in :mod:`workflows.consultation`.

No cookie is set for anonymous visitors: the pages never touch the session, the language
comes from ``?lang=`` (else the browser), and the comment form carries a signed,
time-limited token bound to the draft instead of the session-bound CSRF token.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

bp = Blueprint("public", __name__, url_prefix="/public", template_folder="templates")
staff_bp = Blueprint("consultation", __name__, template_folder="templates")

LIMITER_KEY = "lexflow_public_limiter"


def init_app(app: Flask) -> None:
    """Mount the blueprints and give this app its own limiter (tests build many apps).

    Runs after ``web.throttle.init_app``, whose storage settings it shares."""
    app.config.setdefault(
        "PUBLIC_COMMENT_RATE_LIMIT",
        os.environ.get("LEXFLOW_PUBLIC_COMMENT_RATE_LIMIT", "5 per minute;30 per day"),
    )
    # Storage and headers come from web.throttle's settings (LEXFLOW_RATELIMIT_STORAGE_URI),
    # so the comment limit and the sign-in limits count in the same place.
    limiter = Limiter(get_remote_address, app=app, default_limits=[])
    app.extensions[LIMITER_KEY] = limiter
    app.register_blueprint(bp)
    app.register_blueprint(staff_bp)


from web.public import moderation, synthesis, views  # noqa: E402,F401  (routes register on the blueprints)
