"""Reminders before a task's due date and escalations after it, by policy.

An administrator sets, per document type and step (with a default), how many working days
before the due date a task's holder is reminded, whether on the due date too, after how many
working days late the agency head and then the People's Committee office are told, and how
often that repeats while the task stays late (:mod:`.policy`). The scheduler's ``reminders``
job (:mod:`.due_scan`) walks the open tasks that have a due date and creates each reminder or
escalation as a notification whose uniqueness key names the task and the period, so however
many processes run the job, and however often, each is created once.

These are about *tasks* (the due date each step got). The statutory limits drawn in the
BPMN models as boundary timers escalate on their own (the ``escalate`` service).
"""

from .due_scan import ScanResult, send_due_reminders
from .policy import (
    DEFAULT_POLICY,
    PolicyProblem,
    PolicyValues,
    ReminderPolicy,
    delete_policy,
    policies,
    policy_for,
    save_policy,
)

__all__ = [
    "DEFAULT_POLICY",
    "PolicyProblem",
    "PolicyValues",
    "ReminderPolicy",
    "ScanResult",
    "delete_policy",
    "policies",
    "policy_for",
    "save_policy",
    "send_due_reminders",
]
