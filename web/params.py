"""Reading query parameters strictly: a bad value is a 400 with a sentence, never a 500.

Shared by the pages and the API, so ``?page=abc`` gets the same answer everywhere (in the
user's language), and a script that sends ``limit=lots`` is told rather than silently given
something else.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

MAX_LIMIT = 100
#: The largest value an integer column holds on PostgreSQL.
MAX_INTEGER = 2**31 - 1
DEFAULT_LIMIT = 25


def text(name: str, max_length: int = 200) -> str | None:
    value = request.args.get(name, "").strip()
    if len(value) > max_length:
        raise BadRequest(_("%(name)s is longer than %(n)s characters.", name=name, n=max_length))
    return value or None


def integer(
    name: str,
    default: int | None = None,
    *,
    minimum: int = 0,
    maximum: int | None = None,
    args: Mapping[str, str] | None = None,
) -> int | None:
    """``args``: read these instead of the request's query string (a saved inbox filter)."""
    raw = (request.args if args is None else args).get(name, "")
    return whole(raw, name, default, minimum=minimum, maximum=maximum)


def whole(
    raw: str | None,
    name: str,
    default: int | None = None,
    *,
    minimum: int = 0,
    maximum: int | None = None,
) -> int | None:
    """A whole number from any text (query string or form field), or ``default`` if empty."""
    raw = (raw or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest(
            _("%(name)s must be a whole number, not '%(value)s'.", name=name, value=raw[:40])
        ) from exc
    # Unbounded still means "fits the database's integer columns": ids, years, offsets.
    maximum = MAX_INTEGER if maximum is None else maximum
    if not minimum <= value <= maximum:
        raise BadRequest(
            _(
                "%(name)s must be between %(low)s and %(high)s.",
                name=name,
                low=minimum,
                high=maximum,
            )
        )
    return value


def boolean(name: str) -> bool:
    raw = request.args.get(name, "").strip().lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise BadRequest(
        _("%(name)s must be true or false, not '%(value)s'.", name=name, value=raw[:40])
    )


def choice(
    name: str,
    allowed: Collection[str],
    default: str | None = None,
    *,
    args: Mapping[str, str] | None = None,
) -> str | None:
    value = (request.args if args is None else args).get(name, "").strip()
    if not value:
        return default
    if value not in allowed:
        raise BadRequest(
            _("%(name)s must be one of: %(values)s.", name=name, values=", ".join(sorted(allowed)))
        )
    return value


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def page(default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> Page:
    """``limit`` (1..maximum) and ``offset`` (0 or more) from the query string."""
    limit = integer("limit", default, minimum=1, maximum=maximum)
    offset = integer("offset", 0, minimum=0, maximum=1_000_000)
    assert limit is not None and offset is not None  # noqa: S101 - defaults given
    return Page(limit, offset)
