"""Timer and notification throughput: prints figures (it is not a test).

    python bench/timers.py                 # 10,000 due timers, 1 and 4 processes, PostgreSQL
    python bench/timers.py --timers 2000   # a shorter run
    python bench/timers.py --help

For each runner count the bench loads N instances waiting on a timer that is due (copies of
one started instance, inserted in bulk: the set-up is not what is measured), then starts the
runners at the same moment (spawned processes, each `Engine.fire_due_timers()` until nothing is
due) and reports the wall time, timers per second, and that each instance fired exactly once.
Beside it, raw SpiffWorkflow on the same model in one process (restore the serialized state,
fire the timer, run the engine, serialize again: no database) gives the floor per timer.
Then notifications: M reminders created by the reminders job (one per task) and delivered by
the outbox job to an SMTP server on loopback (aiosmtpd), per second.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _fix_path() -> None:
    # Run as a script, this directory comes first on sys.path (see bench/engine.py).
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


if __name__ == "__main__":
    _fix_path()
    from bench._timers import main

    raise SystemExit(main())
