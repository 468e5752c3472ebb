"""Saved inbox filters: a named set of inbox query parameters kept on the server.

A civil servant saves the list they look at often ("urgent drafts of my agency to follow up
today") under a name and may share it with one of their own organisations; the filter then
appears as an inbox tab for them and for their colleagues there. Only the owner renames,
re-shares or deletes it. What the parameters mean is the inbox's business (the web layer
checks them before they get here); this module keeps who may see and change which filter,
and writes every change to the audit stream ``inbox_filter:<id>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, bindparam, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import Actor, Forbidden, InvalidData, Message, NotFound, audit, clock
from engine.models import Base

NAME_LENGTH = 100
MAX_PARAMS = 20
VALUE_LENGTH = 100


class SavedInboxFilter(Base):
    __tablename__ = "saved_inbox_filter"
    __table_args__ = (UniqueConstraint("owner", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    owner: Mapped[str] = mapped_column(String(100))  # the owner's username
    # The inbox's query parameters, {name: value} (checked by the web layer).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    shared_with_organisation: Mapped[str | None] = mapped_column(
        ForeignKey("organisation.code"), index=True
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


def own_organisations(actor: Actor) -> list[str]:
    """The organisations ``actor`` holds a role in: the ones they may share a filter with."""
    return sorted({grant.organisation for grant in actor.grants if grant.organisation})


def visible_filters(session: Session, actor: Actor) -> list[SavedInboxFilter]:
    """The actor's own filters and those shared with their organisations, by name."""
    shared = own_organisations(actor)
    return list(session.execute(_VISIBLE, {"owner": actor.id, "shared": shared}).scalars())


#: Built once (every inbox page runs it); an empty ``shared`` matches nothing.
_VISIBLE = (
    select(SavedInboxFilter)
    .where(
        or_(
            SavedInboxFilter.owner == bindparam("owner"),
            SavedInboxFilter.shared_with_organisation.in_(bindparam("shared", expanding=True)),
        )
    )
    .order_by(SavedInboxFilter.name, SavedInboxFilter.id)
)


def visible_filter(session: Session, actor: Actor, filter_id: int) -> SavedInboxFilter:
    """One filter the actor may use; NotFound for any other (ids cannot be probed)."""
    row = session.get(SavedInboxFilter, filter_id)
    if row is None or not (
        row.owner == actor.id or row.shared_with_organisation in own_organisations(actor)
    ):
        raise NotFound(Message("no saved filter %(id)s", id=filter_id))
    return row


def _owned(session: Session, actor: Actor, filter_id: int) -> SavedInboxFilter:
    row = visible_filter(session, actor, filter_id)
    if row.owner != actor.id:
        raise Forbidden(Message("only %(owner)s may change this saved filter", owner=row.owner))
    return row


def _checked_name(session: Session, actor: Actor, name: str, keep: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= NAME_LENGTH:
        raise InvalidData(
            Message("give the filter a name (1 to %(n)s characters)", n=NAME_LENGTH),
            details=[{"field": "name", "message": Message("this field is required")}],
        )
    clash = session.execute(
        select(SavedInboxFilter.id).where(
            SavedInboxFilter.owner == actor.id, SavedInboxFilter.name == name
        )
    ).scalar()
    if clash is not None and clash != keep:
        raise InvalidData(
            Message("you already have a filter named '%(name)s'", name=name),
            details=[{"field": "name", "message": Message("this name is taken")}],
        )
    return name


def _checked_share(actor: Actor, organisation: str | None) -> str | None:
    organisation = (organisation or "").strip() or None
    if organisation is not None and organisation not in own_organisations(actor):
        raise Forbidden(
            Message(
                "you may share a filter only with an organisation you belong to, not "
                "%(organisation)s",
                organisation=organisation,
            )
        )
    return organisation


def _checked_params(params: Mapping[str, str]) -> dict[str, str]:
    kept = {str(key): str(value) for key, value in params.items() if value not in (None, "")}
    if len(kept) > MAX_PARAMS or any(
        len(key) > VALUE_LENGTH or len(value) > VALUE_LENGTH for key, value in kept.items()
    ):
        raise InvalidData(Message("the filter has too many or too long parameters"))
    return kept


def _snapshot(row: SavedInboxFilter) -> dict[str, Any]:
    return {
        "name": row.name,
        "owner": row.owner,
        "params": dict(row.params),
        "shared_with_organisation": row.shared_with_organisation,
    }


def create_filter(
    session: Session,
    actor: Actor,
    name: str,
    params: Mapping[str, str],
    shared_with_organisation: str | None = None,
) -> SavedInboxFilter:
    """Save ``params`` under ``name`` for ``actor`` (and the organisation it is shared with)."""
    now = clock.now()
    row = SavedInboxFilter(
        name=_checked_name(session, actor, name),
        owner=actor.id,
        params=_checked_params(params),
        shared_with_organisation=_checked_share(actor, shared_with_organisation),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit.append_stream_event(
        session,
        f"inbox_filter:{row.id}",
        actor=actor.id,
        action="inbox_filter_created",
        data=_snapshot(row),
    )
    return row


def update_filter(
    session: Session,
    actor: Actor,
    filter_id: int,
    name: str,
    shared_with_organisation: str | None,
) -> SavedInboxFilter:
    """Rename and (re-)share one of the actor's filters; Forbidden for somebody else's."""
    row = _owned(session, actor, filter_id)
    before = _snapshot(row)
    row.name = _checked_name(session, actor, name, keep=row.id)
    row.shared_with_organisation = _checked_share(actor, shared_with_organisation)
    after = _snapshot(row)
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changed:
        row.updated_at = clock.now()
        audit.append_stream_event(
            session,
            f"inbox_filter:{row.id}",
            actor=actor.id,
            action="inbox_filter_updated",
            data=changed,
        )
    session.flush()
    return row


def delete_filter(session: Session, actor: Actor, filter_id: int) -> dict[str, Any]:
    """Delete one of the actor's filters; what it was (the audit stream keeps it too)."""
    row = _owned(session, actor, filter_id)
    snapshot = _snapshot(row)
    audit.append_stream_event(
        session,
        f"inbox_filter:{row.id}",
        actor=actor.id,
        action="inbox_filter_deleted",
        data=snapshot,
    )
    session.delete(row)
    session.flush()
    return snapshot
