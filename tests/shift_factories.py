"""Builders for shifts (kept beside factories.py so the two merge without conflict)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dispatch.extensions import db
from dispatch.models import Shift, utcnow


def gen_shift(starts_in: timedelta = timedelta(days=2), hours: float = 3,
              **kw: Any) -> Shift:
    starts_at: datetime = kw.pop("starts_at", utcnow().replace(microsecond=0) + starts_in)
    shift = Shift(**{"site_name": "陈埭镇检查点", "latitude": 24.81, "longitude": 118.58,
                     "starts_at": starts_at, "ends_at": starts_at + timedelta(hours=hours),
                     "places": 5, "skills": [], "note": "", **kw})
    db.session.add(shift)
    db.session.flush()
    return shift
