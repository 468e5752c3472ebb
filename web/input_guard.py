"""Refusing malformed input before any view sees it: one 400 with a sentence instead of a
database error deep inside a request.

PostgreSQL refuses NUL characters in text and (SQLite aside) every id column is a 32-bit
integer; Python's JSON parser accepts lone UTF-16 surrogates (which no database or encoder
accepts) and recurses on nesting until it overflows. So, for every request:

- a NUL character anywhere in the path, query string, form fields (names and values, upload
  file names) or JSON body is a 400;
- a JSON body must parse, nest at most ``MAX_JSON_DEPTH`` deep and hold no lone surrogates;
- ``<int:...>`` route parts accept 0 .. ``MAX_ID`` only (anything above is a 404, whatever the
  method: Werkzeug would answer 405 to a POST whose path has a GET-only twin).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import IntegerConverter, ValidationError

#: The largest value of an id column (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1
MAX_JSON_DEPTH = 32


class IdConverter(IntegerConverter):
    """Werkzeug's ``int`` converter, bounded by the database's integer range by default."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        # Werkzeug turns a ValidationError here into "no match, but these methods would
        # match" (the GET twin of a POST-only rule), i.e. 405 for an id that does not exist.
        try:
            return super().to_python(value)
        except ValidationError as exc:
            raise NotFound() from exc


def _nul(values: Iterable[str]) -> bool:
    return any("\x00" in value for value in values if isinstance(value, str))


def _refuse_nul() -> None:
    raise BadRequest(_("The request contains a NUL character, which no field may hold."))


def _check_json(body: Any) -> None:
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_JSON_DEPTH:
            raise BadRequest(_("The JSON body nests deeper than %(n)s levels.", n=MAX_JSON_DEPTH))
        if isinstance(value, dict):
            for key, item in value.items():
                _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_text(value)


def _check_text(value: str) -> None:
    if "\x00" in value:
        _refuse_nul()
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadRequest(
            _("The JSON body contains an invalid character (a lone UTF-16 surrogate).")
        ) from exc


def refuse_malformed_input() -> None:
    """``before_request``: 400 for NUL characters, runaway JSON and lone surrogates."""
    if "\x00" in request.path or _nul(request.args.keys()) or _nul(request.args.values()):
        _refuse_nul()
    if request.view_args and _nul(str(v) for v in request.view_args.values()):
        _refuse_nul()
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError as exc:
            raise BadRequest(
                _("The JSON body nests deeper than %(n)s levels.", n=MAX_JSON_DEPTH)
            ) from exc
        _check_json(body)
    elif request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = request.form
        if _nul(form.keys()) or _nul(form.values()):
            _refuse_nul()
        if _nul(f.filename or "" for f in request.files.values()) or _nul(request.files.keys()):
            _refuse_nul()


def init_app(app: Flask) -> None:
    """Call before any route is added: the bounded ``int`` converter applies to rules as added."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_malformed_input)
