"""The background jobs of the drafting domain, for :class:`engine.scheduling.JobScheduler`.

* ``timers``: fire due BPMN timers (statutory limits, waits, and the monitoring process's
  cycle timers: implementation reports and periodic reviews are timers of that process);
* ``reminders``: reminders before and on due dates, escalations after them
  (:mod:`workflows.reminders`);
* ``outbox``: deliver the notifications waiting in the outbox, by SMTP, outside any
  database transaction (:func:`workflows.notifications.deliver_outbox`);
* ``digest``: each morning, the daily summary of the day before for those who asked for one;
* ``plan_watch``: each morning, the heads are told about drafts whose backward plan has
  become infeasible (:func:`workflows.reports.plan_watch.notify_infeasible_plans`).

Each job claims its items from rows, so any number of processes may run them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from engine import Message, clock
from engine.scheduling import Job
from workflows.calendar import vietnam_date
from workflows.lifecycle import Lifecycle
from workflows.notifications import build_digests, deliver_outbox
from workflows.notifications.smtp import Mailer
from workflows.reminders import send_due_reminders
from workflows.reports.plan_watch import notify_infeasible_plans

#: Mails one run of the outbox job sends at most (the next run, seconds later, goes on).
OUTBOX_PER_RUN = 5000


@dataclass(frozen=True)
class JobSettings:
    timers_every: timedelta = timedelta(seconds=30)
    reminders_every: timedelta = timedelta(minutes=5)
    outbox_every: timedelta = timedelta(seconds=30)
    digest_at: time = time(7, 0)
    plan_watch_at: time = time(6, 30)
    #: None: no SMTP configured; notifications wait in the outbox (and the pages).
    mailer: Mailer | None = None


def lifecycle_jobs(lifecycle: Lifecycle, settings: JobSettings | None = None) -> list[Job]:
    settings = settings or JobSettings()
    engine, db = lifecycle.engine, lifecycle.db

    def fire_timers() -> int:
        run = engine.fire_due_timers()
        return len(run.fired) + len(run.failed)

    def reminders() -> int:
        return send_due_reminders(db, lifecycle.calendar).created

    def outbox() -> int:
        if settings.mailer is None:
            return 0
        return deliver_outbox(db, settings.mailer, limit=OUTBOX_PER_RUN).handled

    def digest() -> int:
        yesterday = vietnam_date(clock.now()) - timedelta(days=1)
        return build_digests(db, yesterday)

    def plan_watch() -> int:
        with db.write() as session:
            return notify_infeasible_plans(session, lifecycle.calendar())

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
        Job(
            "digest",
            digest,
            Message("The daily summary of the day before"),
            daily_at=settings.digest_at,
        ),
        Job(
            "plan_watch",
            plan_watch,
            Message("Tell the heads about drafts that can no longer reach their session"),
            daily_at=settings.plan_watch_at,
        ),
    ]
