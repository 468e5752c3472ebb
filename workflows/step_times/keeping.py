"""The step listener that keeps ``completed_step`` exactly in step with ``human_task``.

Registered after :func:`workflows.drafts.track_stage` (which sets the draft's procedure from
the step's data), it runs inside the transaction of every saved step of a draft's process:

- the step completed a task (``StepEvent.task_id``, its row now ``completed``): one row, with
  the draft's facts and the instance's definition as they are after this step;
- any step: the instance's earlier rows take the draft's facts and the definition again when
  they differ (a procedure decided after the first steps were done, an instance migrated to
  a new version of its model). One indexed ``UPDATE`` that usually changes nothing.

So the figures group each task by the draft's and instance's current facts, as the join over
``human_task`` did. Tasks cancelled (a branch withdrawn, a draft cancelled, a task gone after
migration) never completed and get no row; a draft's completed tasks stay when the draft is
cancelled, as their ``human_task`` rows do.
"""

from __future__ import annotations

from sqlalchemy import or_, update

from engine.context import StepEvent
from engine.models import HumanTask
from workflows.calendar import vietnam_date
from workflows.drafts import draft_by_code
from workflows.step_times.model import CompletedStep


def keep_completed_step(event: StepEvent) -> None:
    """Step listener: write the completed task's row; refresh the instance's copied facts."""
    session, instance = event.session, event.instance
    # The draft as an object: the write session does not autoflush, and the identity map
    # holds it with the procedure track_stage has just set. By business key (a draft's
    # process has the draft's code; draft_by_code holds it for the session): no query for
    # a process without one.
    draft = draft_by_code(session, instance.business_key)
    if draft is None or draft.instance_id != instance.id:
        return  # not a draft's process (monitoring, or a plain engine process)
    facts = {
        "definition_id": instance.definition_id,
        "document_type": draft.document_type,
        "procedure": draft.procedure,
        "lead_agency": draft.lead_agency,
    }
    session.execute(
        update(CompletedStep)
        .where(
            CompletedStep.instance_id == instance.id,
            or_(*(getattr(CompletedStep, name).is_distinct_from(v) for name, v in facts.items())),
        )
        .values(**facts)
        .execution_options(synchronize_session=False)
    )
    if event.task_id is None:
        return
    task = session.get(HumanTask, event.task_id)
    if task is None or task.state != "completed" or task.completed_at is None:
        return
    session.add(
        CompletedStep(
            task_id=task.id,
            instance_id=instance.id,
            spec_id=task.spec_id,
            created_day=vietnam_date(task.created_at),
            completed_day=vietnam_date(task.completed_at),
            **facts,
        )
    )
