"""The working-day calendar against a hand-checked table of 2025-2027 time limits.

Every expected value below was counted by hand on a printed month calendar
(``python -c "import calendar; print(calendar.month(2026, 2))"``) against the official
schedules of DOMAIN.md "Calendars"; none is computed by the code under test.

Days off (weekdays) used for the counts:
  2025: 1/1; 27-31/1; 7/4; 30/4, 1/5, 2/5; 1/9, 2/9.   Working Saturday: 26/4.
  2026: 1/1, 2/1; 16-20/2; 27/4; 30/4, 1/5; 31/8, 1/9, 2/9; 24/11.
        Working Saturdays: 10/1, 22/8.
  2027: 1/1; 4, 5, 8, 9, 10/2; 16/4; 30/4; 3/5; 2/9, 3/9; 24/11.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import holidays
import pytest

from workflows.calendar import (
    VIETNAM_TZ,
    CalendarException,
    WorkingCalendar,
    end_of_day,
    vietnam_date,
)
from workflows.calendar_schedule import OFFICIAL_SCHEDULE

D = date

# (operation, start, n or end date, expected, how it was checked)
CASES = [
    # --- Tết 2025: break Sat 25/1 - Sun 2/2, weekdays 27-31/1 off -----------------------------
    ("working", D(2025, 1, 24), 1, D(2025, 2, 3), "Fri; 25/1-2/2 all rest -> Mon 3/2"),
    ("working", D(2025, 1, 22), 5, D(2025, 2, 5), "Thu23 Fri24 | Mon3 Tue4 Wed5"),
    ("calendar", D(2025, 1, 20), 10, D(2025, 2, 3), "20+10=Thu 30/1 mùng 2 -> Mon 3/2"),
    ("between", D(2025, 1, 24), D(2025, 2, 7), 5, "only 3-7/2 count"),
    # --- Hùng Kings 2025 Mon 7/4; 30/4-4/5 with Sat 26/4 worked, Fri 2/5 off -----------------
    ("working", D(2025, 4, 4), 1, D(2025, 4, 8), "Fri; Sat Sun, Mon 7/4 Hùng Kings -> Tue 8/4"),
    ("working", D(2025, 4, 25), 1, D(2025, 4, 26), "Fri -> Sat 26/4 is worked"),
    ("working", D(2025, 4, 24), 5, D(2025, 5, 5), "Fri25 Sat26 Mon28 Tue29 | 30/4-4/5 | Mon5"),
    ("calendar", D(2025, 4, 16), 10, D(2025, 4, 26), "16+10=Sat 26/4, worked: not moved"),
    ("calendar", D(2025, 4, 20), 10, D(2025, 5, 5), "20+10=Wed 30/4 -> 1/5, 2/5 off -> Mon 5/5"),
    ("between", D(2025, 4, 25), D(2025, 5, 5), 4, "Sat26 Mon28 Tue29 Mon5"),
    ("subtract", D(2025, 5, 12), 10, D(2025, 4, 29), "12-10=Fri 2/5 swap off; 1/5, 30/4 -> 29/4"),
    # --- National Day 2025: break Sat 30/8 - Tue 2/9 ------------------------------------------
    ("working", D(2025, 8, 29), 1, D(2025, 9, 3), "Fri; 30/8-2/9 rest -> Wed 3/9"),
    # --- New Year 2026: 1/1-4/1 with Fri 2/1 off and Sat 10/1 worked --------------------------
    ("working", D(2025, 12, 31), 1, D(2026, 1, 5), "Wed; Thu 1/1, Fri 2/1 off, weekend -> Mon 5/1"),
    ("working", D(2026, 1, 8), 2, D(2026, 1, 10), "Fri9 Sat10 (worked)"),
    ("working", D(2026, 1, 9), 1, D(2026, 1, 10), "Fri -> Sat 10/1 worked"),
    ("calendar", D(2025, 12, 22), 11, D(2026, 1, 5), "22/12+11=Fri 2/1 off -> Mon 5/1"),
    # --- Tết 2026: break Sat 14/2 - Sun 22/2, weekdays 16-20/2 off -----------------------------
    ("working", D(2026, 2, 13), 1, D(2026, 2, 23), "Fri; 14-22/2 rest -> Mon 23/2"),
    ("working", D(2026, 2, 10), 10, D(2026, 3, 3), "11 12 13 | 23 24 25 26 27 | Mon2/3 Tue3/3"),
    ("calendar", D(2026, 2, 7), 10, D(2026, 2, 23), "Sat 7/2+10=Tue 17/2 Tết -> Mon 23/2"),
    ("between", D(2026, 2, 13), D(2026, 2, 27), 5, "only 23-27/2 count"),
    ("between", D(2026, 2, 27), D(2026, 2, 13), -5, "reversed: negative"),
    ("subtract", D(2026, 3, 2), 10, D(2026, 2, 13), "2/3-10=Fri 20/2 Tết; back to Fri 13/2"),
    # --- Hùng Kings 2026 Sun 26/4 -> Mon 27/4 compensating; Thu 30/4, Fri 1/5 -----------------
    ("working", D(2026, 4, 24), 1, D(2026, 4, 28), "Fri; Sat Sun, Mon 27/4 nghỉ bù -> Tue 28/4"),
    ("working", D(2026, 4, 24), 3, D(2026, 5, 4), "Tue28 Wed29 | 30/4-3/5 | Mon4"),
    ("calendar", D(2026, 4, 17), 10, D(2026, 4, 28), "17+10=Mon 27/4 nghỉ bù -> Tue 28/4"),
    # --- National Day 2026: Sat 22/8 worked; 29/8-2/9 with Mon 31/8 off -----------------------
    ("working", D(2026, 8, 21), 1, D(2026, 8, 22), "Fri -> Sat 22/8 worked"),
    ("working", D(2026, 8, 27), 2, D(2026, 9, 3), "Fri28 | 29/8-2/9 rest | Thu3"),
    ("calendar", D(2026, 8, 12), 10, D(2026, 8, 22), "12+10=Sat 22/8, worked: not moved"),
    ("calendar", D(2026, 8, 21), 10, D(2026, 9, 3), "21+10=Mon 31/8 off; 1/9 2/9 -> Thu 3/9"),
    ("between", D(2026, 8, 14), D(2026, 8, 28), 11, "17-21 (5) + Sat22 + 24-28 (5)"),
    ("subtract", D(2026, 8, 25), 3, D(2026, 8, 22), "25-3=Sat 22/8, worked: kept"),
    # --- Vietnamese Culture Day Tue 24/11/2026 ------------------------------------------------
    ("working", D(2026, 11, 23), 1, D(2026, 11, 25), "Mon; Tue 24/11 off -> Wed 25/11"),
    ("calendar", D(2026, 11, 14), 10, D(2026, 11, 25), "14+10=Tue 24/11 -> Wed 25/11"),
    ("subtract", D(2026, 12, 4), 10, D(2026, 11, 23), "4/12-10=Tue 24/11 off -> Mon 23/11"),
    # --- Ordinary weekends --------------------------------------------------------------------
    ("working", D(2026, 3, 6), 5, D(2026, 3, 13), "Fri; Mon9..Fri13"),
    ("calendar", D(2026, 3, 4), 10, D(2026, 3, 16), "4+10=Sat 14/3 -> Mon 16/3"),
    ("calendar", D(2026, 3, 5), 10, D(2026, 3, 16), "5+10=Sun 15/3 -> Mon 16/3"),
    ("subtract", D(2026, 3, 20), 20, D(2026, 2, 27), "20/3-20=Sat 28/2 -> Fri 27/2"),
    ("between", D(2026, 3, 6), D(2026, 3, 6), 0, "same day: nothing counted"),
    # --- n = 0 --------------------------------------------------------------------------------
    ("working", D(2026, 3, 7), 0, D(2026, 3, 9), "Sat, n=0 -> next working Mon 9/3"),
    ("working", D(2026, 3, 9), 0, D(2026, 3, 9), "Mon, n=0 -> itself"),
    ("working", D(2026, 1, 10), 0, D(2026, 1, 10), "worked Sat 10/1, n=0 -> itself"),
    ("calendar", D(2026, 2, 17), 0, D(2026, 2, 23), "Tết day, n=0 -> Mon 23/2"),
    ("subtract", D(2026, 3, 10), 0, D(2026, 3, 10), "Tue, n=0 -> itself"),
    # --- Year boundary 2026 -> 2027 -----------------------------------------------------------
    ("working", D(2026, 12, 30), 2, D(2027, 1, 4), "Thu31 | Fri 1/1 off, weekend | Mon4"),
    ("calendar", D(2026, 12, 22), 10, D(2027, 1, 4), "22/12+10=Fri 1/1 -> Mon 4/1"),
    ("between", D(2026, 12, 25), D(2027, 1, 8), 9, "28 29 30 31 + 4..8/1"),
    # --- 2027 rule-based defaults: Tết 4-10/2, Hùng Kings Fri 16/4, Sat 1/5 -> Mon 3/5 --------
    ("working", D(2027, 2, 3), 1, D(2027, 2, 11), "Wed; 4/2-10/2 rest -> Thu 11/2"),
    ("working", D(2027, 2, 1), 5, D(2027, 2, 15), "Tue2 Wed3 | Thu11 Fri12 Mon15"),
    ("calendar", D(2027, 1, 27), 10, D(2027, 2, 11), "27/1+10=Sat 6/2 mùng 1 -> Thu 11/2"),
    ("working", D(2027, 4, 15), 1, D(2027, 4, 19), "Thu; Fri 16/4 Hùng Kings -> Mon 19/4"),
    ("working", D(2027, 4, 29), 1, D(2027, 5, 4), "Thu; Fri30/4, weekend, Mon 3/5 bù -> Tue 4/5"),
    ("calendar", D(2027, 8, 23), 10, D(2027, 9, 6), "23/8+10=Thu 2/9; Fri 3/9 -> Mon 6/9"),
]


@pytest.fixture(scope="module")
def official() -> WorkingCalendar:
    return WorkingCalendar()


def _run(cal: WorkingCalendar, op: str, start: date, arg: int | date) -> date | int:
    if op == "between":
        assert isinstance(arg, date)
        return cal.working_days_between(start, arg)
    assert isinstance(arg, int)
    method = {
        "working": cal.add_working_days,
        "calendar": cal.add_calendar_days,
        "subtract": cal.subtract_calendar_days,
    }[op]
    return method(start, arg)


@pytest.mark.parametrize(
    ("op", "start", "arg", "expected"),
    [pytest.param(op, s, a, e, id=f"{op}-{s}-{a}") for op, s, a, e, _why in CASES],
)
def test_hand_checked_periods(
    official: WorkingCalendar, op: str, start: date, arg: int | date, expected: date | int
) -> None:
    assert _run(official, op, start, arg) == expected


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        pytest.param(D(2026, 3, 10), None, id="ordinary Tuesday"),
        pytest.param(D(2026, 1, 17), "Thứ Bảy", id="ordinary Saturday"),
        pytest.param(D(2026, 1, 11), "Chủ nhật", id="ordinary Sunday"),
        pytest.param(D(2026, 1, 10), None, id="worked Saturday 10/1/2026"),
        pytest.param(D(2025, 4, 26), None, id="worked Saturday 26/4/2025"),
        pytest.param(D(2026, 8, 22), None, id="worked Saturday 22/8/2026"),
        pytest.param(D(2026, 2, 17), "Tết Nguyên Đán", id="Tết 2026 mùng 1"),
        pytest.param(D(2026, 1, 1), "Tết Dương lịch", id="New Year 2026"),
        pytest.param(
            D(2026, 1, 2),
            "Nghỉ hoán đổi Tết Dương lịch (làm bù thứ Bảy 10/01/2026)",
            id="swap day off 2/1/2026",
        ),
        pytest.param(D(2026, 4, 26), "Ngày Giỗ Tổ Hùng Vương", id="holiday on Sunday named"),
        pytest.param(D(2026, 4, 27), "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)", id="compensating day"),
        pytest.param(D(2026, 11, 24), "Ngày Văn hóa Việt Nam", id="Culture Day 2026"),
        pytest.param(D(2027, 2, 6), "Tết Nguyên Đán", id="Tết 2027 on Saturday"),
        pytest.param(D(2027, 2, 11), None, id="first day after Tết 2027"),
    ],
)
def test_rest_reason(official: WorkingCalendar, day: date, reason: str | None) -> None:
    assert official.rest_reason(day) == reason
    assert official.is_working_day(day) is (reason is None)


DAYS_OFF = {
    2025: {
        D(2025, 1, 1),
        *(D(2025, 1, d) for d in (27, 28, 29, 30, 31)),
        D(2025, 4, 7),
        D(2025, 4, 30),
        D(2025, 5, 1),
        D(2025, 5, 2),
        D(2025, 9, 1),
        D(2025, 9, 2),
    },
    2026: {
        D(2026, 1, 1),
        D(2026, 1, 2),
        *(D(2026, 2, d) for d in (16, 17, 18, 19, 20)),
        D(2026, 4, 27),
        D(2026, 4, 30),
        D(2026, 5, 1),
        D(2026, 8, 31),
        D(2026, 9, 1),
        D(2026, 9, 2),
        D(2026, 11, 24),
    },
    2027: {
        D(2027, 1, 1),
        *(D(2027, 2, d) for d in (4, 5, 8, 9, 10)),
        D(2027, 4, 16),
        D(2027, 4, 30),
        D(2027, 5, 3),
        D(2027, 9, 2),
        D(2027, 9, 3),
        D(2027, 11, 24),
    },
}
WORKING_WEEKENDS = {
    2025: [D(2025, 4, 26)],
    2026: [D(2026, 1, 10), D(2026, 8, 22)],
    2027: [],
}


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_days_off_and_working_weekends(official: WorkingCalendar, year: int) -> None:
    off = official.days_off(year)
    assert set(off) == DAYS_OFF[year]
    assert list(off) == sorted(off)
    assert all(name for name in off.values())
    assert official.working_weekend_days(year) == WORKING_WEEKENDS[year]


def test_tet_and_lunar_dates_come_from_the_holidays_package() -> None:
    bare = WorkingCalendar(include_official_schedule=False)
    assert bare.exceptions == {}
    assert bare.rest_reason(D(2026, 2, 17)) == "Tết Nguyên Đán"
    assert bare.rest_reason(D(2025, 1, 29)) == "Tết Nguyên Đán"
    assert bare.rest_reason(D(2027, 4, 16)) == "Ngày Giỗ Tổ Hùng Vương"
    # The built-in schedule holds swaps only: no lunar holiday is hand-written.
    assert not [d for d, _, _ in OFFICIAL_SCHEDULE if d.month in (2, 3)]
    assert set(holidays.country_holidays("VN", years=2026)) >= {
        D(2026, 2, d) for d in (16, 17, 18, 19, 20)
    }


def test_without_official_schedule_the_swaps_are_missing() -> None:
    bare = WorkingCalendar(include_official_schedule=False)
    assert bare.is_working_day(D(2026, 1, 2))  # holidays package misses the 2026 swap
    assert not bare.is_working_day(D(2026, 1, 10))
    assert bare.working_weekend_days(2026) == []
    assert bare.add_working_days(D(2026, 1, 9), 1) == D(2026, 1, 12)


@pytest.mark.parametrize(
    ("exceptions", "op", "start", "arg", "expected"),
    [
        pytest.param(
            [CalendarException(D(2026, 3, 11), "off", "Nghỉ do bão")],
            "working",
            D(2026, 3, 10),
            1,
            D(2026, 3, 12),
            id="admin extra day off Wed 11/3",
        ),
        pytest.param(
            [CalendarException(D(2026, 3, 15), "work", "Làm việc Chủ nhật")],
            "working",
            D(2026, 3, 13),
            1,
            D(2026, 3, 15),
            id="admin working Sunday 15/3",
        ),
        pytest.param(
            [CalendarException(D(2026, 3, 15), "work", "Làm việc Chủ nhật")],
            "calendar",
            D(2026, 3, 5),
            10,
            D(2026, 3, 15),
            id="calendar period ends on the working Sunday",
        ),
        pytest.param(
            [CalendarException(D(2026, 1, 10), "off", "Hủy làm bù")],
            "working",
            D(2026, 1, 9),
            1,
            D(2026, 1, 12),
            id="admin cancels the official working Saturday 10/1",
        ),
        pytest.param(
            [CalendarException(D(2026, 11, 24), "work", "Trực")],
            "between",
            D(2026, 11, 23),
            D(2026, 11, 25),
            2,
            id="admin works the 24/11 holiday",
        ),
    ],
)
def test_caller_exceptions_override_the_official_schedule(
    exceptions: list[CalendarException],
    op: str,
    start: date,
    arg: int | date,
    expected: date | int,
) -> None:
    assert _run(WorkingCalendar(exceptions), op, start, arg) == expected


def test_caller_exception_name_is_the_rest_reason() -> None:
    cal = WorkingCalendar([CalendarException(D(2026, 1, 10), "off", "Hủy làm bù")])
    assert cal.rest_reason(D(2026, 1, 10)) == "Hủy làm bù"
    assert cal.working_weekend_days(2026) == [D(2026, 8, 22)]
    assert D(2026, 1, 2) in cal.days_off(2026)  # the rest of the schedule still applies


@pytest.mark.parametrize("op", ["working", "calendar", "subtract"])
def test_negative_length_is_rejected(official: WorkingCalendar, op: str) -> None:
    with pytest.raises(ValueError, match="negative"):
        _run(official, op, D(2026, 3, 10), -1)


def test_datetimes_are_not_dates(official: WorkingCalendar) -> None:
    with pytest.raises(TypeError):
        official.is_working_day(datetime(2026, 3, 10, 12, tzinfo=UTC))
    with pytest.raises(TypeError):
        official.add_working_days(D(2026, 3, 10), 1.5)  # type: ignore[arg-type]


def test_exception_kind_is_checked() -> None:
    with pytest.raises(ValueError, match="kind"):
        CalendarException(D(2026, 3, 10), "holiday", "x")  # type: ignore[arg-type]


@pytest.mark.parametrize("start", [D(2025, 1, 20), D(2026, 4, 24), D(2026, 12, 20)])
def test_working_days_between_inverts_add_working_days(
    official: WorkingCalendar, start: date
) -> None:
    for n in range(1, 31):
        assert official.working_days_between(start, official.add_working_days(start, n)) == n


def test_end_of_day_is_vietnamese_midnight() -> None:
    moment = end_of_day(D(2026, 3, 10))
    assert moment.tzinfo is VIETNAM_TZ
    assert moment == datetime(2026, 3, 10, 16, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(datetime(2026, 3, 9, 16, 59, tzinfo=UTC), D(2026, 3, 9), id="23:59 VN"),
        pytest.param(datetime(2026, 3, 9, 17, 0, tzinfo=UTC), D(2026, 3, 10), id="00:00 VN"),
        pytest.param(datetime(2026, 3, 9, 20, 0), D(2026, 3, 10), id="naive is UTC"),
    ],
)
def test_vietnam_date(moment: datetime, expected: date) -> None:
    assert vietnam_date(moment) == expected
