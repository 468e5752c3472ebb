"""The ``reminders`` job: remind before and on the due date, escalate after it.

For each open task that has a due date, the task's policy and the working days between its
due day and today (Vietnam) decide what is owed:

* ``-remind_days_before <= late < 0``: a reminder before the due date (key ``before``);
* ``late == 0``: a reminder on the due day (key ``due``; a due day that is a rest day is
  reminded on the rest days that follow it, until the next working day makes it late);
* ``late >= escalate_head_after``: the agency head is told (key ``head:<period>``), then
  from ``escalate_office_after`` the People's Committee office as well (``office:<period>``);
  with ``repeat_every`` a new period begins every that many working days, so the latest
  level is told again while the task stays late.

Each notification is unique per (recipient, kind, key): the job can run in any number of
processes, be run twice, or catch up after days down, and still creates each one once. A
missed day is caught up with the notification of the current period only (nobody needs
three reminders for one task on the morning after a long holiday).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from engine import Database, clock
from engine.models import OPEN_STATES, HumanTask, ProcessInstance
from workflows.calendar import WorkingCalendar, vietnam_date
from workflows.directory import RoleAssignment, User
from workflows.drafts import DOCUMENT_TYPES, Draft
from workflows.notifications import notify_users
from workflows.organisations import resolve
from workflows.roles import SUPERVISOR_ROLES

from .policy import PolicyTable, PolicyValues, policies

BATCH = 200
#: Tasks due further ahead than this are not looked at (no policy reminds so early).
HORIZON = timedelta(days=120)


@dataclass
class ScanResult:
    tasks: int = 0
    created: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Owed:
    kind: str  # reminder | escalation
    key: str  # before | due | head:<n> | office:<n>
    level: str  # holder | head | office

    @property
    def when(self) -> str:
        """How the message reads: before the due day, on it, or late."""
        return self.key if self.key in ("before", "due") else "late"


def owed_for(policy: PolicyValues, late: int) -> Owed | None:
    """What a task ``late`` working days after its due day is owed today (None: nothing)."""
    if late < 0:
        if policy.remind_days_before and -late <= policy.remind_days_before:
            return Owed("reminder", "before", "holder")
        return None
    if late == 0:
        return Owed("reminder", "due", "holder") if policy.remind_on_due else None
    for level, after in (
        ("office", policy.escalate_office_after),
        ("head", policy.escalate_head_after),
    ):
        if after is not None and late >= after:
            period = (late - after) // policy.repeat_every if policy.repeat_every else 0
            return Owed("escalation", f"{level}:{period}", level)
    return None


def due_day(due_at: datetime) -> date:
    """The day a due instant belongs to: a deadline "by the end of the day" is stored as the
    first instant of the next day (or 23:59:59.999999), both read as that day."""
    return vietnam_date(due_at - timedelta(microseconds=1))


def send_due_reminders(
    db: Database, calendar: Callable[[], WorkingCalendar], now: datetime | None = None
) -> ScanResult:
    moment = clock.as_utc(now) if now is not None else clock.now()
    today = vietnam_date(moment)
    cal = calendar()
    result = ScanResult()
    with db.read() as session:
        table = PolicyTable(policies(session))
    after: tuple[datetime, str] | None = None
    while True:
        with db.write() as session:
            rows = _open_tasks(session, moment + HORIZON, after)
            if not rows:
                break
            people = _People(session)
            for task, process_key, draft in rows:
                result.tasks += 1
                policy = table.lookup(draft.document_type if draft else process_key, task.spec_id)
                day = due_day(task.due_at)  # type: ignore[arg-type]  (the query's filter)
                owed = owed_for(policy, cal.working_days_between(day, today))
                if owed is None:
                    continue
                created = notify_users(
                    session,
                    people.recipients(task, draft, owed.level),
                    owed.kind,
                    task=task,
                    draft_id=draft.id if draft else None,
                    period=owed.key,
                    params={
                        "when": owed.when,
                        **({"holder": task.assignee} if task.assignee else {}),
                    },
                )
                if created:
                    result.created += len(created)
                    result.by_kind[owed.kind] = result.by_kind.get(owed.kind, 0) + len(created)
            last = rows[-1][0]
            after = (last.due_at, last.id)
        if len(rows) < BATCH:
            break
    return result


def _open_tasks(
    session: Session, horizon: datetime, after: tuple[datetime, str] | None
) -> list[tuple[HumanTask, str, Draft | None]]:
    query = (
        select(HumanTask, ProcessInstance.definition_key, Draft)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .outerjoin(Draft, Draft.instance_id == ProcessInstance.id)
        .where(
            HumanTask.state.in_(OPEN_STATES),
            HumanTask.due_at.is_not(None),
            HumanTask.due_at <= horizon,
            ProcessInstance.status == "running",
        )
        .order_by(HumanTask.due_at, HumanTask.id)
        .limit(BATCH)
    )
    if after is not None:
        due, task_id = after
        query = query.where(
            (HumanTask.due_at > due) | and_(HumanTask.due_at == due, HumanTask.id > task_id)
        )
    return [(row[0], row[1], row[2]) for row in session.execute(query).all()]


class _People:
    """Who holds what, read once per batch."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._holders: dict[tuple[str, str], list[str]] = {}
        self._offices: dict[tuple[str, str | None], str | None] = {}

    def holders(self, roles: frozenset[str] | set[str], organisation: str) -> list[str]:
        found: set[str] = set()
        for role in roles:
            key = (role, organisation)
            if key not in self._holders:
                self._holders[key] = list(
                    self.session.execute(
                        select(User.username)
                        .join(RoleAssignment, RoleAssignment.user_id == User.id)
                        .where(
                            RoleAssignment.role == role,
                            RoleAssignment.organisation_code == organisation,
                            User.active,
                        )
                    ).scalars()
                )
            found.update(self._holders[key])
        return sorted(found)

    def office_of(self, draft: Draft | None) -> str | None:
        if draft is None or draft.document_type not in DOCUMENT_TYPES:
            return None
        key = (draft.document_type, draft.commune)
        if key not in self._offices:
            try:
                self._offices[key] = resolve(
                    self.session, draft.document_type, draft.commune
                ).ubnd_office_org
            except Exception:  # an organisation missing from the directory: no office level
                self._offices[key] = None
        return self._offices[key]

    def recipients(self, task: HumanTask, draft: Draft | None, level: str) -> list[str]:
        holder = (
            [task.assignee]
            if task.assignee
            else self.holders({task.role}, task.organisation or "")
            if task.role
            else []
        )
        if level == "holder":
            return holder
        heads = self.holders(SUPERVISOR_ROLES, task.organisation or "")
        if not heads and draft is not None:
            heads = self.holders({"agency_head"}, draft.lead_agency)
        people = set(holder) | set(heads)
        if level == "office":
            office = self.office_of(draft)
            if office:
                people |= set(self.holders({"ubnd_office"}, office))
        return sorted(people)
