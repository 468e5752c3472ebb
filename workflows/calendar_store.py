"""The days off and working weekend days an administrator enters, and the live calendar.

Deadline functions run inside the engine's expression evaluator, where there is no database
session, so :class:`CalendarProvider` keeps a :class:`WorkingCalendar` built from the table
and rebuilds it when it is older than a few seconds or after an edit in this process.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime

from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import Database, InvalidData, Message, clock
from engine.models import Base
from workflows.calendar import CalendarException, WorkingCalendar


class CalendarDay(Base):
    """An extra day off on a weekday, or a working weekend day (a swap)."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # off | work
    name: Mapped[str] = mapped_column(String(200))
    entered_by: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[datetime]


def set_day(session: Session, day: date, kind: str, name: str, actor: str) -> CalendarDay:
    if kind not in ("off", "work"):
        raise InvalidData(Message("kind must be 'off' (a day off) or 'work' (a working day)"))
    if not name.strip():
        raise InvalidData(Message("give the day a name (e.g. 'Nghỉ bù Quốc khánh')"))
    row = session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day)
        session.add(row)
    row.kind, row.name, row.entered_by, row.entered_at = kind, name.strip(), actor, clock.now()
    session.flush()
    return row


def remove_day(session: Session, day: date) -> None:
    row = session.get(CalendarDay, day)
    if row is not None:
        session.delete(row)
        session.flush()


def load_calendar(session: Session) -> WorkingCalendar:
    rows = session.execute(select(CalendarDay).order_by(CalendarDay.day)).scalars()
    return WorkingCalendar(
        CalendarException(row.day, row.kind, row.name)  # type: ignore[arg-type]
        for row in rows
    )


class CalendarProvider:
    """Thread-safe cache of the calendar; ``refresh()`` after an edit."""

    def __init__(self, db: Database, max_age_seconds: float = 30.0) -> None:
        self.db = db
        self.max_age = max_age_seconds
        self._calendar: WorkingCalendar | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> WorkingCalendar:
        with self._lock:
            if self._calendar is None or time.monotonic() - self._loaded_at > self.max_age:
                with self.db.read() as session:
                    self._calendar = load_calendar(session)
                self._loaded_at = time.monotonic()
            return self._calendar

    def refresh(self) -> None:
        with self._lock:
            self._calendar = None
