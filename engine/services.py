"""Registered service tasks: the only way a process reaches code with side effects.

A BPMN service task names an operation (``spiffworkflow:serviceTaskOperator id="..."``)
whose parameters are safe expressions. The operation is a Python function a developer
registered here; deploying a model that calls an unregistered operation is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ServiceCall:
    """What a service function is told about the call it serves."""

    instance_id: int | None
    process_key: str
    business_key: str | None
    task_id: str
    element_id: str
    data: Mapping[str, Any]
    session: Any  # the SQLAlchemy session of the engine transaction (same commit/rollback)
    #: The user whose completed step led to this call (None when a timer or a start did).
    actor: str | None = None


class ServiceFunction(Protocol):
    def __call__(self, call: ServiceCall, **params: Any) -> Any: ...


class ServiceRegistry:
    """Name -> function. Results must be JSON-serializable; they land in task data."""

    def __init__(self) -> None:
        self._functions: dict[str, ServiceFunction] = {}

    def register(self, name: str, function: ServiceFunction | None = None) -> Any:
        """Register ``function`` under ``name``; usable as a decorator when ``function`` is None."""

        def _add(fn: ServiceFunction) -> ServiceFunction:
            if name in self._functions and self._functions[name] is not fn:
                raise ValueError(f"a service named '{name}' is already registered")
            self._functions[name] = fn
            return fn

        return _add(function) if function is not None else _add

    def get(self, name: str) -> ServiceFunction | None:
        return self._functions.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._functions

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._functions))

    def names(self) -> list[str]:
        return sorted(self._functions)


ServiceCallable = Callable[..., Any]
