"""The official civil-servant schedule that the rules cannot derive.

Everything that follows from a rule comes from the ``holidays`` package (Vietnam): the fixed
days of Labour Code 2019 Art. 112, the lunar dates of Tết and of the Hùng Kings (on the
Vietnamese lunar calendar, UTC+7), the adjacent National Day, Vietnamese Culture Day 24/11 from
2026 and the compensating days of Art. 111(3). This module holds only what the government
*decides* each year on top of that: the **swaps**, in which a weekday between a holiday and a
weekend becomes a day off and is paid back by working a Saturday.

A swap is one decision with two halves, so both halves are listed together even when the
``holidays`` package already knows the day off: some of its versions list the day off (e.g.
2/5/2025) but none has a notion of the working Saturday, and a schedule holding only one half
would give civil servants a free day the decision never granted.

The entries are plain data (day, kind, name) so that this module imports nothing from
:mod:`workflows.calendar`; the calendar turns them into ``CalendarException`` objects.

Days off per year, as encoded by ``WorkingCalendar`` with this schedule (weekdays only):

2025 (decided; press excerpts of the official schedule, DOMAIN.md "Calendars" [V]):
    Wed 1/1                 Tết Dương lịch (Art. 112(1)(a)) .................... library
    Mon 27/1 - Fri 31/1     Tết Nguyên Đán, break Sat 25/1 - Sun 2/2 .......... library
    Mon 7/4                 Giỗ Tổ Hùng Vương, 10/3 lunar ...................... library
    Wed 30/4, Thu 1/5       Ngày Chiến thắng, Quốc tế Lao động ................. library
    Fri 2/5                 swap, paid back by **Sat 26/4 worked** ............. HERE
    Mon 1/9, Tue 2/9        Quốc khánh + adjacent day, break Sat 30/8 - Tue 2/9  library

2026 (decided; same source):
    Thu 1/1                 Tết Dương lịch ..................................... library
    Fri 2/1                 swap, paid back by **Sat 10/1 worked** ............. HERE
    Mon 16/2 - Fri 20/2     Tết Nguyên Đán, break Sat 14/2 - Sun 22/2 ......... library
    Mon 27/4                Giỗ Tổ Hùng Vương falls on Sun 26/4; Art. 111(3) ... library
    Thu 30/4, Fri 1/5       Ngày Chiến thắng, Quốc tế Lao động ................. library
    Mon 31/8                swap, paid back by **Sat 22/8 worked** ............. HERE
    Tue 1/9, Wed 2/9        Quốc khánh + adjacent day, break Sat 29/8 - Wed 2/9  library
    Tue 24/11               Ngày Văn hóa Việt Nam, a day off from 2026 ......... library

2027 (not decided; nothing here, the rule-based defaults of the library apply):
    Fri 1/1                 Tết Dương lịch
    Thu 4/2 - Wed 10/2      Tết Nguyên Đán, mùng 1 = Sat 6/2; the two Tết days on the
                            weekend are given back before/after, as in 2024 (same weekday)
    Fri 16/4                Giỗ Tổ Hùng Vương
    Fri 30/4                Ngày Chiến thắng
    Mon 3/5                 Quốc tế Lao động falls on Sat 1/5; Art. 111(3)
    Thu 2/9, Fri 3/9        Quốc khánh + adjacent day
    Wed 24/11               Ngày Văn hóa Việt Nam
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

ScheduleEntry = tuple[date, Literal["off", "work"], str]

#: Years whose schedule has been decided; deadlines in later years rest on rule-based
#: defaults and may move when the government publishes that year's schedule.
OFFICIAL_SCHEDULE_YEARS: Final[frozenset[int]] = frozenset({2025, 2026})

OFFICIAL_SCHEDULE: Final[tuple[ScheduleEntry, ...]] = (
    # 2025, Reunification Day + Labour Day: break Wed 30/4 - Sun 4/5; Fri 2/5 is taken off and
    # paid back on Sat 26/4. The holidays package knows the day off, not the working Saturday.
    (date(2025, 4, 26), "work", "Làm bù cho ngày 02/05/2025"),
    (date(2025, 5, 2), "off", "Nghỉ hoán đổi (làm bù thứ Bảy 26/04/2025)"),
    # 2026, New Year: break Thu 1/1 - Sun 4/1; Fri 2/1 is taken off and paid back on Sat 10/1.
    # The holidays package misses both halves.
    (date(2026, 1, 2), "off", "Nghỉ hoán đổi Tết Dương lịch (làm bù thứ Bảy 10/01/2026)"),
    (date(2026, 1, 10), "work", "Làm bù cho ngày 02/01/2026"),
    # 2026, National Day: break Sat 29/8 - Wed 2/9; Mon 31/8 is taken off and paid back on
    # Sat 22/8. The holidays package knows the day off, not the working Saturday.
    (date(2026, 8, 22), "work", "Làm bù cho ngày 31/08/2026"),
    (date(2026, 8, 31), "off", "Nghỉ hoán đổi Quốc khánh (làm bù thứ Bảy 22/08/2026)"),
)
