"""Notifications: who is told what, in-app and by e-mail, exactly once.

This package owns telling people about their work:

- :mod:`.model` — the tables: notifications (unique per recipient, kind, topic and period),
  the e-mail outbox, each person's delivery preferences;
- :mod:`.kinds` — the kinds (new task, released task, assigned task, rework, reminder,
  escalation, a plan become infeasible, daily digest) and their words in the reader's language;
- :mod:`.notify` — creating notifications (and their outbox rows) in the caller's
  transaction; what the escalation service and the scheduler's reminder jobs call;
- :mod:`.events` — the engine listeners that notify what a step or a change of hands
  means for people;
- :mod:`.outbox` — delivering e-mail after the transaction, with claims, backoff and
  re-sending; :mod:`.smtp` — the SMTP client (standard library ``smtplib``);
- :mod:`.preferences` — immediately / in the digest / off, per kind;
  :mod:`.digest` — the daily digest; :mod:`.reading` — a person's list and unread count.

Scheduling (when reminders, escalations, digests and deliveries run) is not here: the
scheduler's jobs call :func:`deliver_outbox`, :func:`build_digests` and :func:`notify`.
"""

from __future__ import annotations

from workflows.notifications.digest import build_digests
from workflows.notifications.events import on_step, on_task_change
from workflows.notifications.kinds import (
    DIGEST_KIND,
    ESCALATION,
    KINDS,
    PLAN_INFEASIBLE,
    REMINDER,
    REWORK,
    TASK_ASSIGNED,
    TASK_NEW,
    TASK_RETURNED,
    render,
)
from workflows.notifications.model import Notification, NotificationPreference, OutboxMessage
from workflows.notifications.notify import (
    Notice,
    Notified,
    notify,
    notify_each,
    notify_users,
    role_holders,
)
from workflows.notifications.outbox import DeliveryRun, deliver_outbox, resend
from workflows.notifications.reading import (
    mark_all_read,
    mark_read,
    notifications_of,
    unread_count,
)
from workflows.notifications.smtp import SmtpMailer, SmtpSettings

__all__ = [
    "DIGEST_KIND",
    "ESCALATION",
    "KINDS",
    "PLAN_INFEASIBLE",
    "REMINDER",
    "REWORK",
    "TASK_ASSIGNED",
    "TASK_NEW",
    "TASK_RETURNED",
    "DeliveryRun",
    "Notice",
    "Notification",
    "NotificationPreference",
    "Notified",
    "OutboxMessage",
    "SmtpMailer",
    "SmtpSettings",
    "build_digests",
    "deliver_outbox",
    "mark_all_read",
    "mark_read",
    "notifications_of",
    "notify",
    "notify_each",
    "notify_users",
    "on_step",
    "on_task_change",
    "render",
    "resend",
    "role_holders",
    "unread_count",
]
