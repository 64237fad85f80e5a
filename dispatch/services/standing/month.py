"""The standing arrangements' part of the monthly report: shifts held and the hours served
on them, visits done, talks held and work log entries, and the hours served in all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dispatch.services.standing import pairings, rosters, worklog


@dataclass(frozen=True)
class MonthStanding:
    shifts: rosters.MonthShifts
    visits: int
    log: worklog.MonthLog

    @property
    def hours_served(self) -> float:
        return round(self.shifts.hours + self.log.hours, 1)


def figures(start: datetime, end: datetime, studio_id: int | None = None) -> MonthStanding:
    return MonthStanding(rosters.month_figures(start, end, studio_id),
                         pairings.visits_in(start, end, studio_id),
                         worklog.month_counts(start, end, studio_id))
