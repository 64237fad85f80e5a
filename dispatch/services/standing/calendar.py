"""Each volunteer's calendar feed (iCalendar, RFC 5545) at a secret address: their shifts
and the work they have claimed, so both show in the phone's own calendar.

Hand-built rather than with the ``icalendar`` package: the feed has one component type
(VEVENT) with eight properties in UTC, so escaping text (section 3.3.11) and folding lines
at 75 octets (section 3.1) are the whole of it, and a dependency would add more than it
saves. Only the SHA-256 of the address's token is stored: a new address (or none) revokes
the old one at once, and a database dump gives no one a working address.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select

from dispatch.extensions import db
from dispatch.models import (
    CalendarFeed,
    Case,
    CaseStatus,
    Shift,
    ShiftSignup,
    ShiftState,
    SignupState,
    User,
    utcnow,
)
from dispatch.models.people import FIELD_ROLES
from dispatch.services.errors import NotPermitted

PAST_DAYS = 30  # shifts this far back stay in the calendar


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed(user: User) -> str:
    """A new secret token for the user's feed; any older address stops working."""
    if user.role not in FIELD_ROLES:
        raise NotPermitted("calendar_feed")
    token = secrets.token_urlsafe(32)
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    db.session.add(CalendarFeed(user_id=user.id, token_hash=_hash(token)))
    db.session.flush()
    return token


def revoke(user: User) -> bool:
    gone = db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    return bool(gone.rowcount)  # type: ignore[attr-defined]


def has_feed(user: User) -> bool:
    return db.session.get(CalendarFeed, user.id) is not None


def owner_of(token: str) -> User | None:
    if not token or len(token) > 100:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(
        CalendarFeed.token_hash == _hash(token)))
    user = db.session.get(User, feed.user_id) if feed else None
    return user if user is not None and user.active else None


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Lines longer than 75 octets go on in continuation lines starting with a space,
    never splitting a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _event(uid: str, starts: datetime, ends: datetime, summary: str, description: str,
           url: str, now: datetime, location: str = "", cancelled: bool = False
           ) -> Iterator[str]:
    yield "BEGIN:VEVENT"
    yield f"UID:{uid}"
    yield f"DTSTAMP:{_stamp(now)}"
    yield f"DTSTART:{_stamp(starts)}"
    yield f"DTEND:{_stamp(ends)}"
    yield f"SUMMARY:{escape(summary)}"
    if location:
        yield f"LOCATION:{escape(location)}"
    if description:
        yield f"DESCRIPTION:{escape(description)}"
    yield f"URL:{url}"
    if cancelled:
        yield "STATUS:CANCELLED"
    yield "END:VEVENT"


def feed_for(user: User, now: datetime | None = None) -> str:
    now = now or utcnow()
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    host = base.split("//", 1)[-1].split("/", 1)[0] or "dispatch"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Dispatch//Shifts and work//ZH",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    with force_locale(user.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        name = _("Dispatch: my shifts and work")
        lines.append(f"X-WR-CALNAME:{escape(name)}")
        for signup, shift in db.session.execute(
                select(ShiftSignup, Shift).join(Shift).where(
                    ShiftSignup.user_id == user.id,
                    ShiftSignup.state == SignupState.SIGNED_UP,
                    Shift.ends_at > now - timedelta(days=PAST_DAYS))
                .order_by(Shift.starts_at)):
            lines += _event(f"shift-{signup.id}@{host}", shift.starts_at, shift.ends_at,
                            _("Shift: %(site)s", site=shift.site_name), shift.note,
                            f"{base}/v/shifts", now, location=shift.site_name,
                            cancelled=shift.state == ShiftState.CANCELLED)
        for case in db.session.scalars(select(Case).where(
                Case.status == CaseStatus.HANDLING, Case.assigned_volunteer_id == user.id,
                or_(Case.claim_expires_at.is_not(None), Case.due_at.is_not(None)))):
            due = case.claim_expires_at or case.due_at
            assert due is not None
            lines += _event(f"case-{case.id}@{host}", due - timedelta(minutes=30), due,
                            _("Due: %(title)s", title=case.title), case.tracking_code,
                            f"{base}/v/", now)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
