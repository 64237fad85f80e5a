"""Studios as residents see them: which receive today, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Studio
from dispatch.services.clock import local


@dataclass(frozen=True)
class StudioToday:
    studio: Studio
    hours: str | None  # None: closed today


def studios_today(now: datetime) -> list[StudioToday]:
    """Every studio with today's hours in the display time zone, open ones first."""
    today = local(now)
    studios = db.session.scalars(select(Studio).order_by(Studio.code))
    rows = [StudioToday(studio, studio.hours_on(today)) for studio in studios]
    return sorted(rows, key=lambda row: row.hours is None)
