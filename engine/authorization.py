"""Who may do what with a human task.

The engine knows actors only as ids with role grants ("role R in organisation O"). A task
is offered to the holders of its role in its organisation; once claimed, only the assignee
works it. The domain supplies the directory of actors and may subclass :class:`Authorizer`
(for example to let an agency head assign work within the agency).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from engine.messages import Message


@dataclass(frozen=True)
class RoleGrant:
    """Holding ``role`` in ``organisation`` (``None``: in every organisation)."""

    role: str
    organisation: str | None = None


@dataclass(frozen=True)
class Actor:
    """A user or system account as the engine sees it."""

    id: str
    grants: frozenset[RoleGrant] = field(default_factory=frozenset)
    is_admin: bool = False
    display_name: str | None = None

    def holds(self, role: str | None, organisation: str | None) -> bool:
        """True if the actor holds ``role`` in ``organisation`` (or the task has no role)."""
        if role is None:
            return True
        for grant in self.grants:
            if grant.role != role:
                continue
            if grant.organisation is None or organisation is None:
                return True
            if grant.organisation == organisation:
                return True
        return False

    @property
    def label(self) -> str:
        return self.display_name or self.id


SYSTEM = Actor(id="system", is_admin=True, display_name="Lexflow")


class ActorDirectory(Protocol):
    """Looks actors up by id; the domain implements it over its user tables."""

    def get(self, actor_id: str) -> Actor | None: ...


class StaticDirectory:
    """A directory held in memory (scripts, tests, the engine-only CLI)."""

    def __init__(self, actors: Iterable[Actor] = ()) -> None:
        self._actors: dict[str, Actor] = {actor.id: actor for actor in actors}

    def add(self, actor: Actor) -> None:
        self._actors[actor.id] = actor

    def get(self, actor_id: str) -> Actor | None:
        return self._actors.get(actor_id)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Iterable[str]]) -> StaticDirectory:
        """``{"an": ["drafter@SXD", "reviewer"]}`` -> actors with those grants."""
        actors = []
        for actor_id, grants in mapping.items():
            parsed = set()
            for grant in grants:
                role, _, org = grant.partition("@")
                parsed.add(RoleGrant(role=role, organisation=org or None))
            actors.append(Actor(id=actor_id, grants=frozenset(parsed)))
        return cls(actors)


@dataclass(frozen=True)
class TaskFacts:
    """The projection fields authorization decisions depend on."""

    id: str
    instance_id: int
    element_id: str
    role: str | None
    organisation: str | None
    assignee: str | None
    state: str
    separate_from: tuple[str, ...] = ()
    # Actors who completed the tasks named in ``separate_from`` in this instance.
    excluded_actors: frozenset[str] = frozenset()


class Authorizer:
    """Default policy; every method returns a reason string when refused, else ``None``."""

    #: Roles whose holders may (re)assign any task of their organisation.
    supervisor_roles: frozenset[str] = frozenset()

    def is_supervisor(self, actor: Actor, organisation: str | None) -> bool:
        if actor.is_admin:
            return True
        return any(actor.holds(role, organisation) for role in self.supervisor_roles)

    def eligible(self, actor: Actor, task: TaskFacts) -> str | None:
        """Could ``actor`` work this task at all (role, organisation, four-eyes)?"""
        if not actor.holds(task.role, task.organisation):
            if task.organisation:
                return Message(
                    "%(actor)s does not hold the role '%(role)s' of %(organisation)s",
                    actor=actor.id,
                    role=task.role,
                    organisation=task.organisation,
                )
            return Message(
                "%(actor)s does not hold the role '%(role)s'", actor=actor.id, role=task.role
            )
        if actor.id in task.excluded_actors:
            return Message(
                "%(actor)s completed an earlier step (%(steps)s) of this process and may not "
                "also do this one (four-eyes rule)",
                actor=actor.id,
                steps=", ".join(task.separate_from),
            )
        return None

    def refuse_claim(self, actor: Actor, task: TaskFacts) -> str | None:
        return self.eligible(actor, task)

    def refuse_complete(self, actor: Actor, task: TaskFacts) -> str | None:
        if task.state == "claimed" and task.assignee != actor.id:
            return Message("the task is claimed by %(assignee)s", assignee=task.assignee)
        return self.eligible(actor, task)

    def refuse_unclaim(self, actor: Actor, task: TaskFacts) -> str | None:
        if task.assignee == actor.id or self.is_supervisor(actor, task.organisation):
            return None
        return Message(
            "only %(assignee)s or a supervisor may release this task", assignee=task.assignee
        )

    def refuse_assign(self, actor: Actor, task: TaskFacts, target: Actor) -> str | None:
        allowed = task.assignee == actor.id or self.is_supervisor(actor, task.organisation)
        if not allowed:
            return Message(
                "only the assignee or a supervisor of the organisation may assign this task"
            )
        reason = self.eligible(target, task)
        if reason:
            return Message(
                "cannot assign to %(target)s: %(reason)s", target=target.id, reason=reason
            )
        return None

    def refuse_plan(self, actor: Actor, task: TaskFacts) -> str | None:
        """Set the priority or the follow-up date: the assignee, or a supervisor."""
        if (task.assignee is not None and task.assignee == actor.id) or self.is_supervisor(
            actor, task.organisation
        ):
            return None
        return Message(
            "only the assignee or a supervisor of the organisation may set the priority or "
            "the follow-up date of this task"
        )

    def refuse_start(self, actor: Actor, process_key: str) -> str | None:
        return None

    def refuse_send_event(self, actor: Actor, kind: str, name: str) -> str | None:
        """Deliver a message or broadcast a signal to the processes waiting for it."""
        if actor.is_admin:
            return None
        return Message("only an administrator may send messages and signals to processes")

    def refuse_migrate(self, actor: Actor, organisation: str | None) -> str | None:
        """Move an instance to another version of its process."""
        return self.refuse_manage_instance(actor, organisation)

    def refuse_manage_instance(self, actor: Actor, organisation: str | None) -> str | None:
        """Cancel, suspend, resume, migrate."""
        if self.is_supervisor(actor, organisation):
            return None
        return Message("only an administrator or a supervisor may manage this process instance")
