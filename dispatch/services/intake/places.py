"""Finding a place by name: the project's own places first, then an outside geocoder
when one is configured (the page never depends on it)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select

from dispatch.extensions import db
from dispatch.geo.geocoding import geocode
from dispatch.models import Landmark, ServicePoint, Studio


@dataclass(frozen=True)
class PlaceMatch:
    name: str
    detail: str
    latitude: float
    longitude: float
    source: str  # "own" or "geocoder"


def search_places(query: str, limit: int = 8) -> list[PlaceMatch]:
    query = query.strip()[:60]
    if not query:
        return []
    like = f"%{query}%"
    matches: list[PlaceMatch] = []
    for model in (Landmark, ServicePoint, Studio):
        rows = db.session.scalars(
            select(model).where(or_(model.name_zh.ilike(like), model.name_en.ilike(like)))
            .order_by(model.name_zh).limit(limit))
        for row in rows:
            detail = row.kind.label if hasattr(row, "kind") else ""
            matches.append(PlaceMatch(row.name, str(detail), row.latitude, row.longitude, "own"))
    if len(matches) < limit:
        for found in geocode(query, current_app.config, limit=limit - len(matches)):
            matches.append(PlaceMatch(found.name, "", found.latitude, found.longitude,
                                      "geocoder"))
    return matches[:limit]
