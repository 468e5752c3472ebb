"""The domain's tables join the engine's metadata and Alembic history (branch "workflows")."""

from __future__ import annotations

from pathlib import Path

from engine.schema import register_version_location

# Importing the modules registers their tables on the shared metadata.
from workflows import (  # noqa: F401
    accounts,
    calendar_store,
    comments,
    completion_receipts,
    deadlines,
    directory,
    dossier,
    drafts,
    inbox_filters,
    model_drafts,
    notifications,
    plan,
    registry,
    roles,
)
from workflows.consultation import comments as _consultation_comments  # noqa: F401
from workflows.consultation import ledger as _consultation_ledger  # noqa: F401
from workflows.consultation import text as _consultation_text  # noqa: F401
from workflows.reminders import policy as _reminder_policy  # noqa: F401
from workflows.step_times import model as _step_times  # noqa: F401

VERSIONS = Path(__file__).parent / "migrations" / "versions"
register_version_location(VERSIONS)
