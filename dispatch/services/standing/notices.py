"""Messages to the people of the standing arrangements (shift reminders, a cancelled shift,
a visit coming due): one inbox row, and an email if chosen, per unique key, worded in the
recipient's language. Delivered like every notification (the outbox relay sends the email)."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale, format_datetime
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models import Channel, Notification, Shift, User
from dispatch.services.clock import local


def _url(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _language(user: User) -> str:
    return user.language or current_app.config["BABEL_DEFAULT_LOCALE"]


def notify(user: User, key: str, message: Callable[[], str], path: str) -> bool:
    """One inbox row (and email if chosen) per key, in the recipient's language. The key
    is unique: a second call with it adds nothing."""
    if db.session.scalar(select(Notification.id).where(Notification.key == f"{key}:inbox")):
        return False
    with force_locale(_language(user)):
        text = message()
    channels = [Channel.INBOX] + ([Channel.EMAIL] if user.notify_by_email and user.email
                                  else [])
    try:
        # Two sweeps at once: the unique key lets one in; the other's savepoint rolls back.
        with db.session.begin_nested():
            for channel in channels:
                db.session.add(Notification(key=f"{key}:{channel.value}", case_id=None,
                                            channel=channel, text=text, url=_url(path),
                                            user_id=user.id))
    except IntegrityError:
        return False
    return True


def when(shift: Shift) -> str:
    return format_datetime(local(shift.starts_at), "MM-dd HH:mm")
