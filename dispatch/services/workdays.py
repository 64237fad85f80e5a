"""Working-day clocks (工作日): a category's clocks may count hours or working days, and
working days follow the official Chinese holiday calendar, make-up working days (调休)
included, from the ``chinesecalendar`` package (its table is the State Council's notice
for each year; a new release follows each November).

"Within N working days" does not count the day the clock starts: the deadline is the end
(24:00, display time zone) of the Nth working day after it. A year the package has no
table for yet counts Monday to Friday, and the admin's calendar page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar

from dispatch.models.vocabulary import ClockUnit
from dispatch.services.clock import display_zone

MAX_WORKING_DAYS = 120  # a clock longer than this is refused by the settings


def has_official_table(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(day: date) -> bool:
    """A working day by the official calendar; Monday to Friday where it has no table."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The end (24:00 local) of the ``days``-th working day after ``start``'s local date."""
    zone = display_zone()
    day = start.astimezone(zone).date()
    counted = 0
    while counted < max(days, 0):
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def deadline(start: datetime, amount: int, unit: ClockUnit | str | None) -> datetime:
    """When a clock of ``amount`` in ``unit`` that starts at ``start`` runs out (a category
    not yet flushed has no unit yet: its default, hours)."""
    if unit is not None and ClockUnit(unit) is ClockUnit.WORKDAYS:
        return add_working_days(start, amount)
    return start + timedelta(hours=amount)


@dataclass(frozen=True)
class SpecialDay:
    day: date
    working: bool    # a make-up working day on a weekend (True) or a day off (False)
    name: str        # the holiday it belongs to, in English as the package gives it


@dataclass(frozen=True)
class YearTable:
    year: int
    official: bool
    days: list[SpecialDay]  # holidays on weekdays and make-up working days, in order

    @property
    def holidays(self) -> list[SpecialDay]:
        return [d for d in self.days if not d.working]

    @property
    def makeup_days(self) -> list[SpecialDay]:
        return [d for d in self.days if d.working]


def year_table(year: int) -> YearTable:
    """The days of ``year`` that differ from Monday-to-Friday: official holidays (weekends
    inside a holiday too) and make-up working days."""
    if not has_official_table(year):
        return YearTable(year, False, [])
    special = []
    day, end = date(year, 1, 1), date(year, 12, 31)
    while day <= end:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        working = bool(chinese_calendar.is_workday(day))
        weekend = day.weekday() >= 5
        if (on_holiday and name) or (working and weekend):
            special.append(SpecialDay(day, working, str(name or "")))
        day += timedelta(days=1)
    return YearTable(year, True, special)
