"""The script engine SpiffWorkflow runs conditions, scripts and service tasks with.

It replaces ``PythonScriptEngine``'s ``eval``/``exec`` with :class:`SafeEvaluator` and
dispatches service tasks to the :class:`ServiceRegistry`. One instance serves one engine
transaction, so service functions get that transaction's session and instance.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

from .errors import EngineError, ExpressionError, ProcessError
from .expressions import SafeEvaluator
from .messages import Message
from .run_bounds import RunBudget
from .services import ServiceCall, ServiceRegistry


@dataclass
class RunContext:
    """The instance a script engine is currently running for."""

    instance_id: int | None = None
    process_key: str = ""
    business_key: str | None = None
    session: Any = None
    #: Who made the engine run (the user completing a step); None for timers and starts.
    actor: str | None = None
    #: What this transaction's run may still spend (None: unbounded, e.g. a DMN test).
    budget: RunBudget | None = None


class _SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluation environment backed by the restricted evaluator (no Python eval)."""

    def __init__(self, evaluator: SafeEvaluator) -> None:
        super().__init__({})
        self.evaluator = evaluator

    def evaluate(
        self, expression: str, context: Mapping[str, Any], external_context: Any = None
    ) -> Any:
        names = dict(external_context or {})
        names.update(context)
        return self.evaluator.evaluate(expression, names)

    def execute(self, script: str, context: Any, external_context: Any = None) -> bool:
        if external_context:
            clashes = set(external_context) & set(context)
            if clashes:
                raise ExpressionError(f"task data overrides reserved names: {sorted(clashes)}")
        self.evaluator.execute(script, context)
        return True


def _element_id(task: Any) -> str | None:
    spec = getattr(task, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)


class SafeScriptEngine(PythonScriptEngine):
    """PythonScriptEngine with the restricted evaluator and registered services."""

    def __init__(
        self,
        evaluator: SafeEvaluator,
        services: ServiceRegistry,
        context: RunContext | None = None,
    ) -> None:
        super().__init__(environment=_SafeEnvironment(evaluator))
        self.evaluator = evaluator
        self.services = services
        self.context = context or RunContext()

    def validate(self, expression: str) -> None:
        # DMN tables call this to decide whether an entry needs "==": it must raise
        # SyntaxError for text that does not parse, and refuse forbidden constructs.
        ast.parse(expression, mode="eval")
        self.evaluator.check_expression(expression)

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        budget = self.context.budget
        if budget is not None:
            budget.check_time(task)
        try:
            value = self.environment.evaluate(expression, task.data, external_context)
        except ExpressionError as exc:
            exc.element_id = exc.element_id or _element_id(task)
            raise
        except EngineError:
            raise
        except Exception as exc:  # a registered function misbehaved
            raise ExpressionError(
                f"evaluating '{expression}' failed: {exc}", element_id=_element_id(task)
            ) from exc
        spec = getattr(task, "task_spec", None)
        cardinality = isinstance(spec, MultiInstanceTask) and expression == spec.cardinality
        if budget is not None and cardinality:
            budget.cardinality(task, value)
        return value

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        if self.context.budget is not None:
            self.context.budget.check_time(task)
        try:
            return self.environment.execute(script, task.data, external_context)
        except ExpressionError as exc:
            exc.element_id = exc.element_id or _element_id(task)
            raise
        except EngineError:
            raise
        except Exception as exc:
            raise ExpressionError(
                f"the script failed: {exc}", element_id=_element_id(task)
            ) from exc

    def call_service(self, task: Any, **kwargs: Any) -> str:
        name = kwargs.get("operation_name", "")
        params = kwargs.get("operation_params") or {}
        function = self.services.get(name)
        element = _element_id(task)
        if function is None:
            raise ProcessError(
                Message("no service named '%(name)s' is registered", name=name),
                element_id=element,
            )
        call = ServiceCall(
            instance_id=self.context.instance_id,
            process_key=self.context.process_key,
            business_key=self.context.business_key,
            task_id=str(task.id),
            element_id=element or "",
            data=task.data,
            session=self.context.session,
            actor=self.context.actor,
        )
        values = {key: param.get("value") for key, param in params.items()}
        try:
            result = function(call, **values)
        except EngineError as exc:
            exc.element_id = exc.element_id or element
            raise
        except Exception as exc:
            raise ProcessError(
                Message(
                    "service '%(name)s' failed: %(problem)s",
                    name=name,
                    problem=f"{type(exc).__name__}: {exc}",
                ),
                element_id=element,
            ) from exc
        try:
            return json.dumps(result, default=_json_default)
        except (TypeError, ValueError) as exc:
            raise ProcessError(
                Message(
                    "service '%(name)s' returned a value that cannot be stored: %(problem)s",
                    name=name,
                    problem=str(exc),
                ),
                element_id=element,
            ) from exc


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
