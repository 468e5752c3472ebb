"""Checking API responses against the OpenAPI document, and a test client that always does.

:class:`OpenApiDocument` finds the operation for a method and concrete path (matching the
path templates), checks that the query parameters sent and the status received are
documented, and validates a JSON body against the documented response schema with
``jsonschema.Draft202012Validator`` (``$ref``\\ s resolved through a ``referencing``
registry, formats such as ``date-time`` checked). :class:`ApiClient` sends every request
through it, so an undocumented status or a field of the wrong shape fails the test that
caused it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from tests.conftest import read_model
from tests.support.web import csrf_token, sign_in
from workflows import accounts
from workflows.directory import find_user
from workflows.lifecycle import Lifecycle

PREFIX = "/api/v1"
URI = "urn:test:openapi"
TEST_MODELS = ("api_qd_ubnd_tinh.bpmn", "draft_form.json", "appraisal_form.json")


class SpecViolation(AssertionError):
    """A response (or request) the OpenAPI document does not describe."""


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    spec: dict[str, Any]


class OpenApiDocument:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource: Resource[Any] = Resource.from_contents(
            document, default_specification=DRAFT202012
        )
        self.registry: Registry = Registry().with_resource(URI, resource)
        self._templates: list[tuple[re.Pattern[str], str]] = sorted(
            ((self._pattern(template), template) for template in document["paths"]),
            key=lambda pair: (pair[1].count("{"), pair[1]),  # literal segments win
        )

    @staticmethod
    def _pattern(template: str) -> re.Pattern[str]:
        parts = re.split(r"(\{[^}]+\})", template)
        regex = "".join(
            f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part)
            for part in parts
        )
        return re.compile(f"^{regex}$")

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow a local ``$ref`` (``#/components/...``) to the object it names."""
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def operation(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        relative = urlsplit(path).path
        if not relative.startswith(PREFIX):
            raise SpecViolation(f"{path} is not under the API server URL {PREFIX}")
        relative = relative.removeprefix(PREFIX)
        for pattern, template in self._templates:
            match = pattern.match(relative)
            if match is None:
                continue
            operations = self.document["paths"][template]
            if method.lower() not in operations:
                raise SpecViolation(f"{method} {template} is not documented")
            return Operation(template, method.upper(), operations[method.lower()]), dict(
                match.groupdict()
            )
        raise SpecViolation(f"no documented path matches {relative}")

    def parameters(self, operation: Operation) -> list[dict[str, Any]]:
        return [self.resolve(p) for p in operation.spec.get("parameters", [])]

    def check_request(
        self, method: str, path: str, query: dict[str, list[str]]
    ) -> tuple[Operation, list[str]]:
        """The operation exists and path parameters fit; returns the query's problems.

        Query parameters the document does not declare, or values its schemas reject, are
        returned rather than raised: the API must then answer 400, which the caller checks.
        """
        operation, path_values = self.operation(method, path)
        declared = {(p["in"], p["name"]): p for p in self.parameters(operation)}
        for name in path_values:
            if ("path", name) not in declared:
                raise SpecViolation(f"{operation.template}: path parameter {name} undocumented")
        problems = []
        for name, values in query.items():
            parameter = declared.get(("query", name))
            if parameter is None:
                problems.append(f"query parameter {name} is not documented")
                continue
            for raw in values:
                value = _coerce(raw, parameter["schema"].get("type"))
                if not self.validator(parameter["schema"]).is_valid(value):
                    problems.append(f"{name}={raw!r} does not fit its schema")
        return operation, problems

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(
            schema, registry=self.registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )

    def check_response(
        self, method: str, path: str, status: int, content_type: str | None, body: Any
    ) -> None:
        """Raise :class:`SpecViolation` unless the document describes this response."""
        operation, _ = self.operation(method, path)
        responses = operation.spec["responses"]
        documented = responses.get(str(status)) or responses.get("default")
        if documented is None:
            raise SpecViolation(
                f"{method} {operation.template} answered {status}, which is not documented "
                f"(documented: {', '.join(sorted(responses))}); body: {body!r:.300}"
            )
        response = self.resolve(documented)
        content = response.get("content") or {}
        mimetype = (content_type or "").split(";")[0].strip()
        if not content:
            if body not in (None, b"", ""):
                raise SpecViolation(f"{method} {operation.template} {status}: body undocumented")
            return
        if mimetype not in content:
            raise SpecViolation(
                f"{method} {operation.template} {status}: content type {mimetype} not in "
                f"{sorted(content)}"
            )
        if mimetype != "application/json":
            return
        schema = content[mimetype].get("schema", {})
        absolute = _absolute_refs(schema)
        errors = sorted(self.validator(absolute).iter_errors(body), key=lambda e: e.json_path)
        if errors:
            summary = "; ".join(f"{e.json_path}: {e.message}" for e in errors[:5])
            raise SpecViolation(f"{method} {operation.template} {status}: {summary}")


def _coerce(raw: str, kind: str | None) -> Any:
    """A query string value as the type its schema declares (left as text if it is not)."""
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw


def _absolute_refs(node: Any) -> Any:
    """Point ``#/...`` references at the registered document (the schema is a fragment)."""
    if isinstance(node, dict):
        return {
            key: (
                f"{URI}{value}"
                if key == "$ref" and value.startswith("#")
                else _absolute_refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_absolute_refs(item) for item in node]
    return node


@dataclass
class ApiClient:
    """The Flask test client for ``/api/v1``, every exchange checked against the document.

    ``as_user("cv.sxd")`` authenticates with a fresh bearer token; ``signed_in("cv.sxd")``
    uses the browser session instead (add ``csrf=True`` to a write to send the token).
    """

    client: FlaskClient
    lifecycle: Lifecycle
    spec: OpenApiDocument
    token: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    exchanges: int = 0

    def as_user(self, username: str) -> ApiClient:
        if username not in self.tokens:
            with self.lifecycle.db.write() as session:
                user = find_user(session, username)
                assert user is not None, username
                self.tokens[username] = accounts.issue_token(session, user, "tests")
        return ApiClient(self.client, self.lifecycle, self.spec, self.tokens[username], self.tokens)

    def anonymous(self) -> ApiClient:
        return ApiClient(self.client, self.lifecycle, self.spec, None, self.tokens)

    def signed_in(self, username: str) -> ApiClient:
        sign_in(self.client, username)
        return self.anonymous()

    def request(
        self,
        method: str,
        path: str,
        *,
        csrf: bool = False,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        url = path if path.startswith(PREFIX) else PREFIX + path
        sent = dict(headers or {})
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        if csrf:
            sent["X-CSRFToken"] = csrf_token(self.client, "/inbox")
        query = {**parse_qs(urlsplit(url).query), **_query_names(kwargs.get("query_string"))}
        _, problems = self.spec.check_request(method, url, query)
        response = self.client.open(url, method=method, headers=sent, **kwargs)
        if problems and response.status_code != 400:
            raise SpecViolation(
                f"{method} {url} answered {response.status_code} to an invalid query: "
                + "; ".join(problems)
            )
        body: Any = response.get_json(silent=True) if response.is_json else response.data
        self.spec.check_response(method, url, response.status_code, response.content_type, body)
        self.exchanges += 1
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)


def _query_names(query_string: Any) -> dict[str, list[str]]:
    if isinstance(query_string, dict):
        return {key: [str(value)] for key, value in query_string.items()}
    return {}


# Fixtures ``api`` and ``deployed``: test modules import ``api_fixture``/``deployed_fixture``.
@pytest.fixture(name="api")
def api_fixture(
    app: Flask, lifecycle: Lifecycle, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ApiClient]:
    """An unauthenticated checked client; uploads go to a temporary directory."""
    monkeypatch.setenv("LEXFLOW_UPLOAD_DIR", str(tmp_path / "uploads"))
    client = app.test_client()
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    yield ApiClient(client, lifecycle, OpenApiDocument(document))


@pytest.fixture(name="deployed")
def deployed_fixture(lifecycle: Lifecycle) -> Lifecycle:
    """The lifecycle with the API test model (process ``qd_ubnd_tinh``) and its forms."""
    lifecycle.engine.deploy({name: read_model(name) for name in TEST_MODELS}, "owner")
    return lifecycle


def new_draft(api: ApiClient, username: str = "cv.sxd", **fields: Any) -> dict[str, Any]:
    """Register a ``qd_ubnd_tinh`` draft of SXD through ``POST /drafts``."""
    body = {
        "title": "Quy định phí tham quan",
        "document_type": "qd_ubnd_tinh",
        "lead_agency": "SXD",
        **fields,
    }
    response = api.as_user(username).post("/drafts", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def open_task(api: ApiClient, username: str, instance_id: int) -> dict[str, Any]:
    """The single open task of an instance, as ``username`` sees it."""
    response = api.as_user(username).get("/tasks", query_string={"instance_id": instance_id})
    assert response.status_code == 200, response.get_json()
    [task] = response.get_json()["items"]
    return task  # type: ignore[no-any-return]
