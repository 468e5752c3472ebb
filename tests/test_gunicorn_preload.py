"""Lexflow under ``gunicorn --preload --max-requests`` with its scheduler on, on PostgreSQL.

With ``--preload`` the app is imported in gunicorn's master, which forks every worker, and
forks new ones each time a worker reaches ``--max-requests``. A scheduler started at import
(in the master) and the master's pooled connections inherited by every worker made requests
fail and timers stop. Here: two workers recycled every ~10 requests, the scheduler on with a
1-second interval, 120 authenticated API requests from 4 clients while 40 timers come due.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import TaskQuery
from engine.models import HumanTask, ProcessInstance
from engine.scheduling import SchedulerJob
from tests.conftest import read_model
from tests.support.postgres import _free_port
from workflows import accounts
from workflows.directory import find_user

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = 40

pytestmark = pytest.mark.slow


def _get(port: int, path: str, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return -1  # a connection cut while a worker was recycled: counted, must not happen
    finally:
        connection.close()


def _wait_ready(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {log.read_text()[-3000:]}")
        if _get(port, "/login", {}) == 200:
            return
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer: {log.read_text()[-3000:]}")


def test_preload_and_max_requests_with_the_scheduler_on(pg_lifecycle, tmp_path: Path) -> None:
    lifecycle = pg_lifecycle
    engine = lifecycle.engine
    engine.deploy({"short_wait.bpmn": read_model("short_wait.bpmn")}, "owner")
    actor = engine.actor("cv.sxd")
    ids = [
        engine.start("short_wait", actor=actor, data={"org": "SXD", "wait": "PT3S"}).id
        for _ in range(INSTANCES)
    ]
    with lifecycle.db.write() as session:
        user = find_user(session, "cv.sxd")
        assert user is not None
        secret = accounts.issue_token(session, user, "preload test")
    bearer = {"Authorization": f"Bearer {secret}"}

    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "LEXFLOW_INSECURE_FAST_PASSWORD_HASHING": "",  # a served app hashes for real
        "LEXFLOW_DATABASE_URL": lifecycle.db.url,
        "LEXFLOW_SECRET_KEY": "preload-test-secret",
        "LEXFLOW_SCHEDULER": "web",
        "LEXFLOW_TIMER_INTERVAL": "1",
    }
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
        "--preload", "--max-requests", "10", "--max-requests-jitter", "3",
        "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "info",
        "--graceful-timeout", "20", "web.wsgi:app",
    ]  # fmt: skip
    with open(log, "wb") as handle:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=handle)
    try:
        _wait_ready(server, port, log)
        paths = ["/api/v1/tasks", "/api/v1/tasks?overdue=true", "/api/v1/drafts"] * 40
        with ThreadPoolExecutor(4) as pool:
            statuses = Counter(pool.map(lambda path: _get(port, path, bearer), paths))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with lifecycle.db.read() as session:
                waiting = session.execute(
                    select(func.count())
                    .select_from(ProcessInstance)
                    .where(ProcessInstance.id.in_(ids), ProcessInstance.next_timer_at.is_not(None))
                ).scalar_one()
            if waiting == 0:
                break
            time.sleep(0.5)
        master = server.pid
    finally:
        server.terminate()
        server.wait(timeout=60)
    output = log.read_text()
    assert statuses == Counter({200: 120}), output[-3000:]
    assert waiting == 0, "timers stopped firing: " + output[-3000:]
    assert "Traceback" not in output, output[-5000:]
    assert output.count("Autorestarting worker") >= 4  # workers were recycled meanwhile
    # Each worker stops its scheduler as it exits, before the interpreter's shutdown. One
    # may still be stopping (waiting for its running job) when the server is told to stop;
    # the master ends it at the graceful timeout, and gunicorn.conf.py has dumped its
    # threads' stacks to the log if the stop took long (once seen under a full suite's load).
    started = output.count("scheduler started in process")
    stopped = output.count("scheduler stopped in process")
    assert started >= 4 and started - 1 <= stopped <= started, output[-5000:]
    with lifecycle.db.read() as session:
        runners = set(session.execute(select(SchedulerJob.last_runner)).scalars())
        open_rows = session.execute(
            select(HumanTask.instance_id, func.count())
            .where(HumanTask.instance_id.in_(ids), HumanTask.state == "open")
            .group_by(HumanTask.instance_id)
        ).all()
    assert runners and not any(r.endswith(f":{master}") for r in runners if r)
    assert sorted(count for _, count in open_rows) == [1] * INSTANCES
    for instance_id in ids:  # every state still loads, each on its task after the timer
        assert engine.instance(instance_id).status == "running"
        (task,) = engine.tasks(TaskQuery(instance_id=instance_id))
        assert task.element_id == "Task_after_wait"
