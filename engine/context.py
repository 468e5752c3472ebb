"""What every engine service shares: database, serializer, spec cache, policies, hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .authorization import ActorDirectory, Authorizer, StaticDirectory
from .database import Database
from .expressions import SafeEvaluator
from .scripting import RunContext, SafeScriptEngine
from .serialization import StateSerializer
from .services import ServiceRegistry
from .specs import SpecCache


def _any_role(_role: str) -> bool:
    return True


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

    def script_engine(self, run: RunContext | None = None) -> SafeScriptEngine:
        return SafeScriptEngine(self.evaluator, self.services, run)
