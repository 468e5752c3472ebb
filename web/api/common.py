"""What every JSON API route shares: its blueprint, who is calling, and the request body.

API routes answer scripts as well as the browser. A bearer token cannot be sent by another
site, so token requests skip CSRF checks; a request riding on the session cookie can, so a
state-changing one must carry the page's CSRF token in ``X-CSRFToken``. Unauthenticated
calls get a 401 JSON body (never a redirect to the sign-in page).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import Blueprint, abort, g, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import BadRequest
from wtforms import ValidationError

from engine import InvalidData
from web.api.spec import DOCUMENT, request_validator
from web.extensions import csrf

PREFIX = "/api/v1"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def api_blueprint(name: str, import_name: str, *, public: bool = False) -> Blueprint:
    """A blueprint mounted under ``/api/v1``, outside the form CSRF check, guarded by auth.

    ``public`` blueprints (the OpenAPI document) are readable without signing in.
    """
    bp = Blueprint(f"api_{name}", import_name, url_prefix=PREFIX)
    csrf.exempt(bp)
    if not public:
        bp.before_request(require_caller)
    bp.before_request(refuse_unknown_parameters)
    return bp


def require_caller() -> None:
    """``before_request``: 401 for nobody; CSRF token for cookie-authenticated writes."""
    if g.get("user") is None:
        abort(401, description="Sign in, or send the header 'Authorization: Bearer <token>'.")
    if request.method in UNSAFE_METHODS and not g.get("token_auth"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from exc


@cache
def _declared_parameters() -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """Query parameters (name -> schema) of every operation, by method and Flask-style path."""
    declared = {}
    for template, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            declared[(method.upper(), PREFIX + template)] = {
                p["name"]: p.get("schema", {})
                for p in operation.get("parameters", [])
                if p.get("in") == "query"
            }
    return declared


def _may_be_empty(schema: dict[str, Any]) -> bool:
    """Whether the document lets the parameter be sent as ``name=`` (a free text)."""
    if "enum" in schema:
        return "" in schema["enum"]
    return schema.get("type", "string") == "string" and not schema.get("minLength")


def refuse_unknown_parameters() -> None:
    """``before_request``: 400 for a query parameter the operation does not declare, or one
    sent empty that the document does not let be empty.

    A misspelt filter (``?stage=`` as ``?stag=``) would otherwise silently filter nothing.
    The names come from the OpenAPI document, so it and the routes cannot disagree.
    """
    if request.url_rule is None or not request.args:
        return
    template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", request.url_rule.rule)
    method = "GET" if request.method == "HEAD" else request.method
    allowed = _declared_parameters().get((method, template), {})
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise BadRequest(f"unknown query parameter(s) {', '.join(unknown)}; accepted: {accepted}")
    # ``status=`` is neither a status nor no status: the document allows no empty choice,
    # number or flag (the pages' forms send empty fields; scripts are told).
    for name, values in request.args.lists():
        if any(not value.strip() for value in values) and not _may_be_empty(allowed[name]):
            raise BadRequest(_("%(name)s is empty: leave it out or give it a value.", name=name))


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or 400 saying what was expected."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="The body must be a JSON object (Content-Type: application/json).")
    return body


def checked_body(schema: str) -> dict[str, Any]:
    """The JSON body, validated against ``components.schemas[schema]`` of the API document.

    The document that describes the API also guards it, so the two cannot drift apart;
    violations are 422 with one ``details`` entry per problem.
    """
    body = json_object()
    problems = sorted(
        request_validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path)
    )
    if problems:
        details = [
            {
                "field": ".".join(str(part) for part in problem.absolute_path) or None,
                "message": problem.message,
            }
            for problem in problems
        ]
        summary = "; ".join(f"{d['field'] or 'body'}: {d['message']}" for d in details[:5])
        raise InvalidData(f"the request is not valid: {summary}", details=details)
    return body
