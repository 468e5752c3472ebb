"""Keeping stored instance state the size of what is still running, not of its history.

SpiffWorkflow keeps every task an instance ever ran in its task tree, and restores and
serializes all of them at every step: a step of a 200-task instance cost 3.3 times a step
of a 20-task one (SpiffArena's users report 5–17 times on 100-task models). The history is
kept elsewhere — the audit chain and the human-task rows record who did what and when — so
before each save :func:`prune_finished` drops the finished tasks no later step can look at:

* a finished leaf (completed or cancelled, nothing under it);
* a completed task with a single completed child, whose child takes its place under its
  parent (ancestry between the tasks that remain is unchanged, so SpiffWorkflow's
  ``is_descendant_of`` and ``find_ancestor`` answer as before).

What SpiffWorkflow does read later is never dropped: the root; the most recently completed
task (``last_task``, where the next step's data comes from); the parent of every unfinished
task (data is inherited from it; a join asks which input it came through); the children of
a task not yet finished (a multi-instance task counts them); a task with more than one
child left (a boundary event join looks back to its split: once one branch is all that is
left, that join has fired); the tasks of unstructured joins (parallel, inclusive and end
joins merge the data of their earlier arrivals' parents) and their parents; a task that owns
a sub-process; tasks in error. The names of the specs pruned tasks completed are kept with
the state (:func:`pruned_spec_names`), so "this step was done before" (rework routing) and
the diagram's completed elements survive.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState

#: Attribute of a (sub-)workflow object: names of specs whose completed tasks were pruned.
PRUNED_ATTRIBUTE = "lexflow_pruned_specs"

_REMOVABLE = TaskState.COMPLETED | TaskState.CANCELLED


def prune_finished(workflow: Any) -> int:
    """Drop the finished tasks of ``workflow`` and of its sub-processes that nothing can
    read any more; returns how many were dropped."""
    owners: set[UUID] = set(workflow.subprocesses)
    dropped = _prune_tree(workflow, owners)
    for subprocess in workflow.subprocesses.values():
        dropped += _prune_tree(subprocess, owners)
    return dropped


def pruned_spec_names(workflow: Any) -> set[str]:
    """Names of the specs whose completed tasks were pruned from this (sub-)workflow."""
    names = getattr(workflow, PRUNED_ATTRIBUTE, None)
    if names is None:
        names = set()
        setattr(workflow, PRUNED_ATTRIBUTE, names)
    return names


def completed_specs(workflow: Any) -> list[Any]:
    """Every task spec the workflow (sub-processes included) completed at least once,
    whether its task is still in the tree or was pruned."""
    specs = [task.task_spec for task in workflow.get_tasks(state=TaskState.COMPLETED)]
    for part in (workflow, *workflow.subprocesses.values()):
        known = part.spec.task_specs
        specs.extend(known[name] for name in pruned_spec_names(part) if name in known)
    return specs


def pruned_to_dict(workflow: Any) -> dict[str, list[str]]:
    """The remembered spec names, for the stored state ("" is the top workflow)."""
    out = {"": sorted(pruned_spec_names(workflow))} if pruned_spec_names(workflow) else {}
    for sp_id, subprocess in workflow.subprocesses.items():
        if pruned_spec_names(subprocess):
            out[str(sp_id)] = sorted(pruned_spec_names(subprocess))
    return out


def pruned_from_dict(workflow: Any, stored: dict[str, Iterable[str]] | None) -> None:
    for key, names in (stored or {}).items():
        part = workflow if key == "" else workflow.subprocesses.get(UUID(key))
        if part is not None:
            pruned_spec_names(part).update(names)


def _join_like(spec: Any) -> bool:
    return isinstance(spec, UnstructuredJoin)


def _prune_tree(workflow: Any, owners: set[UUID]) -> int:
    root = workflow.task_tree
    if root is None:
        return 0
    tasks = workflow.tasks
    last = workflow.last_task.id if workflow.last_task is not None else None
    names = pruned_spec_names(workflow)
    # Post-order without recursion (a chain is as deep as its history).
    order: list[Any] = []
    stack = [root]
    while stack:
        task = stack.pop()
        order.append(task)
        stack.extend(child for child in task.children if child is not None)
    dropped = 0
    for task in reversed(order):  # children before parents
        children = [child for child in task.children if child is not None]
        if not _droppable(task, children, root, last, owners):
            continue
        parent = task.parent
        position = parent._children.index(task.id)
        if children:
            (child,) = children
            child._parent = parent.id
            parent._children[position] = child.id
        else:
            del parent._children[position]
        if task.has_state(TaskState.COMPLETED):
            names.add(task.task_spec.name)
        del tasks[task.id]
        dropped += 1
    return dropped


def _droppable(
    task: Any, children: list[Any], root: Any, last: UUID | None, owners: set[UUID]
) -> bool:
    if task is root or task.id == last or task.id in owners:
        return False
    parent = task.parent
    # A running parent may count its children (a multi-instance task does).
    if parent is None or not parent.has_state(TaskState.FINISHED_MASK):
        return False
    if not task.has_state(_REMOVABLE) or _join_like(task.task_spec):
        return False
    if len(children) > 1:
        return False
    if children:
        (child,) = children
        if not child.has_state(TaskState.COMPLETED) or _join_like(child.task_spec):
            return False
    return True
