"""Studios as residents see them: which receive today, and when; and which studio a new
case goes to (the area each serves)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.geo.distance import nearest, quick_distance_m
from dispatch.models import Studio
from dispatch.services.clock import local


@dataclass(frozen=True)
class StudioToday:
    studio: Studio
    hours: str | None  # None: closed today


def studios_today(now: datetime) -> list[StudioToday]:
    """Every studio with today's hours in the display time zone, open ones first."""
    today = local(now)
    studios = db.session.scalars(select(Studio).where(Studio.active).order_by(Studio.code))
    rows = [StudioToday(studio, studio.hours_on(today)) for studio in studios]
    return sorted(rows, key=lambda row: row.hours is None)


def serving_studio(latitude: float, longitude: float) -> Studio | None:
    """The studio a new case at this place goes to: the nearest of the active studios
    whose served area (the radius around it) holds the place, else the nearest active
    one. A retired studio receives nothing new."""
    studios = list(db.session.scalars(select(Studio).where(Studio.active)))
    inside = [s for s in studios if quick_distance_m(latitude, longitude, s.latitude,
                                                     s.longitude) <= s.service_radius_km * 1000]
    return nearest(inside or studios, latitude, longitude)
