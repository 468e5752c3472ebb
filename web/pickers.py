"""Choices a page offers for fields that name an organisation, a user or a role.

The values are codes (``BAN_PC_TINH``), computed per task by the engine from the form's
``x-choices`` expression and enforced again when the step is submitted; the page shows each by
its name in the reader's language. The administrator's re-routing of a task offers every active
organisation and every role a lane may hold.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.specs import UserTaskInfo
from web.forms import Choice
from web.templating import org_name, role_name
from workflows.directory import Organisation, User
from workflows.roles import lane_roles


def _label(session: Session, picker: str | None, value: Any) -> str:
    code = str(value)
    if picker == "organisation":
        return org_name(code)
    if picker == "role":
        return role_name(code)
    if picker == "user":
        user = session.execute(select(User).where(User.username == code)).scalar_one_or_none()
        return f"{user.full_name} ({code})" if user else code
    return code


def choices(
    session: Session, allowed: dict[str, list[Any]], info: UserTaskInfo | None
) -> dict[str, list[Choice]]:
    """Each dynamic field's allowed values as labelled choices."""
    props = ((info.form_schema if info else None) or {}).get("properties") or {}
    result: dict[str, list[Choice]] = {}
    for name, values in allowed.items():
        picker = (props.get(name) or {}).get("x-picker")
        result[name] = [Choice(str(v), _label(session, picker, v)) for v in values]
    return result


def reroute_options(session: Session) -> dict[str, list[Choice]]:
    """What an administrator may send a task to: active organisations, lane roles."""
    organisations = session.execute(
        select(Organisation.code).where(Organisation.active).order_by(Organisation.code)
    ).scalars()
    return {
        "organisations": sorted(
            (Choice(code, org_name(code)) for code in organisations), key=lambda c: c.label
        ),
        "roles": sorted(
            (Choice(code, role_name(code)) for code in lane_roles(session)), key=lambda c: c.label
        ),
    }
