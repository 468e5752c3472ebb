"""Organisations, users and the roles they hold in organisations.

This is the engine's :class:`~engine.authorization.ActorDirectory` for the drafting domain: a
user holding ``appraiser`` in ``STP`` is offered the appraisal tasks whose lane resolves to
the Department of Justice. Passwords and API tokens live in :mod:`workflows.accounts`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import Actor, Database, RoleGrant
from engine.models import Base
from workflows import search


class Organisation(Base):
    """A body that drafts, appraises, examines, adopts or is consulted."""

    __tablename__ = "organisation"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    # province_hdnd, province_ubnd, department, hdnd_committee, office, mttq, commune_*, ...
    kind: Mapped[str] = mapped_column(String(40))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("organisation.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # fold(code + name_vi), what the administration's text filter searches.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    _keep_search_text = search.folded_column_of("search_text", "code", "name_vi")


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # Bumped on sign-out, password change and deactivation; a session cookie carries the
    # value it was issued with, so every older cookie (a copied one too) stops working.
    auth_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # fold(username + full_name), what the administration's text filter searches.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    _keep_search_text = search.folded_column_of("search_text", "username", "full_name")


class RoleAssignment(Base):
    """User ``user_id`` holds ``role`` in ``organisation_code``."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "role", "organisation_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    organisation_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"))


# Statements every request runs, built once (building one and its cache key costs about as
# much as running it here).
_GRANTS = select(RoleAssignment.role, RoleAssignment.organisation_code).where(
    RoleAssignment.user_id == bindparam("user_id")
)
_USER_BY_NAME = select(User).where(User.username == bindparam("username"))


def grants_of(session: Session, user: User) -> frozenset[RoleGrant]:
    rows = session.execute(_GRANTS, {"user_id": user.id}).all()
    return frozenset(RoleGrant(role, org) for role, org in rows)


def actor_of(session: Session, user: User) -> Actor:
    grants = grants_of(session, user)
    return Actor(
        id=user.username,
        grants=grants,
        is_admin=any(grant.role == "admin" for grant in grants),
        display_name=user.full_name,
    )


def find_user(session: Session, username: str) -> User | None:
    return session.execute(_USER_BY_NAME, {"username": username}).scalar_one_or_none()


class DomainDirectory:
    """Resolves usernames to engine actors from the user tables (active users only)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, actor_id: str) -> Actor | None:
        with self.db.read() as session:
            user = find_user(session, actor_id)
            if user is None or not user.active:
                return None
            return actor_of(session, user)


def active_organisations(session: Session) -> list[Organisation]:
    """Every active organisation, by Vietnamese name: what pickers of organisations offer."""
    return list(
        session.execute(
            select(Organisation).where(Organisation.active).order_by(Organisation.name_vi)
        ).scalars()
    )


def organisation_names(session: Session, language: str = "vi") -> dict[str, str]:
    """code -> name in ``language`` ("vi", else English; the Vietnamese name when the
    organisation has no English one)."""
    if language == "vi":
        return dict(session.execute(_NAMES_VI).all())
    return {code: name_en or name_vi for code, name_vi, name_en in session.execute(_NAMES)}


_NAMES_VI = select(Organisation.code, Organisation.name_vi)
_NAMES = select(Organisation.code, Organisation.name_vi, Organisation.name_en)
