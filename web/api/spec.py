"""The OpenAPI 3.1 document of the JSON API, written by hand, and validators built from it.

The
tests send every API response through a validator that looks up the operation and checks
the status and body against this document; the routes validate their JSON request bodies
against its ``components.schemas`` (:func:`request_validator`). The operations are in
:mod:`web.api.paths`, the data shapes in :mod:`web.api.schemas`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from web.api.consultation_doc import CONSULTATION_PATHS, CONSULTATION_SCHEMAS
from web.api.owner_doc import OWNER_PATHS, OWNER_SCHEMAS
from web.api.paths import PATHS, returns
from web.api.schemas import SCHEMAS, Schema, ref

ALL_SCHEMAS: dict[str, Schema] = {**SCHEMAS, **OWNER_SCHEMAS, **CONSULTATION_SCHEMAS}

DOCUMENT_URI = "urn:lexflow:api:v1:openapi"
SECURED = [{"bearerAuth": []}, {"cookieAuth": []}]


def _error_response(description: str) -> Schema:
    return returns(description, ref("Error"))


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
    "info": {
        "title": "Lexflow API",
        "version": "1.0.0",
        "summary": "The lifecycle of local legal documents: drafts, dossiers, tasks, models.",
        "description": "Authenticate with `Authorization: Bearer <token>` (create a token on "
        "your profile page) or the browser session; session-authenticated writes need the "
        'page\'s CSRF token in `X-CSRFToken`. Errors are `{"error": code, "message": ...}`: '
        "400 bad parameter or CSRF, 401 not signed in, 403 not allowed, 404 missing or not "
        "visible, 409 someone else acted first, 422 invalid data, 503 the database cannot be "
        "reached for the moment (retry after `Retry-After` seconds; a completion retried with "
        "its `Idempotency-Key` is safe).",
        "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
    },
    "servers": [{"url": "/api/v1"}],
    "security": SECURED,
    "tags": [
        {"name": "definitions", "description": "Deployed process models and forms."},
        {"name": "instances", "description": "Running and finished processes."},
        {"name": "tasks", "description": "Human tasks: the inbox and its actions."},
        {"name": "drafts", "description": "Drafts and their dossiers."},
        {"name": "consultation", "description": "Public consultation and the comment ledger."},
        {"name": "tokens", "description": "The caller's own API tokens."},
        {"name": "meta", "description": "About the API."},
    ],
    "paths": {**PATHS, **OWNER_PATHS, **CONSULTATION_PATHS},
    "components": {
        "schemas": ALL_SCHEMAS,
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token (lxf_...) from the profile page.",
            },
            "cookieAuth": {
                "type": "apiKey",
                "in": "cookie",
                "name": "session",
                "description": "The signed-in browser session.",
            },
        },
        "parameters": {
            "CsrfToken": {
                "name": "X-CSRFToken",
                "in": "header",
                "required": False,
                "description": "Required when authenticated by the session cookie (not with a "
                "bearer token): the CSRF token of the page.",
                "schema": {"type": "string"},
            }
        },
        "responses": {
            "BadRequest": _error_response(
                "A query parameter or the body is malformed, or the CSRF token is missing "
                "(error: csrf_failed)."
            ),
            "Unauthorized": _error_response("Not signed in and no valid bearer token."),
            "Forbidden": _error_response("The caller may not do this."),
            "NotFound": _error_response("No such object, or the caller may not see it."),
            "Conflict": _error_response("Someone else changed it first; reload and retry."),
            "InvalidData": _error_response(
                "The data is invalid; `details` lists the fields, dossier items or model "
                "elements at fault."
            ),
            "TooLarge": _error_response("The upload is larger than 25 MB."),
            "Unavailable": {
                **_error_response(
                    "The database cannot be reached for the moment (error: "
                    "database_unavailable); nothing of this request was kept unless a retry "
                    "finds it. Retry after the seconds in `Retry-After`."
                ),
                "headers": {
                    "Retry-After": {
                        "description": "Seconds to wait before retrying.",
                        "schema": {"type": "integer", "minimum": 1},
                    }
                },
            },
        },
    },
}


@cache
def _registry() -> Registry:
    resource: Resource[Any] = Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
    return Registry().with_resource(DOCUMENT_URI, resource)


@cache
def request_validator(schema: str) -> Draft202012Validator:
    """A validator for ``components.schemas[schema]`` (formats such as ``date`` checked)."""
    if schema not in ALL_SCHEMAS:
        raise KeyError(schema)
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#/components/schemas/{schema}"},
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
