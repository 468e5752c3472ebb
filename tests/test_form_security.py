"""A form schema cannot make the server fetch URLs, read files, or run a pattern for ever.

A process owner's form is hostile input as much as the data submitted to it: a ``$ref`` that
names a URL made jsonschema fetch it when a user completed the step (and ``file:`` ones failed
with a 500); ``^(a+)+$`` backtracked exponentially in Python's ``re``. Both are refused at
deploy, and completion validates with no retrieval and a linear-time pattern engine.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from engine import DeploymentError, Engine, InvalidData
from tests.conftest import read_model


class _Recorder(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'{"type": "string"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def listener() -> Any:
    _Recorder.hits = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _form(reason: dict[str, Any], **extra: Any) -> bytes:
    form = json.loads(read_model("appraisal_form.json"))
    form["properties"]["reason"] = reason
    form.update(extra)
    return json.dumps(form).encode()


def _deploy(engine: Engine, form: bytes) -> None:
    engine.deploy(
        {"appraisal.bpmn": read_model("appraisal.bpmn"), "appraisal_form.json": form}, "owner"
    )


def _appraisal_task(engine: Engine) -> str:
    instance = engine.start("appraisal", actor=engine.actor("chi"), data={"title": "Quy định"})
    return next(t.id for t in engine.tasks() if t.instance_id == instance.id)


@pytest.mark.parametrize(
    "ref",
    ["http://127.0.0.1:{port}/schema.json", "file:///etc/passwd", "other.json#/$defs/x"],
)
def test_a_reference_outside_the_form_is_refused_at_deploy(
    engine: Engine, listener: HTTPServer, ref: str
) -> None:
    target = ref.format(port=listener.server_address[1])
    with pytest.raises(DeploymentError, match="may refer only to its own definitions"):
        _deploy(engine, _form({"$ref": target}))
    assert _Recorder.hits == []  # nothing was fetched, not even while checking


def test_completion_never_fetches_a_reference(engine: Engine, listener: HTTPServer) -> None:
    """Even a schema that reached the store some other way is validated without retrieval."""
    from engine import form_schemas

    url = f"http://127.0.0.1:{listener.server_address[1]}/schema.json"
    schema = json.loads(_form({"$ref": url}))
    with pytest.raises(Exception, match="Unresolvable"):
        list(form_schemas.validator(schema).iter_errors({"decision": "return", "reason": "x"}))
    assert _Recorder.hits == []


def test_a_reference_to_the_forms_own_definitions_works(engine: Engine) -> None:
    reason = {"$ref": "#/$defs/reason"}
    defs = {"reason": {"type": "string", "minLength": 5}}
    _deploy(engine, _form(reason, **{"$defs": defs}))
    task = _appraisal_task(engine)
    chi = engine.actor("chi")
    with pytest.raises(InvalidData):
        engine.complete(task, chi, {"decision": "return", "reason": "abc"})
    engine.complete(task, chi, {"decision": "return", "reason": "Thiếu hồ sơ"})


def test_a_catastrophic_pattern_is_matched_in_linear_time(engine: Engine) -> None:
    _deploy(engine, _form({"type": "string", "pattern": "^(a+)+$"}))
    task = _appraisal_task(engine)
    with pytest.raises(InvalidData, match="reason"):  # 64 a's and a '!': exponential for re
        engine.complete(task, engine.actor("chi"), {"decision": "return", "reason": "a" * 64 + "!"})
    engine.complete(task, engine.actor("chi"), {"decision": "return", "reason": "aaaaaa"})


@pytest.mark.parametrize("pattern", [r"^(a)\1$", r"^(?=a)a$", r"^(?<!b)a$"])
def test_a_pattern_that_needs_backtracking_is_refused_at_deploy(
    engine: Engine, pattern: str
) -> None:
    with pytest.raises(DeploymentError, match="linear time"):
        _deploy(engine, _form({"type": "string", "pattern": pattern}))
