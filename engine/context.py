"""What every engine service shares: database, serializer, spec cache, policies, hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .authorization import ActorDirectory, Authorizer, StaticDirectory
from .database import Database
from .expressions import SafeEvaluator
from .lint import RuleSet, default_rules
from .run_bounds import RunLimits
from .scripting import RunContext, SafeScriptEngine
from .serialization import StateSerializer
from .services import ServiceRegistry
from .specs import SpecCache

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .authorization import Actor
    from .models import HumanTask, ProcessInstance
    from .specs import LoadedSpec, UserTaskInfo


def _any_role(_role: str) -> bool:
    return True


@dataclass(frozen=True)
class StepEvent:
    """Told to step listeners after an instance was saved (same transaction)."""

    session: Session
    instance: ProcessInstance
    loaded: LoadedSpec
    action: str
    actor: str
    open_tasks: list[tuple[HumanTask, UserTaskInfo | None]]
    data: Mapping[str, Any]
    #: The tasks this step opened (a subset of ``open_tasks``): what is new for somebody.
    created: tuple[HumanTask, ...] = ()
    #: The user task this step completed, if it completed one.
    task_id: str | None = None
    #: Steps (element ids) among ``created`` that the workflow had completed before, from
    #: its task tree: rework can only be among them. None when not known.
    repeated: frozenset[str] | None = None


@dataclass(frozen=True)
class TaskChange:
    """Told to task listeners after a task changed hands (same transaction).

    ``action`` is "claim", "unclaim", "assign" or "reroute"; ``previous_assignee`` who held
    the task before (None when it was open).
    """

    session: Session
    task: HumanTask
    action: str
    actor: str
    previous_assignee: str | None


@dataclass(frozen=True)
class CompletionRequest:
    """Told to completion checks before a user task is completed; they may raise InvalidData."""

    session: Session
    task: HumanTask
    info: UserTaskInfo | None
    actor: Actor
    data: Mapping[str, Any]
    process_data: Mapping[str, Any]


StepListener = Callable[[StepEvent], None]
TaskListener = Callable[[TaskChange], None]
CompletionCheck = Callable[[CompletionRequest], None]


@dataclass
class EngineContext:
    db: Database
    evaluator: SafeEvaluator
    services: ServiceRegistry = field(default_factory=ServiceRegistry)
    directory: ActorDirectory = field(default_factory=StaticDirectory)
    authorizer: Authorizer = field(default_factory=Authorizer)
    role_known: Callable[[str], bool] = _any_role
    serializer: StateSerializer = field(default_factory=StateSerializer)
    spec_cache: SpecCache = field(default_factory=SpecCache)
    step_listeners: list[StepListener] = field(default_factory=list)
    task_listeners: list[TaskListener] = field(default_factory=list)
    #: User-task properties copied into each task's labels (filterable in task queries).
    label_properties: tuple[str, ...] = ()
    completion_checks: list[CompletionCheck] = field(default_factory=list)
    #: Whether an organisation code exists (None: any). A step is never opened for an
    #: organisation that does not exist: nobody could ever do it.
    organisation_known: Callable[[Any, str], bool] | None = None
    #: Bounds on each transaction's run (steps, time, size, nesting, multi-instance).
    limits: RunLimits = field(default_factory=RunLimits)
    #: Whether a role may own a lane, read in the caller's session (None: ``role_known``).
    #: Roles are data the domain can add to, so deploy and lint ask in their transaction.
    role_exists: Callable[[Any, str], bool] | None = None
    #: The lint rules every deploy and every lint-only check runs.
    lint_rules: RuleSet = field(default_factory=default_rules)

    def knows_role(self, session: Any, role: str) -> bool:
        if self.role_exists is not None:
            return self.role_exists(session, role)
        return self.role_known(role)

    def script_engine(self, run: RunContext | None = None) -> SafeScriptEngine:
        return SafeScriptEngine(self.evaluator, self.services, run)
