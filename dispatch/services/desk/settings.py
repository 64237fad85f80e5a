"""The studio's settings, changed on the desk: here the categories (names, icon, skills,
the three clocks and what they count, whether volunteers may claim it and for how long,
retired or offered). Admins only: categories are
shared by every studio.

Every change is one conditional UPDATE on the version the form was shown at: a second
editor whose form is stale gets ``StaleSetting`` with what changed meanwhile, and nothing
is overwritten. Every change is written to the audit log with the values before and after.
Nothing is deleted: a category in use is retired (no longer offered to new reports; its
cases keep it).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from dispatch.models import Category, ClockUnit, User
from dispatch.models.people import SKILL_LABELS
from dispatch.services.desk import versioned
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.services.workdays import MAX_WORKING_DAYS

FIELDS = ("name_zh", "name_en", "icon", "skills", "receive_hours", "handle_hours",
          "reply_hours", "clock_unit", "active", "claimable", "claim_hours")
MAX_HOURS = 24 * 90
MAX_CLAIM_HOURS = 24 * 30  # a claim past a month is work nobody is doing


def values_of(category: Category) -> dict[str, Any]:
    values = {name: getattr(category, name) for name in FIELDS}
    values["clock_unit"] = str(ClockUnit(category.clock_unit))
    values["skills"] = sorted(category.skills or [])  # an order is not a change
    return values


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    unit = ClockUnit(values["clock_unit"])
    limit = MAX_WORKING_DAYS if unit is ClockUnit.WORKDAYS else MAX_HOURS
    for name in ("receive_hours", "handle_hours", "reply_hours"):
        amount = values[name]
        if not isinstance(amount, int) or amount <= 0:
            # A clock of 0 would make every running case overdue at once.
            raise InvalidInput(name, _("A clock must be at least 1."))
        if amount > limit:
            raise InvalidInput(name, _("At most %(n)d.", n=limit))
    claim_hours = values["claim_hours"]
    if not isinstance(claim_hours, int) or claim_hours < 1:
        raise InvalidInput("claim_hours", _("A claim must last at least 1 hour."))
    if claim_hours > MAX_CLAIM_HOURS:
        raise InvalidInput("claim_hours", _("At most %(n)d.", n=MAX_CLAIM_HOURS))
    values["claimable"] = bool(values["claimable"])
    if not (values["name_zh"] or "").strip():
        raise InvalidInput("name_zh", _("Please give the Chinese name."))
    values["skills"] = sorted({s for s in values["skills"] or [] if s in SKILL_LABELS})
    values["clock_unit"] = unit
    return values


def update_category(category: Category, user: User, expected_version: int,
                    values: dict[str, Any]) -> Category:
    if user.role.value != "admin":
        raise NotPermitted("settings")
    values = _checked({name: values.get(name) for name in FIELDS})
    return versioned.save(category, user, expected_version, values, action="category.update",
                          fields=FIELDS, values_of=values_of)
