"""Bounds on one engine run, so that no model, however built, can run away.

A model is data written by a process owner: a loop of script tasks, a call activity that
calls itself, a multi-instance step with a cardinality of 10,000 or a script that grows a
list each turn would otherwise hold a worker (and on SQLite the write lock) for as long as
it runs. Every transaction that runs a workflow gets a :class:`RunBudget` from the engine
context's :class:`RunLimits`; the runtime spends it on each step and the script engine on
each expression, and :class:`RunBoundExceeded` stops the run. The transaction then rolls
back (the database is released at once) and the engine marks the instance ``failed`` in a
transaction of its own, with the bound's sentence in the audit log.

The defaults are far above what the lifecycle models need (a whole lifecycle runs a few
dozen steps per transaction, nests three processes deep and stores a few kilobytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from time import monotonic
from typing import Any

from .errors import ProcessError
from .messages import Message


@dataclass(frozen=True)
class RunLimits:
    """What one transaction's run may spend (configurable on the engine context)."""

    #: Tasks the engine runs by itself (scripts, gateways, events...) in one transaction.
    #: Below 1,000 on purpose: SpiffWorkflow's task iterator silently stops 1,000 tasks deep,
    #: so a longer loop would not run away but stop, stuck, with no error at all.
    max_steps: int = 500
    #: Wall time of one transaction's run, in seconds (measured, not the engine clock).
    max_seconds: float = 10.0
    #: Size of the stored instance state (serialized JSON, before compression), in bytes.
    max_state_bytes: int = 4_000_000
    #: Processes nested in each other (sub-processes and call activities).
    max_call_depth: int = 12
    #: Instances one multi-instance step may create (its cardinality).
    max_instances: int = 500
    #: Tasks in the whole instance (the task trees of it and of its sub-processes).
    max_tasks: int = 5_000


def _element(task: Any) -> str | None:
    spec = getattr(task, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)


class RunBoundExceeded(ProcessError):
    """The run hit one of the :class:`RunLimits`; ``bound`` names which one."""

    code = "run_bound_exceeded"

    def __init__(self, message: str, *, bound: str, **context: Any) -> None:
        super().__init__(message, **context)
        self.bound = bound


class RunBudget:
    """What is left of the limits for one transaction's run."""

    def __init__(self, limits: RunLimits, instance_id: int | None = None) -> None:
        self.limits = limits
        self.instance_id = instance_id
        self.steps = 0
        self.deadline = monotonic() + limits.max_seconds

    def step(self, task: Any) -> None:
        """Spend one step on ``task`` (just run); raises when a bound is passed."""
        self.steps += 1
        limits = self.limits
        if self.steps > limits.max_steps:
            raise RunBoundExceeded(
                Message(
                    "the process ran more than %(max)s steps without waiting for anyone "
                    "(an endless loop in the model?)",
                    max=limits.max_steps,
                ),
                bound="max_steps",
                instance_id=self.instance_id,
                element_id=_element(task),
            )
        self.check_time(task)
        workflow = getattr(task, "workflow", None)
        depth = int(getattr(workflow, "depth", 0) or 0)
        if depth > limits.max_call_depth:
            raise RunBoundExceeded(
                Message(
                    "the process nests more than %(max)s processes in each other (a call "
                    "activity that calls itself?)",
                    max=limits.max_call_depth,
                ),
                bound="max_call_depth",
                instance_id=self.instance_id,
                element_id=_element(task),
            )
        top = getattr(workflow, "top_workflow", None)
        if top is not None:
            count = len(top.tasks) + sum(len(sub.tasks) for sub in top.subprocesses.values())
            if count > limits.max_tasks:
                raise RunBoundExceeded(
                    Message(
                        "the process has more than %(max)s tasks at once", max=limits.max_tasks
                    ),
                    bound="max_tasks",
                    instance_id=self.instance_id,
                    element_id=_element(task),
                )

    def check_time(self, task: Any = None) -> None:
        if monotonic() > self.deadline:
            raise RunBoundExceeded(
                Message(
                    "the process ran for more than %(max)s seconds without waiting for anyone",
                    max=self.limits.max_seconds,
                ),
                bound="max_seconds",
                instance_id=self.instance_id,
                element_id=_element(task),
            )

    def cardinality(self, task: Any, value: Any) -> None:
        """Refuse a multi-instance cardinality over the bound before any instance exists."""
        if isinstance(value, int) and value > self.limits.max_instances:
            raise RunBoundExceeded(
                Message(
                    "the step would run %(count)s times at once; at most %(max)s are allowed",
                    count=value,
                    max=self.limits.max_instances,
                ),
                bound="max_instances",
                instance_id=self.instance_id,
                element_id=_element(task),
            )

    def state_size(self, size: int) -> None:
        if size > self.limits.max_state_bytes:
            raise RunBoundExceeded(
                Message(
                    "the process data has grown to %(size)s bytes; at most %(max)s can be stored",
                    size=size,
                    max=self.limits.max_state_bytes,
                ),
                bound="max_state_bytes",
                instance_id=self.instance_id,
            )
