"""Crash: tasks completed over HTTP while gunicorn is SIGKILLed at random and restarted.

A driver (4 clients, each on its own instances of a 10-step model) completes
``LEXFLOW_CRASH_COMPLETIONS`` tasks (default 1,000) through ``POST /tasks/{id}/complete``
with an ``Idempotency-Key``, retrying every unknown outcome with the same key, while the
whole server (master and workers) is killed ``LEXFLOW_CRASH_KILLS`` times (default 10) and
started again: half the kills at a random moment, half just after a completion committed and
before its answer arrived (so the retry must be told 200, not 409 "already completed"; without
the key such a run fails with that 409). Afterwards, read from the database: no completion
answered 200 is lost, none was applied twice (one ``complete`` audit event per task, the
model's own counter equal to the completed steps), every instance's state agrees with its
audit log and every audit chain verifies. On SQLite and PostgreSQL. ``LEXFLOW_CRASH_SEED`` replays a run's kill points.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.conftest import read_model
from tests.proof.crash import Driver, KillableGunicorn, kill_at_random
from tests.support.postgres import _free_port
from workflows import accounts
from workflows.directory import find_user

STEPS = 10
COMPLETIONS = int(os.environ.get("LEXFLOW_CRASH_COMPLETIONS", "1000"))
KILLS = int(os.environ.get("LEXFLOW_CRASH_KILLS", "10"))
TIMEOUT = float(os.environ.get("LEXFLOW_CRASH_TIMEOUT", "900"))  # seconds, then it fails


def _newest(lifecycle, ids: list[int]) -> set[str]:
    """The ids of the most recently completed tasks (what a kill might have cut off)."""
    with lifecycle.db.read() as session:
        return set(
            session.execute(
                select(HumanTask.id)
                .where(HumanTask.instance_id.in_(ids), HumanTask.state == "completed")
                .order_by(HumanTask.completed_at.desc())
                .limit(8)
            ).scalars()
        )


def test_no_acknowledged_completion_is_lost_or_applied_twice(
    lifecycle, tmp_path: Path, record_property
) -> None:
    engine = lifecycle.engine
    engine.deploy({"crash_steps.bpmn": read_model("crash_steps.bpmn")}, "owner")
    actor = engine.actor("cv.sxd")
    start = {"org": "SXD", "done": 0, "steps": STEPS}
    ids = [
        engine.start("crash_steps", actor=actor, data=start).id
        for _ in range(math.ceil(COMPLETIONS / STEPS))
    ]
    total = len(ids) * STEPS
    with lifecycle.db.write() as session:
        user = find_user(session, "cv.sxd")
        assert user is not None
        token = accounts.issue_token(session, user, "crash driver")
    seed = int(os.environ.get("LEXFLOW_CRASH_SEED", str(random.SystemRandom().randrange(10**6))))
    env = {
        **os.environ,
        "LEXFLOW_INSECURE_FAST_PASSWORD_HASHING": "",  # a served app hashes for real
        "LEXFLOW_DATABASE_URL": lifecycle.db.url,
        "LEXFLOW_SECRET_KEY": "crash-test-secret",
    }
    server = KillableGunicorn(_free_port(), env, tmp_path / "gunicorn.log")
    began = time.monotonic()
    driver = Driver(server.port, token, ids, deadline=began + TIMEOUT)
    finished = threading.Event()
    server.start()
    try:
        rng = random.Random(seed)  # noqa: S311 - kill points, replayable by seed
        killer = kill_at_random(
            server, driver.tally, total, KILLS, rng, finished, lambda: _newest(lifecycle, ids)
        )
        try:
            driver.run()
        finally:
            finished.set()
            killer.join(timeout=120)
    finally:
        server.stop()
    duration = time.monotonic() - began

    tally = driver.tally
    with lifecycle.db.read() as session:
        completed = dict(
            session.execute(
                select(HumanTask.id, HumanTask.instance_id).where(
                    HumanTask.instance_id.in_(ids), HumanTask.state == "completed"
                )
            ).all()
        )
        applied = Counter(
            dict(
                session.execute(
                    select(AuditEvent.task_id, func.count())
                    .where(AuditEvent.instance_id.in_(ids), AuditEvent.action == "complete")
                    .group_by(AuditEvent.task_id)
                ).all()
            )
        )
        statuses = Counter(
            session.execute(
                select(ProcessInstance.status).where(ProcessInstance.id.in_(ids))
            ).scalars()
        )
    lost = sorted(set(tally.acknowledged) - set(completed))
    duplicates = sorted(task for task, times in applied.items() if times > 1)
    figures = {
        "database": lifecycle.db.dialect,
        "seed": seed,
        "completions": tally.completions,
        "kills": server.kills,
        "lost": len(lost),
        "duplicates": len(duplicates),
        "refused": dict(tally.refused),
        "retried": len(tally.retried),
        "committed_unanswered_then_replayed": len(tally.replayed),
        "answers_cut": tally.cut,
        "duration_s": round(duration, 1),
    }
    record_property("crash", figures)
    print(f"\ncrash figures: {figures}")

    assert not tally.refusals, tally.refusals[:10]
    assert server.kills == KILLS and not killer.is_alive()
    assert tally.completions == total == len(completed)
    assert not lost and not duplicates, figures
    assert statuses == Counter({"completed": len(ids)})
    per_instance = Counter(completed.values())
    for instance_id in ids:
        data = engine.instance_data(instance_id)
        audited = sum(applied[task] for task, owner in completed.items() if owner == instance_id)
        assert data["done"] == per_instance[instance_id] == audited == STEPS, instance_id
        report = engine.verify_audit(instance_id)
        assert report.ok, (instance_id, report.problem)
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()
