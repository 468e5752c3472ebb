"""One place that turns errors into responses: HTML pages for people, JSON for the API.

Engine errors carry a code and context; they map to 403/404/409/422. Anything unexpected
is logged with its traceback and answered with a plain 500 page: users never see a trace.
A database that cannot be reached is not unexpected: 503 with ``Retry-After``, a page that
needs no database and no session (``errors/unavailable.html``), one log line per outage.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine import (
    Conflict,
    DeploymentError,
    EngineError,
    ExpressionError,
    Forbidden,
    InvalidData,
    NotFound,
    ProcessError,
    RunBoundExceeded,
)
from web.extensions import lifecycle
from web.i18n import localize

log = logging.getLogger(__name__)

STATUS_BY_ERROR: list[tuple[type[EngineError], int]] = [
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (InvalidData, 422),
    (DeploymentError, 422),
    (ExpressionError, 422),
    # The model ran away: the instance was failed, nothing the user sent was wrong.
    (RunBoundExceeded, 409),
    (ProcessError, 422),
]
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_data",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}
#: Seconds a client is asked to wait when the database cannot be reached.
RETRY_AFTER_SECONDS = 30


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        401: _("Please sign in"),
        403: _("You may not do this"),
        404: _("Not found"),
        405: _("Not allowed here"),
        409: _("Someone else changed this first"),
        413: _("The file is too large"),
        422: _("Please check what you entered"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
        503: _("Lexflow is unavailable for a moment"),
    }


def respond(status: int, message: str, code: str | None = None, **extra: Any) -> Response | tuple:
    code = code or CODES.get(status, "error")
    if wants_json():
        body = {
            "error": code,
            "message": message,
            **{k: v for k, v in extra.items() if v is not None},
        }
        response = jsonify(body)
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="lexflow"'
        return response
    title = _titles().get(status, _("Error"))
    # Citizens' pages keep their light layout and open no session, even on an error.
    template = "public/error.html" if is_public_path() else "errors/error.html"
    return render_template(template, status=status, title=title, message=message), status


def is_public_path() -> bool:
    """A request for the public consultation pages (matched or not)."""
    return request.path == "/public" or request.path.startswith("/public/")


def database_unavailable(exc: BaseException) -> Response | None:
    """503 with ``Retry-After`` when ``exc`` means the database cannot be reached, else None.

    The page extends no layout: the layout asks the database (notifications, menus) and
    opens a session for its CSRF token, and the public pages must set no cookie.
    """
    if not lifecycle().db.availability.failed(exc):
        return None
    message = _(
        "Lexflow cannot reach its database at the moment. Wait a minute and try again; "
        "what you were doing was not saved unless you find it there then."
    )
    if wants_json():
        response = make_response(respond(503, message, "database_unavailable"))
    else:
        page = render_template("errors/unavailable.html", title=_titles()[503], message=message)
        response = make_response(page, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError) -> Any:
        unavailable = database_unavailable(exc)  # an outage the engine wrapped
        if unavailable is not None:
            return unavailable
        status = next((s for cls, s in STATUS_BY_ERROR if isinstance(exc, cls)), 422)
        context = exc.context()
        if isinstance(exc.details, list):
            context["details"] = [
                {**item, "message": localize(item["message"])}
                if isinstance(item, dict) and "message" in item
                else item
                for item in exc.details
            ]
        return respond(status, localize(exc.message), exc.code, **context)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return respond(
            400,
            _("The form expired or was not sent from this site. Reload the page and try again."),
            "csrf_failed",
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        default = _titles().get(status, exc.name)
        # Werkzeug's own default descriptions are English; our views pass translated ones.
        own = isinstance(exc.description, str) and exc.description != type(exc).description
        message = exc.description if own and status not in (404, 405, 500) else default
        return respond(status, message or default)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        unavailable = database_unavailable(exc)
        if unavailable is not None:
            return unavailable
        log.exception("unhandled error on %s %s", request.method, request.path)
        return respond(
            500, _("The error was recorded. Try again; if it persists, tell the administrator.")
        )
