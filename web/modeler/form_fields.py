"""A user task's form as the modeler edits it: a list of fields, turned into the JSON Schema
the engine runs (and back).

The field list is the process owner's view; the stored form is exactly the JSON Schema with
Lexflow's ``x-*`` extensions that the bpmn/forms/*.json files use: ``title`` / ``x-title-en``
for labels (``description`` / ``x-description-en`` for help), ``enum`` with ``x-enumTitles``
/ ``x-enumTitles-en`` for choices (in ``items`` for a list of several), ``format:
date`` for dates, ``x-widget: textarea`` for long text, ``x-choices`` (an expression) with
``x-picker`` (organisation, user, role: see :mod:`web.pickers`) for pickers, ``required``
and the cross-field ``x-rules``. Keys the list does not edit (``minLength``, ``allOf``...)
travel unchanged in ``extra``, so opening and saving a shipped form loses nothing.

:func:`to_schema` refuses what the list itself gets wrong (a duplicate or malformed key, an
empty label, an unknown type or picker), one problem per field; the engine's own deploy
checks (:func:`engine.validation.form_schema_problems`) then judge the schema.
"""

from __future__ import annotations

import re
from typing import Any

from engine import Message

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
DATE_PATTERN = "^\\d{4}-\\d{2}-\\d{2}$"
FIELD_KEY = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
FORM_NAME = re.compile(r"^[a-z0-9_][a-z0-9_\-]{0,99}\.json$")
PICKERS = ("organisation", "user", "role")
CHOICE_TYPES = ("enum", "list")  # one of the choices; several of them (a JSON array)
TYPES = ("string", "text", "number", "integer", "boolean", "date", *CHOICE_TYPES, *PICKERS)
MAX_FIELDS = 200
MAX_TEXT = 2000

#: Keys of a property the field list edits; everything else goes to ``extra``.
_MANAGED = {"type", "title", "x-title-en", "format", "x-widget", "enum", "x-enumTitles"}
_MANAGED |= {"x-enumTitles-en", "x-choices", "x-picker", "description", "x-description-en"}
_TOP_MANAGED = {"$schema", "title", "x-title-en", "description", "x-description-en", "type"}
_TOP_MANAGED |= {"properties", "required", "x-rules", "additionalProperties"}


