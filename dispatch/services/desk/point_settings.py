"""The service points' settings (暖蜂益站 rest stations, canteens, charging piles …): kind,
names, region, address, position, hours or open round the clock, offered or retired. The
board map shows the active ones. Admins change any; a coordinator those in their studio's
region (the area a studio serves is within its region). Nothing is deleted: a point is
retired and can be brought back. Writes go through ``versioned``."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models import Region, Role, ServicePoint, ServicePointKind, User
from dispatch.services.desk import place_checks as check
from dispatch.services.desk import versioned
from dispatch.services.errors import InvalidInput, NotPermitted

FIELDS = ("kind", "name_zh", "name_en", "region_id", "address", "latitude", "longitude",
          "opening_hours", "open_24h", "active")
ACTION = "service_point.update"


def own_region(user: User) -> int | None:
    return user.studio.region_id if user.studio is not None else None


def may_edit(user: User, point: ServicePoint) -> bool:
    return user.role is Role.ADMIN or (user.role is Role.COORDINATOR
                                       and point.region_id == own_region(user))


def values_of(point: ServicePoint) -> dict[str, Any]:
    values = {name: getattr(point, name) for name in FIELDS}
    values["kind"] = str(ServicePointKind(point.kind))
    values["opening_hours"] = dict(point.opening_hours or {})
    return values


def _checked(user: User, values: dict[str, Any]) -> dict[str, Any]:
    try:
        kind = ServicePointKind(values.get("kind") or "")
    except ValueError:
        raise InvalidInput("kind", _("Choose a kind.")) from None
    region_id = values.get("region_id")
    if not isinstance(region_id, int) or db.session.get(Region, region_id) is None:
        raise InvalidInput("region_id", _("Choose a region."))
    if user.role is not Role.ADMIN and region_id != own_region(user):
        raise InvalidInput("region_id", _("Only the region your studio serves."))
    open_24h = bool(values.get("open_24h"))
    return {
        "kind": kind,
        "name_zh": check.name(values.get("name_zh"), "name_zh"),
        "name_en": check.name(values.get("name_en"), "name_en"),
        "region_id": region_id,
        "address": (values.get("address") or "").strip(),
        "latitude": check.coordinate(values.get("latitude"), 90, "latitude"),
        "longitude": check.coordinate(values.get("longitude"), 180, "longitude"),
        "opening_hours": {} if open_24h else check.week_hours(values),
        "open_24h": open_24h,
    }


def update_point(point: ServicePoint, user: User, expected_version: int,
                 values: dict[str, Any]) -> ServicePoint:
    if not may_edit(user, point):
        raise NotPermitted("settings")
    clean = _checked(user, values)
    return versioned.save(point, user, expected_version, clean, action=ACTION,
                          fields=FIELDS, values_of=values_of)


def create_point(user: User, values: dict[str, Any]) -> ServicePoint:
    if user.role is not Role.ADMIN and own_region(user) is None:
        raise NotPermitted("settings")
    clean = _checked(user, values)
    point = ServicePoint(code=check.code(values.get("code")), **clean)
    try:
        with db.session.begin_nested():  # the unique code decides a race, not a lookup
            versioned.created(point, user, "service_point.create", values_of)
    except IntegrityError:
        raise InvalidInput("code", _("This code is taken.")) from None
    return point


def set_active(point: ServicePoint, user: User, expected_version: int,
               active: bool) -> ServicePoint:
    """Retire a point (off the board map and the API directory) or bring it back."""
    if not may_edit(user, point):
        raise NotPermitted("settings")
    return versioned.save(point, user, expected_version, {"active": active},
                          action=ACTION, fields=FIELDS, values_of=values_of)


def listed() -> list[ServicePoint]:
    return list(db.session.scalars(select(ServicePoint).order_by(
        ServicePoint.active.desc(), ServicePoint.kind, ServicePoint.code)))
