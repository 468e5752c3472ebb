"""Creating notifications, once each, in the transaction of what caused them.

:func:`notify_users` is the one way in: it gathers the facts a message needs (the step's
names, the draft's code and title, the due date), inserts one row per recipient with
``INSERT ... ON CONFLICT DO NOTHING`` on the uniqueness key — so a second attempt (a
retried step, a second scheduler process) creates nothing and never aborts the caller's
transaction — and, for recipients who want it e-mailed at once, the outbox row beside it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, event, insert, null, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, object_session
from sqlalchemy.sql.visitors import InternalTraversal

from engine import clock
from engine.models import HumanTask
from workflows.calendar import vietnam_date
from workflows.directory import RoleAssignment, User
from workflows.drafts import Draft, draft_by_code
from workflows.notifications.kinds import DIGEST_KIND, KINDS
from workflows.notifications.model import (
    IMMEDIATE,
    NO_ADDRESS,
    PENDING,
    Notification,
    NotificationPreference,
    OutboxMessage,
)
from workflows.notifications.preferences import delivery_default
from workflows.registry import Regulation

_KEY = ("recipient", "kind", "topic", "period")


def task_facts(session: Session, task: HumanTask) -> dict[str, Any]:
    """What a message about ``task`` names: its step in both languages, its draft, its due
    date."""
    facts: dict[str, Any] = {"step": {"vi": task.title, "en": task.title_en or task.title}}
    if task.due_at is not None:
        facts["due"] = vietnam_date(task.due_at).isoformat()
    labels = task.labels or {}
    draft = draft_by_code(session, labels.get("draft_code")) if labels.get("draft_code") else None
    if draft is None and labels.get("regulation"):  # monitoring instances carry its number
        draft = _monitored_draft(session, task.instance_id)
    if draft is not None:
        facts.update(draft_facts(draft))
    elif labels.get("regulation"):
        facts["draft_code"] = str(labels["regulation"])
    return facts


def draft_facts(draft: Draft) -> dict[str, Any]:
    return {"draft_id": draft.id, "draft_code": draft.code, "draft_title": draft.title}


def _monitored_draft(session: Session, instance_id: int) -> Draft | None:
    """The draft a monitoring process's regulation came from (monitoring has no draft)."""
    draft_id = session.execute(
        select(Regulation.draft_id).where(Regulation.monitoring_instance_id == instance_id)
    ).scalar_one_or_none()
    return session.get(Draft, draft_id) if draft_id else None


@dataclass(frozen=True)
class Notified:
    """A notification just created (what the callers need of it)."""

    id: int
    recipient: str
    delivery: str


