"""What the dashboards know about a step beyond its task rows: its names and its rule.

A ``human_task`` row carries the element id and the model's (Vietnamese) name of its step.
The English name (the ``name_en`` property, as the task pages show it) and the deadline
rule that limits the step (the ``deadline("<step>")`` its due date names: the modeler's
"deadline rule" property) belong to the deployed definition. :class:`StepCatalog` reads
them from the parsed spec, which the engine caches per definition, once per step and
definition: no workflow instance is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine import Engine
from workflows.deadlines import deadline_steps


@dataclass(frozen=True)
class StepFacts:
    name: str | None  # the model's name (Vietnamese)
    name_en: str | None
    rule_step: str | None  # the deadline rule step its due date names (None: not ruled)


NO_FACTS = StepFacts(None, None, None)


class StepCatalog:
    """The facts of (definition, element) pairs, looked up once each."""

    def __init__(self, engine: Engine, session: Session) -> None:
        self._engine = engine
        self._session = session
        self._known: dict[tuple[int, str], StepFacts] = {}

    def facts(self, definition_id: int | None, element_id: str) -> StepFacts:
        if definition_id is None:
            return NO_FACTS
        key = (definition_id, element_id)
        if key not in self._known:
            spec = self._engine.loaded_spec(definition_id, session=self._session)
            info = spec.user_task_by_element(element_id)
            if info is None:
                self._known[key] = NO_FACTS
            else:
                steps = list(deadline_steps(info.due_expr or ""))
                self._known[key] = StepFacts(info.name, info.name_en, steps[0] if steps else None)
        return self._known[key]
