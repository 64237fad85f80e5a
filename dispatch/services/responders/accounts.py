"""Staff accounts: creating them, checking and changing passwords, ending sessions.

A password must have at least MIN_PASSWORD_LENGTH characters, not only spaces, not the
username (nor contain it, nor be part of it), not a few characters repeated, and not one of
the common passwords in ``common_passwords.txt`` (NIST SP 800-63B: a length floor and a
blocklist, no composition rules). Ending a user's sessions raises ``session_version``,
which every session cookie carries: all copies of older cookies stop working at once.
"""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from dispatch.extensions import db
from dispatch.models import Role, Studio, User, VolunteerProfile
from dispatch.models.people import FIELD_ROLES
from dispatch.services.errors import InvalidInput
from dispatch.services.phones import normalise_phone

MIN_PASSWORD_LENGTH = 10  # NIST asks for at least 8 with a blocklist; we keep 10
MIN_DISTINCT_CHARACTERS = 4  # "aaaaaaaaaa", "ababababab": a repeated pattern, not a secret
USERNAME_MIN_FOR_CONTAINS = 3  # "x" inside a password says nothing about the name
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines
                     if line.strip() and not line.startswith("#"))


def check_password_rules(password: str, username: str) -> None:
    """Raise InvalidInput("password", ...) unless ``password`` is acceptable for this user."""
    plain = password.strip().lower()
    name = username.strip().lower()
    if not plain:
        raise InvalidInput("password", _("The password cannot be only spaces."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password", _("The password needs at least %(n)d characters.",
                                         n=MIN_PASSWORD_LENGTH))
    if name and (plain == name or plain in name or (
            len(name) >= USERNAME_MIN_FOR_CONTAINS and name in plain)):
        raise InvalidInput("password", _("The password must not contain the username."))
    if len(set(plain)) < MIN_DISTINCT_CHARACTERS:
        raise InvalidInput("password", _("The password is too simple: it repeats a few "
                                         "characters. Use a few unrelated words."))
    if plain in common_passwords() or plain.replace(" ", "") in common_passwords():
        raise InvalidInput("password", _("This password is one of the most common ones and "
                                         "is guessed first. Use a few unrelated words."))


@cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so both paths take as long."""
    return generate_password_hash(secrets.token_hex(16))


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def create_user(*, username: str, display_name: str, role: Role, password: str,
                phone: str | None = None, studio: Studio | None = None) -> User:
    username = username.strip().lower()
    if not username:
        raise InvalidInput("username", _("Please enter a username."))
    check_password_rules(password, username)
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username)):
        raise InvalidInput("username", _("This username is taken."))
    user = User(username=username, display_name=display_name.strip() or username, role=role,
                phone=normalise_phone(phone), studio=studio)
    user.set_password(password)
    if role in FIELD_ROLES:
        user.profile = VolunteerProfile()
    try:
        with db.session.begin_nested():  # the unique index decides a race for the name
            db.session.add(user)
    except IntegrityError as error:
        raise InvalidInput("username", _("This username is taken.")) from error
    return user


def end_sessions(user: User) -> None:
    """Every session of this user ends: one UPDATE raises the version the cookies carry,
    decided in the database so two sign-outs at once both count."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1)
                       .execution_options(synchronize_session=False))
    db.session.expire(user, ["session_version"])


def session_is_current(user: User, version: str) -> bool:
    """Whether a session cookie's version is this user's current one (and they may work)."""
    return user.active and version == str(user.session_version or 0)


def change_password(user: User, password: str) -> None:
    """A new password ends the user's sessions everywhere, this one included."""
    check_password_rules(password, user.username)
    user.set_password(password)
    end_sessions(user)


def deactivate(user: User) -> None:
    """The account can no longer sign in, and its open sessions end."""
    user.active = False
    end_sessions(user)
