"""Stopping a draft: an administrator cancels, suspends or resumes the process behind it.

A draft that turned out wrong (a duplicate, a plan item withdrawn) is cancelled for good: its
open steps close, its status becomes ``cancelled`` and its stage ``dropped``, and its plan
item counts as dropped. A draft waiting on something outside the procedure (a superior
document still being amended) is suspended: nobody can submit its steps until it is resumed.

Only administrators may do this, and cancelling or suspending needs a reason, because the
drafting agency sees the draft stop without having decided it; the reason is written into
the instance's audit chain by the engine (``Engine.cancel/suspend/resume``). The draft's own
status follows in the same transaction, so lists, the plan and the API agree at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from engine import Actor, Conflict, Engine, Forbidden, InvalidData, Message, clock
from engine.models import AuditEvent
from workflows.drafts import Draft

REASON_MIN, REASON_MAX = 5, 2000
#: The shape the three operations share, for the doors that dispatch on a name.
Operation = Callable[[Session, Engine, Actor, Draft, str | None], Draft]
#: Statuses of a draft whose process has ended on its own (adopted, signed or dropped).
FINISHED = frozenset({"done", "dropped"})


def cancel_draft(
    session: Session, engine: Engine, actor: Actor, draft: Draft, reason: str | None
) -> Draft:
    """End the draft's process for good; the draft becomes ``cancelled`` (stage ``dropped``).

    A suspended draft may be cancelled too. Raises Forbidden (not an administrator),
    InvalidData (reason missing or too long) or Conflict (finished or already cancelled).
    """
    text = _checked(actor, draft, reason, required=True)
    if draft.status in FINISHED:
        raise Conflict(
            Message("draft %(code)s is finished: there is nothing to cancel", code=draft.code)
        )
    engine.cancel(_instance(draft), actor=actor, reason=text, session=session)
    return _set(draft, "cancelled", stage="dropped")


def suspend_draft(
    session: Session, engine: Engine, actor: Actor, draft: Draft, reason: str | None
) -> Draft:
    """Put an active draft on hold: its steps cannot be submitted until it is resumed."""
    text = _checked(actor, draft, reason, required=True)
    if draft.status == "suspended":
        raise Conflict(Message("draft %(code)s is already suspended", code=draft.code))
    if draft.status in FINISHED:
        raise Conflict(
            Message("draft %(code)s is finished: there is nothing to suspend", code=draft.code)
        )
    engine.suspend(_instance(draft), actor=actor, reason=text, session=session)
    return _set(draft, "suspended")


def resume_draft(
    session: Session, engine: Engine, actor: Actor, draft: Draft, reason: str | None = None
) -> Draft:
    """Let work on a suspended draft continue where it stopped (the reason is optional)."""
    text = _checked(actor, draft, reason, required=False)
    if draft.status != "suspended":
        raise Conflict(Message("draft %(code)s is not suspended", code=draft.code))
    engine.resume(_instance(draft), actor=actor, reason=text, session=session)
    return _set(draft, "active")


def last_suspension(events: Sequence[AuditEvent]) -> AuditEvent | None:
    """The audit event that suspended the instance, if it is suspended now (who, when, why):
    what the draft and task pages show instead of buttons the engine would refuse."""
    for event in reversed(events):
        if event.action in ("suspend", "resume", "cancel"):
            return event if event.action == "suspend" else None
    return None


def _checked(actor: Actor, draft: Draft, reason: str | None, *, required: bool) -> str | None:
    """The stripped reason, after the checks every operation shares (in the order a person
    would want to hear them: may I, does it still make sense, what did I type)."""
    if not actor.is_admin:
        raise Forbidden(Message("only administrators may cancel, suspend or resume a draft"))
    if draft.status == "cancelled":
        raise Conflict(Message("draft %(code)s is cancelled", code=draft.code))
    text = (reason or "").strip()
    if not text and not required:
        return None
    if not REASON_MIN <= len(text) <= REASON_MAX:
        message = Message(
            "the reason needs %(min)s to %(max)s characters", min=REASON_MIN, max=REASON_MAX
        )
        raise InvalidData(message, details=[{"field": "reason", "message": message}])
    return text


def _instance(draft: Draft) -> int:
    if draft.instance_id is None:
        raise Conflict(Message("draft %(code)s has no process", code=draft.code))
    return draft.instance_id


def _set(draft: Draft, status: str, *, stage: str | None = None) -> Draft:
    draft.status = status
    if stage is not None:
        draft.stage = stage
    draft.updated_at = clock.now()
    return draft
