"""The demo province as a shared test database: ``load_demo`` runs once per test run and
moment, and every test module that reads the demo gets its own copy (see
:class:`tests.support.databases.SharedDatabase`)."""

from __future__ import annotations

from datetime import datetime

from engine import Database
from tests.support.databases import SharedDatabase
from workflows.demo import load_demo
from workflows.lifecycle import Lifecycle


def load_demo_into(url: str, moment: str) -> list[str]:
    """``lexflow demo`` into the empty database at ``url`` as of ``moment``; its lines."""
    lifecycle = Lifecycle(Database(url))
    try:
        return load_demo(lifecycle, now=datetime.fromisoformat(moment))
    finally:
        lifecycle.db.dispose()


def demo_at(moment: datetime) -> SharedDatabase:
    """The demo loaded as of ``moment`` (its lines are what ``shared_sqlite`` returns)."""
    return SharedDatabase("demo", load_demo_into, (moment.isoformat(),))
