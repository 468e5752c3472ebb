"""Deploy-time checks of the parsed specs: what only SpiffWorkflow's parse can tell.

Every expression and script in a process (gateway conditions, scripts, pre/post scripts,
timer expressions, loop and multi-instance expressions, service parameters, DMN entries,
user-task title/due/organisation properties) must pass the safe evaluator's static check;
user tasks must name form schemas that exist and are valid. These checks run on the specs
that will actually execute, including the processes and decisions they call, so they stay
as the last line of defence even for what the XML lint rules (:mod:`engine.lint`, which
also check roles and service operations) have already read: an expression the lint checked
(``skip_sources``) is not reported twice. All problems are reported at once, each with its
lint rule id, element id and line.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin
from SpiffWorkflow.specs.MultiChoice import MultiChoice

from . import form_extensions, form_schemas, task_attributes
from .errors import ExpressionError
from .expressions import SafeEvaluator
from .messages import Message
from .specs import UserTaskInfo
from .timer_events import _parse_cycle, to_instant
from .translations import translation_problems

RoleCheck = Callable[[str], bool]
EXPRESSION_RULE = "lexflow/expression"


@dataclass(frozen=True)
class Problem:
    element_id: str | None
    message: str
    line: int | None = None
    filename: str | None = None
    rule: str = "lexflow/model"

    def __str__(self) -> str:
        where = self.element_id or "?"
        if self.filename and self.line:
            where += f" ({self.filename}, line {self.line})"
        elif self.line:
            where += f" (line {self.line})"
        return f"{where}: {self.message}"


def _expressions(task_spec: Any) -> Iterator[tuple[str, str, str]]:
    """(kind, source, what) for every expression/script the task spec will run."""
    if isinstance(task_spec, MultiChoice):
        for condition, target in task_spec.cond_task_specs:
            source = condition.args[0] if getattr(condition, "args", None) else None
            if source:
                yield (
                    "expression",
                    source,
                    Message("condition of the flow to %(target)s", target=target),
                )
    if isinstance(task_spec, ScriptTask) and task_spec.script:
        yield "script", task_spec.script, Message("script")
    for attr, what in (
        ("prescript", Message("pre-script")),
        ("postscript", Message("post-script")),
    ):
        source = getattr(task_spec, attr, None)
        if source:
            yield "script", source, what
    if isinstance(task_spec, ServiceTask):
        for name, param in (getattr(task_spec, "operation_params", None) or {}).items():
            value = param.get("value") if isinstance(param, dict) else None
            if value:
                yield "expression", value, Message("service parameter '%(name)s'", name=name)
    if isinstance(task_spec, LoopTask):
        for attr in ("cardinality", "condition"):
            value = getattr(task_spec, attr, None)
            if isinstance(value, str) and value.strip():
                yield "expression", value, Message("loop %(attribute)s", attribute=attr)
    definition = getattr(task_spec, "event_definition", None)
    for item in [definition, *(getattr(definition, "event_definitions", None) or [])]:
        expression = getattr(item, "expression", None)
        if isinstance(expression, str) and expression.strip():
            yield "expression", expression, Message("%(kind)s expression", kind=type(item).__name__)


def _dmn_expressions(task_spec: Any) -> Iterator[tuple[str, str]]:
    engine = getattr(task_spec, "dmnEngine", None)
    table = getattr(engine, "decision_table", None)
    if table is None:
        return
    for table_input in table.inputs:
        if table_input.expression:
            yield (
                table_input.expression,
                Message("DMN input '%(input)s'", input=table_input.label or table_input.id),
            )
    for rule in table.rules:
        for entry in rule.inputEntries:
            for lhs in entry.lhs:
                if lhs is None or not str(lhs).strip() or str(lhs).strip() == "-":
                    continue
                text = re.sub(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmninputexpr", lhs)
                try:
                    ast.parse(text, mode="eval")
                except SyntaxError:
                    text = f"dmninputexpr {text}"
                yield text, Message("DMN rule %(rule)s input entry", rule=rule.row_number)
        for entry in rule.outputEntries:
            if entry.text and entry.text.strip():
                yield entry.text, Message("DMN rule %(rule)s output entry", rule=rule.row_number)


def _check_timer_literal(definition: Any) -> str | None:
    """If a timer's expression is a literal, check its ISO 8601 value now."""
    expression = getattr(definition, "expression", None)
    if not isinstance(expression, str):
        return None
    try:
        value = ast.literal_eval(expression.strip())
    except (ValueError, SyntaxError):
        return None  # computed at run time
    if not isinstance(value, str):
        return Message(
            "the timer expression %(expression)s must give an ISO 8601 string",
            expression=expression,
        )
    try:
        if isinstance(definition, CycleTimerEventDefinition):
            _parse_cycle(value, to_instant("2000-01-01T00:00:00+00:00"))
        elif isinstance(definition, DurationTimerEventDefinition):
            TimerEventDefinition.parse_iso_duration(value)
        else:
            to_instant(value)
    except Exception as exc:
        return Message(
            "the timer value '%(value)s' is not valid ISO 8601: %(problem)s",
            value=value,
            problem=str(exc),
        )
    return None


