"""Lexflow's generic BPM runtime on SpiffWorkflow (no domain words, no Flask)."""

from .authorization import Actor, ActorDirectory, Authorizer, RoleGrant, StaticDirectory
from .core import Engine
from .database import Database
from .definitions import DefinitionInfo
from .errors import (
    Conflict,
    DeploymentError,
    EngineError,
    ExpressionError,
    Forbidden,
    InvalidData,
    NotFound,
    ProcessError,
)
from .events import Delivery
from .instances import InstanceInfo
from .messages import Message
from .run_bounds import RunBoundExceeded, RunLimits
from .scheduling import records as _scheduling_records  # noqa: F401  (its table)
from .services import ServiceCall, ServiceRegistry
from .task_queries import TaskInfo, TaskQuery

__all__ = [
    "Actor",
    "ActorDirectory",
    "Authorizer",
    "Conflict",
    "Database",
    "DefinitionInfo",
    "Delivery",
    "DeploymentError",
    "Engine",
    "EngineError",
    "ExpressionError",
    "Forbidden",
    "InstanceInfo",
    "InvalidData",
    "Message",
    "NotFound",
    "ProcessError",
    "RoleGrant",
    "RunBoundExceeded",
    "RunLimits",
    "ServiceCall",
    "ServiceRegistry",
    "StaticDirectory",
    "TaskInfo",
    "TaskQuery",
]
