"""The one class that drives a SpiffWorkflow ``BpmnWorkflow`` for Lexflow.

A :class:`ProcessRuntime` lives for one engine transaction: it is created or restored from
the instance row, stepped, inspected for ready user tasks and the next timer, and dumped
back. SpiffWorkflow errors are translated into :class:`ProcessError` with the element id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import clock
from .errors import EngineError, ExpressionError, NotFound, ProcessError
from .events.waiting import waiting_for as events_waiting_for
from .messages import Message
from .run_bounds import RunBudget
from .serialization import StateSerializer
from .specs import LoadedSpec
from .state_pruning import completed_specs, prune_finished
from .timer_events import armed_timers


def _spiff_error(exc: SpiffWorkflowException) -> ProcessError:
    spec = getattr(exc, "task_spec", None) or getattr(getattr(exc, "task", None), "task_spec", None)
    element = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    message = str(exc)
    notes = getattr(exc, "__notes__", None)
    if notes:
        message += " (" + "; ".join(notes) + ")"
    return ProcessError(message, element_id=element)


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Errors while running are the process's: ProcessError with the element id."""
    try:
        yield
    except ExpressionError as exc:
        raise ProcessError(
            Message("an expression of the model failed: %(problem)s", problem=exc.message),
            element_id=exc.element_id,
        ) from exc
    except EngineError:
        raise
    except SpiffWorkflowException as exc:
        raise _spiff_error(exc) from exc


class ProcessRuntime:
    """A workflow plus the loaded spec it runs on."""

    def __init__(self, loaded: LoadedSpec, workflow: BpmnWorkflow) -> None:
        self.loaded = loaded
        self.workflow = workflow
        self._ready: list[Task] | None = None  # cache, cleared whenever the workflow moves
        context = getattr(workflow.script_engine, "context", None)
        #: What this transaction's run may still spend (engine.run_bounds); None: unbounded.
        self.budget: RunBudget | None = getattr(context, "budget", None)

    def _spend(self, task: Task) -> None:
        if self.budget is not None:
            self.budget.step(task)

    @classmethod
    def create(
        cls, loaded: LoadedSpec, script_engine: Any, data: Mapping[str, Any]
    ) -> ProcessRuntime:
        workflow = BpmnWorkflow(loaded.spec, loaded.subprocess_specs, script_engine=script_engine)
        start = workflow.task_tree
        start.data.update(dict(data))
        for child in start.children:
            child.data.update(dict(data))
        return cls(loaded, workflow)

    @classmethod
    def restore(
        cls,
        loaded: LoadedSpec,
        serializer: StateSerializer,
        state: bytes,
        script_engine: Any,
    ) -> ProcessRuntime:
        workflow = serializer.load_state(state, loaded.spec, loaded.subprocess_specs, script_engine)
        return cls(loaded, workflow)

    # Running ------------------------------------------------------------------------------
    def step(self) -> None:
        """Run everything the engine can run (gateways, scripts, services, due timers)."""
        self._ready = None
        with _translated_errors():
            self.workflow.refresh_timers()
            self.workflow.do_engine_steps(did_complete_task=self._spend)

    def complete_user_task(self, task: Task, data: Mapping[str, Any]) -> None:
        self._ready = None
        with _translated_errors():
            task.data.update(dict(data))
            task.run()
            self._spend(task)
        self.step()

    def catch(self, event: Any) -> int:
        """Give the workflow an event from outside (a message, a signal); returns how many
        waiting tasks caught it (0: none waits for it, or its correlation does not match).

        Due timers fire first: an event-based gateway whose timer has passed took the
        timer's branch before this event came (SpiffWorkflow would otherwise take both).
        """
        self.step()
        with _translated_errors():
            return int(self.workflow.event_manager.catch(event, internal=False))

    def cancel(self) -> None:
        self._ready = None
        self.workflow.cancel()

    # Inspecting ---------------------------------------------------------------------------
    def ready_user_tasks(self) -> list[Task]:
        if self._ready is None:
            self._ready = [
                task
                for task in self.workflow.get_tasks(state=TaskState.READY)
                if isinstance(task.task_spec, UserTaskMixin)
            ]
        return list(self._ready)

    def completed_spec_ids(self) -> dict[int, str]:
        """The task specs this workflow has completed at least once (a step reached again is
        rework): identity -> element id (as a task row names its step); read from the task
        tree, no database involved."""
        return {id(spec): spec.bpmn_id or spec.name for spec in completed_specs(self.workflow)}

    def find_task(self, task_id: str) -> Task:
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TypeError) as exc:
            raise NotFound(f"no task {task_id}", task_id=task_id) from exc
        if task is None:
            raise NotFound(f"no task {task_id} in this instance", task_id=task_id)
        return task

    @property
    def is_completed(self) -> bool:
        return bool(self.workflow.completed)

    def next_timer_at(self) -> datetime | None:
        """Earliest instant at which a waiting timer of this instance is due (timers behind
        an event-based gateway included)."""
        return min((timer.due_at for timer in armed_timers(self.workflow)), default=None)

    def fired_timers(self) -> list[str]:
        """Element ids of waiting timers that are due now (before stepping)."""
        now = clock.now()
        return [
            getattr(timer.element, "bpmn_id", None) or timer.element.name
            for timer in armed_timers(self.workflow)
            if timer.due_at <= now
        ]

    def waiting_for(self) -> list[str] | None:
        """``message:NAME``/``signal:NAME`` entries the instance waits for (None: none)."""
        return events_waiting_for(self.workflow)

    def data(self) -> dict[str, Any]:
        """The process variables as of the most recent step."""
        if self.workflow.completed:
            # The workflow's own End task holds the data as it finished (multi-instance
            # children and branches keep older copies).
            for task in self.workflow.tasks.values():  # top level only, not sub-processes
                if task.task_spec.name == "End" and task.has_state(TaskState.COMPLETED):
                    return dict(task.data)
        last = self.workflow.last_task or self.workflow.task_tree
        data = dict(last.data)
        for task in self.ready_user_tasks():
            data.update(task.data)
        return data

    def dump(self, serializer: StateSerializer) -> bytes:
        """The state to store, once the finished tasks nothing reads any more are dropped
        (engine.state_pruning): a step costs the same at the 200th task as at the 20th."""
        prune_finished(self.workflow)
        check = self.budget.state_size if self.budget is not None else None
        return serializer.dump_state(self.workflow, check)
