"""Checks of the translations a form schema carries beside its own texts.

A schema's ``title``, ``description`` and ``x-enumTitles`` are in the model's language; a
translation is the same keyword as ``x-<keyword>-<language>`` (``x-title-en``,
``x-enumTitles-en``) on the same schema node. JSON Schema ignores unknown keywords, so a
broken translation (a number for a title, one choice title too few) would only show as a
wrong or missing label on a page; deployment refuses it instead, naming where it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .messages import Message

#: ``x-title-en`` -> ("title", "en"); ``x-enumTitles-en`` -> ("enumTitles", "en")
_TRANSLATION = re.compile(r"^x-(title|description|enumTitles)-([a-z]{2})$")


def translation_problems(schema: Any, where: str = "") -> Iterator[str]:
    """Every malformed translation keyword in ``schema`` and its subschemas.

    A title or description translation must be a string; an ``x-enumTitles-<lang>`` a list of
    strings as long as the node's ``enum``. Each problem names the node's path (``/`` for the
    root, ``/properties/decision`` ...).
    """
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from translation_problems(item, f"{where}/{index}")
        return
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        match = _TRANSLATION.match(str(key))
        if match is None:
            yield from translation_problems(value, f"{where}/{key}")
            continue
        if match.group(1) != "enumTitles":
            if not isinstance(value, str):
                yield Message(
                    "'%(keyword)s' at %(path)s must be a text",
                    keyword=key,
                    path=where or "/",
                )
            continue
        enum = schema.get("enum")
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            yield Message(
                "'%(keyword)s' at %(path)s must be a list of texts",
                keyword=key,
                path=where or "/",
            )
        elif not isinstance(enum, list) or len(value) != len(enum):
            yield Message(
                "'%(keyword)s' at %(path)s has %(count)s titles for %(expected)s values",
                keyword=key,
                path=where or "/",
                count=len(value),
                expected=len(enum) if isinstance(enum, list) else 0,
            )
