"""Lint through every door: the API's lint-only call, the models page, the CLI, and the
same refusal from each deploy path (page, API, CLI) for the same broken model."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from tests.support.openapi import ApiClient, api_fixture  # noqa: F401
from tests.support.web import post_form, signed_in
from web import cli as web_cli
from workflows.lifecycle import Lifecycle

MODEL = (DATA / "web_qd_ubnd_tinh.bpmn").read_bytes()
UNKNOWN_ROLE = MODEL.replace(b'name="drafter">', b'name="clerk">')
#: A due date naming a step no deadline rule times (the domain's lint rule).
UNKNOWN_STEP = MODEL.replace(
    b'<spiffworkflow:property name="organisation" value="lead_agency"/>',
    b'<spiffworkflow:property name="organisation" value="lead_agency"/>'
    b'<spiffworkflow:property name="dueDate" value="deadline(&quot;no_such_step&quot;)"/>',
)


@pytest.fixture
def run(lifecycle: Lifecycle, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Invoke ``lexflow`` on the test database; returns (exit code, output)."""
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", lifecycle.db.url)

    def invoke(*args: str) -> tuple[int, str]:
        web_cli._lifecycle.cache_clear()
        result = CliRunner().invoke(web_cli.build(), list(args), catch_exceptions=False)
        return result.exit_code, result.output

    yield invoke
    web_cli._lifecycle.cache_clear()


def lint(api: ApiClient, xml: Any, **kwargs: Any) -> Any:
    return api.post("/models/lint", json={"kind": "bpmn", "xml": xml}, **kwargs)


def test_the_lint_call_answers_in_the_callers_language(
    api: ApiClient, lifecycle: Lifecycle
) -> None:
    owner = api.as_user("owner")
    clean = lint(owner, MODEL.decode())
    assert clean.status_code == 200 and clean.get_json() == {"ok": True, "problems": []}
    english = lint(owner, UNKNOWN_ROLE.decode(), headers={"Accept-Language": "en"}).get_json()
    assert english["ok"] is False
    assert {(p["rule"], p["severity"], p["element_id"]) for p in english["problems"]} == {
        ("lexflow/role-known", "error", "Task_prepare"),
        ("lexflow/role-known", "error", "Lane_drafter"),
    }
    assert "the role 'clerk' is not a role Lexflow knows" in [
        p["message"] for p in english["problems"]
    ]
    vietnamese = lint(owner, UNKNOWN_ROLE.decode(), headers={"Accept-Language": "vi"}).get_json()
    assert any(
        "“clerk” không phải vai trò Lexflow biết" in p["message"] for p in vietnamese["problems"]
    )
    domain = lint(owner, UNKNOWN_STEP.decode(), headers={"Accept-Language": "en"}).get_json()
    [problem] = domain["problems"]
    assert (problem["rule"], problem["element_id"]) == ("lexflow/deadline-rule", "Lane_drafter")
    assert lifecycle.engine.definitions() == []


def test_the_lint_call_refuses_what_it_cannot_read(api: ApiClient) -> None:
    owner = api.as_user("owner")
    assert owner.post("/models/lint", data="{", content_type="application/json").status_code == 400
    assert owner.post("/models/lint", json={"kind": "bpmn"}).status_code == 400
    assert lint(owner, 12).status_code == 400
    assert owner.post("/models/lint", json={"kind": "cmmn", "xml": "<x/>"}).status_code == 400
    assert lint(owner, "<a>" + "x" * (2 * 1024 * 1024) + "</a>").status_code == 413
    broken = lint(owner, "<bpmn:definitions><oops").get_json()
    assert broken["ok"] is False and broken["problems"][0]["rule"] == "lexflow/parse"
    entity = lint(owner, '<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><x>&a;</x>')
    assert entity.status_code == 200 and "root:" not in entity.get_data(as_text=True)
    assert lint(api.as_user("cv.sxd"), MODEL.decode()).status_code == 403
    assert lint(api.anonymous(), MODEL.decode()).status_code == 401
    session = api.signed_in("owner")
    assert lint(session, MODEL.decode()).status_code == 400  # no CSRF token
    assert lint(session, MODEL.decode(), csrf=True).status_code == 200


def upload(client: FlaskClient, path: str, files: dict[str, bytes]) -> Any:
    data = {"files": [(io.BytesIO(raw), name) for name, raw in files.items()], "note": "n"}
    return post_form(client, path, data, content_type="multipart/form-data")


def test_the_models_page_checks_without_deploying(app: Flask, lifecycle: Lifecycle) -> None:
    owner = signed_in(app, "owner")
    page = owner.get("/models").get_data(as_text=True)
    assert 'formaction="/models/lint"' in page and "Check without deploying" in page
    checked = upload(owner, "/models/lint", {"m.bpmn": UNKNOWN_ROLE})
    assert checked.status_code == 200
    body = checked.get_data(as_text=True)
    assert 'data-rule="lexflow/role-known"' in body and "Task_prepare" in body
    assert "A deploy would be refused" in body
    clean = upload(owner, "/models/lint", {"m.bpmn": MODEL}).get_data(as_text=True)
    assert "No problems: these files can be deployed." in clean
    assert lifecycle.engine.definitions() == []
    assert upload(signed_in(app, "cv.sxd"), "/models/lint", {"m.bpmn": MODEL}).status_code == 403


def test_every_deploy_path_refuses_with_the_same_rule(
    app: Flask, api: ApiClient, lifecycle: Lifecycle, tmp_path: Path, run: Any
) -> None:
    page = upload(signed_in(app, "owner"), "/models", {"m.bpmn": UNKNOWN_ROLE})
    assert page.status_code == 422
    assert "Task_prepare" in page.get_data(as_text=True)
    answer = api.as_user("owner").post(
        "/definitions", json={"files": {"m.bpmn": UNKNOWN_ROLE.decode()}}
    )
    assert answer.status_code == 422
    assert {d["rule"] for d in answer.get_json()["details"]} == {"lexflow/role-known"}
    broken = tmp_path / "m.bpmn"
    broken.write_bytes(UNKNOWN_ROLE)
    code, out = run("deploy", str(broken))
    assert code == 1 and "Task_prepare" in out and "[lexflow/role-known]" in out
    code, out = run("models", "lint", str(broken))
    assert code == 1 and "error: Task_prepare" in out and "a deploy would refuse" in out
    good = tmp_path / "good.bpmn"
    good.write_bytes(MODEL)
    assert run("models", "lint", str(good)) == (0, "No errors (0 warning(s)).\n")
    assert lifecycle.engine.definitions() == []
