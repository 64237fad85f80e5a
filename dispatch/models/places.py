"""Where things are: regions, studios and fixed service points on the map."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, Float, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.base import BilingualName, LabelledEnum


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    """A VARCHAR with a CHECK of the allowed values: portable and visible to Alembic."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


class Region(BilingualName, db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)


class OpeningHours:
    """``opening_hours`` maps a weekday ("0" = Monday) to "09:00-12:00,14:30-17:30"."""

    opening_hours: Any
    open_24h: Any = False

    def hours_on(self, day: datetime) -> str | None:
        if self.open_24h:
            return "00:00-24:00"
        return (self.opening_hours or {}).get(str(day.weekday()))


class Studio(BilingualName, OpeningHours, db.Model):
    """A representative studio or community office that receives cases."""

    __tablename__ = "studios"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(255), default="")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(32), default="")
    opening_hours: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The area it serves: its region, and within it a radius around the studio (a circle
    # is what the desk can check and draw; a list of communities would need boundaries
    # the project does not have).
    service_radius_km: Mapped[float] = mapped_column(Float, default=3.0, server_default="3")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    region: Mapped[Region] = relationship()


class ServicePointKind(LabelledEnum):
    REST_STATION = "rest_station"
    STUDIO = "studio"
    COMMUNITY_CENTRE = "community_centre"
    ELDER_CANTEEN = "elder_canteen"
    CHARGING_PILE = "charging_pile"
    HOME_CARE_STATION = "home_care_station"

    @classmethod
    def _labels(cls) -> dict[ServicePointKind, str]:
        return SERVICE_POINT_LABELS


SERVICE_POINT_LABELS = {
    ServicePointKind.REST_STATION: _l("Warm Bee rest station"),
    ServicePointKind.STUDIO: _l("Studio"),
    ServicePointKind.COMMUNITY_CENTRE: _l("Community centre"),
    ServicePointKind.ELDER_CANTEEN: _l("Elder canteen"),
    ServicePointKind.CHARGING_PILE: _l("Charging pile"),
    ServicePointKind.HOME_CARE_STATION: _l("Home-care station"),
}


class ServicePoint(BilingualName, OpeningHours, db.Model):
    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[ServicePointKind] = mapped_column(enum_column(ServicePointKind, "kind"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(255), default="")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    opening_hours: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    open_24h: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    region: Mapped[Region] = relationship()


class LandmarkKind(LabelledEnum):
    ESTATE = "estate"
    ROAD = "road"
    LANDMARK = "landmark"

    @classmethod
    def _labels(cls) -> dict[LandmarkKind, str]:
        return LANDMARK_LABELS


LANDMARK_LABELS = {
    LandmarkKind.ESTATE: _l("Estate"),
    LandmarkKind.ROAD: _l("Road"),
    LandmarkKind.LANDMARK: _l("Landmark"),
}


class Landmark(BilingualName, db.Model):
    """A named place residents type to find a spot: an estate, a road, a bridge."""

    __tablename__ = "landmarks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[LandmarkKind] = mapped_column(enum_column(LandmarkKind, "kind"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)

    region: Mapped[Region] = relationship()
