"""The ``lexflow`` command line: every command, and exit codes 0 (done), 1 (refused), 2 (usage)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from engine import Database
from tests.conftest import DATA
from web import cli as web_cli
from workflows.lifecycle import Lifecycle


@pytest.fixture
def run(lifecycle: Lifecycle, monkeypatch: pytest.MonkeyPatch):
    """Invoke ``lexflow`` on the test database; returns (exit code, output)."""
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", lifecycle.db.url)
    web_cli._lifecycle.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        web_cli._lifecycle.cache_clear()
        result = runner.invoke(web_cli.build(), list(args), catch_exceptions=False)
        return result.exit_code, result.output

    yield invoke
    web_cli._lifecycle.cache_clear()


def test_db_upgrade_is_idempotent(run) -> None:
    code, out = run("db", "upgrade")
    assert code == 0 and "up to date" in out


def test_deploy_start_claim_complete_audit(run, tmp_path: Path) -> None:
    files = [str(DATA / name) for name in ("service_step.bpmn",)]
    code, out = run("deploy", *files, "--as", "owner")
    assert code == 1 and "notify" in out  # the service is not registered in the app
    files = [
        str(DATA / n) for n in ("api_qd_ubnd_tinh.bpmn", "draft_form.json", "appraisal_form.json")
    ]
    code, out = run("deploy", *files, "--as", "owner", "--note", "first")
    assert code == 0 and "qd_ubnd_tinh v1 (bpmn) deployed" in out
    code, out = run("deploy", *files, "--as", "owner")
    assert code == 0 and "qd_ubnd_tinh v1 (bpmn) unchanged" in out
    code, out = run("definitions", "--json")
    assert code == 0 and {d["key"] for d in json.loads(out)} >= {"qd_ubnd_tinh", "draft_form.json"}
    data = json.dumps({"title": "Phí tham quan", "lead_agency": "SXD", "appraisal_org": "STP"})
    code, out = run("start", "qd_ubnd_tinh", "--as", "cv.sxd", "--data", data, "--json")
    assert code == 0
    instance = json.loads(out)["id"]
    code, out = run("tasks", "--user", "cv.sxd", "--json")
    tasks = json.loads(out)
    assert code == 0 and [t["element_id"] for t in tasks] == ["Task_draft"]
    task = tasks[0]["id"]
    code, out = run("claim", task, "--as", "tdv.stp")
    assert code == 1 and "does not hold" in out
    code, out = run("claim", task, "--as", "cv.sxd")
    assert code == 0 and "claimed by cv.sxd" in out
    code, out = run("complete", task, "--as", "cv.sxd", "--data", "{not json")
    assert code == 2 and "not valid JSON" in out
    code, out = run("complete", task, "--as", "cv.sxd", "--data", '{"pages": 0}')
    assert code == 1 and "summary" in out
    code, out = run("complete", task, "--as", "cv.sxd", "--data", '{"summary": "First"}')
    assert code == 0 and "completed" in out
    code, out = run("instances", "--json")
    assert code == 0 and json.loads(out)[0]["id"] == instance
    code, out = run("tasks", "--instance", str(instance))
    assert code == 0 and "Task_check" in out
    code, out = run("audit", "verify", str(instance))
    assert code == 0 and "intact" in out
    code, out = run("timers", "fire", "--at", "2030-01-01T00:00:00+00:00")
    assert code == 0 and "Fired timers of" in out


def test_usage_errors_exit_2_and_refusals_exit_1(run) -> None:
    assert run("no-such-command")[0] == 2
    assert run("claim")[0] == 2  # missing argument
    code, out = run("start", "nothing", "--as", "cv.sxd")
    assert code == 1 and "no deployed process" in out
    code, out = run("claim", "x", "--as", "nobody")
    assert code == 1 and "no user" in out
    code, out = run("audit", "verify", "999")
    assert code == 1
    code, out = run("timers", "fire", "--at", "yesterday")
    assert code == 2


def test_tampered_audit_log_exits_1(run, lifecycle: Lifecycle) -> None:
    engine = lifecycle.engine
    engine.deploy(
        {
            n: (DATA / n).read_bytes()
            for n in ("api_qd_ubnd_tinh.bpmn", "draft_form.json", "appraisal_form.json")
        },
        "owner",
    )
    instance = engine.start(
        "qd_ubnd_tinh",
        actor=engine.actor("cv.sxd"),
        data={"title": "Phí", "lead_agency": "SXD", "appraisal_org": "STP"},
    )
    db = Database(lifecycle.db.url)
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 1"))
    db.dispose()
    code, out = run("audit", "verify", str(instance.id))
    assert code == 1 and "tampered" in out


def test_domain_commands(run) -> None:
    code, out = run("models", "deploy", "--as", "owner")
    assert code == 0 and "nq_hdnd_tinh v1 (bpmn) deployed" in out
    code, out = run("rules", "list", "--json")
    assert code == 0 and any(r["step"] == "appraisal" for r in json.loads(out))
    code, out = run("calendar", "set", "2026-12-31", "off", "Nghỉ bù (thử nghiệm)")
    assert code == 0
    code, out = run("calendar", "days-off", "2026")
    assert code == 0 and "31/12/2026" in out and "17/02/2026" in out
    code, out = run("calendar", "set", "2026-12-31", "holiday", "x")
    assert code == 2
    code, out = run("users", "grant", "cv.sxd", "appraiser@NOWHERE")
    assert code == 1 and "NOWHERE" in out
    code, out = run("plan", "status", "2026")
    assert code == 0 and "behind plan" in out
    code, out = run("demo")
    assert code == 1 and "already has users" in out
    code, out = run("demo", "--if-empty")
    assert code == 0 and "not loaded again" in out
