"""Process owners deliver messages, broadcast signals and migrate running instances, through
the API (checked against the OpenAPI document), the command line and the models page."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from engine import TaskQuery
from tests.conftest import read_model
from tests.support.openapi import ApiClient, api_fixture  # noqa: F401
from tests.support.web import csrf_token
from web import cli as web_cli
from workflows.lifecycle import Lifecycle

MODELS = ("message_wait.bpmn", "signal_wait.bpmn")


@pytest.fixture
def waiting(lifecycle: Lifecycle) -> dict[str, int]:
    engine = lifecycle.engine
    engine.deploy({name: read_model(name) for name in MODELS}, "owner")
    owner = engine.actor("owner")
    return {
        "message": engine.start("message_wait", actor=owner, business_key="QD-7").id,
        "signal_a": engine.start("signal_wait", actor=owner, business_key="S-1").id,
        "signal_b": engine.start("signal_wait", actor=owner, business_key="S-2").id,
    }


def test_owners_deliver_messages_and_signals_over_the_api(
    api: ApiClient, lifecycle: Lifecycle, waiting: dict[str, int]
) -> None:
    body = {"name": "opinion", "correlation_key": "QD-7", "data": {"agreed": True}}
    assert api.as_user("cv.sxd").post("/messages", json=body).status_code == 403
    response = api.as_user("owner").post("/messages", json=body)
    assert response.status_code == 200
    assert response.get_json()["received"] == [waiting["message"]]
    assert lifecycle.engine.instance_data(waiting["message"])["opinion"] == {"agreed": True}
    again = api.as_user("owner").post("/messages", json=body)
    assert again.status_code == 404
    assert "QD-7" in again.get_json()["message"]
    bad = api.as_user("admin").post("/messages", json={"name": ""})
    assert bad.status_code == 422
    signal = api.as_user("admin").post("/signals", json={"name": "session_closed"})
    assert signal.status_code == 200
    assert signal.get_json()["received"] == [waiting["signal_a"], waiting["signal_b"]]
    event = lifecycle.engine.audit_events(waiting["signal_a"])[-1]
    assert (event.action, event.actor) == ("signal", "admin")


def test_the_command_line_sends_and_says_when_nothing_waits(
    lifecycle: Lifecycle, waiting: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", lifecycle.db.url)
    web_cli._lifecycle.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        web_cli._lifecycle.cache_clear()
        result = runner.invoke(web_cli.build(), list(args), catch_exceptions=False)
        return result.exit_code, result.output

    data = json.dumps({"pages": 3})
    code, out = run("messages", "send", "opinion", "--key", "QD-7", "--data", data, "--as", "owner")
    assert code == 0 and f"received by instance(s) {waiting['message']}" in out
    code, out = run("messages", "send", "opinion", "--key", "QD-7", "--as", "owner")
    assert code == 1 and "no process with the correlation key 'QD-7'" in out
    code, out = run("messages", "send", "opinion", "--as", "cv.sxd")
    assert code == 1 and "only process owners and administrators" in out
    code, out = run("signals", "broadcast", "session_closed", "--as", "admin")
    assert code == 0 and "received by instance(s)" in out
    code, out = run("signals", "broadcast", "session_closed", "--as", "admin")
    assert code == 1 and "no process waits for the signal 'session_closed'" in out
    web_cli._lifecycle.cache_clear()


@pytest.fixture
def two_versions(lifecycle: Lifecycle) -> dict[str, int]:
    """Two instances of message_wait v1: one still at its receive task (which v2 drops),
    one past it; then v2."""
    engine = lifecycle.engine
    original = read_model("message_wait.bpmn")
    engine.deploy({"message_wait.bpmn": original}, "owner")
    owner = engine.actor("owner")
    stuck = engine.start("message_wait", actor=owner, business_key="M-1").id
    movable = engine.start("message_wait", actor=owner, business_key="M-2").id
    engine.deliver_message("opinion", correlation_key="M-2", actor=owner)
    without_receive = re.sub(
        rb"<bpmn:receiveTask .*?</bpmn:receiveTask>\s*<bpmn:sequenceFlow id=\"M2\"[^>]*/>",
        b"",
        original,
        flags=re.S,
    ).replace(b'targetRef="Receive_opinion"', b'targetRef="Catch_documents"')
    without_receive = without_receive.replace(
        b"<bpmn:incoming>M2</bpmn:incoming>", b"<bpmn:incoming>M1</bpmn:incoming>"
    )
    engine.deploy({"message_wait.bpmn": without_receive}, "owner")
    return {"stuck": stuck, "movable": movable}


def test_migration_over_the_api_plans_then_moves_what_can(
    api: ApiClient, lifecycle: Lifecycle, two_versions: dict[str, int]
) -> None:
    path = "/definitions/message_wait/migration"
    assert api.as_user("cv.sxd").get(path).status_code == 403
    plan = api.as_user("owner").get(path).get_json()
    assert (plan["to_version"], plan["by_version"]) == (2, {"1": 2})
    can = {r["instance_id"]: r["possible"] for r in plan["instances"]}
    assert can == {two_versions["stuck"]: False, two_versions["movable"]: True}
    [refused] = [r for r in plan["instances"] if not r["possible"]]
    assert "Receive_opinion" in refused["refusals"][0]
    assert api.as_user("owner").post(path, json={}).status_code == 422
    assert api.as_user("owner").get("/definitions/no_such_process/migration").status_code == 404
    done = api.as_user("owner").post(path, json={"all": True}).get_json()
    assert [(r["instance_id"], r["possible"]) for r in done["instances"]] == [
        (two_versions["movable"], True)
    ]
    engine = lifecycle.engine
    assert engine.instance(two_versions["movable"]).definition_id == plan["to_definition_id"]
    assert engine.instance(two_versions["stuck"]).definition_id != plan["to_definition_id"]
    assert engine.audit_events(two_versions["movable"])[-1].action == "migrate"


def test_the_migration_page_lists_the_drafts_and_moves_the_chosen_ones(
    client, login_as, lifecycle: Lifecycle, two_versions: dict[str, int]
) -> None:
    login_as("cv.sxd")
    assert client.get("/models/message_wait/migration").status_code == 403
    login_as("owner")
    page = client.get("/models/message_wait/migration")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-instance="{two_versions["stuck"]}"' in html and "Receive_opinion" in html
    # Only what can move has a box.
    assert f'name="instance_id" value="{two_versions["movable"]}"' in html
    assert f'name="instance_id" value="{two_versions["stuck"]}"' not in html
    moved = client.post(
        "/models/message_wait/migration",
        data={
            "csrf_token": csrf_token(client, "/models/message_wait/migration"),
            "instance_id": [str(two_versions["movable"]), str(two_versions["stuck"])],
        },
        follow_redirects=True,
    )
    text = moved.get_data(as_text=True)
    assert moved.status_code == 200
    assert f"{two_versions['movable']}" in text and f"{two_versions['stuck']}" in text
    engine = lifecycle.engine
    assert [e.action for e in engine.audit_events(two_versions["movable"])][-1] == "migrate"
    assert engine.audit_events(two_versions["stuck"])[-1].action == "start"
    assert engine.tasks(TaskQuery(instance_id=two_versions["stuck"])) == []
