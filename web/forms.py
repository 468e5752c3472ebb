"""Step forms drawn from the JSON Schema a user task names, and parsing what comes back.

The schema beside the model is the single definition of a step's fields: the page renders
inputs from it, the browser gets the same constraints (required, min/max, enum), and the
engine validates the submitted data against it again (the browser is never trusted).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from werkzeug.datastructures import MultiDict

#: Submit buttons carry the decision; these fields are never rendered as inputs.
DECISION_FIELD = "decision"
#: How a yes/no radio pair (or a script) answers a boolean question.
TRUE_ANSWERS = frozenset({"true", "yes", "1", "on"})
FALSE_ANSWERS = frozenset({"false", "no", "0", "off"})


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # text | textarea | select | yesno | integer | number | date | list
    required: bool = False
    description: str | None = None
    choices: tuple[Choice, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    default: Any = None
    attrs: dict[str, Any] = field(default_factory=dict)
    #: ``organisation`` | ``user`` | ``role``: the values are codes, shown by their names.
    picker: str | None = None
    #: The choices come from an ``x-choices`` expression (computed per task by the engine).
    dynamic_choices: bool = False


def localized(node: dict[str, Any], key: str, locale: str = "vi") -> Any:
    """``node[key]`` in the reader's language: the model's ``x-<key>-en`` on English pages.

    The Vietnamese text is the schema's own keyword (the legal original); a missing or empty
    translation falls back to it, so a half-translated model still shows every label.
    """
    if locale != "vi":
        translated = node.get(f"x-{key.removeprefix('x-')}-{locale}")
        if translated:
            return translated
    return node.get(key)


def _choices(prop: dict[str, Any], locale: str = "vi") -> tuple[Choice, ...]:
    if "enum" in prop:
        names = (
            localized(prop, "x-enumTitles", locale)
            or prop.get("x-enumNames")
            or prop.get("enumNames")
            or []
        )
        return tuple(
            Choice(str(value), str(names[i]) if i < len(names) else str(value))
            for i, value in enumerate(prop["enum"])
        )
    options = prop.get("oneOf") or prop.get("anyOf") or []
    if options and all("const" in option for option in options):
        return tuple(Choice(str(o["const"]), str(o.get("title", o["const"]))) for o in options)
    return ()


def fields_from_schema(schema: dict[str, Any] | None, locale: str = "vi") -> list[FormField]:
    """Input fields for a schema's top-level properties (decision buttons excluded).

    Labels, descriptions and choice titles are in ``locale`` ("vi" or "en"), Vietnamese
    where the model has no translation.
    """
    if not schema:
        return []
    required = set(schema.get("required") or [])
    result = []
    for name, prop in (schema.get("properties") or {}).items():
        if name == DECISION_FIELD or not isinstance(prop, dict):
            continue
        kind_of = prop.get("type")
        choices = _choices(prop, locale)
        dynamic = isinstance(prop.get("x-choices"), str)
        if choices or dynamic:
            kind = "select"
        elif kind_of == "boolean":
            # A yes/no question is answered yes or no: an unticked checkbox cannot say "no".
            kind = "yesno"
        elif kind_of == "integer":
            kind = "integer"
        elif kind_of == "number":
            kind = "number"
        elif kind_of == "array":
            kind = "list"
            choices = _choices(prop.get("items") or {}, locale)
        elif prop.get("format") == "date":
            kind = "date"
        elif (prop.get("maxLength") or 0) > 200 or prop.get("x-widget") == "textarea":
            kind = "textarea"
        else:
            kind = "text"
        result.append(
            FormField(
                name=name,
                label=str(localized(prop, "title", locale) or name),
                kind=kind,
                required=name in required,
                description=localized(prop, "description", locale),
                choices=choices,
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
                min_length=prop.get("minLength"),
                max_length=prop.get("maxLength"),
                default=prop.get("default"),
                picker=prop.get("x-picker") if isinstance(prop.get("x-picker"), str) else None,
                dynamic_choices=dynamic,
            )
        )
    return result


def with_choices(fields: list[FormField], choices: dict[str, list[Choice]]) -> list[FormField]:
    """The fields with the per-task choices of their ``x-choices`` filled in."""
    return [
        replace(f, choices=tuple(choices.get(f.name, ()))) if f.dynamic_choices else f
        for f in fields
    ]


def decision_choices(schema: dict[str, Any] | None, locale: str = "vi") -> tuple[Choice, ...]:
    """The values of the schema's ``decision`` property (rendered as submit buttons)."""
    prop = ((schema or {}).get("properties") or {}).get(DECISION_FIELD)
    return _choices(prop, locale) if isinstance(prop, dict) else ()


def parse_submission(schema: dict[str, Any] | None, form: MultiDict[str, str]) -> dict[str, Any]:
    """Typed data from a posted form: only the schema's properties, empty fields left out.

    Values that do not convert (``"abc"`` for an integer) are passed through as text so the
    engine's schema validation reports them with the field name.
    """
    if not schema:
        return {}
    data: dict[str, Any] = {}
    properties = schema.get("properties") or {}
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        kind = prop.get("type")
        if kind == "boolean":
            answer = (form.get(name) or "").strip().lower()
            if answer in TRUE_ANSWERS:
                data[name] = True
            elif answer in FALSE_ANSWERS:
                data[name] = False
            elif answer:
                data[name] = answer  # reported by the schema as the wrong kind of value
            continue
        if kind == "array":
            values = [v for v in form.getlist(name) if v.strip()]
            if values:
                data[name] = values
            continue
        raw = form.get(name)
        if raw is None or raw.strip() == "":
            continue
        text = raw.strip()
        if kind == "integer":
            try:
                data[name] = int(text)
            except ValueError:
                data[name] = text
        elif kind == "number":
            try:
                data[name] = float(text.replace(",", "."))
            except ValueError:
                data[name] = text
        else:
            data[name] = text
    return data
