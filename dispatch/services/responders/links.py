"""One-time links that set a password: a new volunteer's first one, or a reset a
coordinator gives. The raw token is shown once (to be sent to the person) and only its
sha256 is kept; using it is one conditional UPDATE (unused, not expired), so a link works
once even when opened twice at the same moment."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from dispatch.extensions import db
from dispatch.models import OneTimeLink, User, utcnow
from dispatch.services.errors import InvalidInput
from dispatch.services.responders import accounts


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(user: User, created_by: User | None, now: datetime | None = None) -> str:
    """A new link for ``user``; earlier unused ones stop working. Returns the raw token."""
    now = now or utcnow()
    db.session.execute(update(OneTimeLink).where(
        OneTimeLink.user_id == user.id, OneTimeLink.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(24)
    hours = current_app.config.get("SET_PASSWORD_LINK_HOURS", 72)
    db.session.add(OneTimeLink(user_id=user.id, token_hash=_hash(token),
                               created_by_id=created_by.id if created_by else None,
                               created_at=now, expires_at=now + timedelta(hours=hours)))
    db.session.flush()
    return token


def valid_link(token: str, now: datetime | None = None) -> OneTimeLink | None:
    now = now or utcnow()
    link = db.session.scalar(select(OneTimeLink).where(
        OneTimeLink.token_hash == _hash(token or "")))
    if link is None or link.used_at is not None or link.expires_at <= now \
            or not link.user.active:
        return None
    return link


def redeem(token: str, password: str, now: datetime | None = None) -> User:
    """Set the password through the link, once. Refused: a used, expired or unknown link."""
    now = now or utcnow()
    link = valid_link(token, now)
    if link is None:
        raise InvalidInput("password", _("This link has expired or was already used. "
                                         "Ask the studio for a new one."))
    user = link.user
    accounts.check_password_rules(password, user.username)
    used = db.session.execute(update(OneTimeLink).where(
        OneTimeLink.id == link.id, OneTimeLink.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if used != 1:
        raise InvalidInput("password", _("This link has expired or was already used. "
                                         "Ask the studio for a new one."))
    accounts.change_password(user, password)
    return user
