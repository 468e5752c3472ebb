"""The OpenAPI document: valid 3.1, public, and in step with the routes that exist."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from openapi_spec_validator import validate

from tests.support.openapi import (
    PREFIX,
    ApiClient,
    OpenApiDocument,
    SpecViolation,
    api_fixture,  # noqa: F401
)
from web.api.spec import DOCUMENT


def test_the_document_is_valid_openapi_31_and_public(api: ApiClient) -> None:
    response = api.anonymous().get("/openapi.json")
    assert response.status_code == 200
    served = response.get_json()
    validate(served)
    assert served["openapi"] == "3.1.0"
    assert served == DOCUMENT


def test_every_route_is_documented_and_every_operation_exists(app: Flask) -> None:
    routed = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(PREFIX)))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX + "/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {
        (method.upper(), path)
        for path, operations in DOCUMENT["paths"].items()
        for method in operations
    }
    assert routed == documented


def test_the_checker_refuses_undocumented_statuses_and_shapes() -> None:
    spec = OpenApiDocument(DOCUMENT)
    json = "application/json"
    with pytest.raises(SpecViolation, match="not documented"):
        spec.check_response("GET", f"{PREFIX}/drafts/1", 418, json, {})
    with pytest.raises(SpecViolation, match="required property"):
        spec.check_response("GET", f"{PREFIX}/drafts/1", 404, json, {"error": "not_found"})
    with pytest.raises(SpecViolation, match="Additional properties"):
        spec.check_response(
            "GET", f"{PREFIX}/drafts/1", 404, json, {"error": "x", "message": "y", "z": 1}
        )
    with pytest.raises(SpecViolation, match="is not a 'date-time'"):
        spec.check_response("GET", f"{PREFIX}/definitions", 200, json, [_definition("yesterday")])
    with pytest.raises(SpecViolation, match="no documented path"):
        spec.check_response("GET", f"{PREFIX}/nothing", 200, json, {})
    spec.check_response("GET", f"{PREFIX}/definitions", 200, json, [_definition()])
    _, problems = spec.check_request("GET", f"{PREFIX}/tasks", {"limit": ["500"], "x": ["1"]})
    assert len(problems) == 2


def _definition(deployed_at: str = "2026-03-02T01:02:03+00:00") -> dict[str, object]:
    return {
        "id": 1,
        "key": "k",
        "kind": "bpmn",
        "version": 1,
        "name": None,
        "filename": "k.bpmn",
        "sha256": "0" * 64,
        "deployed_by": "owner",
        "deployed_at": deployed_at,
        "note": None,
        "created": False,
        "redeployed_for": [],
    }
