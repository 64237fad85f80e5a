"""Personal API tokens: making one (shown once), listing and revoking them, and finding
the staff member a presented token belongs to.

A token is 256 random bits behind a fixed ``dsp_`` prefix (so a leaked one is easy to
search for). Only its sha256 is kept: a copy of the database lets nobody in. Revoking is
one conditional UPDATE (only a live token of that owner); a revoked token, or one of a
deactivated account, never authenticates again.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from dispatch.extensions import db
from dispatch.models import ApiToken, User, utcnow
from dispatch.services.errors import InvalidInput

TOKEN_PREFIX = "dsp_"
NAME_MAX = 60
CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
MAX_LIVE_TOKENS = 20
# "Last used" is written at most this often per token, not on every request.
LAST_USED_GRANULARITY = timedelta(minutes=5)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def live_tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id.desc())))


def issue(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row, and the token itself (never stored)."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX or CONTROL.search(name):
        raise InvalidInput("name", _("Give the token a name of 1 to %(n)d characters.",
                                     n=NAME_MAX))
    if len(live_tokens_of(user)) >= MAX_LIVE_TOKENS:
        raise InvalidInput("name", _("You have %(n)d tokens already: revoke one first.",
                                     n=MAX_LIVE_TOKENS))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, prefix=token[:len(TOKEN_PREFIX) + 6],
                   token_hash=hash_token(token), created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row, token


def revoke(token_id: int, owner: User | None = None) -> bool:
    """Revoke a live token (``owner``'s only, when given). False if there was none."""
    statement = update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
    if owner is not None:
        statement = statement.where(ApiToken.user_id == owner.id)
    result = db.session.execute(statement.values(revoked_at=utcnow()),
                                execution_options={"synchronize_session": False})
    return bool(result.rowcount)  # type: ignore[attr-defined]


def user_for(token: str) -> User | None:
    """The active staff member holding this live token, else None. Stamps "last used"
    when the stamp is older than LAST_USED_GRANULARITY (so most requests write nothing)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = db.session.scalar(select(ApiToken).where(
        ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    now = utcnow()
    stale = now - LAST_USED_GRANULARITY
    if row.last_used_at is None or row.last_used_at < stale:
        # Conditional: of two requests at once, one writes the stamp.
        db.session.execute(
            update(ApiToken).where(ApiToken.id == row.id, or_(
                ApiToken.last_used_at.is_(None), ApiToken.last_used_at < stale))
            .values(last_used_at=now), execution_options={"synchronize_session": False})
    return row.user
