"""Creating users, checking passwords (argon2) with lock-out, and API tokens for scripts.

Lock-out: after ``MAX_FAILURES`` wrong passwords in a row an account is locked for
``LOCK_MINUTES``; a correct password resets the counter. Tokens are random 32-byte strings
shown once; only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import InvalidData, Message, NotFound, audit, clock
from engine.models import Base
from workflows.directory import Organisation, RoleAssignment, User, find_user
from workflows.roles import role_codes

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10
#: How stale an API token's ``last_used_at`` may get before a request refreshes it.
TOKEN_USE_RESOLUTION = timedelta(minutes=5)
_hasher = PasswordHasher()


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[datetime | None]


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidData(Message("a password needs at least %(n)s characters", n=MIN_PASSWORD))
    return _hasher.hash(password)


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str | None  # None on success; else "invalid", "locked", "inactive"
    locked_until: datetime | None = None


def check_login(session: Session, username: str, password: str) -> LoginResult:
    """Verify a password, counting failures; the caller commits the session."""
    user = find_user(session, username.strip())
    now = clock.now()
    if user is None or user.password_hash is None:
        _hasher.hash("timing-equaliser")  # do not reveal which usernames exist
        return LoginResult(None, "invalid")
    if not user.active:
        return LoginResult(None, "inactive")
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(None, "locked", user.locked_until)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            return LoginResult(None, "locked", user.locked_until)
        return LoginResult(None, "invalid")
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return LoginResult(user, None)


def create_user(
    session: Session,
    username: str,
    full_name: str,
    password: str | None,
    grants: Iterable[tuple[str, str]] = (),
    *,
    email: str | None = None,
    language: str = "vi",
) -> User:
    username = username.strip().lower()
    if not username or len(username) > 100 or not all(c.isalnum() or c in "._-" for c in username):
        raise InvalidData(Message("a username uses letters, digits, '.', '_' and '-' only"))
    if find_user(session, username) is not None:
        raise InvalidData(Message("the username '%(name)s' is taken", name=username))
    user = User(
        username=username,
        full_name=full_name.strip() or username,
        email=email,
        password_hash=hash_password(password) if password else None,
        language=language if language in ("vi", "en") else "vi",
        active=True,
        failed_logins=0,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    for role, organisation in grants:
        grant_role(session, user, role, organisation)
    return user


def grant_role(session: Session, user: User, role: str, organisation: str) -> RoleAssignment:
    if role not in role_codes(session):
        raise InvalidData(Message("'%(role)s' is not a role", role=role))
    if session.get(Organisation, organisation) is None:
        raise InvalidData(Message("no organisation '%(code)s'", code=organisation))
    existing = session.execute(
        select(RoleAssignment).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.role == role,
            RoleAssignment.organisation_code == organisation,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    assignment = RoleAssignment(user_id=user.id, role=role, organisation_code=organisation)
    session.add(assignment)
    session.flush()
    return assignment


def revoke_role(session: Session, user: User, role: str, organisation: str) -> None:
    assignment = session.execute(
        select(RoleAssignment).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.role == role,
            RoleAssignment.organisation_code == organisation,
        )
    ).scalar_one_or_none()
    if assignment is None:
        raise NotFound(
            Message(
                "%(user)s does not hold %(role)s in %(organisation)s",
                user=user.username,
                role=role,
                organisation=organisation,
            )
        )
    session.delete(assignment)
    session.flush()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, name: str) -> str:
    """Create an API token; the plain value is returned once and never stored."""
    token = "lxf_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            name=name.strip()[:100] or "script",
            token_sha256=_digest(token),
            created_at=clock.now(),
            revoked=False,
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class TokenUse:
    """Who a bearer token signs in, and whether its recorded last use is stale."""

    user: User
    token_id: int
    stale: bool


def user_for_token(session: Session, token: str) -> TokenUse | None:
    """Resolve a token without writing: most requests only read, and a write per request
    would take SQLite's write lock and add to PostgreSQL's WAL for a figure people read in
    days. When ``stale``, the caller records the use with :func:`record_token_use`."""
    if not token.startswith("lxf_"):
        return None
    row = session.execute(
        select(ApiToken).where(ApiToken.token_sha256 == _digest(token), ApiToken.revoked.is_(False))
    ).scalar_one_or_none()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    last = row.last_used_at
    return TokenUse(user, row.id, last is None or clock.now() - last >= TOKEN_USE_RESOLUTION)


def record_token_use(session: Session, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is not None:
        row.last_used_at = clock.now()


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's own tokens, newest first (revoked ones too: the list is their history)."""
    return list(
        session.execute(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        ).scalars()
    )


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s tokens; it stops signing requests in at once.

    Another user's token is :class:`NotFound`, exactly like a token that does not exist, so
    ids reveal nothing. Revoking twice changes nothing and is audited once, in the user's
    stream (``user:<username>``).
    """
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(Message("no API token %(id)s", id=token_id))
    if not row.revoked:
        row.revoked = True
        row.revoked_at = clock.now()
        audit.append_stream_event(
            session,
            f"user:{user.username}",
            actor=user.username,
            action="revoke_token",
            data={"token_id": row.id, "name": row.name},
        )
        session.flush()
    return row
