"""Background jobs: timers fire until none is due, runs are recorded, the CLI reports them."""

from __future__ import annotations

import time as wall
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine import Database, clock
from engine.models import AuditEvent, ProcessInstance
from engine.scheduling import Job, JobScheduler, job_statuses
from tests.conftest import read_model
from web import cli as web_cli
from workflows.lifecycle import Lifecycle

FAR = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def run(lifecycle: Lifecycle, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", lifecycle.db.url)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        web_cli._lifecycle.cache_clear()
        result = runner.invoke(web_cli.build(), list(args), catch_exceptions=False)
        return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")

    yield invoke
    web_cli._lifecycle.cache_clear()


def _waiting_instances(lifecycle: Lifecycle, count: int) -> list[int]:
    """``count`` instances waiting for a timer due on 1/3/2031."""
    engine = lifecycle.engine
    engine.deploy({"timer_wait.bpmn": read_model("timer_wait.bpmn")}, "owner")
    actor = engine.actor("cv.sxd")
    return [
        engine.start("timer_wait", actor=actor, data={"effective_on": "2031-02-28"}).id
        for _ in range(count)
    ]


def _still_due(lifecycle: Lifecycle, moment: datetime) -> int:
    with lifecycle.db.read() as session:
        return session.execute(
            select(func.count())
            .select_from(ProcessInstance)
            .where(ProcessInstance.next_timer_at <= moment, ProcessInstance.status == "running")
        ).scalar_one()


def test_timers_fire_until_none_is_due_and_a_limit_says_what_is_left(run, lifecycle) -> None:
    ids = _waiting_instances(lifecycle, 130)
    code, out = run("timers", "fire", "--at", FAR.isoformat(), "--limit", "40")
    assert code == 3 and "Fired timers of 40 instance(s)" in out and "still due" in out
    assert _still_due(lifecycle, FAR) == 90
    code, out = run("timers", "fire", "--at", FAR.isoformat())
    assert code == 0 and "Fired timers of 90 instance(s); 0 failed." in out
    assert _still_due(lifecycle, FAR) == 0
    with lifecycle.db.read() as session:
        events = list(
            session.execute(
                select(AuditEvent).where(
                    AuditEvent.instance_id.in_(ids), AuditEvent.action == "timer"
                )
            ).scalars()
        )
    assert len(events) == 130
    # stamped with the time they happened (now), the simulated moment recorded beside it
    real = clock.now()
    assert all(abs(event.at - real) < timedelta(minutes=5) for event in events)
    assert {event.data["as_of"] for event in events} == {FAR.isoformat()}
    assert len({event.at for event in events}) > 100  # not one frozen start time per run


def test_a_job_run_is_recorded_and_a_failing_job_does_not_stop_the_others(
    database: Database,
) -> None:
    calls: list[str] = []

    def works() -> int:
        calls.append("works")
        return 3

    def breaks() -> int:
        calls.append("breaks")
        raise RuntimeError("mail server said no")

    jobs = [
        Job("breaks", breaks, "Always fails", every=timedelta(minutes=1)),
        Job("works", works, "Handles three", every=timedelta(seconds=30)),
    ]
    scheduler = JobScheduler(database, jobs)
    outcomes = scheduler.run_once()
    scheduler.run_once()
    assert calls == ["breaks", "works", "breaks", "works"]
    assert [o.ok for o in outcomes] == [False, True]
    statuses = {s.name: s for s in job_statuses(database, jobs)}
    assert statuses["works"].runs == 2 and statuses["works"].total_handled == 6
    assert statuses["works"].last_status == "ok" and statuses["works"].failures == 0
    assert statuses["breaks"].failures == 2 and statuses["breaks"].last_status == "failed"
    assert "mail server said no" in (statuses["breaks"].last_error or "")


def test_a_started_scheduler_runs_each_job_at_once_then_on_its_interval(
    database: Database,
) -> None:
    """What came due while nothing ran is handled at start-up, not an interval later."""
    runs: list[float] = []
    jobs = [Job("tick", lambda: runs.append(1) or 1, "Counts", every=timedelta(hours=1))]
    scheduler = JobScheduler(database, jobs)
    scheduler.start()
    try:
        deadline = wall.monotonic() + 20
        while not runs and wall.monotonic() < deadline:
            wall.sleep(0.05)
    finally:
        scheduler.shutdown()
    assert runs == [1]
    (status,) = job_statuses(database, jobs)
    assert status.runs == 1 and status.next_run_at is not None
    assert status.next_run_at - clock.now() > timedelta(minutes=55)


def test_scheduler_cli_runs_once_and_reports(run, lifecycle) -> None:
    _waiting_instances(lifecycle, 3)
    code, out = run("scheduler", "status")
    assert code == 0 and "never run" in out and "timers" in out and "reminders" in out
    with clock.travelling(FAR):
        code, out = run("scheduler", "run-once")
    assert code == 0 and "timers: 3 handled, ok" in out
    code, out = run("scheduler", "status")
    assert code == 0 and "status: ok" in out and "total 3" in out


def test_a_wrong_scheduler_mode_is_a_sentence_not_a_traceback(
    run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEXFLOW_SCHEDULER", "sometimes")
    code, out = run("scheduler", "status")
    assert code == 1 and "LEXFLOW_SCHEDULER must be web, separate or off" in out
    assert "Traceback" not in out
