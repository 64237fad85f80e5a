"""The monthly report's plain parts: the calendar month and its bounds, the stages a case
passes through, and the arithmetic over one month's case facts (counts, means, linear
percentiles). No queries here: ``statistics`` reads the database and builds the report
from these."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

STAGES = ("registered", "received", "handling", "replied", "feedback")
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Month:
    """A calendar month in the display time zone, with its bounds in UTC: [start, end)."""

    year: int
    month: int
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: ZoneInfo) -> Month | None:
        match = MONTH_PATTERN.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            return None
        return cls(int(match.group(1)), int(match.group(2)), zone)

    @classmethod
    def containing(cls, moment: datetime, zone: ZoneInfo) -> Month:
        local = moment.astimezone(zone)
        return cls(local.year, local.month, zone)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return self.next().start

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1, self.zone)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1, self.zone)


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class CaseFacts:
    """One case's part in the month."""

    case_id: int
    category_id: int
    studio_id: int | None
    team_id: int | None
    volunteer_id: int | None
    registered: bool = False
    received: bool = False
    resolved: bool = False
    archived: bool = False
    reply_seconds: float | None = None  # replied in the month
    stage_seconds: dict[str, int] | None = None  # archived or replied in the month
    verdicts: list[bool] = field(default_factory=list)  # resident feedback in the month
    auto_confirmed: int = 0


@dataclass
class Figures:
    registered: int = 0
    received: int = 0
    resolved: int = 0
    archived: int = 0
    replied: int = 0
    reply_median: float | None = None  # seconds
    reply_p90: float | None = None
    feedback: int = 0
    satisfied: int = 0
    auto_confirmed: int = 0
    stage_cases: int = 0
    stage_mean: dict[str, float | None] = field(default_factory=dict)  # seconds
    stage_median: dict[str, float | None] = field(default_factory=dict)

    @property
    def unsatisfied(self) -> int:
        return self.feedback - self.satisfied

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.feedback if self.feedback else None

    @property
    def empty(self) -> bool:
        return not (self.registered or self.received or self.archived or self.replied
                    or self.feedback or self.auto_confirmed)

    @classmethod
    def of(cls, facts: list[CaseFacts]) -> Figures:
        replies = [f.reply_seconds for f in facts if f.reply_seconds is not None]
        staged = [f.stage_seconds for f in facts if f.stage_seconds is not None]
        return cls(
            registered=sum(f.registered for f in facts),
            received=sum(f.received for f in facts),
            resolved=sum(f.resolved for f in facts),
            archived=sum(f.archived for f in facts),
            replied=len(replies), reply_median=percentile(replies, 0.5),
            reply_p90=percentile(replies, 0.9),
            feedback=sum(len(f.verdicts) for f in facts),
            satisfied=sum(sum(f.verdicts) for f in facts),
            auto_confirmed=sum(f.auto_confirmed for f in facts),
            stage_cases=len(staged),
            stage_mean={s: _mean([float(row[s]) for row in staged]) for s in STAGES},
            stage_median={s: percentile([row[s] for row in staged], 0.5) for s in STAGES},
        )


@dataclass
class Group:
    key: str
    name: str
    figures: Figures


@dataclass
class MonthlyReport:
    month: Month
    studio_id: int | None
    totals: Figures
    by_category: list[Group]
    by_team: list[Group]
    by_studio: list[Group]

    @property
    def empty(self) -> bool:
        return self.totals.empty



def stage_label(stage: str) -> str:
    return {"registered": _("Waiting to be received"), "received": _("Waiting to be assigned"),
            "handling": _("Being handled"), "replied": _("Waiting for feedback"),
            "feedback": _("Waiting to be archived")}[stage]
