"""The background jobs of the drafting domain, for :class:`engine.scheduling.JobScheduler`.

* ``timers``: fire due BPMN timers (statutory limits, waits, and the monitoring process's
  cycle timers: implementation reports and periodic reviews are timers of that process);
* ``reminders``: reminders before and on due dates, escalations after them
  (:mod:`workflows.reminders`);
* ``outbox``: deliver the notifications that are waiting to be sent.

Each job claims its items from rows, so any number of processes may run them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from engine import Message
from engine.scheduling import Job
from workflows.lifecycle import Lifecycle
from workflows.notifications import deliver_email
from workflows.reminders import send_due_reminders


@dataclass(frozen=True)
class JobSettings:
    timers_every: timedelta = timedelta(seconds=30)
    reminders_every: timedelta = timedelta(minutes=5)
    outbox_every: timedelta = timedelta(seconds=30)


def lifecycle_jobs(lifecycle: Lifecycle, settings: JobSettings | None = None) -> list[Job]:
    settings = settings or JobSettings()
    engine, db = lifecycle.engine, lifecycle.db

    def fire_timers() -> int:
        run = engine.fire_due_timers()
        return len(run.fired) + len(run.failed)

    def reminders() -> int:
        return send_due_reminders(db, lifecycle.calendar).created

    def outbox() -> int:
        with db.write() as session:
            return deliver_email(session)

    return [
        Job("timers", fire_timers, Message("Fire due BPMN timers"), every=settings.timers_every),
        Job(
            "reminders",
            reminders,
            Message("Reminders before due dates, escalations after them"),
            every=settings.reminders_every,
        ),
        Job(
            "outbox",
            outbox,
            Message("Deliver notifications by e-mail"),
            every=settings.outbox_every,
        ),
    ]
