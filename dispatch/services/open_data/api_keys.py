"""API keys for named outside clients (a FixMyStreet install, a district's app).

An admin issues a key to a named client; the key is shown once and only its sha256 is
kept. Revoking is one conditional UPDATE (a second revoke changes nothing). A key is 32
random bytes, so looking it up by its hash is as safe as a slow hash and costs nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update

from dispatch.extensions import db
from dispatch.models import ApiClient, User, utcnow
from dispatch.services.errors import InvalidInput, NotFound
from dispatch.services.text import xml_safe

KEY_PREFIX = "d311_"
PREFIX_SHOWN = 12
NAME_LENGTH = 80


@dataclass(frozen=True)
class IssuedKey:
    client: ApiClient
    key: str  # shown once, never stored


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue(name: str, issued_by: User | None = None) -> IssuedKey:
    """A new client with a fresh key. Flushes."""
    name = " ".join(xml_safe(name or "").split())
    if not name:
        raise InvalidInput("name", _("Please name the client (who will use this key)."))
    if len(name) > NAME_LENGTH:
        raise InvalidInput("name", _("At most %(n)d characters.", n=NAME_LENGTH))
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(name=name, key_prefix=key[:PREFIX_SHOWN], key_hash=hash_key(key),
                       created_by_id=issued_by.id if issued_by else None)
    db.session.add(client)
    db.session.flush()
    return IssuedKey(client, key)


def revoke(client_id: int) -> bool:
    """Revoke a client's key; False if it was revoked already. Flushes."""
    if db.session.get(ApiClient, client_id) is None:
        raise NotFound()
    result = db.session.execute(
        update(ApiClient).where(ApiClient.id == client_id, ApiClient.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    db.session.expire_all()
    return bool(result.rowcount)


def authenticate(key: str | None) -> ApiClient | None:
    """The active client holding this key, or None."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    return db.session.scalar(select(ApiClient).where(
        ApiClient.key_hash == hash_key(key), ApiClient.revoked_at.is_(None)))


def mark_used(client: ApiClient) -> None:
    """Stamp the last use (one UPDATE in the caller's transaction)."""
    db.session.execute(update(ApiClient).where(ApiClient.id == client.id)
                       .values(last_used_at=utcnow())
                       .execution_options(synchronize_session=False))


def all_clients() -> list[ApiClient]:
    return list(db.session.scalars(
        select(ApiClient).order_by(ApiClient.revoked_at.is_not(None), ApiClient.id.desc())))
