"""Functions run in separate processes by the concurrency and crash tests.

They live in an importable module because ``multiprocessing`` with the "spawn" start method
imports the target by name in a fresh interpreter (a real separate process, own engine,
own connection pool).
"""

from __future__ import annotations

import os
import signal
from datetime import datetime
from typing import Any

from engine import Conflict, Database, Engine, EngineError, ServiceRegistry, StaticDirectory

ACTORS = {
    "an": ["drafter@SXD"],
    "ba": ["drafter@SXD"],
    "chi": ["appraiser@STP"],
    "dung": ["appraiser@STP"],
    "em": ["head@SXD"],
    "giang": ["drafter@STC"],
    "root": [],
}


def make_engine(url: str, *, kill_in_service: bool = False) -> Engine:
    services = ServiceRegistry()

    @services.register("notify")
    def notify(call: Any, message: str) -> dict[str, str]:
        if kill_in_service:
            os.kill(os.getpid(), signal.SIGKILL)  # die in the middle of the transaction
        return {"message": message}

    return Engine(Database(url), services=services, directory=StaticDirectory.from_mapping(ACTORS))


def race(kind: str, url: str, task_id: str, actor: str, barrier: Any, results: Any) -> None:
    engine = make_engine(url)
    barrier.wait(timeout=60)
    try:
        if kind == "claim":
            engine.claim(task_id, engine.actor(actor))
        else:
            engine.complete(task_id, engine.actor(actor), {"who": actor})
        results.put((actor, "ok"))
    except Conflict as exc:
        results.put((actor, f"conflict: {exc}"))
    except EngineError as exc:
        results.put((actor, f"{type(exc).__name__}: {exc}"))
    finally:
        engine.db.dispose()


def complete_and_die(url: str, task_id: str, actor: str) -> None:
    engine = make_engine(url, kill_in_service=True)
    engine.complete(task_id, engine.actor(actor), {"who": actor})
    raise SystemExit("unreachable: the service task should have killed this process")


def fire_timers(url: str, at: str, barrier: Any, results: Any) -> None:
    engine = make_engine(url)
    barrier.wait(timeout=60)
    run = engine.fire_due_timers(datetime.fromisoformat(at), limit=1000)
    results.put((os.getpid(), sorted(run.fired), dict(run.failed)))
    engine.db.dispose()
