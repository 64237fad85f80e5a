"""The studios' settings: names, address, public phone, opening hours, position and the
area served (the region, and a radius around the studio). Admins create, retire and edit
any studio; a coordinator edits their own studio only. Nothing is deleted: a studio is
retired, and retiring is refused while coordinators still work there or cases are open.
Writes go through ``versioned`` (version check, audit line)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models import OPEN_STATUSES, Case, Region, Role, Studio, User
from dispatch.services.desk import place_checks as check
from dispatch.services.desk import versioned
from dispatch.services.errors import InvalidInput, NotPermitted

FIELDS = ("name_zh", "name_en", "region_id", "address", "phone", "latitude", "longitude",
          "service_radius_km", "opening_hours", "active")
ACTION = "studio.update"


def may_edit(user: User, studio: Studio) -> bool:
    return user.role is Role.ADMIN or (user.role is Role.COORDINATOR
                                       and user.studio_id == studio.id)


def values_of(studio: Studio) -> dict[str, Any]:
    values = {name: getattr(studio, name) for name in FIELDS}
    values["opening_hours"] = dict(studio.opening_hours or {})
    return values


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    radius = values.get("service_radius_km")
    if not isinstance(radius, (int, float)) or not 0.1 <= radius <= check.MAX_RADIUS_KM:
        raise InvalidInput("service_radius_km", _("Between 0.1 and %(n)d km.",
                                                  n=int(check.MAX_RADIUS_KM)))
    region_id = values.get("region_id")
    if not isinstance(region_id, int) or db.session.get(Region, region_id) is None:
        raise InvalidInput("region_id", _("Choose a region."))
    return {
        "name_zh": check.name(values.get("name_zh"), "name_zh"),
        "name_en": check.name(values.get("name_en"), "name_en"),
        "region_id": region_id,
        "address": (values.get("address") or "").strip(),
        "phone": check.phone(values.get("phone")),
        "latitude": check.coordinate(values.get("latitude"), 90, "latitude"),
        "longitude": check.coordinate(values.get("longitude"), 180, "longitude"),
        "service_radius_km": float(radius),
        "opening_hours": check.week_hours(values),
    }


def update_studio(studio: Studio, user: User, expected_version: int,
                  values: dict[str, Any]) -> Studio:
    if not may_edit(user, studio):
        raise NotPermitted("settings")
    clean = _checked(values)
    return versioned.save(studio, user, expected_version, clean, action=ACTION,
                          fields=FIELDS, values_of=values_of)


def create_studio(user: User, values: dict[str, Any]) -> Studio:
    if user.role is not Role.ADMIN:
        raise NotPermitted("settings")
    clean = _checked(values)
    studio = Studio(code=check.code(values.get("code")), **clean)
    try:
        with db.session.begin_nested():  # the unique code decides a race, not a lookup
            versioned.created(studio, user, "studio.create", values_of)
    except IntegrityError:
        raise InvalidInput("code", _("This code is taken.")) from None
    return studio


def in_use(studio: Studio) -> str | None:
    """Why the studio cannot be retired now, or None."""
    coordinators = db.session.scalar(select(func.count()).select_from(User).where(
        User.studio_id == studio.id, User.active, User.role == Role.COORDINATOR))
    open_cases = db.session.scalar(select(func.count()).select_from(Case).where(
        Case.studio_id == studio.id, Case.status.in_(OPEN_STATUSES)))
    if coordinators:
        return _("%(n)d coordinators still work at this studio: move them to another "
                 "studio first.", n=coordinators)
    if open_cases:
        return _("%(n)d open cases belong to this studio: finish or move them first.",
                 n=open_cases)
    return None


def set_active(studio: Studio, user: User, expected_version: int, active: bool) -> Studio:
    """Retire (or bring back) a studio: admins only; refused while it is in use."""
    if user.role is not Role.ADMIN:
        raise NotPermitted("settings")
    if not active:
        reason = in_use(studio)
        if reason:
            raise check.InUse(reason)
    return versioned.save(studio, user, expected_version, {"active": active},
                          action=ACTION, fields=FIELDS, values_of=values_of)


def listed() -> list[Studio]:
    return list(db.session.scalars(select(Studio).order_by(Studio.active.desc(), Studio.code)))
