"""Organisation names in both languages, for pages and for the models' ``org_name()``.

A model titles a consultation reply with the consulted agency's name
(``org_name(agency)``), but expressions run inside the engine's evaluator, where there is no
database session. Like the working-day calendar (:mod:`workflows.calendar_store`),
:class:`OrganisationNameProvider` keeps the table in memory and reloads it when it is a few
seconds old, or when a code it does not know is asked for (an organisation added a moment
ago is named at once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Database
from workflows.directory import Organisation

#: code -> (Vietnamese name, English name)
Names = Mapping[str, tuple[str, str]]


def load_names(session: Session) -> dict[str, tuple[str, str]]:
    rows = session.execute(select(Organisation.code, Organisation.name_vi, Organisation.name_en))
    return {code: (name_vi, name_en or name_vi) for code, name_vi, name_en in rows}


def name_in(names: Names, code: str, language: str) -> str:
    """``code``'s name in ``language`` ("vi" or anything else for English); the code itself
    when no organisation has it, so a title never fails over a name."""
    pair = names.get(code)
    if pair is None:
        return code
    return pair[0] if language == "vi" else pair[1]


class OrganisationNameProvider:
    """Thread-safe cache of every organisation's names; ``refresh()`` after an edit."""

    def __init__(self, db: Database, max_age_seconds: float = 30.0) -> None:
        self.db = db
        self.max_age = max_age_seconds
        self._names: dict[str, tuple[str, str]] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def __call__(self, code: str | None = None) -> Names:
        """The names, reloaded when stale or when ``code`` is not among them."""
        with self._lock:
            stale = time.monotonic() - self._loaded_at > self.max_age
            unknown = code is not None and self._names is not None and code not in self._names
            if self._names is None or stale or (unknown and time.monotonic() - self._loaded_at > 1):
                with self.db.read() as session:
                    self._names = load_names(session)
                self._loaded_at = time.monotonic()
            return self._names

    def refresh(self) -> None:
        with self._lock:
            self._names = None


def organisation_name_functions(
    names: Callable[..., Names],
) -> dict[str, Callable[..., Any]]:
    """``org_name(code)`` and ``org_name_en(code)`` for the safe evaluator.

    ``names`` returns the current names; it is passed the code asked for, so a provider may
    reload when it does not know it.
    """

    def org_name(code: Any) -> str:
        """The organisation's Vietnamese name (its code when unknown)."""
        text = str(code or "")
        return name_in(names(text), text, "vi") if text else ""

    def org_name_en(code: Any) -> str:
        """The organisation's English name (its code when unknown)."""
        text = str(code or "")
        return name_in(names(text), text, "en") if text else ""

    return {"org_name": org_name, "org_name_en": org_name_en}
