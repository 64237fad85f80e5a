"""The studio's clock: the display time zone (DISPLAY_TIMEZONE, Beijing time by default) in
which days, weeks and months are counted: the rota's weekday, a studio's hours today, the
monthly report's month, an export's date range. Stored times are always UTC."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from dispatch.config import DISPLAY_TIMEZONE


def display_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DISPLAY_TIMEZONE)


def local(moment: datetime) -> datetime:
    """``moment`` (aware, UTC) in the display time zone."""
    return moment.astimezone(display_zone())