class FormProblems(Exception):
    """The field list cannot become a form: ``problems`` is [{"field", "message"}]."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(problems)
        self.problems = problems


def _text(value: Any) -> str:
    return value.strip()[:MAX_TEXT] if isinstance(value, str) else ""


def _kind(prop: dict[str, Any]) -> str:
    picker = prop.get("x-picker")
    if isinstance(picker, str) and picker:
        return picker
    if "enum" in prop:
        return "enum"
    if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
        return "list"
    if prop.get("type") == "string" and prop.get("format") == "date":
        return "date"
    if prop.get("type") == "string" and prop.get("x-widget") == "textarea":
        return "text"
    kind = prop.get("type")
    return kind if isinstance(kind, str) else "string"


def to_fields(schema: dict[str, Any]) -> dict[str, Any]:
    """The field list of a form schema (the editor's starting point)."""
    required = set(schema.get("required") or [])
    fields = []
    for key, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        listed = prop.get("items") if _kind(prop) == "list" else None
        source = listed if isinstance(listed, dict) else prop
        titles = source.get("x-enumTitles") or []
        titles_en = source.get("x-enumTitles-en") or []
        choices = [
            {
                "value": value,
                "label": titles[i] if i < len(titles) else "",
                "label_en": titles_en[i] if i < len(titles_en) else "",
            }
            for i, value in enumerate(source.get("enum") or [])
        ]
        skipped = _MANAGED | ({"items"} if listed else set())
        extra = {k: v for k, v in prop.items() if k not in skipped}
        if prop.get("format") == "date":
            extra.pop("pattern", None)
        fields.append(
            {
                "key": key,
                "label": prop.get("title") or "",
                "label_en": prop.get("x-title-en") or "",
                "description": prop.get("description") or "",
                "description_en": prop.get("x-description-en") or "",
                "type": _kind(prop),
                "required": key in required,
                "choices": choices,
                "choices_expression": prop.get("x-choices") or "",
                "extra": extra,
            }
        )
    return {
        "title": schema.get("title") or "",
        "title_en": schema.get("x-title-en") or "",
        "description": schema.get("description") or "",
        "description_en": schema.get("x-description-en") or "",
        "fields": fields,
        "rules": list(schema.get("x-rules") or []),
        "extra": {k: v for k, v in schema.items() if k not in _TOP_MANAGED},
    }


def _property(field: dict[str, Any], key: str, problems: list[dict[str, Any]]) -> dict[str, Any]:
    kind = field.get("type")
    extra = field.get("extra") if isinstance(field.get("extra"), dict) else {}
    prop: dict[str, Any] = {}
    if kind in ("string", "text", "date", "enum", *PICKERS):
        prop["type"] = "string"
    elif kind == "list":
        prop["type"] = "array"
    else:
        prop["type"] = kind
    if kind == "date":
        prop["format"] = "date"
        prop["pattern"] = DATE_PATTERN
    prop["title"] = _text(field.get("label"))
    if _text(field.get("label_en")):
        prop["x-title-en"] = _text(field.get("label_en"))
    if _text(field.get("description")):
        prop["description"] = _text(field.get("description"))
    if _text(field.get("description_en")):
        prop["x-description-en"] = _text(field.get("description_en"))
    if kind == "text":
        prop["x-widget"] = "textarea"
    if kind in CHOICE_TYPES:
        choices = [c for c in field.get("choices") or [] if isinstance(c, dict)]
        values = [_text(c.get("value")) for c in choices]
        if not values or any(not v for v in values):
            problems.append({"field": key, "message": Message("every choice needs a value")})
        elif len(set(values)) != len(values):
            problems.append({"field": key, "message": Message("two choices have the same value")})
        if any(not _text(c.get("label")) for c in choices):
            problems.append({"field": key, "message": Message("every choice needs a label")})
        held: dict[str, Any] = {"enum": values}
        held["x-enumTitles"] = [_text(c.get("label")) for c in choices]
        if any(_text(c.get("label_en")) for c in choices):
            held["x-enumTitles-en"] = [_text(c.get("label_en")) for c in choices]
        if kind == "list":
            prop["items"] = {"type": "string", **held}
        else:
            prop.update(held)
    if kind in PICKERS:
        source = _text(field.get("choices_expression"))
        if not source:
            problems.append(
                {
                    "field": key,
                    "message": Message("a picker needs the expression that gives its choices"),
                }
            )
        prop["x-choices"] = source
        prop["x-picker"] = kind
    return {**prop, **{k: v for k, v in extra.items() if k not in _MANAGED}}


def to_schema(form: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a field list, in the list's order; :class:`FormProblems` if the
    list has a field the engine could not even be asked about."""
    problems: list[dict[str, Any]] = []
    fields = form.get("fields")
    if not isinstance(fields, list) or not fields:
        raise FormProblems([{"field": None, "message": Message("a form needs at least one field")}])
    if len(fields) > MAX_FIELDS:
        raise FormProblems(
            [{"field": None, "message": Message("a form has at most %(n)s fields", n=MAX_FIELDS)}]
        )
    if not _text(form.get("title")):
        problems.append({"field": None, "message": Message("the form needs a title")})
    properties: dict[str, Any] = {}
    required: list[str] = []
    for number, field in enumerate(fields, start=1):
        if not isinstance(field, dict):
            problems.append(
                {"field": None, "message": Message("field %(n)s is not an object", n=number)}
            )
            continue
        key = _text(field.get("key"))
        where = key or f"#{number}"
        if not FIELD_KEY.match(key):
            problems.append(
                {
                    "field": where,
                    "message": Message(
                        "the key starts with a lower-case letter and has only lower-case "
                        "letters, digits and _"
                    ),
                }
            )
        elif key in properties:
            problems.append(
                {"field": key, "message": Message("two fields have the key '%(key)s'", key=key)}
            )
            continue
        if not _text(field.get("label")):
            problems.append({"field": where, "message": Message("the field needs a label")})
        if field.get("type") not in TYPES:
            problems.append(
                {
                    "field": where,
                    "message": Message(
                        "'%(type)s' is not a field type or picker (%(known)s)",
                        type=str(field.get("type"))[:50],
                        known=", ".join(TYPES),
                    ),
                }
            )
            continue
        properties[key] = _property(field, where, problems)
        if field.get("required") is True:
            required.append(key)
    rules = form.get("rules") or []
    if not isinstance(rules, list):
        problems.append({"field": None, "message": Message("'x-rules' must be a list of rules")})
        rules = []
    if problems:
        raise FormProblems(problems)
    extra = form.get("extra") if isinstance(form.get("extra"), dict) else {}
    schema: dict[str, Any] = {"$schema": SCHEMA_DIALECT, "title": _text(form.get("title"))}
    if _text(form.get("title_en")):
        schema["x-title-en"] = _text(form.get("title_en"))
    if _text(form.get("description")):
        schema["description"] = _text(form.get("description"))
    if _text(form.get("description_en")):
        schema["x-description-en"] = _text(form.get("description_en"))
    schema.update({"type": "object", "properties": properties, "required": required})
    schema["additionalProperties"] = False
    schema.update({k: v for k, v in extra.items() if k not in _TOP_MANAGED})
    if rules:
        schema["x-rules"] = rules
    return schema