def notify_users(
    session: Session,
    recipients: Iterable[str],
    kind: str,
    *,
    task: HumanTask | None = None,
    draft_id: int | None = None,
    period: str = "",
    params: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> list[Notified]:
    """Notify each active user among ``recipients`` (usernames) once; returns the new rows.

    The topic is ``task`` when given, else the draft. ``params`` add to (or override) the
    facts gathered from the task and draft. Unknown and inactive usernames are skipped.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    names = sorted(set(recipients))
    if not names:
        return []
    statement = _users_statement("names", False, False, kind == DIGEST_KIND)
    users = _active_users(session, kind, statement, {"kind": kind, "names": names})
    return _create(session, users, kind, task, draft_id, period, params, now)


def notify_role_holders(
    session: Session,
    role: str | None,
    organisation: str | None,
    kind: str,
    *,
    task: HumanTask | None = None,
    exclude: str | None = None,
    period: str = "",
    params: Mapping[str, Any] | None = None,
) -> list[Notified]:
    """Notify the active users offered work of ``role`` in ``organisation`` (any one when
    None), but not ``exclude`` (who caused it). Nobody when ``role`` is None.

    The group, each member's address and delivery come in one query: a step that opens a
    task for a group is on every completion's path.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if role is None:
        return []
    held = session.info.setdefault(_HOLDERS_KEY, {})
    asked = (kind, role, organisation, exclude)
    users = held.get(asked)
    if users is None:
        statement = _users_statement(
            "role", organisation is not None, exclude is not None, kind == DIGEST_KIND
        )
        values = {"kind": kind, "role": role, "organisation": organisation, "exclude": exclude}
        users = held[asked] = _active_users(session, kind, statement, values)
    return _create(session, users, kind, task, None, period, params, None)


#: Who holds a role in an organisation, as asked by :func:`notify_role_holders`, kept for
#: the session: a batch of timers opening tasks for the same group asks once. Forgotten as
#: soon as the session writes users, role assignments or preferences (flushed objects or
#: statements), so a change made in the session shows at once.
_HOLDERS_KEY = "lexflow.role_holders"
_DIRECTORY_MODELS = (User, RoleAssignment, NotificationPreference)
_DIRECTORY_TABLES = frozenset(model.__table__ for model in _DIRECTORY_MODELS)


def _forget_holders_on_flush(_mapper: Any, _connection: Any, target: Any) -> None:
    session = object_session(target)
    if session is not None:
        session.info.pop(_HOLDERS_KEY, None)


for _model in _DIRECTORY_MODELS:
    for _flushed in ("after_insert", "after_update", "after_delete"):
        event.listen(_model, _flushed, _forget_holders_on_flush)


@event.listens_for(Session, "do_orm_execute")
def _forget_holders_on_write(state: ORMExecuteState) -> None:
    if (
        state.session.info.get(_HOLDERS_KEY)
        and (state.is_insert or state.is_update or state.is_delete)
        and getattr(state.statement, "table", None) in _DIRECTORY_TABLES
    ):
        state.session.info.pop(_HOLDERS_KEY)


def role_holders(session: Session, role: str | None, organisation: str | None) -> list[str]:
    """The active users offered a task of ``role`` in ``organisation`` (any one when None):
    the group :func:`notify_role_holders` notifies, by username."""
    if role is None:
        return []
    statement = _users_statement("role", organisation is not None, False, True)
    rows = session.execute(statement, {"role": role, "organisation": organisation}).all()
    return sorted({row.username for row in rows})


@dataclass(frozen=True)
class _Recipient:
    id: int
    username: str
    email: str | None
    delivery: str


def _active_users(
    session: Session, kind: str, statement: Any, values: dict[str, Any]
) -> list[_Recipient]:
    """Active users the statement selects, with their delivery of ``kind``."""
    default = delivery_default(kind)
    return [
        _Recipient(i, name, email, delivery or default)
        for i, name, email, delivery in session.execute(statement, values).all()
    ]


@functools.lru_cache(maxsize=16)
def _users_statement(by: str, in_organisation: bool, excluding: bool, digest: bool) -> Any:
    """Active users by ``names`` or by ``role`` (in one organisation, without someone),
    each with their chosen delivery of ``:kind`` (none for the digest, always e-mailed).
    Built once per shape: a step that opens a task runs one."""
    if by == "names":
        conditions = [User.username.in_(bindparam("names", expanding=True))]
    else:
        holders = select(RoleAssignment.user_id).where(RoleAssignment.role == bindparam("role"))
        if in_organisation:
            holders = holders.where(RoleAssignment.organisation_code == bindparam("organisation"))
        conditions = [User.id.in_(holders)]
        if excluding:
            conditions.append(User.username != bindparam("exclude"))
    if digest:
        return select(User.id, User.username, User.email, null()).where(User.active, *conditions)
    return (
        select(User.id, User.username, User.email, NotificationPreference.delivery)
        .outerjoin(
            NotificationPreference,
            (NotificationPreference.user_id == User.id)
            & (NotificationPreference.kind == bindparam("kind")),
        )
        .where(User.active, *conditions)
    )


def _create(
    session: Session,
    users: list[_Recipient],
    kind: str,
    task: HumanTask | None,
    draft_id: int | None,
    period: str,
    params: Mapping[str, Any] | None,
    now: datetime | None,
) -> list[Notified]:
    if not users:
        return []
    facts: dict[str, Any] = task_facts(session, task) if task is not None else {}
    if task is None and draft_id is not None and "draft_code" not in (params or {}):
        draft = session.get(Draft, draft_id)
        if draft is not None:
            facts.update(draft_facts(draft))
    facts.update(params or {})
    draft_id = draft_id if draft_id is not None else facts.get("draft_id")
    topic = f"task:{task.id}" if task is not None else (f"draft:{draft_id}" if draft_id else "")
    moment = now or clock.now()
    task_id = task.id if task is not None else None
    rows = [
        _row(user, kind, topic, period, task_id, draft_id, facts, moment)
        for user in sorted(users, key=lambda user: user.username)
    ]
    # One multi-row INSERT for every recipient (the rows already there come back as nothing),
    # then one for their outbox rows: a step that offers a task to a whole group costs two
    # statements, not three per person. Core, not the ORM's bulk path: nothing here needs
    # the objects, and that path costs more than the statements.
    statement = _insert_ignoring_duplicates(
        _dialect(session), Notification.__table__, _KEY, returning=("id", "recipient", "delivery")
    )
    created = [
        Notified(id=row.id, recipient=row.recipient, delivery=row.delivery)
        for row in session.execute(statement, rows)
    ]
    enqueue(session, [row.id for row in created if row.delivery == IMMEDIATE], moment)
    return sorted(created, key=lambda row: row.recipient)


def _row(
    user: _Recipient,
    kind: str,
    topic: str,
    period: str,
    task_id: str | None,
    draft_id: int | None,
    params: Mapping[str, Any],
    moment: datetime,
) -> dict[str, Any]:
    """One ``notification`` row for ``user``: e-mail that cannot be sent (no address) is
    marked so, whatever the user chose, unless they turned the kind off."""
    delivery = user.delivery
    if not user.email and delivery != "off":
        delivery = NO_ADDRESS
    return {
        "recipient": user.username,
        "kind": kind,
        "topic": topic,
        "period": period[:60],
        "task_id": task_id,
        "draft_id": draft_id,
        "params": params,
        "delivery": delivery,
        "created_at": moment,
    }


@dataclass(frozen=True)
class Notice:
    """One message of a batch for :func:`notify_each`: a draft's topic told to a group."""

    recipients: frozenset[str]
    draft_id: int
    period: str
    #: every fact the message names, the draft's code and title included (nothing is
    #: looked up per notice)
    params: Mapping[str, Any]


def notify_each(
    session: Session, kind: str, notices: Sequence[Notice], *, now: datetime | None = None
) -> int:
    """:func:`notify_users` for many drafts at once; returns how many rows were created.

    A daily check can find thousands of drafts to tell at once (a fifth of 100 k drafts
    late). One query finds every recipient's address and delivery; the rows go in
    multi-row ``INSERT ... ON CONFLICT DO NOTHING`` statements (SQLAlchemy pages them),
    then their outbox rows: a few statements in all, not four per draft, so the write
    transaction is short.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    names = sorted({name for notice in notices for name in notice.recipients})
    if not names:
        return 0
    statement = _users_statement("names", False, False, kind == DIGEST_KIND)
    users = {
        user.username: user
        for user in _active_users(session, kind, statement, {"kind": kind, "names": names})
    }
    moment = now or clock.now()
    rows = [
        _row(
            users[name],
            kind,
            f"draft:{notice.draft_id}",
            notice.period,
            None,
            notice.draft_id,
            dict(notice.params),
            moment,
        )
        for notice in notices
        for name in sorted(notice.recipients)
        if name in users  # unknown and inactive usernames are skipped
    ]
    if not rows:
        return 0
    statement = _insert_ignoring_duplicates(
        _dialect(session), Notification.__table__, _KEY, returning=("id", "delivery")
    )
    created = session.execute(statement, rows).all()
    enqueue(session, [row.id for row in created if row.delivery == IMMEDIATE], moment)
    return len(created)


def notify(
    session: Session,
    recipient: str,
    kind: str,
    *,
    task: HumanTask | None = None,
    draft_id: int | None = None,
    period: str = "",
    params: Mapping[str, Any] | None = None,
) -> Notified | None:
    """Notify one user (see :func:`notify_users`); None when it was already notified."""
    rows = notify_users(
        session, [recipient], kind, task=task, draft_id=draft_id, period=period, params=params
    )
    return rows[0] if rows else None


def enqueue(session: Session, notification_ids: list[int], moment: datetime) -> None:
    """Put the notifications' e-mails in the outbox (once: the row is unique per
    notification)."""
    if not notification_ids:
        return
    session.execute(
        _insert_ignoring_duplicates(
            _dialect(session), OutboxMessage.__table__, ("notification_id",)
        ),
        [
            {
                "notification_id": notification_id,
                "state": PENDING,
                "attempts": 0,
                "next_attempt_at": moment,
                "created_at": moment,
                "updated_at": moment,
            }
            for notification_id in notification_ids
        ],
    )


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _cached_insert_class(base: type[Any]) -> type[Any]:
    """The dialect's ``Insert`` with its ON CONFLICT target in the statement's cache key.

    SQLAlchemy's dialect inserts leave the ON CONFLICT clause out of the cache key and so
    opt out of the compiled cache (``inherit_cache = False``; the clause has no cache key):
    every notification was compiled anew, on every step that opens a task. Here the key
    holds the conflict target in place of the clause — the only thing
    :func:`_insert_ignoring_duplicates` varies in it — so statements that differ there never
    share a compiled form.
    """
    return type(
        f"{base.__name__}IgnoringDuplicates",
        (base,),
        {
            "inherit_cache": True,
            "_cache_key_traversal": [
                *(item for item in base._traverse_internals if item[0] != "_post_values_clause"),
                ("_conflict_target", InternalTraversal.dp_string_list),
            ],
            "_conflict_target": (),
        },
    )


_INSERTS: dict[str, type[Any]] = {
    "postgresql": _cached_insert_class(postgresql.Insert),
    "sqlite": _cached_insert_class(sqlite.Insert),
}


@functools.lru_cache(maxsize=16)
def _insert_ignoring_duplicates(
    dialect: str, table: Table, key: tuple[str, ...], *, returning: tuple[str, ...] = ()
) -> Any:
    """``INSERT ... ON CONFLICT (key) DO NOTHING [RETURNING ...]``, built once per table."""
    if dialect not in _INSERTS:  # pragma: no cover - Lexflow runs on SQLite and PostgreSQL
        return insert(table)
    statement = _INSERTS[dialect](table).on_conflict_do_nothing(index_elements=list(key))
    statement._conflict_target = key
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
    return statement
