"""The checks a place's settings share (studios and service points): opening hours, a
public phone number, a position on the map, a code. Each returns the clean value or raises
``InvalidInput`` naming the field, in the reader's language."""

from __future__ import annotations

import math
import re
from typing import Any

from flask_babel import gettext as _

from dispatch.services.errors import DomainError, InvalidInput

# "09:00-12:00,14:30-17:30": one or more ranges in a day, each start before its end.
RANGE = re.compile(r"([01][0-9]|2[0-4]):([0-5][0-9])\s*[-–~]\s*([01][0-9]|2[0-4]):([0-5][0-9])")
# A landline with area code, a mobile, a service number: digits with + - ( ) and spaces.
PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{3,22}[0-9]")
CODE = re.compile(r"[a-z0-9][a-z0-9_-]{1,31}")
MAX_RADIUS_KM = 50.0


class InUse(DomainError):
    """Retiring would leave running work without its place: refused with the reason."""

    http_status = 409

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def message(self) -> str:
        return self.reason


def day_hours(raw: str | None, field: str = "hours") -> str:
    """A day's hours as "HH:MM-HH:MM[,HH:MM-HH:MM…]", sorted, not overlapping; "" = closed."""
    text = (raw or "").strip().replace("，", ",").replace("：", ":")
    if not text:
        return ""
    ranges = []
    for part in text.split(","):
        match = RANGE.fullmatch(part.strip())
        if match is None:
            raise InvalidInput(field, _("Write the hours as 09:00-12:00, several separated "
                                        "by commas: “%(part)s” is not.", part=part.strip()[:40]))
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start >= end or start >= 24 * 60 or end > 24 * 60:
            raise InvalidInput(field, _("“%(part)s” ends before it starts.",
                                        part=part.strip()[:40]))
        ranges.append((start, end))
    ranges.sort()
    if any(a[1] > b[0] for a, b in zip(ranges, ranges[1:], strict=False)):
        raise InvalidInput(field, _("The hours overlap."))
    return ",".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in ranges)


def week_hours(values: dict[str, Any]) -> dict[str, str]:
    """``hours_0`` … ``hours_6`` (Monday … Sunday) → the stored ``{"0": "…"}``; closed
    days are left out."""
    week = {}
    for day in range(7):
        hours = day_hours(values.get(f"hours_{day}"), f"hours_{day}")
        if hours:
            week[str(day)] = hours
    return week


def phone(raw: str | None, field: str = "phone") -> str:
    text = (raw or "").strip()
    if text and (PHONE.fullmatch(text) is None or sum(c.isdigit() for c in text) < 5):
        raise InvalidInput(field, _("This is not a phone number."))
    return text


def coordinate(raw: Any, limit: float, field: str) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise InvalidInput(field, _("This is not a place on the map."))
    return value


def code(raw: str | None) -> str:
    text = (raw or "").strip().lower()
    if CODE.fullmatch(text) is None:
        raise InvalidInput("code", _("A code is 2 to 32 small letters, digits, - or _."))
    return text


def name(raw: str | None, field: str = "name_zh") -> str:
    text = (raw or "").strip()
    if not text and field.endswith("_zh"):
        raise InvalidInput(field, _("Please give the Chinese name."))
    return text


def week_summary(hours: dict[str, str] | None, open_24h: bool = False) -> str:
    """"Monday–Friday 09:00-17:00 · Saturday 09:00-12:00": consecutive days with the same
    hours together, closed days left out."""
    from dispatch.services.responders.rota import WEEKDAYS

    if open_24h:
        return _("Open round the clock")
    hours = hours or {}
    parts, day = [], 0
    while day < 7:
        today = hours.get(str(day), "")
        last = day
        while last + 1 < 7 and hours.get(str(last + 1), "") == today:
            last += 1
        if today:
            days = str(WEEKDAYS[day]) if last == day else f"{WEEKDAYS[day]}–{WEEKDAYS[last]}"
            parts.append(f"{days} {today.replace(',', ', ')}")
        day = last + 1
    return " · ".join(parts) or _("Closed")
