"""Validating submitted data against a form schema without letting the schema reach outside.

A form schema is written by a process owner, so it is hostile input as much as the data is:

* ``$ref`` is resolved only inside the schema itself (``#/$defs/...``): jsonschema would
  otherwise fetch any URL a ``$ref`` names (and read ``file:`` ones) when a user completes the
  step. Deployment refuses any other reference, and the validator's registry refuses to
  retrieve anything, so an unresolvable reference is a clear refusal, never a request or a 500.
* ``pattern`` and ``patternProperties`` are matched with RE2, a linear-time engine (Python's
  ``re`` backtracks: ``^(a+)+$`` took seconds on 27 characters). Deployment refuses a pattern
  RE2 cannot run (back-references, look-arounds).

RE2 comes from the kept library google-re2; the registry from jsonschema's ``referencing``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import jsonschema
import re2
from jsonschema import ValidationError
from referencing import Registry
from referencing.exceptions import NoSuchResource

from .messages import Message

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is reported to the owner, not logged by C++
MAX_PATTERN = 1000


def _no_retrieval(uri: str) -> Any:
    raise NoSuchResource(ref=uri)


_REGISTRY: Registry = Registry(retrieve=_no_retrieval)  # type: ignore[call-arg]


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    return re2.compile(pattern, _OPTIONS)


def _search(pattern: str, text: str) -> bool:
    return _compiled(pattern).search(text) is not None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, pattern_properties: Mapping[str, Any], instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


FormValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    {"pattern": _pattern, "patternProperties": _pattern_properties},
)


def validator(schema: Mapping[str, Any]) -> Any:
    """A Draft 2020-12 validator for a form: no retrieval, linear-time patterns."""
    return FormValidator(schema, registry=_REGISTRY)


def _walk(node: Any, path: str = "#") -> Iterator[tuple[str, str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def deploy_problems(schema: Mapping[str, Any]) -> list[Message]:
    """References that leave the schema, and patterns RE2 cannot run in linear time."""
    found: list[Message] = []
    for path, key, value in _walk(schema):
        local = isinstance(value, str) and value.startswith("#")
        if key in ("$ref", "$dynamicRef") and not local:
            found.append(
                Message(
                    "%(path)s refers to '%(ref)s': a form may refer only to its own "
                    "definitions ('#/$defs/...')",
                    path=path,
                    ref=str(value)[:200],
                )
            )
        patterns: list[str] = []
        if key == "pattern" and isinstance(value, str):
            patterns = [value]
        elif key == "patternProperties" and isinstance(value, dict):
            patterns = [str(p) for p in value]
        for pattern in patterns:
            if len(pattern) > MAX_PATTERN:
                found.append(
                    Message(
                        "%(path)s: a pattern has at most %(n)s characters", path=path, n=MAX_PATTERN
                    )
                )
                continue
            try:
                _compiled(pattern)
            except re2.error:
                found.append(
                    Message(
                        "%(path)s: the pattern '%(pattern)s' cannot be matched in linear time "
                        "(no back-references or look-arounds)",
                        path=path,
                        pattern=pattern[:200],
                    )
                )
    return found
