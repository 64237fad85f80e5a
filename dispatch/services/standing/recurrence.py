"""A recurring shift is one RFC 5545 RRULE (python-dateutil's ``rrule``), expanded into
occurrences in the display time zone: "every weekday at 06:30" stays 06:30 local time
whatever the date. A rule that would go on past a year, or yields nothing because it ends
before it starts, is refused as a form error."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from dateutil.rrule import rrulestr
from flask_babel import gettext as _

from dispatch.services.clock import display_zone
from dispatch.services.errors import InvalidInput

MAX_SPAN = timedelta(days=366)
MAX_OCCURRENCES = 400
# The rule's simple forms the publish page offers; "custom" takes any RRULE typed in.
PRESETS = {
    "daily": "FREQ=DAILY",
    "weekdays": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    "weekly": "FREQ=WEEKLY",
}


def rule_from(preset: str, until: date | None, custom: str) -> str | None:
    """The RRULE the form describes, or None for a one-off shift."""
    custom = (custom or "").strip().upper()
    if custom.startswith("RRULE:"):
        custom = custom[len("RRULE:"):]
    if custom:
        return custom
    if preset not in PRESETS:
        return None
    rule = PRESETS[preset]
    if until is not None:
        rule += ";UNTIL=" + until.strftime("%Y%m%d") + "T235959"
    return rule


def occurrences(first_day: date, starts: time, ends: time, rule: str | None
                ) -> list[tuple[datetime, datetime]]:
    """(start, end) in UTC of every occurrence; ``ends`` at or before ``starts`` means the
    shift runs past midnight."""
    zone = display_zone()
    length = datetime.combine(first_day, ends) - datetime.combine(first_day, starts)
    if length <= timedelta(0):
        length += timedelta(days=1)
    first = datetime.combine(first_day, starts)
    local_starts = [first] if rule is None else _expand(rule, first)
    return [(start.replace(tzinfo=zone).astimezone(UTC),
             (start + length).replace(tzinfo=zone).astimezone(UTC))
            for start in local_starts]


def _expand(rule: str, first: datetime) -> list[datetime]:
    if "DTSTART" in rule or "\n" in rule:
        raise InvalidInput("rule", _("Give only the rule (FREQ=…); the first day and "
                                     "time are the form's."))
    try:
        parsed = rrulestr(rule, dtstart=first, ignoretz=True)
    except (ValueError, TypeError, KeyError, AttributeError):
        raise InvalidInput("rule", _("This repeat rule cannot be read. Example: "
                                     "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20261231")
                           ) from None
    limit = first + MAX_SPAN
    found: list[datetime] = []
    for moment in parsed:  # a lazy iterator: an endless rule stops at the limit
        if moment > limit or len(found) >= MAX_OCCURRENCES:
            raise InvalidInput("rule", _("This rule would create shifts for more than a "
                                         "year (or more than %(n)d shifts). Give it an "
                                         "end date within a year.", n=MAX_OCCURRENCES))
        found.append(moment)
    if not found:
        raise InvalidInput("rule", _("This rule ends before it starts: it creates no "
                                     "shift. Check its end date."))
    return found
