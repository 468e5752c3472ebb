"""Creating users, checking passwords (argon2), the password policy, and API tokens.

Sign-in says nothing about an account beyond "right or wrong": an unknown, disabled or
formerly locked account gets the same answer after the same argon2 work. There is no hard
account lock (anyone could lock anyone out by typing wrong passwords); guessing is throttled
per address and per account by the web layer (``web.throttle``).

Passwords must be at least ``MIN_PASSWORD`` characters and hard to guess by the zxcvbn
estimator (score ``MIN_STRENGTH`` of 4, the user's own name and username counting against).

Credentials end together: :func:`end_sessions` bumps ``auth_epoch`` (every session cookie
issued before stops working); :func:`retire_credentials` also revokes every API token, on a
password change and a deactivation, so re-enabling an account brings no old token back.
Tokens are random 32-byte strings shown once; only their SHA-256 is stored.

The argon2 work is RFC 9106's low-memory profile (about 0.1 s of two cores per sign-in).
``LEXFLOW_INSECURE_FAST_PASSWORD_HASHING=1`` swaps in argon2's cheapest parameters: the test
suite signs in thousands of times and would spend minutes hashing; the web app refuses to
start with it outside testing (``web.create_app``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ForeignKey, Integer, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from zxcvbn import zxcvbn

from engine import InvalidData, Message, NotFound, audit, clock
from engine.models import Base
from workflows.directory import Organisation, RoleAssignment, User, find_user
from workflows.roles import role_codes

MIN_PASSWORD = 10
#: zxcvbn's score (0-4) a password needs: 3 is "safely unguessable" for online attacks.
MIN_STRENGTH = 3
#: zxcvbn refuses longer inputs; the first 72 characters decide (longer only gets stronger).
_STRENGTH_WINDOW = 72
#: How stale an API token's ``last_used_at`` may get before a request refreshes it.
TOKEN_USE_RESOLUTION = timedelta(minutes=5)
FAST_HASHING_VARIABLE = "LEXFLOW_INSECURE_FAST_PASSWORD_HASHING"


def insecure_fast_hashing() -> bool:
    """Whether the process hashes passwords with argon2's cheapest parameters (tests only)."""
    return os.environ.get(FAST_HASHING_VARIABLE, "") == "1"


_hasher = PasswordHasher.from_parameters(
    profiles.CHEAPEST if insecure_fast_hashing() else profiles.RFC_9106_LOW_MEMORY
)


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


def check_password_policy(password: str, personal: Iterable[str] = ()) -> None:
    """Refuse a short or guessable password with a sentence saying what to do instead.

    ``personal``: the user's username, name, e-mail; a password built from them is weak."""
    if len(password) < MIN_PASSWORD:
        raise InvalidData(Message("a password needs at least %(n)s characters", n=MIN_PASSWORD))
    inputs = [part for value in personal if value for part in (value, *value.split())]
    estimate = zxcvbn(password[:_STRENGTH_WINDOW], user_inputs=inputs)
    if estimate["score"] < MIN_STRENGTH:
        raise InvalidData(
            Message(
                "this password is too easy to guess; use a longer phrase of several unrelated "
                "words, or mix words, digits and symbols, and avoid your name and common words"
            )
        )


def hash_password(password: str, personal: Iterable[str] = ()) -> str:
    """Check the policy, then hash with argon2."""
    check_password_policy(password, personal)
    return _hasher.hash(password)


def personal_words(user: User) -> list[str]:
    """What a password of ``user`` must not be built from."""
    return [user.username, user.full_name, user.email or ""]


#: Verified when there is no real hash to verify, so every refusal costs the same argon2 work.
_DUMMY_HASH = _hasher.hash("lexflow-timing-equaliser")


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    # None on success, else "invalid" - for an unknown, disabled or wrong-password account
    # alike, so that nothing tells a guesser which usernames exist or are disabled.
    reason: str | None


def check_login(session: Session, username: str, password: str) -> LoginResult:
    """Verify a password; may rehash it (the caller commits the session)."""
    user = find_user(session, username.strip())
    stored = user.password_hash if user is not None and user.active else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return LoginResult(None, "invalid")
    if user is None or stored is None:
        return LoginResult(None, "invalid")
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return LoginResult(user, None)


def end_sessions(user: User) -> None:
    """Every session cookie issued to ``user`` so far stops working (on every device)."""
    user.auth_epoch = (user.auth_epoch or 0) + 1


def set_password(session: Session, user: User, password: str, *, by: str) -> None:
    """A new password (policy-checked): older sessions and every API token end."""
    user.password_hash = hash_password(password, personal_words(user))
    user.failed_logins, user.locked_until = 0, None
    retire_credentials(session, user, by=by, reason="password")


def set_active(session: Session, user: User, active: bool, *, by: str) -> None:
    """Enable or disable ``user``; disabling ends its sessions and revokes its tokens for good."""
    user.active = active
    if not active:
        retire_credentials(session, user, by=by, reason="deactivated")


def retire_credentials(session: Session, user: User, *, by: str, reason: str) -> int:
    """End ``user``'s sessions and revoke all live API tokens; returns how many were revoked."""
    end_sessions(user)
    now = clock.now()
    live = session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
    ).scalars()
    revoked = []
    for row in live:
        row.revoked, row.revoked_at = True, now
        revoked.append(row.id)
    if revoked:
        audit.append_stream_event(
            session,
            f"user:{user.username}",
            actor=by,
            action="revoke_tokens",
            data={"token_ids": revoked, "reason": reason},
        )
    session.flush()
    return len(revoked)


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
        password_hash=(
            hash_password(password, [username, full_name, email or ""]) if password else None
        ),
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
    # Token and user in one statement: every API request starts here.
    found = session.execute(_TOKEN_USER, {"digest": _digest(token)}).one_or_none()
    if found is None:
        return None
    token_id, last, user = found
    if not user.active:
        return None
    return TokenUse(user, token_id, last is None or clock.now() - last >= TOKEN_USE_RESOLUTION)


_TOKEN_USER = (
    select(ApiToken.id, ApiToken.last_used_at, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_sha256 == bindparam("digest"), ApiToken.revoked.is_(False))
)


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
