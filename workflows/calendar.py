"""Working days and time limits of Vietnamese administrative procedure.

A time limit in the drafting procedure ("within 10 working days", "at least 20 days before
the meeting") is counted on the calendar of the civil service: Monday to Friday, minus the
public holidays of Labour Code 2019 Art. 112 and their compensating days (Art. 111(3)), minus
the extra days off and plus the working Saturdays the government decides each year. The
periods themselves follow Civil Code 2015 Arts. 147-148: the day of the event is not counted,
and a period whose last day is a rest day ends on the next working day.

Rule-based holidays, including the lunar dates of Tết and of the Hùng Kings on the Vietnamese
lunar calendar, come from the ``holidays`` package; the decided swaps it does not know come
from :mod:`workflows.calendar_schedule`; what an administrator enters comes last and wins.

This module does no I/O: a :class:`WorkingCalendar` is an immutable value that can be shared
between threads and requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from types import MappingProxyType
from typing import Final, Literal
from zoneinfo import ZoneInfo

import holidays

from workflows.calendar_schedule import OFFICIAL_SCHEDULE

__all__ = [
    "VIETNAM_TZ",
    "CalendarException",
    "WorkingCalendar",
    "end_of_day",
    "vietnam_date",
]

#: Deadlines and "today" are Vietnamese: a day starts and ends in this zone (UTC+7, no DST).
VIETNAM_TZ: Final = ZoneInfo("Asia/Ho_Chi_Minh")

_ONE_DAY: Final = timedelta(days=1)
_WEEKEND_NAMES: Final[Mapping[int, str]] = MappingProxyType({5: "Thứ Bảy", 6: "Chủ nhật"})


@dataclass(frozen=True)
class CalendarException:
    """One day whose status differs from the rules, entered by the government or an admin.

    ``kind == "off"`` makes ``day`` a rest day (an extra day off, or a cancelled working
    Saturday); ``kind == "work"`` makes it a working day (a Saturday worked to pay back a
    swap, or a holiday an administrator decides to work). ``name`` is what
    :meth:`WorkingCalendar.rest_reason` shows for a day off and what lists show for either.
    """

    day: date
    kind: Literal["off", "work"]
    name: str

    def __post_init__(self) -> None:
        _require_date(self.day)
        if self.kind not in ("off", "work"):
            raise ValueError(f"kind must be 'off' or 'work', not {self.kind!r}")
        if not self.name.strip():
            raise ValueError("a calendar exception needs a name")


class WorkingCalendar:
    """The civil-service calendar: which days are working days, and how periods run.

    The status of a day is decided, in increasing order of precedence, by: the weekend
    (Saturday and Sunday are rest days); the Vietnamese public holidays of the ``holidays``
    package with its compensating days; the built-in official schedule (when
    ``include_official_schedule`` is true); the caller's ``exceptions``. Among the caller's
    exceptions, a later entry for the same day replaces an earlier one.

    All methods take and return :class:`datetime.date` values in Vietnamese local time; pass a
    moment through :func:`vietnam_date` first. Passing a ``datetime`` raises ``TypeError``
    rather than silently using the date of whatever zone it happens to be in.
    """

    def __init__(
        self,
        exceptions: Iterable[CalendarException] = (),
        *,
        include_official_schedule: bool = True,
    ) -> None:
        merged: dict[date, CalendarException] = {}
        if include_official_schedule:
            for day, kind, name in OFFICIAL_SCHEDULE:
                merged[day] = CalendarException(day, kind, name)
        for exception in exceptions:
            if not isinstance(exception, CalendarException):
                raise TypeError(f"expected CalendarException, got {type(exception).__name__}")
            merged[exception.day] = exception
        self._exceptions: Mapping[date, CalendarException] = MappingProxyType(merged)
        # Each day's reason, once found: the calendar never changes, and a plan or a
        # dashboard asks about the same days tens of thousands of times (backward plans of
        # 500 drafts walk 40 k days).
        self._reasons: dict[date, str | None] = {}

    @property
    def exceptions(self) -> Mapping[date, CalendarException]:
        """The official schedule and caller exceptions in force, by day (read-only)."""
        return self._exceptions

    def is_working_day(self, day: date) -> bool:
        """Whether civil servants work on ``day`` (a working Saturday counts as one)."""
        return self.rest_reason(day) is None

    def rest_reason(self, day: date) -> str | None:
        """Why ``day`` is a rest day, or ``None`` when it is a working day.

        The most specific reason wins: an exception's name, then the holiday's name (a holiday
        on a Sunday shows the holiday, not "Chủ nhật"), then "Thứ Bảy" / "Chủ nhật".
        """
        try:
            return self._reasons[day]  # a datetime is never a key: it fails the check below
        except KeyError:
            pass
        _require_date(day)
        exception = self._exceptions.get(day)
        if exception is not None:
            reason = exception.name if exception.kind == "off" else None
        else:
            holiday = _statutory_holidays(day.year).get(day)
            reason = holiday if holiday is not None else _WEEKEND_NAMES.get(day.weekday())
        self._reasons[day] = reason
        return reason

    def days_off(self, year: int) -> dict[date, str]:
        """Every Monday-to-Friday rest day of ``year`` with its name, in date order.

        These are the days that make a working-day count differ from "weekdays": holidays,
        compensating days and extra days off. Holidays that fall on a weekend are not listed
        (their compensating day is).
        """
        result: dict[date, str] = {}
        for day in _days_of(year):
            if day.weekday() < 5:
                reason = self.rest_reason(day)
                if reason is not None:
                    result[day] = reason
        return result

    def working_weekend_days(self, year: int) -> list[date]:
        """The Saturdays and Sundays of ``year`` that are working days, in date order."""
        return [d for d in _days_of(year) if d.weekday() >= 5 and self.is_working_day(d)]

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        _require_date(day)
        candidate = day + _ONE_DAY
        while not self.is_working_day(candidate):
            candidate += _ONE_DAY
        return candidate

    def add_working_days(self, start: date, n: int) -> date:
        """The last day of a period of ``n`` working days that starts with an event on ``start``.

        Civil Code Art. 147: the day of the event is not counted, so the result is the n-th
        working day strictly after ``start`` (a working Saturday counts; a rest day never can
        be the result). ``n == 0`` means "the same day": ``start`` if it is a working day, else
        the next working day. Raises ``ValueError`` when ``n < 0``: a period of working days
        counted backwards is not a construct of the procedure (use
        :meth:`subtract_calendar_days` for "at least n days before").
        """
        _require_date(start)
        _require_non_negative(n)
        if n == 0:
            return start if self.is_working_day(start) else self.next_working_day(start)
        day = start
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def add_calendar_days(self, start: date, n: int) -> date:
        """The last day of a period of ``n`` calendar days that starts with an event on ``start``.

        Civil Code Art. 147: the day of the event is not counted, so the period nominally ends
        on ``start + n``. Art. 148: when that day is a rest day (a weekend day that is not a
        working Saturday, a holiday, an extra day off) the period ends on the next working day.
        The days in between are counted whatever they are. Raises ``ValueError`` when ``n < 0``.
        """
        _require_date(start)
        _require_non_negative(n)
        end = start + timedelta(days=n)
        return end if self.is_working_day(end) else self.next_working_day(end)

    def subtract_calendar_days(self, anchor: date, n: int) -> date:
        """The latest working day on which to act "at least ``n`` days before" ``anchor``.

        The rule counts calendar days backwards from the meeting, so the latest compliant day
        is ``anchor - n``. Art. 148 (moving a last day that is a rest day to the *next* working
        day) is not applied: moving forward would leave fewer than ``n`` days, i.e. break the
        obligation. An office cannot send or publish on a rest day, so when ``anchor - n`` is
        one, the result is the last working day before it - the day a civil servant must
        actually act by. The result is therefore always a working day on or before
        ``anchor - n``. Raises ``ValueError`` when ``n < 0``.
        """
        _require_date(anchor)
        _require_non_negative(n)
        day = anchor - timedelta(days=n)
        while not self.is_working_day(day):
            day -= _ONE_DAY
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """The number of working days ``d`` with ``start < d <= end``.

        The first day is not counted (Art. 147), so ``working_days_between(s,
        add_working_days(s, n)) == n`` for ``n >= 1``. When ``end < start`` the result is the
        negated count of ``end < d <= start``: "how many working days late" comes out
        negative before a deadline and positive after it.
        """
        _require_date(start)
        _require_date(end)
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            if self.is_working_day(day):
                count += 1
            day += _ONE_DAY
        return count


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in Vietnam (23:59:59.999999, aware, Asia/Ho_Chi_Minh).

    Civil Code Art. 148: a period ends at the end of its last day. A deadline stored as this
    instant compares correctly with UTC timestamps from :func:`engine.clock.now`.
    """
    _require_date(day)
    return datetime.combine(day, time.max, tzinfo=VIETNAM_TZ)


