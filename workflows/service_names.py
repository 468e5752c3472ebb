"""Names of the service operations the lifecycle models may call.

The implementations live in :mod:`workflows.services`; this list is what model authors and
deploy-time checks rely on.
"""

from __future__ import annotations

SERVICE_NAMES: tuple[str, ...] = (
    "escalate",
    "enter_plan",
    "assign_number",
    "publish",
    "register_regulation",
    "start_monitoring",
    "record_impact",
    "create_follow_up_draft",
    "close_draft",
)