def _in(what: str, problem: str) -> Message:
    """A problem of one part of an element (its script, a flow's condition, a DMN entry)."""
    return Message("%(part)s: %(problem)s", part=what, problem=problem)


def check_process_specs(
    process_specs: dict[str, Any],
    user_tasks: dict[tuple[str, str], UserTaskInfo],
    evaluator: SafeEvaluator,
    skip_sources: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset(),
) -> list[Problem]:
    """Every problem found in these specs (empty list when they can run).

    Roles and service operations are lint rules (:mod:`engine.lint.rules_refs`) read from
    the XML; ``skip_sources`` are the (kind, text) of expressions the lint has already
    checked with the same evaluator.
    """
    problems: list[Problem] = []
    for spec in process_specs.values():
        for task_spec in spec.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None) or task_spec.name
            for kind, source, what in _expressions(task_spec):
                if (kind, source.strip()) in skip_sources:
                    continue
                try:
                    if kind == "script":
                        evaluator.check_script(source)
                    else:
                        evaluator.check_expression(source)
                except ExpressionError as exc:
                    problems.append(Problem(element, _in(what, exc.message), rule=EXPRESSION_RULE))
            if isinstance(task_spec, BusinessRuleTaskMixin):
                for source, what in _dmn_expressions(task_spec):
                    try:
                        evaluator.check_expression(source)
                    except ExpressionError as exc:
                        problems.append(
                            Problem(element, _in(what, exc.message), rule="lexflow/decision")
                        )
            definition = getattr(task_spec, "event_definition", None)
            for item in [definition, *(getattr(definition, "event_definitions", None) or [])]:
                if isinstance(item, TimerEventDefinition):
                    message = _check_timer_literal(item)
                    if message:
                        problems.append(Problem(element, message, rule="lexflow/timer"))
    for info in user_tasks.values():
        problems.extend(_check_user_task(info, user_tasks, evaluator))
    return problems


def _check_user_task(
    info: UserTaskInfo,
    user_tasks: dict[tuple[str, str], UserTaskInfo],
    evaluator: SafeEvaluator,
) -> Iterator[Problem]:
    element = info.element_id
    for what, source in (
        ("organisation", info.organisation_expr),
        ("title", info.title_expr),
        ("title_en", info.title_en_expr),
        ("dueDate", info.due_expr),
    ):
        if source:
            try:
                evaluator.check_expression(source)
            except ExpressionError as exc:
                yield Problem(
                    element,
                    Message("property '%(name)s': %(problem)s", name=what, problem=exc.message),
                    rule=EXPRESSION_RULE,
                )
    priority_problem = task_attributes.property_problem(info.properties)
    if priority_problem:
        yield Problem(element, priority_problem)
    if info.form_name:
        if info.form_schema is None:
            yield Problem(
                element,
                Message(
                    "the form schema '%(form)s' is neither in this upload nor deployed",
                    form=info.form_name,
                ),
                rule="lexflow/form-schema",
            )
        else:
            for problem in form_schema_problems(info.form_schema, evaluator):
                yield Problem(
                    element,
                    Message(
                        "the form schema '%(form)s': %(problem)s",
                        form=info.form_name,
                        problem=problem,
                    ),
                    rule="lexflow/form-schema",
                )
    in_process = {
        other.element_id for other in user_tasks.values() if other.process_id == info.process_id
    }
    for other in info.separate_from:
        if other not in in_process:
            yield Problem(
                element,
                Message(
                    "'separateFrom' names '%(other)s', which is not a user task of this process",
                    other=other,
                ),
                rule="lexflow/user-task",
            )


@functools.lru_cache(maxsize=512)
def _meta_schema_problem(schema_json: str) -> str | None:
    """Why a schema breaks the JSON Schema meta-schema, or None; remembered by its text.

    Checking against the meta-schema is most of a deployment's time (every user task of every
    model checks its form: 144 checks of 27 forms for the shipped models), and it depends on
    nothing but the schema's text (kept in its own key order, so the first problem reported is
    the one an uncached check would report).
    """
    try:
        jsonschema.Draft202012Validator.check_schema(json.loads(schema_json))
    except jsonschema.SchemaError as exc:
        return exc.message
    return None


def form_schema_problems(schema: Any, evaluator: SafeEvaluator) -> list[Message]:
    """Everything a deployment refuses in one form schema (empty when the form can run).

    The one place these checks live: deploying a user task that names the form runs them,
    and so does the modeler's form field editor before it stores a form in a draft.
    """
    problem = _meta_schema_problem(json.dumps(schema, ensure_ascii=False))
    if problem is not None:
        return [Message("the schema is invalid: %(problem)s", problem=problem)]
    return [
        *form_extensions.deploy_problems(schema, evaluator),
        *form_extensions.vacuous_conditions(schema),
        *form_schemas.deploy_problems(schema),
        *translation_problems(schema),
    ]