def vietnam_date(moment: datetime) -> date:
    """The Vietnamese calendar date of ``moment`` (naive values are taken to be UTC).

    Use it to turn an event's timestamp into the ``start`` of a period: 20:00 UTC on the 1st
    is already the 2nd in Vietnam.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM_TZ).date()


@cache
def _statutory_holidays(year: int) -> Mapping[date, str]:
    """The public holidays of ``year`` with Vietnamese names, from the ``holidays`` package.

    Observed (compensating) days are taken from the package rather than computed here: its
    Vietnam class implements Art. 111(3) (a holiday on Saturday or Sunday gives the next
    working day) and, for Tết, the practice of the official decisions (a Tết day on Saturday is
    given back on the weekday before the break, on Sunday after it), which matches the decided
    schedules of 2024-2026. Computing them again here would risk compensating a day twice.
    One mapping per year, cached and read-only, so the package's lazily growing holiday object
    is never shared between threads.
    """
    table = holidays.country_holidays("VN", years=year, language="vi", observed=True)
    return MappingProxyType(dict(table.items()))


def _days_of(year: int) -> Iterator[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += _ONE_DAY


def _require_date(value: object) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"expected a date, got {type(value).__name__}")


def _require_non_negative(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"a number of days must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"a period cannot have a negative length ({n} days)")
