"""The "todays" that break naive date code, for the tests that depend on the day.

A suite that passes today and fails next month is broken, so every date-sensitive test runs
at each of these moments (Vietnamese local time, as a civil servant would see the wall clock):
around the 2026 New Year's swap, either side of the Tết break, the half-year boundary, the last
evening of the year and the first minutes of the next (when the UTC date is still the old one),
and a Saturday that is a working day. ``LEXFLOW_TODAY=YYYY-MM-DD`` runs the whole suite as of
another day on top of these (see ``tests/conftest.py``).
"""

from __future__ import annotations

from datetime import datetime

from workflows.calendar import VIETNAM_TZ


def _vn(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM_TZ)


#: id -> moment (aware, Vietnam time).
TRICKY_MOMENTS: dict[str, datetime] = {
    "2-january-day-off": _vn("2026-01-02 09:00"),  # Friday, given off in the 2026 swap
    "working-saturday": _vn("2026-01-10 10:00"),  # Saturday worked to pay the swap back
    "eve-of-tet-break": _vn("2026-02-13 16:00"),  # last working day before Tết (14-22/2)
    "inside-tet-break": _vn("2026-02-18 09:00"),  # mùng 2 Tết
    "half-year-end": _vn("2026-06-30 17:00"),
    "half-year-start": _vn("2026-07-01 08:00"),
    "new-years-eve": _vn("2026-12-31 23:30"),
    "new-year-utc-still-old": _vn("2027-01-01 00:30"),  # UTC date is 31/12 still
}

MOMENT_IDS = list(TRICKY_MOMENTS)
MOMENTS = list(TRICKY_MOMENTS.values())
