"""How long each step took: one narrow row per completed task of a draft, kept as it completes.

The tasks dashboard's "time per step" (median and 90th percentile in working days against the
statutory limit, issue 12) covers every task completed in a period: about 330 k a year with
100 k drafts. Reading them from ``human_task`` joined to their draft and process instance,
converting timestamps to Vietnamese days in SQL, took seconds. This sub-package owns the
table the dashboard reads instead, :class:`~.model.CompletedStep`: per completed task its
step, definition, the draft's facts the dashboard filters and groups by, and the Vietnamese
days it arrived and was completed (days, not spans: the working-day calendar is edited by
administrators, so spans are counted at query time with the calendar as it stands).

- :mod:`.model`: the table and its indexes (the period filter reads one covering index);
- :mod:`.keeping`: the step listener that writes a row in the transaction that completes the
  task, and keeps the copied draft facts in line (procedure decided later, instance moved to
  a new definition), so the table says exactly what a query over ``human_task`` would;
- :mod:`.filling`: every row again from ``human_task`` in one ``INSERT ... SELECT`` (rows
  written around the engine: bulk loads, the benchmark's copies).
"""

from workflows.step_times.filling import refill
from workflows.step_times.keeping import keep_completed_step
from workflows.step_times.model import CompletedStep

__all__ = ["CompletedStep", "keep_completed_step", "refill"]
