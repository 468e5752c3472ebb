"""Lexflow's extensions to a step's JSON Schema, written in the safe expression language.

JSON Schema checks one field at a time against constants. A step of a legal procedure needs
more, and a process owner must be able to say it in the form, not in code:

* ``x-choices`` on a property: an expression over the task's data giving the values allowed
  (``hdnd_committees``: the People's Council committees of the draft's level). A page renders
  it as a picker; the engine refuses anything else, whatever the browser sent.
* ``x-default`` on a property: an expression giving the value a field starts with (the
  half-year a report covers). Pages pre-fill only from this or the step's own earlier answer.
* ``x-rules`` at the top: cross-field rules, each ``{"assert": "<expression>", "fields": [...],
  "message": "<Vietnamese>", "message_en": "<English>"}``, checked before the step completes
  (votes for and against within the total, signing no later than the effective date), so
  nothing is completed that the model would send straight back.

Expressions see the task's data with every form field defined (``None`` when not answered).
:func:`deploy_problems` checks all of it when a model is deployed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ExpressionError
from .expressions import SafeEvaluator
from .messages import Message

CHOICES = "x-choices"
DEFAULT = "x-default"
RULES = "x-rules"
MAX_CHOICES = 2000


@dataclass(frozen=True)
class RuleText:
    """A rule's message in the model's two languages (model content, not the catalogue)."""

    vi: str
    en: str | None = None

    def __str__(self) -> str:
        return self.en or self.vi

    def in_language(self, language: str) -> str:
        return self.en if language == "en" and self.en else self.vi


def _properties(schema: Mapping[str, Any] | None) -> dict[str, Any]:
    props = (schema or {}).get("properties") or {}
    return {name: prop for name, prop in props.items() if isinstance(prop, dict)}


def _scope(schema: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, Any]:
    return {**dict.fromkeys(_properties(schema)), **dict(data)}


def choices(
    schema: Mapping[str, Any] | None, data: Mapping[str, Any], evaluator: SafeEvaluator
) -> dict[str, list[Any]]:
    """The allowed values of every ``x-choices`` field, computed from the task's data.

    An expression that fails gives no choices (the field then accepts nothing), so a broken
    model cannot open a field to any value.
    """
    scope = _scope(schema, data)
    result: dict[str, list[Any]] = {}
    for name, prop in _properties(schema).items():
        source = prop.get(CHOICES)
        if not isinstance(source, str):
            continue
        try:
            value = evaluator.evaluate(source, scope)
        except ExpressionError:
            value = []
        values = list(value) if isinstance(value, list | tuple) else []
        result[name] = [v for v in values[:MAX_CHOICES] if isinstance(v, str | int | float)]
    return result


def defaults(
    schema: Mapping[str, Any] | None, data: Mapping[str, Any], evaluator: SafeEvaluator
) -> dict[str, Any]:
    """Explicit starting values: ``default`` constants and ``x-default`` expressions."""
    scope = _scope(schema, data)
    result: dict[str, Any] = {}
    for name, prop in _properties(schema).items():
        if "default" in prop:
            result[name] = prop["default"]
        source = prop.get(DEFAULT)
        if isinstance(source, str):
            try:
                result[name] = evaluator.evaluate(source, scope)
            except ExpressionError:
                continue
    return result


def problems(
    schema: Mapping[str, Any] | None,
    data: Mapping[str, Any],
    submitted: Mapping[str, Any],
    evaluator: SafeEvaluator,
) -> list[dict[str, Any]]:
    """What the submission breaks: values outside ``x-choices``, failed ``x-rules``.

    ``data`` is the task's input, ``submitted`` what the user entered; one detail per field.
    """
    details: list[dict[str, Any]] = []
    allowed = choices(schema, data, evaluator)
    for name, values in allowed.items():
        if name in submitted and submitted[name] not in values:
            details.append({"field": name, "message": Message("is not one of the allowed choices")})
    if details:
        return details
    scope = _scope(schema, {**dict(data), **dict(submitted)})
    for rule in _rules(schema):
        try:
            holds = bool(evaluator.evaluate(rule["assert"], scope))
        except ExpressionError:
            holds = False  # a value the rule cannot read (text in a number field...) fails it
        if holds:
            continue
        text = RuleText(str(rule.get("message") or rule["assert"]), rule.get("message_en"))
        for name in rule.get("fields") or [None]:
            details.append({"field": name, "message": text})
    return details


def _rules(schema: Mapping[str, Any] | None) -> Iterator[dict[str, Any]]:
    for rule in (schema or {}).get(RULES) or []:
        if isinstance(rule, dict) and isinstance(rule.get("assert"), str):
            yield rule


def deploy_problems(schema: Mapping[str, Any], evaluator: SafeEvaluator) -> list[str]:
    """Everything wrong with a schema's extensions (empty when the form can run)."""
    found: list[str] = []
    props = _properties(schema)
    for name, prop in props.items():
        for key in (CHOICES, DEFAULT):
            source = prop.get(key)
            if source is None:
                continue
            if not isinstance(source, str):
                found.append(
                    Message(
                        "'%(key)s' of field '%(field)s' must be an expression", key=key, field=name
                    )
                )
                continue
            try:
                evaluator.check_expression(source)
            except ExpressionError as exc:
                found.append(
                    Message(
                        "'%(key)s' of field '%(field)s': %(problem)s",
                        key=key,
                        field=name,
                        problem=exc.message,
                    )
                )
    rules = schema.get(RULES)
    if rules is None:
        return found
    if not isinstance(rules, list):
        return [*found, Message("'x-rules' must be a list of rules")]
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict) or not isinstance(rule.get("assert"), str):
            found.append(Message("rule %(n)s of 'x-rules' needs an 'assert' expression", n=number))
            continue
        try:
            evaluator.check_expression(rule["assert"])
        except ExpressionError as exc:
            found.append(
                Message("rule %(n)s of 'x-rules': %(problem)s", n=number, problem=exc.message)
            )
        if not isinstance(rule.get("message"), str) or not rule["message"].strip():
            found.append(Message("rule %(n)s of 'x-rules' needs a 'message'", n=number))
        for field in rule.get("fields") or []:
            if field not in props:
                found.append(
                    Message(
                        "rule %(n)s of 'x-rules' names '%(field)s', which is not a field of "
                        "the form",
                        n=number,
                        field=field,
                    )
                )
    return found


def vacuous_conditions(schema: Mapping[str, Any]) -> list[str]:
    """``if`` clauses that also hold when the field they test is not answered at all.

    ``{"if": {"properties": {"urgent_effect": {"const": true}}}, "then": ...}`` is true for a
    form without ``urgent_effect``: JSON Schema applies ``properties`` only to keys present.
    Such a condition makes a requirement hold when the answer is "no" or missing.
    """
    found: list[str] = []
    always = set(schema.get("required") or [])  # present whenever the form is valid at all
    clauses = [schema, *(c for c in schema.get("allOf") or [] if isinstance(c, dict))]
    for clause in clauses:
        condition = clause.get("if")
        if not isinstance(condition, dict):
            continue
        tested = set((condition.get("properties") or {}).keys())
        missing = sorted(tested - set(condition.get("required") or []) - always)
        if missing:
            found.append(
                Message(
                    "an 'if' condition on %(fields)s also holds when they are not answered: "
                    "list them in the condition's 'required'",
                    fields=", ".join(missing),
                )
            )
    return found
