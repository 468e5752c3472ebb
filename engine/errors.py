"""Errors raised by the engine.

Every error carries enough context (instance, task, BPMN element id, line) for a caller to
say *where* something went wrong; one handler in the web layer maps the classes below to
HTTP statuses, and the CLI maps them to exit codes. Callers should catch ``EngineError``
(or a subclass) and never need to inspect SpiffWorkflow's own exceptions.
"""

from __future__ import annotations

from typing import Any


class EngineError(Exception):
    """Base class: a request the engine refused or could not carry out.

    ``code`` is a stable machine-readable identifier (used as the JSON ``error`` field).
    """

    code = "engine_error"

    def __init__(
        self,
        message: str,
        *,
        instance_id: int | None = None,
        task_id: str | None = None,
        element_id: str | None = None,
        line: int | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.instance_id = instance_id
        self.task_id = task_id
        self.element_id = element_id
        self.line = line
        self.details = details

    def context(self) -> dict[str, Any]:
        """The non-empty context fields, for logs and JSON error bodies."""
        fields = {
            "instance_id": self.instance_id,
            "task_id": self.task_id,
            "element_id": self.element_id,
            "line": self.line,
            "details": self.details,
        }
        return {key: value for key, value in fields.items() if value is not None}

    def __str__(self) -> str:
        where = []
        if self.element_id:
            where.append(f"element {self.element_id}")
        if self.line:
            where.append(f"line {self.line}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


class NotFound(EngineError):
    """The definition, instance or task does not exist (or is not visible to the actor)."""

    code = "not_found"


class Forbidden(EngineError):
    """The actor may not perform this action on this object."""

    code = "forbidden"


class Conflict(EngineError):
    """Someone else changed the object first (lost race) or its state forbids the action.

    The caller may reload and retry; nothing was written.
    """

    code = "conflict"


class InvalidData(EngineError):
    """Submitted data does not satisfy the step's form or the engine's rules."""

    code = "invalid_data"


class DeploymentError(EngineError):
    """A BPMN/DMN document was rejected at deploy time; ``element_id``/``line`` say where."""

    code = "invalid_definition"


class ExpressionError(EngineError):
    """An expression or script is not allowed, malformed, or failed while evaluating."""

    code = "invalid_expression"


class ProcessError(EngineError):
    """The process itself failed while running (service task error, bad model data).

    The transaction that hit it is rolled back, so the instance stays at its last committed
    state.
    """

    code = "process_error"
