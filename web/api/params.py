"""Reading query parameters strictly: a bad value is a 400 with a sentence, never a 500.

Pages may quietly fall back to a default; a script that sends ``limit=lots`` is better told
than silently given something else.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from flask import request
from werkzeug.exceptions import BadRequest

MAX_LIMIT = 100
DEFAULT_LIMIT = 25


def text(name: str, max_length: int = 200) -> str | None:
    value = request.args.get(name, "").strip()
    if len(value) > max_length:
        raise BadRequest(f"{name} is longer than {max_length} characters")
    return value or None


def integer(
    name: str, default: int | None = None, *, minimum: int = 0, maximum: int | None = None
) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a whole number, not '{raw[:40]}'") from exc
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"{minimum} or more"
        raise BadRequest(f"{name} must be {bound}")
    return value


def boolean(name: str) -> bool:
    raw = request.args.get(name, "").strip().lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise BadRequest(f"{name} must be true or false, not '{raw[:40]}'")


def choice(name: str, allowed: Collection[str], default: str | None = None) -> str | None:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    if value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(sorted(allowed))}")
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
