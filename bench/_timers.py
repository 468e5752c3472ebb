"""The body of bench/timers.py (see its docstring)."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench._support import machine_info, table

SPAWN = multiprocessing.get_context("spawn")
ROOT_DIR = Path(__file__).resolve().parent.parent
STARTED = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
MOMENT = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
MODEL = "tests/data/wait_then_due.bpmn"
DATA = {"org": "SXD", "fire_at": "2026-05-03T09:00:00", "due_on": date(2026, 5, 4).isoformat()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timers", type=int, default=10_000, help="due timers per run")
    parser.add_argument("--runners", default="1,4", help="runner process counts, e.g. 1,4")
    parser.add_argument("--mails", type=int, default=1000, help="notifications to deliver")
    parser.add_argument("--raw", type=int, default=500, help="timers fired by raw Spiff")
    return parser.parse_args(argv)


# Runner process ---------------------------------------------------------------------------------
def _runner(url: str, barrier: Any, results: Any) -> None:
    from engine import Database, clock
    from workflows.lifecycle import Lifecycle

    lifecycle = Lifecycle(Database(url))
    barrier.wait(timeout=300)
    started = time.perf_counter()
    with clock.travelling(MOMENT):
        run = lifecycle.engine.fire_due_timers()
    results.put((len(run.fired), len(run.failed), time.perf_counter() - started))
    lifecycle.db.dispose()


def _prepare(url: str, count: int) -> None:
    """``count`` started instances waiting on a timer that the run will find due, started
    500 to a transaction (each instance has its own task ids, so they cannot be copied)."""
    from engine import Database, clock
    from tests.support import province
    from workflows.lifecycle import Lifecycle

    db = Database(url)
    with db.write() as session:
        province.seed(session)
    lifecycle = Lifecycle(db)
    engine = lifecycle.engine
    engine.deploy({"wait_then_due.bpmn": (ROOT_DIR / MODEL).read_bytes()}, "owner")
    actor = engine.actor("cv.sxd")
    with clock.frozen_at(STARTED):
        for start in range(0, count, 500):
            with db.write() as session:
                for _ in range(min(500, count - start)):
                    engine.start("wait_then_due", actor=actor, data=DATA, session=session)
    db.dispose()


def _fire_run(backends: Any, runners: int, count: int) -> dict[str, Any]:
    from engine import Database
    from engine.models import AuditEvent, ProcessInstance

    url = backends.fresh()
    _prepare(url, count)
    barrier, results = SPAWN.Barrier(runners), SPAWN.Queue()
    processes = [
        SPAWN.Process(target=_runner, args=(url, barrier, results)) for _ in range(runners)
    ]
    wall = time.perf_counter()
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=3600) for _ in processes]
    for process in processes:
        process.join()
    # from the barrier to the last runner's end, as seen by the runners themselves
    seconds = max(o[2] for o in outcomes)
    wall = time.perf_counter() - wall
    db = Database(url)
    with db.read() as session:
        per_instance = session.execute(
            select(func.count()).select_from(
                select(AuditEvent.instance_id)
                .where(AuditEvent.action == "timer")
                .group_by(AuditEvent.instance_id)
                .having(func.count() == 1)
                .subquery()
            )
        ).scalar_one()
        still_due = session.execute(
            select(func.count())
            .select_from(ProcessInstance)
            .where(ProcessInstance.next_timer_at.is_not(None))
        ).scalar_one()
    db.dispose()
    fired = sum(o[0] for o in outcomes)
    return {
        "runners": runners,
        "timers": count,
        "fired": fired,
        "failed": sum(o[1] for o in outcomes),
        "seconds": seconds,
        "wall_with_start_up": wall,
        "per_second": fired / seconds if seconds else 0.0,
        "exactly_once": per_instance == count and still_due == 0 and fired == count,
        "url": url,
    }


# Raw SpiffWorkflow --------------------------------------------------------------------------------
def _raw_spiff(count: int) -> float:
    """Seconds per timer for plain SpiffWorkflow: restore, fire, step, serialize."""
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ROOT_DIR / MODEL))
    spec = parser.get_spec("wait_then_due")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    workflow = BpmnWorkflow(spec)
    workflow.data.update({**DATA, "fire_at": "2000-01-01T00:00:00"})  # due at once
    workflow.get_tasks()[0].data.update(workflow.data)
    state = serializer.serialize_json(workflow)
    started = time.perf_counter()
    for _ in range(count):
        restored = serializer.deserialize_json(state)
        restored.refresh_waiting_tasks()
        restored.do_engine_steps()
        serializer.serialize_json(restored)
    return (time.perf_counter() - started) / count


# Notifications ------------------------------------------------------------------------------------
def _notifications(backends: Any, count: int) -> dict[str, Any]:
    from engine import Database, clock
    from engine.models import ProcessInstance
    from tests.support.smtp import smtp_server
    from workflows.directory import find_user
    from workflows.lifecycle import Lifecycle
    from workflows.notifications import deliver_outbox
    from workflows.notifications.preferences import set_preferences
    from workflows.notifications.smtp import SmtpMailer, SmtpSettings
    from workflows.reminders import send_due_reminders

    url = backends.fresh()
    _prepare(url, count)
    lifecycle = Lifecycle(Database(url))
    with lifecycle.db.write() as session:
        for username in ("cv.sxd", "cv2.sxd"):
            user = find_user(session, username)
            assert user is not None
            user.email = f"{username}@tinh.example.vn"
            set_preferences(session, user.id, {"task_new": "off"})
    with clock.travelling(MOMENT):
        lifecycle.engine.fire_due_timers()
        created_at = time.perf_counter()
        created = send_due_reminders(lifecycle.db, lifecycle.calendar).created
        create_seconds = time.perf_counter() - created_at
        with smtp_server() as (port, server):
            mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=port))
            sent_at = time.perf_counter()
            run = deliver_outbox(lifecycle.db, mailer, limit=10 * created + 10)
            send_seconds = time.perf_counter() - sent_at
            received = len(server.messages)
    with lifecycle.db.read() as session:
        tasks = session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()
    lifecycle.db.dispose()
    return {
        "instances": tasks,
        "created": created,
        "create_per_second": created / create_seconds if create_seconds else 0.0,
        "delivered": len(run.delivered),
        "received": received,
        "deliver_per_second": len(run.delivered) / send_seconds if send_seconds else 0.0,
    }


class _Backends:
    def __init__(self) -> None:
        from tests.support.postgres import start_postgres

        self.server = start_postgres()
        self.count = 0

    def fresh(self) -> str:
        import psycopg

        self.count += 1
        name = f"lexflow_bench_timers_{self.count}"
        admin = self.server.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        url = self.server.url.rsplit("/", 1)[0] + "/" + name
        from engine import Database
        from engine.schema import upgrade

        db = Database(url)
        upgrade(db)
        db.dispose()
        return url

    def close(self) -> None:
        self.server.stop()


def _per_core(run: dict[str, Any]) -> str:
    """Milliseconds of one core per timer (the machine has 2 cores: 4 runners share them)."""
    if not run["per_second"]:
        return "-"
    return f"{1000 * min(run['runners'], 2) / run['per_second']:.2f}"


def main(argv: list[str] | None = None) -> int:
    import workflows.schema  # noqa: F401

    args = parse_args(argv)
    info = machine_info()
    print("Lexflow timers benchmark · " + " · ".join(f"{k}: {v}" for k, v in info.items()))
    raw = _raw_spiff(args.raw)
    backends = _Backends()
    try:
        runs = [
            _fire_run(backends, int(n), args.timers) for n in args.runners.split(",") if n.strip()
        ]
        mails = _notifications(backends, args.mails)
    finally:
        backends.close()
    print()
    print(
        table(
            ["runners", "timers", "fired", "failed", "seconds", "timers/s", "ms/timer/core",
             "exactly once", "vs raw Spiff"],
            [
                [
                    r["runners"], r["timers"], r["fired"], r["failed"], f"{r['seconds']:.1f}",
                    f"{r['per_second']:.0f}",
                    _per_core(r),
                    "yes" if r["exactly_once"] else "NO",
                    f"{(1 / r['per_second']) / raw:.1f}×" if r["per_second"] else "-",
                ]
                for r in runs
            ],
        )
    )  # fmt: skip
    print(f"raw SpiffWorkflow (restore + fire + step + serialize, no database): "
          f"{raw * 1000:.2f} ms per timer, {1 / raw:.0f} per second in one process")  # fmt: skip
    target = next((r for r in runs if r["runners"] == 4), None)
    if target is not None and args.timers == 10_000:
        met = target["seconds"] <= 10
        print(f"target 10,000 timers in <= 10 s with 4 processes: {target['seconds']:.1f} s, "
              f"{'met' if met else 'NOT met'}")  # fmt: skip
    print(
        f"notifications: {mails['created']} reminders created at "
        f"{mails['create_per_second']:.0f}/s; {mails['delivered']} delivered to loopback SMTP "
        f"({mails['received']} received) at {mails['deliver_per_second']:.0f}/s"
    )
    print(json.dumps({"runs": runs, "raw_ms": raw * 1000, "mails": mails}, default=str))
    return 0
